import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import {
  addToHistogram,
  type Histogram,
  histogramPercentiles,
  maintenanceRelationSql,
  type MaintenanceInterval,
  type RollupFigures,
  uptimePercent,
  type UptimeCounts,
  windowFigures,
} from '../rollups.js';

/**
 * Aggregates for the dashboard, computed in SQL over the raw check results, and from the rollups for long
 * windows (at the end). Every
 * query reads one monitor's rows through the (monitor_id, scheduled_at desc) index or the
 * (monitor_id, region, scheduled_at) primary key, over a bounded time range, so the cost follows the
 * window asked for, never the length of the history. The primary key carries the columns the aggregates
 * read (migration 0001), so long windows are index-only scans instead of a heap page per row. Plain SQL:
 * the same on PostgreSQL and PGlite.
 *
 * Response-time figures (averages, percentiles, phases) count only checks that received a response
 * (status code present): a timeout's "response time" is the timeout itself and would drown the signal.
 */

const HOUR_MS = 3_600_000;

/** Timestamps travel as ISO text and are parsed by PostgreSQL, like the other queries. */
const ts = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/** Epoch milliseconds of a timestamptz, as a JavaScript number on both drivers. */
const epochMs = (column: string) => sql.raw(`(extract(epoch FROM ${column}) * 1000)::float8`);

// ---------------------------------------------------------------------------------------------------
// Overview: every monitor of a user, its state per region, in two statements whatever their number.
// ---------------------------------------------------------------------------------------------------

export interface RegionState {
  monitorId: string;
  region: string;
  /** The newest check of the region; null before its first check. */
  latest: {
    status: 'Up' | 'Down';
    scheduledAt: number;
    responseTimeMs: number;
    statusCode: number | null;
    reason: string | null;
  } | null;
  /**
   * When the current status began (epoch ms). Looked for within the lookback window only, so that the
   * cost stays bounded: null when the status has not changed inside the window and older checks exist
   * ("for more than 24 h"), and before the first check.
   */
  since: number | null;
  /** Checks and Up checks of the region within the window, and of those, the ones in planned maintenance. */
  checks: number;
  up: number;
  maintenanceChecks: number;
  maintenanceUp: number;
  /** Average response time per hour of the window, oldest first; null for hours without responses. */
  hourlyResponseMs: (number | null)[];
}

export interface RecentCheck {
  scheduledAt: number;
  /** The worst region's result for the slot: a Down region if any, else the slowest. */
  region: string;
  status: 'Up' | 'Down';
  statusCode: number | null;
  reason: string | null;
  responseTimeMs: number;
  /** How many regions reported this slot, and how many of them were down. */
  regions: number;
  downRegions: number;
}

/** What a monitor's newest results say, fresh on every call. */
export interface RecentActivity {
  /** The last slots, oldest first, one entry per slot. */
  slots: RecentCheck[];
  /** Per region: the newest check, and when its status began if that is visible in the rows read. */
  regions: Map<string, { latest: NonNullable<RegionState['latest']>; since: number | null }>;
}

export interface OverviewOptions {
  /** Every configured region; a monitor with an empty region list is checked from all of them. */
  regions: readonly string[];
  now: Date;
  /** Lookback of uptime, sparkline and "since" (default 24 h, in whole hours). */
  windowMs?: number;
  /** Kinds judged in one region of their own (push kinds), whatever their region list says. */
  ownRegion?: { kinds: readonly string[]; region: string };
  /** Only these of the user's monitors (a page of the overview); all of them when left out. */
  monitorIds?: readonly string[];
  /** The monitors' stretches of planned maintenance within the window: checks in them count apart. */
  maintenance?: readonly MaintenanceInterval[];
}

/** `AND m.id = ANY(ids)` when the caller names the monitors, else nothing. */
const onlyMonitors = (ids: readonly string[] | undefined) =>
  ids === undefined ? sql`` : sql`AND m.id = ANY(${sql.param([...ids])}::uuid[])`;

interface RegionStateRow {
  monitor_id: string;
  region: string;
  status: 'Up' | 'Down' | null;
  scheduled_at: number | null;
  response_time_ms: number | null;
  status_code: number | null;
  reason: string | null;
  checks: number | null;
  up: number | null;
  maintenance_checks: number | null;
  maintenance_up: number | null;
  hourly: Array<[number, number | null]> | string | null;
  since: number | null;
}

