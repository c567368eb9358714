import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { overviewQueries } from '@better-uptime/db';
import { Cursor, DateTime, NextCursor, Uuid } from './common.js';
import { Tag } from './monitor.js';

/** A nullable value with its description on the union, where OpenAPI readers look for it. */
const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description ? { description } : {});

const Status = Type.Union([Type.Literal('Up'), Type.Literal('Down')]);
const Reason = Nullable(Type.String(), 'Why it was down: dns, connect, tls, timeout, http_status, ...');
const Ms = (description = 'Milliseconds') => Nullable(Type.Number(), description);

/**
 * The windows of the monitor page, the width of their chart buckets, their length, and whether they are
 * read from the hourly and daily rollups (windows beyond a day) instead of the raw results.
 */
export const STATS_WINDOWS = {
  '1h': { ms: 3_600_000, bucketSeconds: 60, rolledUp: false },
  '24h': { ms: 86_400_000, bucketSeconds: 600, rolledUp: false },
  '7d': { ms: 7 * 86_400_000, bucketSeconds: 3_600, rolledUp: true },
  '30d': { ms: 30 * 86_400_000, bucketSeconds: 4 * 3_600, rolledUp: true },
  '90d': { ms: 90 * 86_400_000, bucketSeconds: 86_400, rolledUp: true },
} as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

// ----- GET /api/regions ---------------------------------------------------------------------------

export const RegionsResponse = Type.Object({
  regions: Type.Array(Type.String(), {
    description: 'Every configured region; a monitor with an empty region list is checked from all of them',
  }),
});

// ----- GET /api/overview --------------------------------------------------------------------------

export const OVERVIEW_PAGE = { defaultLimit: 50, maxLimit: 500 } as const;

const literals = <T extends string>(values: readonly T[]) => values.map((v) => Type.Literal(v));

export const OverviewQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: OVERVIEW_PAGE.maxLimit,
        default: OVERVIEW_PAGE.defaultLimit,
        description: `Monitors per page (1 to ${OVERVIEW_PAGE.maxLimit}, default ${OVERVIEW_PAGE.defaultLimit})`,
      }),
    ),
    cursor: Type.Optional(Cursor),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'Only monitors whose name or target contains this text (case-insensitive)',
      }),
    ),
    status: Type.Optional(
      Type.Union(literals(overviewQueries.SHOWN_STATES), { description: 'Only monitors in this state' }),
    ),
    tag: Type.Optional({ ...Tag, description: 'Only monitors carrying this tag (exactly)' }),
    sort: Type.Optional(
      Type.Union(literals(overviewQueries.OVERVIEW_SORTS), {
        default: 'state',
        description:
          'state (default): down, pending, maintenance, up, paused; name; response: slowest newest check ' +
          'first; uptime: lowest first (from the hourly rollups, up to an hour behind). Ties by name, then id',
      }),
    ),
  },
  { additionalProperties: false },
);
export type OverviewQueryJson = Static<typeof OverviewQuery>;

const RegionState = Type.Object(
  {
    region: Type.String(),
    status: Nullable(Status, 'The newest check’s status; null before the first check'),
    lastCheckedAt: Nullable(DateTime(), 'Scheduled time of the newest check'),
    since: Nullable(
      DateTime(),
      'When the current status began; null when it has not changed within the lookback window (or there is no check yet)',
    ),
    responseTimeMs: Nullable(Type.Integer(), 'Of the newest check'),
    statusCode: Nullable(Type.Integer(), 'Of the newest check'),
    reason: Reason,
    checks: Type.Integer({ description: 'Checks within the lookback window' }),
    uptimePercent: Nullable(Type.Number(), 'Up checks / checks × 100 within the window; null without checks'),
    hourlyResponseMs: Type.Array(Nullable(Type.Integer()), {
      description: 'Average response time per hour of the window, oldest first (null: no response that hour)',
    }),
  },
  { title: 'RegionState' },
);

const RecentCheck = Type.Object(
  {
    scheduledAt: DateTime('The slot'),
    status: Status,
    region: Type.String({
      description: 'The region whose result is shown: a Down one if any, else the slowest',
    }),
    statusCode: Nullable(Type.Integer()),
    reason: Reason,
    responseTimeMs: Type.Integer(),
    regions: Type.Integer({ description: 'Regions that reported this slot' }),
    downRegions: Type.Integer({ description: 'Of which were down' }),
  },
  { title: 'RecentCheck' },
);

