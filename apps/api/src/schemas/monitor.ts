import { type Static, Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';
import { Cursor, DateTime, Limit, NextCursor, Nullable, Uuid } from './common.js';

export const MONITOR_DEFAULTS = {
  intervalSeconds: 180,
  timeoutMs: 30_000,
  method: 'GET',
  expectedStatus: ['200-299'],
  keyword: null,
  keywordMode: 'present',
  followRedirects: true,
  regions: [] as string[],
  paused: false,
} as const;

const Name = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  [PATTERN_MESSAGE]: 'must not be blank',
});

const StatusRange = Type.String({
  pattern: '^[1-5][0-9]{2}(-[1-5][0-9]{2})?$',
  [PATTERN_MESSAGE]: 'must be a status code or range of codes from 100 to 599, like "304" or "200-299"',
});

/** The request schemas depend on the configured regions, which they list as an enumeration. */
export function monitorInputSchemas(regions: readonly string[]) {
  const settings = {
    name: Type.Optional({ ...Name, description: "Default: the URL's host" }),
    intervalSeconds: Type.Optional(
      Type.Integer({ minimum: 30, maximum: 86_400, default: MONITOR_DEFAULTS.intervalSeconds }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1000, maximum: 60_000, default: MONITOR_DEFAULTS.timeoutMs }),
    ),
    method: Type.Optional(
      Type.Union([Type.Literal('GET'), Type.Literal('HEAD')], { default: MONITOR_DEFAULTS.method }),
    ),
    expectedStatus: Type.Optional(
      Type.Array(StatusRange, {
        minItems: 1,
        maxItems: 20,
        uniqueItems: true,
        default: MONITOR_DEFAULTS.expectedStatus,
        description: 'Status codes and inclusive ranges that count as up',
      }),
    ),
    keyword: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 500 }))),
    keywordMode: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: MONITOR_DEFAULTS.keywordMode,
        description: 'Whether the keyword must be present in, or absent from, the body',
      }),
    ),
    followRedirects: Type.Optional(Type.Boolean({ default: true, description: 'Follow up to 5 redirects' })),
    regions: Type.Optional(
      Type.Array(Type.Union(regions.map((r) => Type.Literal(r))), {
        uniqueItems: true,
        default: [],
        description: 'Regions to check from; empty means all',
      }),
    ),
    paused: Type.Optional(Type.Boolean({ default: false })),
  };
  const url = Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'http or https URL with a real host; no credentials',
  });
  return {
    create: Type.Object({ url, ...settings }, { additionalProperties: false }),
    update: Type.Object(
      { url: Type.Optional(url), ...settings },
      { additionalProperties: false, minProperties: 1, description: 'Any subset of the fields' },
    ),
  };
}

export type CreateMonitorBody = Static<ReturnType<typeof monitorInputSchemas>['create']>;
export type UpdateMonitorBody = Static<ReturnType<typeof monitorInputSchemas>['update']>;

export const Monitor = Type.Object(
  {
    id: Uuid('Monitor id (UUIDv7, time ordered)'),
    name: Type.String(),
    url: Type.String(),
    intervalSeconds: Type.Integer(),
    timeoutMs: Type.Integer(),
    method: Type.Union([Type.Literal('GET'), Type.Literal('HEAD')]),
    expectedStatus: Type.Array(Type.String()),
    keyword: Nullable(Type.String()),
    keywordMode: Type.Union([Type.Literal('present'), Type.Literal('absent')]),
    followRedirects: Type.Boolean(),
    regions: Type.Array(Type.String()),
    paused: Type.Boolean(),
    nextCheckAt: DateTime('When the next check is scheduled'),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  },
  { title: 'Monitor' },
);
export type MonitorJson = Static<typeof Monitor>;

export const MonitorResponse = Type.Object({ monitor: Monitor });

export const MonitorListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

export const MonitorListResponse = Type.Object({
  monitors: Type.Array(Monitor, { description: 'Newest first' }),
  nextCursor: NextCursor,
});

export const MonitorParams = Type.Object({ id: Uuid('Monitor id') }, { additionalProperties: false });