/**
 * The state of each (monitor, region) pair of the user's monitors, ordered by monitor id (newest first)
 * then region. Per pair: a one-row probe for the newest check, one index range scan over the window (in
 * hourly groups, for uptime and the sparkline), and a one-row probe for the start of the current status.
 */
export async function regionStates(
  db: Database,
  userId: string,
  { regions, now, windowMs = 24 * HOUR_MS, ownRegion, monitorIds, maintenance = [] }: OverviewOptions,
): Promise<RegionState[]> {
  const hours = Math.max(1, Math.round(windowMs / HOUR_MS));
  const windowStart = new Date(now.getTime() - hours * HOUR_MS);
  // Without maintenance in the window (the usual case) the scan stays what it was: no join at all.
  const inMaintenance =
    maintenance.length === 0
      ? sql`false`
      : sql`EXISTS (SELECT 1 FROM maintenance w WHERE w.monitor_id = c.monitor_id
              AND c.scheduled_at >= w.starts_at AND c.scheduled_at < w.ends_at)`;
  const rows = await queryRows<RegionStateRow>(
    db,
    sql`WITH maintenance AS (${maintenanceRelationSql(maintenance)}),
        pairs AS (
          SELECT m.id AS monitor_id, r.region
          FROM monitors m
          CROSS JOIN LATERAL unnest(
            CASE WHEN m.kind = ANY(${sql.param([...(ownRegion?.kinds ?? [])])}::text[])
                   THEN ARRAY[${ownRegion?.region ?? ''}]::text[]
                 WHEN cardinality(m.regions) = 0 THEN ${sql.param([...regions])}::text[] ELSE m.regions END
          ) AS r(region)
          WHERE m.user_id = ${userId} ${onlyMonitors(monitorIds)}
        ),
        day AS (
          -- One range scan of each monitor's window, grouped by region and hour.
          SELECT m.id AS monitor_id, h.region, sum(h.checks)::int AS checks, sum(h.up)::int AS up,
                 sum(h.maintenance_checks)::int AS maintenance_checks,
                 sum(h.maintenance_up)::int AS maintenance_up,
                 max(h.last_up) AS last_up, max(h.last_down) AS last_down,
                 json_agg(json_build_array(h.hour_index, h.avg_ms) ORDER BY h.hour_index) AS hourly
          FROM monitors m
          CROSS JOIN LATERAL (
            SELECT c.region,
                   -- A check exactly at now belongs to the last hour, not to an hour of its own.
                   LEAST(floor(extract(epoch FROM c.scheduled_at - ${ts(windowStart)}) / 3600)::int, ${hours - 1})
                     AS hour_index,
                   count(*) AS checks,
                   count(*) FILTER (WHERE c.status = 'Up') AS up,
                   count(*) FILTER (WHERE ${inMaintenance}) AS maintenance_checks,
                   count(*) FILTER (WHERE c.status = 'Up' AND ${inMaintenance}) AS maintenance_up,
                   max(c.scheduled_at) FILTER (WHERE c.status = 'Up') AS last_up,
                   max(c.scheduled_at) FILTER (WHERE c.status = 'Down') AS last_down,
                   round(avg(c.response_time_ms) FILTER (WHERE c.status_code IS NOT NULL))::int AS avg_ms
            FROM check_results c
            WHERE c.monitor_id = m.id AND c.scheduled_at >= ${ts(windowStart)} AND c.scheduled_at <= ${ts(now)}
            GROUP BY c.region, 2
          ) h
          WHERE m.user_id = ${userId} ${onlyMonitors(monitorIds)}
          GROUP BY m.id, h.region
        )
        SELECT p.monitor_id, p.region, l.status, ${epochMs('l.scheduled_at')} AS scheduled_at,
               l.response_time_ms, l.status_code, l.reason, d.checks, d.up, d.maintenance_checks,
               d.maintenance_up, d.hourly,
               ${epochMs('s.since')} AS since
        FROM pairs p
        LEFT JOIN day d ON d.monitor_id = p.monitor_id AND d.region = p.region
        LEFT JOIN LATERAL (
          SELECT c.status, c.scheduled_at, c.response_time_ms, c.status_code, c.reason
          FROM check_results c
          WHERE c.monitor_id = p.monitor_id AND c.region = p.region AND c.scheduled_at <= ${ts(now)}
          ORDER BY c.scheduled_at DESC LIMIT 1
        ) l ON true
        LEFT JOIN LATERAL (
          -- The first check after the last one of the other status; with none in the window, the first
          -- check after the window's start (or ever, if all history is inside the window).
          SELECT min(c.scheduled_at) AS since
          FROM check_results c
          WHERE l.status IS NOT NULL AND c.monitor_id = p.monitor_id AND c.region = p.region
            AND c.scheduled_at > COALESCE(
              CASE WHEN l.status = 'Up' THEN d.last_down ELSE d.last_up END, '-infinity'::timestamptz)
        ) s ON true
        ORDER BY p.monitor_id DESC, p.region`,
  );
  return rows.map((row) => {
    // The other status appears in the window exactly when not every check there has the latest status.
    const changedInWindow = row.status === 'Up' ? (row.up ?? 0) < (row.checks ?? 0) : (row.up ?? 0) > 0;
    const sinceKnown = row.since !== null && (changedInWindow || row.since >= windowStart.getTime());
    return {
      monitorId: row.monitor_id,
      region: row.region,
      latest:
        row.status === null || row.scheduled_at === null
          ? null
          : {
              status: row.status,
              scheduledAt: row.scheduled_at,
              responseTimeMs: row.response_time_ms ?? 0,
              statusCode: row.status_code,
              reason: row.reason,
            },
      since: sinceKnown ? row.since : null,
      checks: row.checks ?? 0,
      up: row.up ?? 0,
      maintenanceChecks: row.maintenance_checks ?? 0,
      maintenanceUp: row.maintenance_up ?? 0,
      hourlyResponseMs: hourlySeries(row.hourly, hours),
    };
  });
}

