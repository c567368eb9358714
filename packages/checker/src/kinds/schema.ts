/**
 * Small schema helpers shared by the kinds' settings. A schema may carry its own message for pattern
 * failures under PATTERN_MESSAGE (a registered symbol, so it is never serialised into OpenAPI).
 */
import { type TSchema, Type } from '@sinclair/typebox';

export const PATTERN_MESSAGE = Symbol.for('better-uptime.patternMessage');

export const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

/** A host name or IP address (no scheme, no port). */
export const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9._:-]+$',
  [PATTERN_MESSAGE]: 'must be a host name or IP address',
  description: 'Host name or IP address',
});

export const Port = Type.Integer({ minimum: 1, maximum: 65_535, description: 'TCP port' });
