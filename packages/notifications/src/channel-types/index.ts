import type { TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { PATTERN_MESSAGE } from '@better-uptime/checker';
import type { ChannelType } from '@better-uptime/db';
import { ChannelConfigError, type ChannelDefinition } from './definition.js';
import { discord } from './discord.js';
import { email } from './email.js';
import { ntfy } from './ntfy.js';
import { pagerduty } from './pagerduty.js';
import { slack } from './slack.js';
import { teams } from './teams.js';
import { telegram } from './telegram.js';
import { webhook } from './webhook.js';

/** Every channel type, by name. */
export const CHANNEL_DEFINITIONS: Record<ChannelType, ChannelDefinition> = {
  webhook,
  slack,
  discord,
  teams,
  telegram,
  ntfy,
  pagerduty,
  email,
} as unknown as Record<ChannelType, ChannelDefinition>;

export function channelDefinition(type: string): ChannelDefinition {
  const definition = CHANNEL_DEFINITIONS[type as ChannelType];
  if (!definition) throw new Error(`unknown channel type ${type}`);
  return definition;
}

const compiled = new Map<string, TypeCheck<TObject>>();

/**
 * A config of the type checked against its schema, then its type's own rules: the config to store
 * (normalised), or a ChannelConfigError naming the first field at fault.
 */
export function parseChannelConfig(type: string, input: Record<string, unknown>): Record<string, unknown> {
  const definition = channelDefinition(type);
  let check = compiled.get(type);
  if (!check) {
    check = TypeCompiler.Compile(definition.config);
    compiled.set(type, check);
  }
  if (!check.Check(input)) {
    const error = check.Errors(input).First()!;
    const said = (error.schema as unknown as Record<symbol, unknown>)[PATTERN_MESSAGE];
    throw new ChannelConfigError(
      error.path.replace(/^\//, '') || '(config)',
      error.type === ValueErrorType.StringPattern && typeof said === 'string' ? said : error.message,
    );
  }
  return definition.refine(input);
}

export { ChannelConfigError, type ChannelDefinition, type SendContext } from './definition.js';
export { SIGNATURE_HEADER, signature } from './webhook.js';