/** Spreads (hour, value) pairs over a fixed array of `hours` slots. */
function hourlySeries(raw: RegionStateRow['hourly'], hours: number): (number | null)[] {
  const series = new Array<number | null>(hours).fill(null);
  // node-postgres parses json columns; PGlite may hand back the text.
  const pairs = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<[number, number | null]> | null;
  for (const [hour, value] of pairs ?? []) {
    if (value !== null && hour >= 0 && hour < hours) series[hour] = value;
  }
  return series;
}

interface RecentRow {
  monitor_id: string;
  region: string;
  scheduled_at: number;
  status: 'Up' | 'Down';
  status_code: number | null;
  reason: string | null;
  response_time_ms: number;
}

/**
 * The newest results of each of the user's monitors: enough rows for `slots` slots from every region,
 * read in index order (newest first) so each monitor costs one short index scan whatever its history.
 * From them: the bar of recent slots, each region's newest check, and since when its status has held
 * when the change is among the rows read (or the rows are the whole history).
 */
export async function recentActivity(
  db: Database,
  userId: string,
  {
    regions,
    now,
    slots,
    monitorIds,
  }: { regions: readonly string[]; now: Date; slots: number; monitorIds?: readonly string[] },
): Promise<Map<string, RecentActivity>> {
  const limit = slots * Math.max(regions.length, 1);
  const rows = await queryRows<RecentRow>(
    db,
    sql`SELECT m.id AS monitor_id, c.region, ${epochMs('c.scheduled_at')} AS scheduled_at, c.status,
               c.status_code, c.reason, c.response_time_ms
        FROM monitors m
        CROSS JOIN LATERAL (
          SELECT r.region, r.scheduled_at, r.status, r.status_code, r.reason, r.response_time_ms
          FROM check_results r
          WHERE r.monitor_id = m.id AND r.scheduled_at <= ${ts(now)}
          -- NULLS LAST as in the index (monitor_id, scheduled_at DESC NULLS LAST): only then does the
          -- planner read each partition's index in order and stop at the limit, instead of sorting.
          ORDER BY r.scheduled_at DESC NULLS LAST
          LIMIT ${limit}
        ) c
        WHERE m.user_id = ${userId} ${onlyMonitors(monitorIds)}
        ORDER BY m.id DESC, c.scheduled_at DESC, c.region`,
  );
  const byMonitor = new Map<string, RecentRow[]>();
  for (const row of rows) {
    const list = byMonitor.get(row.monitor_id);
    if (list) list.push(row);
    else byMonitor.set(row.monitor_id, [row]);
  }
  const activity = new Map<string, RecentActivity>();
  for (const [monitorId, newestFirst] of byMonitor) {
    activity.set(monitorId, summarise(newestFirst, slots, newestFirst.length < limit));
  }
  return activity;
}

