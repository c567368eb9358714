import { type Static, type TObject, type TSchema, type TUnion, Type } from '@sinclair/typebox';
import { DEFAULT_KIND, MONITOR_KINDS, type MonitorKind, PUSH_STATUSES } from '@better-uptime/checker';
import { PATTERN_MESSAGE, UNNAMED_VARIANT } from '../validation.js';
import { Cursor, DateTime, Limit, NextCursor, Nullable, RegionName, Uuid } from './common.js';
import { MonitorNotificationInput, MonitorNotificationOutput } from './channel.js';
import { Incident } from './incident.js';

/** Defaults of the fields every kind has; a kind's own defaults are in its settings schema (the checker). */
export const MONITOR_DEFAULTS = {
  kind: DEFAULT_KIND,
  intervalSeconds: 180,
  timeoutMs: 30_000,
  regions: [] as string[],
  paused: false,
  failureThreshold: 2,
  recoveryThreshold: 2,
  regionQuorum: null,
  retryIntervalSeconds: 10,
  publicBadges: false,
} as const;

/** The shortest interval of any kind. */
export const MIN_INTERVAL_SECONDS = 10;

export const MONITOR_STATES = ['pending', 'up', 'down', 'maintenance', 'paused'] as const;
export const MonitorStateSchema = Type.Union(
  MONITOR_STATES.map((s) => Type.Literal(s)),
  {
    description:
      'pending (no verdict yet), up, down (an incident is open), maintenance (a window is in effect), paused',
  },
);

const Name = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  [PATTERN_MESSAGE]: 'must not be blank',
});

/** Tags: limits in one place, for the schema, the overview's filter and the input's normalisation. */
export const TAG_LIMITS = { maxLength: 32, perMonitor: 10 } as const;

/**
 * The characters of a tag. TypeBox compiles patterns without the `u` flag, so Unicode letters are checked
 * by TAG_CHARACTERS (monitors/input.ts) after the schema's length check.
 */
export const TAG_CHARACTERS = /^[\p{L}\p{N} _.:/-]+$/u;
export const TAG_CHARACTERS_MESSAGE = 'must be letters, digits, spaces or - _ . : /';

/** One tag as input (trimmed and deduplicated when stored). */
export const Tag = Type.String({
  minLength: 1,
  maxLength: TAG_LIMITS.maxLength,
  pattern: '\\S',
  [PATTERN_MESSAGE]: 'must not be blank',
  description: `1 to ${TAG_LIMITS.maxLength} characters: letters, digits, spaces and - _ . : /`,
});

/** The fields every kind has, each optional (defaults in MONITOR_DEFAULTS). */
function commonInput() {
  return {
    name: Type.Optional({ ...Name, description: 'Default: what is checked (the URL, host:port, ...)' }),
    intervalSeconds: Type.Optional(
      Type.Integer({
        minimum: MIN_INTERVAL_SECONDS,
        maximum: 86_400,
        default: MONITOR_DEFAULTS.intervalSeconds,
      }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1000, maximum: 60_000, default: MONITOR_DEFAULTS.timeoutMs }),
    ),
    regions: Type.Optional(
      Type.Array(RegionName(), {
        uniqueItems: true,
        maxItems: 64,
        default: [],
        description:
          'Regions to check from, each a region of the instance (GET /api/regions: the configured ones and ' +
          'those of its probes); empty means all (a heartbeat monitor has none: it is judged once)',
      }),
    ),
    paused: Type.Optional(Type.Boolean({ default: false })),
    publicBadges: Type.Optional(
      Type.Boolean({
        default: MONITOR_DEFAULTS.publicBadges,
        description:
          'Anyone may fetch this monitor’s status, uptime and response-time badges (/api/badges/:id/...)',
      }),
    ),
    failureThreshold: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10,
        default: MONITOR_DEFAULTS.failureThreshold,
        description: 'Consecutive failed checks before a region counts as down',
      }),
    ),
    recoveryThreshold: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10,
        default: MONITOR_DEFAULTS.recoveryThreshold,
        description: 'Consecutive good checks before a down region counts as up again',
      }),
    ),
    regionQuorum: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 1,
          description:
            'Regions that must be down to open an incident, at most the number of regions checked from; ' +
            'null (the default) means a majority of them (1 of 1, 2 of 2 or 3)',
        }),
      ),
    ),
    retryIntervalSeconds: Type.Optional(
      Type.Integer({
        minimum: 5,
        maximum: 86_400,
        default: MONITOR_DEFAULTS.retryIntervalSeconds,
        description:
          'While a region is failing or an incident is open, checks come at this cadence (at most intervalSeconds)',
      }),
    ),
    tags: Type.Optional(
      Type.Array(Tag, {
        maxItems: TAG_LIMITS.perMonitor,
        default: [],
        description: `Labels to filter and group by, at most ${TAG_LIMITS.perMonitor}; trimmed, duplicates dropped, case kept`,
      }),
    ),
    ...MonitorNotificationInput,
  };
}

/** The names of the fields every kind has: a body's other fields are its kind's settings. */
export const COMMON_FIELDS: ReadonlySet<string> = new Set(['kind', ...Object.keys(commonInput())]);

/**
 * A kind's own fields as input: a field with a default may be left out. With `partial`, every field may
 * be (an update names only what changes).
 */
export function kindInput(kind: MonitorKind, partial: boolean): Record<string, TSchema> {
  const properties = kind.settings.properties as Record<string, TSchema>;
  return Object.fromEntries(
    Object.entries(properties).map(([key, schema]) => [
      key,
      partial || schema.default !== undefined ? Type.Optional(schema) : schema,
    ]),
  );
}