const OverviewMonitor = Type.Object(
  {
    id: Uuid('Monitor id'),
    name: Type.String(),
    kind: Type.String({ description: 'The monitor kind: http, tcp, ...' }),
    target: Type.String({ description: 'What is checked, as people read it (the URL, host:port, ...)' }),
    paused: Type.Boolean(),
    intervalSeconds: Type.Integer(),
    createdAt: DateTime(),
    tags: Type.Array(Type.String(), { description: 'The monitor’s labels' }),
    status: Type.Union(
      [
        Type.Literal('up'),
        Type.Literal('down'),
        Type.Literal('paused'),
        Type.Literal('pending'),
        Type.Literal('maintenance'),
      ],
      {
        description:
          'The confirmed state: down while an incident is open (enough regions failed enough checks in a ' +
          'row), maintenance while a window is in effect, paused, pending before a verdict, else up',
      },
    ),
    stateSince: DateTime('When the state began (for down: when the outage started)'),
    openIncidentId: Nullable(Uuid('The open incident, if any')),
    uptimePercent: Nullable(Type.Number(), 'Over all regions within the window; null without checks'),
    regions: Type.Array(RegionState, { description: 'The regions the monitor is checked from, by name' }),
    recent: Type.Array(RecentCheck, { description: 'The last scheduled slots, oldest first' }),
  },
  { title: 'OverviewMonitor' },
);

export const OverviewResponse = Type.Object(
  {
    generatedAt: DateTime(),
    windowHours: Type.Integer({ description: 'Lookback of uptime, sparkline and since' }),
    counts: Type.Object(
      {
        up: Type.Integer(),
        down: Type.Integer(),
        paused: Type.Integer(),
        pending: Type.Integer(),
        maintenance: Type.Integer(),
        total: Type.Integer(),
      },
      { description: 'Monitors per state over all pages, among those matching q and tag (not status)' },
    ),
    monitors: Type.Array(OverviewMonitor, { description: 'This page’s monitors, in the order of `sort`' }),
    nextCursor: NextCursor,
    tags: Type.Array(Type.String(), { description: 'Every tag the caller’s monitors carry, by name' }),
  },
  { title: 'Overview' },
);
export type OverviewJson = Static<typeof OverviewResponse>;
export type OverviewMonitorJson = Static<typeof OverviewMonitor>;

// ----- GET /api/results/:monitorId/stats ---------------------------------------------------------------

export const StatsQuery = Type.Object(
  {
    window: Type.Optional(
      Type.Union(
        (Object.keys(STATS_WINDOWS) as StatsWindow[]).map((w) => Type.Literal(w)),
        { default: '24h', description: 'How far back from now: 1h, 24h, 7d, 30d or 90d' },
      ),
    ),
  },
  { additionalProperties: false },
);

const SeriesBucket = Type.Object(
  {
    at: DateTime('Start of the bucket'),
    checks: Type.Integer(),
    down: Type.Integer({ description: 'Down checks in the bucket' }),
    avgMs: Ms('Average response time of the checks that got a response'),
    maxMs: Ms('Slowest response'),
    dnsMs: Ms('Average DNS lookup'),
    connectMs: Ms('Average TCP connect'),
    tlsMs: Ms('Average TLS handshake'),
    firstByteMs: Ms('Average time to first byte, from the ready connection'),
  },
  { title: 'SeriesBucket' },
);

const RegionStats = Type.Object(
  {
    region: Type.String(),
    checks: Type.Integer(),
    up: Type.Integer(),
    degraded: Type.Integer({
      description: 'Up checks flagged degraded (slower than the monitor’s degradedAboveMs)',
    }),
    maintenanceChecks: Type.Integer({
      description:
        'Checks whose slot fell in a planned maintenance window of the monitor (counted in checks)',
    }),
    maintenanceUp: Type.Integer({ description: 'Of maintenanceChecks, how many were up' }),
    uptimePercent: Nullable(
      Type.Number(),
      'Up checks / checks × 100 over the checks outside planned maintenance ((up − maintenanceUp) / ' +
        '(checks − maintenanceChecks)); null without such checks',
    ),
    degradedPercent: Nullable(Type.Number(), 'Degraded checks / checks × 100; null without checks'),
    avgMs: Ms('Over the checks that got a response (status code present)'),
    p50Ms: Ms(
      'Median response time, same checks: percentile_cont of the raw checks up to 24h; from the rollups’ ' +
        'histograms (within 4 %) for longer windows',
    ),
    p95Ms: Ms(),
    p99Ms: Ms(),
    series: Type.Array(SeriesBucket, { description: 'Oldest first; buckets without checks are left out' }),
  },
  { title: 'RegionStats' },
);

export const StatsResponse = Type.Object(
  {
    monitorId: Uuid('Monitor id'),
    window: Type.String(),
    from: DateTime('Start of the window (inclusive)'),
    to: DateTime('End of the window: now (inclusive)'),
    bucketSeconds: Type.Integer({ description: 'Width of a series bucket; buckets align to the Unix epoch' }),
    regions: Type.Array(RegionStats, {
      description: 'The regions the monitor is checked from, and any other region with checks in the window',
    }),
  },
  { title: 'MonitorStats' },
);
export type StatsJson = Static<typeof StatsResponse>;

// ----- GET /api/tags ----------------------------------------------------------------------------------

export const TagsResponse = Type.Object(
  {
    tags: Type.Array(
      Type.Object({
        name: Type.String(),
        monitors: Type.Integer({ description: 'How many of your monitors carry it' }),
      }),
      { description: 'Every tag your monitors carry, by name (case-insensitive)' },
    ),
  },
  { title: 'Tags' },
);
