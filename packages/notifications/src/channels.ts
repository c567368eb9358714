import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { refusalFor, systemResolver } from '@better-uptime/checker';
import type { SecretBox } from '@better-uptime/config';
import { CHANNEL_TYPES, type ChannelType } from '@better-uptime/db';
import { ChannelConfigError, channelDefinition, parseChannelConfig } from './channel-types/index.js';

export { CHANNEL_TYPES, type ChannelType };

/** A new channel's signing secret (256 random bits), shown once. */
export function newChannelSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** What a masked secret looks like: `…` and at most four characters, after a URL's origin. */
export const MASKED_PATTERN = '^(https?://[^/]+/)?…[^…]{0,4}$';

/** How a secret is shown: enough to tell two apart, never enough to use. */
export function maskSecret(value: string): string {
  const tail = value.length > 12 ? value.slice(-4) : '';
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return `${url.origin}/…${tail}`;
  } catch {
    // not a URL
  }
  return `…${tail}`;
}

/**
 * The config as answers show it, from the stored (sealed) one: each secret field opened and masked. One
 * that no key opens shows as `…` alone, so a channel is still listed, and can be given new secrets.
 */
export function maskedConfig(
  type: string,
  stored: Record<string, unknown>,
  box: SecretBox,
): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...stored };
  for (const field of channelDefinition(type).secretFields) {
    const value = masked[field];
    if (typeof value !== 'string') continue;
    const plain = box.isSealed(value) ? box.open(value) : value;
    masked[field] = plain === undefined ? '…' : maskSecret(plain);
  }
  return masked;
}

export interface ConfigCheckOptions {
  allowPrivateTargets: boolean;
  /** Resolves a host name to its addresses (the system resolver by default). */
  resolveHost?: typeof systemResolver;
}

/**
 * A valid, normalised config of the type, or a ChannelConfigError naming the field. On an edit, a secret
 * field left out, or sent back as the masked text an answer showed, keeps its stored value. A user-given
 * URL whose host is, or resolves to, a private address is refused unless private targets are allowed
 * (every send checks it again at connection time).
 */
export async function checkChannelConfig(
  type: string,
  input: Record<string, unknown>,
  options: ConfigCheckOptions,
  stored?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const definition = channelDefinition(type);
  let merged = input;
  if (stored) {
    merged = { ...stored, ...input };
    for (const field of definition.secretFields) {
      const given = input[field];
      if (typeof stored[field] === 'string' && given === maskSecret(stored[field]))
        merged[field] = stored[field];
    }
  }
  const config = parseChannelConfig(type, merged);
  if (!options.allowPrivateTargets) {
    for (const raw of definition.userUrls(config)) {
      const field = Object.keys(config).find((key) => config[key] === raw) ?? 'url';
      await refusePrivate(raw, field, options.resolveHost ?? systemResolver);
    }
  }
  return config;
}

async function refusePrivate(raw: string, field: string, resolveHost: typeof systemResolver): Promise<void> {
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await resolveHost(host)).map((a) => a.address);
    } catch {
      return; // unknown today; the send-time guard judges whatever it resolves to later
    }
  }
  for (const address of addresses) {
    const refusal = refusalFor(address);
    if (refusal) throw new ChannelConfigError(field, refusal.message);
  }
}