/** `wholeHistory`: the rows are every result the monitor has, so a run reaching the oldest began there. */
function summarise(newestFirst: RecentRow[], slots: number, wholeHistory: boolean): RecentActivity {
  const regions: RecentActivity['regions'] = new Map();
  const runOpen = new Set<string>();
  for (const row of newestFirst) {
    const region = regions.get(row.region);
    if (!region) {
      regions.set(row.region, {
        latest: {
          status: row.status,
          scheduledAt: row.scheduled_at,
          responseTimeMs: row.response_time_ms,
          statusCode: row.status_code,
          reason: row.reason,
        },
        since: row.scheduled_at,
      });
      runOpen.add(row.region);
    } else if (runOpen.has(row.region)) {
      if (row.status === region.latest.status) region.since = row.scheduled_at;
      else runOpen.delete(row.region); // the change: the run began at the previous row
    }
  }
  // A run still open at the oldest row read may have begun earlier, unless that row is the first ever.
  if (!wholeHistory) for (const region of runOpen) regions.get(region)!.since = null;

  const bySlot = new Map<number, RecentRow[]>();
  for (const row of newestFirst) {
    const slot = bySlot.get(row.scheduled_at);
    if (slot) slot.push(row);
    else if (bySlot.size < slots) bySlot.set(row.scheduled_at, [row]);
  }
  const merged = [...bySlot.values()].map((slot) => {
    const worst = slot.reduce((a, b) =>
      (b.status === 'Down') !== (a.status === 'Down')
        ? b.status === 'Down'
          ? b
          : a
        : b.response_time_ms > a.response_time_ms
          ? b
          : a,
    );
    return {
      scheduledAt: worst.scheduled_at,
      region: worst.region,
      status: worst.status,
      statusCode: worst.status_code,
      reason: worst.reason,
      responseTimeMs: worst.response_time_ms,
      regions: slot.length,
      downRegions: slot.filter((r) => r.status === 'Down').length,
    };
  });
  return { slots: merged.reverse(), regions };
}

// ---------------------------------------------------------------------------------------------------
// One monitor over a window: per-region summary and a bucketed series.
// ---------------------------------------------------------------------------------------------------

export interface StatsRange {
  /** Inclusive bounds on scheduled_at. */
  from: Date;
  to: Date;
  /** Width of a series bucket; buckets are aligned to multiples of it since the Unix epoch. */
  bucketSeconds: number;
}

