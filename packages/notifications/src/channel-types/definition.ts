import { type TObject, Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '@better-uptime/checker';
import type { NotificationSettings, SecretBox } from '@better-uptime/config';
import type { ChannelType } from '@better-uptime/db';
import type { SendResult } from '../http.js';
import type { Message } from '../message.js';

/** A channel's config that fails its type's rules; `field` is the config key at fault. */
export class ChannelConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelConfigError';
  }
}

export interface SendContext {
  settings: NotificationSettings;
  allowPrivateTargets: boolean;
  /** Opens the channel secrets stored sealed (SECRETS_KEY). */
  secrets: SecretBox;
  /** Sends a mail through SMTP_URL (one transport per process). */
  sendMail(mail: { to: string[]; subject: string; text: string; html: string }): Promise<SendResult>;
}

export interface ChannelTarget<C> {
  id: string;
  config: C;
  /** The channel's signing secret. */
  secret: string;
}

/** One kind of receiver: its settings, which of them are secrets, and how a message reaches it. */
/**
 * One kind of receiver, defined once: the schema of its `config` (from which the API's request and answer
 * schemas, and so the OpenAPI document, follow), the rules a schema cannot say, which fields are secrets,
 * and how a message reaches it.
 */
export interface ChannelDefinition<C extends Record<string, unknown> = Record<string, unknown>> {
  type: ChannelType;
  /** What `config` holds: every field, its limits and description. */
  config: TObject;
  /** Config fields that are secrets: sealed at rest, masked in every answer. */
  secretFields: readonly string[];
  /** Whether an alert storm's messages are grouped into one (PagerDuty: no, its trigger and resolve pair). */
  groups: boolean;
  /**
   * After the schema: the rules it cannot say (a URL's parts), and normalising (trimming, deduplicating).
   * Throws a ChannelConfigError naming the field.
   */
  refine(config: C): C;
  /** The user-given URLs of the config, which the private-address guard judges. */
  userUrls(config: C): string[];
  send(message: Message, channel: ChannelTarget<C>, context: SendContext): Promise<SendResult>;
}

export const MAX_FIELD_LENGTH = 2048;

/** Something besides spaces, and no C0/C1 control characters (linear: the space run and the rest are disjoint). */
const NO_CONTROL_CHARACTERS =
  '^[^\\S\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$';

/** Text of a config field: not blank, bounded, no control characters (they would end up in headers). */
export function textField(options: {
  description: string;
  maxLength?: number;
  pattern?: string;
  patternMessage?: string;
}) {
  return Type.String({
    minLength: 1,
    maxLength: options.maxLength ?? MAX_FIELD_LENGTH,
    pattern: options.pattern ?? NO_CONTROL_CHARACTERS,
    [PATTERN_MESSAGE]: options.patternMessage ?? 'must not be blank or contain control characters',
    description: options.description,
  });
}

/** An absolute http(s) URL without credentials (the schema says text; refineUrl says URL). */
export const urlSchema = (description: string) =>
  textField({ description: `${description}; an absolute http or https URL without credentials` });

/** The URL of `field`, normalised; a ChannelConfigError when it is not an absolute http(s) URL without credentials. */
export function refineUrl(raw: string, field: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ChannelConfigError(field, 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ChannelConfigError(field, 'must use http or https');
  if (url.username || url.password) throw new ChannelConfigError(field, 'must not contain credentials');
  if (url.hostname === '') throw new ChannelConfigError(field, 'must have a host');
  return url.href;
}

/**
 * A channel whose whole config is one secret incoming-webhook URL (Slack, Discord, Teams): only the
 * message format differs, so only `send` is given.
 */
export function webhookUrlChannel(
  type: ChannelType,
  description: string,
  send: ChannelDefinition<{ url: string }>['send'],
): ChannelDefinition<{ url: string }> {
  return {
    type,
    config: Type.Object(
      { url: urlSchema(description) },
      { additionalProperties: false, title: `${type} channel config` },
    ),
    secretFields: ['url'],
    groups: true,
    refine: (config) => ({ url: refineUrl(config.url, 'url') }),
    userUrls: (config) => [config.url],
    send,
  };
}