const kindLiteral = (kind: MonitorKind, partial: boolean) => {
  const literal = Type.Literal(kind.name, {
    description: kind.name === DEFAULT_KIND ? `${kind.name} (the default when kind is left out)` : kind.name,
  });
  return partial || kind.name === DEFAULT_KIND ? Type.Optional(literal) : literal;
};

/**
 * The request schemas: one object per kind (its common fields, `kind` and its own settings) under a `kind`
 * discriminator. Region names are checked against the instance's regions by the route (they change as
 * probes are created), not by the schema.
 */
export function monitorInputSchemas() {
  const common = commonInput();
  const create = MONITOR_KINDS.map((kind) =>
    Type.Object(
      { kind: kindLiteral(kind, false), ...common, ...kindInput(kind, false) },
      { additionalProperties: false, title: `New ${kind.name} monitor` },
    ),
  );
  const update = MONITOR_KINDS.map((kind) =>
    Type.Object(
      { kind: kindLiteral(kind, true), ...common, ...kindInput(kind, true) },
      { additionalProperties: false, minProperties: 1, title: `${kind.name} monitor changes` },
    ),
  );
  const defaultCreate = create.find((schema) => schema.properties.kind.const === DEFAULT_KIND)!;
  return {
    create: Type.Union(create, {
      discriminator: { propertyName: 'kind' },
      [UNNAMED_VARIANT]: defaultCreate,
    }) as TUnion<TObject[]>,
    update: Type.Union(update, {
      discriminator: { propertyName: 'kind' },
      description:
        'Any subset of the fields. Without `kind`, the settings are those of the monitor’s kind; a new `kind` ' +
        'replaces the settings (its defaults fill what is left out). A secret left out, or sent back masked, ' +
        'keeps its value.',
      // Without a kind the settings are checked against the stored kind's schema by the route.
      [UNNAMED_VARIANT]: Type.Object(common, { additionalProperties: true, minProperties: 1 }),
    }) as TUnion<TObject[]>,
  };
}

/** A body as validated: the common fields typed, the kind's settings as the kind's schema checked them. */
export type CommonInput = Partial<Static<TObject<ReturnType<typeof commonInput>>>>;
export type MonitorBody = CommonInput & { kind?: string } & Record<string, unknown>;

const commonOutput = {
  id: Uuid('Monitor id (UUIDv7, time ordered)'),
  name: Type.String(),
  target: Type.String({ description: 'What is checked, as people read it (the URL, host:port, ...)' }),
  intervalSeconds: Type.Integer(),
  timeoutMs: Type.Integer(),
  regions: Type.Array(Type.String()),
  paused: Type.Boolean(),
  publicBadges: Type.Boolean({ description: 'Badges are served to anyone' }),
  failureThreshold: Type.Integer(),
  recoveryThreshold: Type.Integer(),
  regionQuorum: Nullable(Type.Integer(), 'Null: a majority of the regions'),
  retryIntervalSeconds: Type.Integer(),
  tags: Type.Array(Type.String(), { description: 'Labels, in the order given' }),
  ...MonitorNotificationOutput,
  state: MonitorStateSchema,
  stateSince: DateTime('When the state began (for down: when the outage started)'),
  openIncidentId: Nullable(Uuid('The open incident, if any')),
  openIncident: Type.Optional(
    Nullable(Incident, 'The open incident (single-monitor answers; lists give openIncidentId only)'),
  ),
  nextCheckAt: DateTime('When the next check is scheduled'),
  createdAt: DateTime(),
  updatedAt: DateTime(),
};

/** What the answers of a single push-kind monitor add: its push URL and its newest push. */
const pushOutput = {
  pushUrl: Type.Optional(
    Type.String({
      description:
        'Where to push: GET or POST, optionally ?status=down&message=... Whole only in the answer that made ' +
        'it (the create, a change to this kind, POST /api/monitor/:id/push-token); masked (…and the last four ' +
        'characters) afterwards',
    }),
  ),
  lastPush: Type.Optional(
    Nullable(
      Type.Object({
        at: DateTime(),
        status: Type.Union(PUSH_STATUSES.map((s) => Type.Literal(s))),
        message: Nullable(Type.String()),
      }),
      'The newest push; null before the first',
    ),
  ),
};

// Answers put a kind's settings beside the common fields (see monitorViewJson): the names must not meet.
for (const kind of MONITOR_KINDS) {
  const shared = Object.keys(kind.settings.properties).filter(
    (name) => name in commonOutput || name === 'kind',
  );
  if (shared.length > 0)
    throw new Error(`kind ${kind.name} has settings named like common fields: ${shared.join(', ')}`);
}

/** A monitor as answers show it: the common fields, its kind and its settings (secrets masked). */
export const Monitor = Type.Union(
  MONITOR_KINDS.map((kind) =>
    Type.Object(
      {
        ...commonOutput,
        kind: Type.Literal(kind.name),
        ...(kind.settings.properties as Record<string, TSchema>),
        ...((kind.pushRegion === undefined ? {} : pushOutput) as Record<string, TSchema>),
      },
      { title: `${kind.name} monitor` },
    ),
  ),
  { discriminator: { propertyName: 'kind' }, title: 'Monitor' },
);

/** A monitor's answer before it is checked against the schema of its kind. */
export type MonitorJson = Static<TObject<typeof commonOutput>> & {
  kind: string;
  [setting: string]: unknown;
};
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
