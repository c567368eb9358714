import { type TSchema, Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. validation_error, not_found' }),
      message: Type.String({ description: 'What went wrong, for people' }),
      details: Type.Optional(
        Type.Array(
          Type.Object({
            field: Type.String({ description: 'The field below the request part: intervalSeconds, tags/1' }),
            message: Type.String({ description: 'What is wrong with it, in words: must be at least 30' }),
          }),
          { description: 'On validation errors: every invalid field, the first of which the message names' },
        ),
      ),
    }),
  },
  { title: 'Error' },
);

/** A region's name, as REGIONS and probes spell it (the config's rule). */
export const REGION_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const RegionName = (description?: string) =>
  Type.String({
    pattern: REGION_NAME.source,
    maxLength: 32,
    [PATTERN_MESSAGE]: 'must be a region name: lowercase letters, digits and dashes, starting with a letter',
    ...(description === undefined ? {} : { description }),
  });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: the message names the first invalid field; details lists every one',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Not allowed: a cookie-authenticated write without a valid x-csrf-token header, a write with a read-only API key, a closed sign-up, or a new monitor beyond MAX_MONITORS_PER_USER (quota_exceeded)',
  404: 'No such resource (or not yours: the answer is the same)',
  409: 'Conflict with existing data',
  413: 'Body larger than 64 KiB',
  415: 'Body is not JSON',
  429: 'Too many attempts or writes: see Retry-After',
  503: 'Unavailable: the database does not answer or is busy (retry after Retry-After seconds), or the service is not ready',
};

/**
 * Error responses for a route's OpenAPI description (and fast serialisation). Every route may answer 503
 * while the database is unreachable, so that one is always included.
 */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    [...new Set([...statuses, 503])].map((status) => [
      status,
      { ...ErrorResponse, description: ERROR_DESCRIPTIONS[status] ?? 'Error' },
    ]),
  );
}

export const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

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