export interface RegionSummary {
  region: string;
  checks: number;
  up: number;
  /**
   * Up checks / checks × 100; null without checks. Over every check: windowStats, which the API serves, leaves
   * planned maintenance out (rollups.uptimePercent).
   */
  uptimePercent: number | null;
  /** Over checks that received a response; null when none did. */
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface SeriesBucket {
  region: string;
  /** Start of the bucket, epoch ms. */
  at: number;
  checks: number;
  down: number;
  /** Average and maximum response time, and average phases, over the checks that got a response. */
  avgMs: number | null;
  maxMs: number | null;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
}

interface SummaryRow {
  region: string;
  checks: number;
  up: number;
  avg_ms: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/**
 * The SQL of `regionSummaries`. Exported so that a test can EXPLAIN it: it must stay answerable from the
 * primary key's index alone (an index-only scan), see migration 0001.
 */
export function regionSummariesQuery(monitorId: string, { from, to }: Pick<StatsRange, 'from' | 'to'>): SQL {
  return sql`SELECT region, checks, up, avg_ms, pct[1] AS p50, pct[2] AS p95, pct[3] AS p99
        FROM (
          SELECT c.region,
                 count(*)::int AS checks,
                 count(*) FILTER (WHERE c.status = 'Up')::int AS up,
                 (avg(c.response_time_ms) FILTER (WHERE c.status_code IS NOT NULL))::float8 AS avg_ms,
                 percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY c.response_time_ms)
                   FILTER (WHERE c.status_code IS NOT NULL) AS pct
          FROM check_results c
          WHERE c.monitor_id = ${monitorId} AND c.scheduled_at >= ${ts(from)} AND c.scheduled_at <= ${ts(to)}
          GROUP BY c.region
        ) s
        ORDER BY region`;
}

/** Uptime, average and p50/p95/p99 response time per region, ordered by region. */
export async function regionSummaries(
  db: Database,
  monitorId: string,
  range: Pick<StatsRange, 'from' | 'to'>,
): Promise<RegionSummary[]> {
  const rows = await queryRows<SummaryRow>(db, regionSummariesQuery(monitorId, range));
  return rows.map((row) => ({
    region: row.region,
    checks: row.checks,
    up: row.up,
    uptimePercent: row.checks > 0 ? (row.up / row.checks) * 100 : null,
    avgMs: row.avg_ms,
    p50Ms: row.p50,
    p95Ms: row.p95,
    p99Ms: row.p99,
  }));
}

interface BucketRow {
  region: string;
  at: number;
  checks: number;
  down: number;
  avg_ms: number | null;
  max_ms: number | null;
  dns_ms: number | null;
  connect_ms: number | null;
  tls_ms: number | null;
  first_byte_ms: number | null;
}

/** The SQL of `responseSeries`; like `regionSummariesQuery`, answerable from the primary key's index alone. */
export function responseSeriesQuery(monitorId: string, { from, to, bucketSeconds }: StatsRange): SQL {
  const responded = sql.raw('FILTER (WHERE c.status_code IS NOT NULL)');
  return sql`SELECT c.region,
               (floor(extract(epoch FROM c.scheduled_at) / ${bucketSeconds}) * ${bucketSeconds} * 1000)::float8 AS at,
               count(*)::int AS checks,
               count(*) FILTER (WHERE c.status = 'Down')::int AS down,
               (avg(c.response_time_ms) ${responded})::float8 AS avg_ms,
               (max(c.response_time_ms) ${responded})::float8 AS max_ms,
               (avg(c.dns_ms) ${responded})::float8 AS dns_ms,
               (avg(c.connect_ms) ${responded})::float8 AS connect_ms,
               (avg(c.tls_ms) ${responded})::float8 AS tls_ms,
               (avg(c.first_byte_ms) ${responded})::float8 AS first_byte_ms
        FROM check_results c
        WHERE c.monitor_id = ${monitorId} AND c.scheduled_at >= ${ts(from)} AND c.scheduled_at <= ${ts(to)}
        GROUP BY c.region, 2
        ORDER BY c.region, 2`;
}

/** The window cut into buckets of `bucketSeconds`, per region; buckets without checks are left out. */
export async function responseSeries(
  db: Database,
  monitorId: string,
  range: StatsRange,
): Promise<SeriesBucket[]> {
  const rows = await queryRows<BucketRow>(db, responseSeriesQuery(monitorId, range));
  return rows.map((row) => ({
    region: row.region,
    at: row.at,
    checks: row.checks,
    down: row.down,
    avgMs: row.avg_ms,
    maxMs: row.max_ms,
    dnsMs: row.dns_ms,
    connectMs: row.connect_ms,
    tlsMs: row.tls_ms,
    firstByteMs: row.first_byte_ms,
  }));
}

// ---------------------------------------------------------------------------------------------------
// Long windows from the rollups: the same figures, read from hourly and daily aggregates.
// ---------------------------------------------------------------------------------------------------

/** A region's figures over a window as the stats API shows them: uptime leaves planned maintenance out. */
export interface WindowSummary extends RegionSummary, UptimeCounts {
  /** Up checks flagged degraded. */
  degraded: number;
}

/**
 * One monitor's per-region summary and series over a window, as the stats API serves them. Counts, degraded
 * and maintenance checks come from rollups.windowFigures, uptime from rollups.uptimePercent. Short windows
 * (`rolledUp` false) read the raw results alone (exact percentiles); long ones the rollups where they cover
 * the window and raw results at its edges.
 * `maintenance`: the monitor's stretches of planned maintenance within the window.
 */
export async function windowStats(
  db: Database,
  monitorId: string,
  range: StatsRange & { rolledUp: boolean },
  maintenance: readonly MaintenanceInterval[],
): Promise<{ summaries: WindowSummary[]; buckets: SeriesBucket[] }> {
  if (range.rolledUp) return rolledUpStats(db, monitorId, range, maintenance);
  const figures = await windowFigures(db, [monitorId], {
    fromMs: range.from.getTime(),
    toMs: range.to.getTime(),
    periodSeconds: 3_600,
    maintenance,
    withHistogram: false,
    rawOnly: true,
  });
  const counts = new Map<string, Figures>();
  for (const f of figures) {
    let total = counts.get(f.region);
    if (!total) counts.set(f.region, (total = noFigures()));
    addFigures(total, f);
  }
  const times = new Map((await regionSummaries(db, monitorId, range)).map((s) => [s.region, s]));
  const summaries = [...new Set([...counts.keys(), ...times.keys()])].sort().map((region) => {
    const c = counts.get(region) ?? noFigures();
    const t = times.get(region);
    return {
      region,
      checks: c.checks,
      up: c.up,
      degraded: c.degraded,
      maintenanceChecks: c.maintenanceChecks,
      maintenanceUp: c.maintenanceUp,
      uptimePercent: uptimePercent(c),
      avgMs: t?.avgMs ?? null,
      p50Ms: t?.p50Ms ?? null,
      p95Ms: t?.p95Ms ?? null,
      p99Ms: t?.p99Ms ?? null,
    };
  });
  return { summaries, buckets: await responseSeries(db, monitorId, range) };
}

/**
 * `regionSummaries` and `responseSeries` of one monitor over a window of days, read from the rollups (raw
 * results only at the window's edges: the partial first hour and the results not rolled yet). Counts, uptime
 * and averages are exact; percentiles come from the rollups' histograms, within
 * rollups.HISTOGRAM_RELATIVE_ERROR of percentile_cont over the raw rows. `bucketSeconds` must be a whole
 * number of hours; the maximum of a bucket is exact too.
 */
export async function rolledUpStats(
  db: Database,
  monitorId: string,
  { from, to, bucketSeconds }: StatsRange,
  maintenance: readonly MaintenanceInterval[],
): Promise<{ summaries: WindowSummary[]; buckets: SeriesBucket[] }> {
  const figures = await windowFigures(db, [monitorId], {
    fromMs: from.getTime(),
    toMs: to.getTime(),
    periodSeconds: bucketSeconds,
    maintenance,
  });
  const perRegion = new Map<
    string,
    { total: Figures; histogram: Histogram; buckets: Map<number, Figures> }
  >();
  for (const f of figures) {
    let region = perRegion.get(f.region);
    if (!region)
      perRegion.set(f.region, (region = { total: noFigures(), histogram: new Map(), buckets: new Map() }));
    addFigures(region.total, f);
    addToHistogram(region.histogram, f.histogramBuckets, f.histogramCounts);
    let bucket = region.buckets.get(f.startsAt);
    if (!bucket) region.buckets.set(f.startsAt, (bucket = noFigures()));
    addFigures(bucket, f);
  }
  const average = (sum: number, count: number) => (count > 0 ? sum / count : null);
  const regions = [...perRegion.keys()].sort();
  const summaries = regions.map((region): WindowSummary => {
    const { total, histogram } = perRegion.get(region)!;
    const [p50Ms, p95Ms, p99Ms] = histogramPercentiles(histogram, [0.5, 0.95, 0.99]);
    return {
      region,
      checks: total.checks,
      up: total.up,
      degraded: total.degraded,
      maintenanceChecks: total.maintenanceChecks,
      maintenanceUp: total.maintenanceUp,
      uptimePercent: uptimePercent(total),
      avgMs: average(total.responseMsSum, total.responses),
      p50Ms: p50Ms ?? null,
      p95Ms: p95Ms ?? null,
      p99Ms: p99Ms ?? null,
    };
  });
  const buckets = regions.flatMap((region) =>
    [...perRegion.get(region)!.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([at, b]): SeriesBucket => ({
        region,
        at,
        checks: b.checks,
        down: b.checks - b.up,
        avgMs: average(b.responseMsSum, b.responses),
        maxMs: b.responseMsMax,
        dnsMs: average(b.dnsMsSum, b.dnsCount),
        connectMs: average(b.connectMsSum, b.connectCount),
        tlsMs: average(b.tlsMsSum, b.tlsCount),
        firstByteMs: average(b.firstByteMsSum, b.firstByteCount),
      })),
  );
  return { summaries, buckets };
}

type Figures = Omit<
  RollupFigures,
  'monitorId' | 'region' | 'startsAt' | 'histogramBuckets' | 'histogramCounts'
>;

function noFigures(): Figures {
  return {
    checks: 0,
    up: 0,
    degraded: 0,
    maintenanceChecks: 0,
    maintenanceUp: 0,
    responses: 0,
    responseMsSum: 0,
    responseMsMax: null,
    dnsMsSum: 0,
    dnsCount: 0,
    connectMsSum: 0,
    connectCount: 0,
    tlsMsSum: 0,
    tlsCount: 0,
    firstByteMsSum: 0,
    firstByteCount: 0,
  };
}

function addFigures(into: Figures, f: Figures): void {
  for (const key of Object.keys(into) as (keyof Figures)[]) {
    if (key === 'responseMsMax') {
      if (f.responseMsMax !== null) into.responseMsMax = Math.max(into.responseMsMax ?? 0, f.responseMsMax);
    } else {
      into[key] += f[key];
    }
  }
}
