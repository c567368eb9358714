import { type TSchema, Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. validation_error, not_found' }),
      message: Type.String({ description: 'What went wrong, for people' }),
    }),
  },
  { title: 'Error' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: the message names the field',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Cookie-authenticated write without a valid x-csrf-token header',
  404: 'No such resource (or not yours: the answer is the same)',
  409: 'Conflict with existing data',
  413: 'Body larger than 64 KiB',
  415: 'Body is not JSON',
  429: 'Too many attempts: see Retry-After',
  503: 'Not ready',
};

/** Error responses for a route's OpenAPI description (and fast serialisation). */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { ...ErrorResponse, description: ERROR_DESCRIPTIONS[status] ?? 'Error' },
    ]),
  );
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

export const Uuid = (description: string) => Type.String({ format: 'uuid', description });

export const Limit = Type.Integer({
  minimum: 1,
  maximum: 1000,
  default: 100,
  description: 'Page size (1 to 1000, default 100)',
});

export const Cursor = Type.String({
  minLength: 1,
  maxLength: 512,
  pattern: '^[A-Za-z0-9_-]+$',
  [PATTERN_MESSAGE]: 'is not a valid cursor',
  description: 'Opaque: the nextCursor of the previous page',
});

export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass as `cursor` to get the next page; null on the last page',
});

export const NoContent = Type.Null({ description: 'Done; no body' });

/** Security requirement of authenticated routes: a Bearer token or the session cookie. */
export const AUTHENTICATED: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cookieAuth: [] }];
