import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from './client.js';
import { DAY_MS } from './partitions.js';

/**
 * Hourly and daily aggregates of check results per monitor and region (table check_rollups). Hours are
 * rolled from the raw rows, days from their hours; both are upserts, so rolling a range again gives the
 * same rows, and a late result of an hour already rolled is counted when that hour is rolled again.
 * Plain SQL: the same on PostgreSQL and PGlite.
 */

export const HOUR_MS = 3_600_000;

// ----- The response-time histogram ------------------------------------------------------------------

/** Response times below this many milliseconds have a bucket each (exact). */
const EXACT_BELOW_MS = 16;
/**
 * Above it, each bucket is this much wider than the one before. A bucket stands for the geometric middle of
 * its bounds, off by at most √1.08 − 1 = 3.9 % from any time in it, so percentiles are within 4 %.
 */
const BUCKET_RATIO = 1.08;
/** The last bucket, which also takes every slower time: from 16 × 1.08^111 ≈ 82 s, beyond the longest timeout. */
const LAST_BUCKET = 127;

/** The histogram bucket of a response time in milliseconds, in SQL; the one definition of the buckets. */
export function histogramBucketSql(column: SQL): SQL {
  return sql`CASE WHEN ${column} < ${sql.raw(String(EXACT_BELOW_MS))} THEN greatest(${column}, 0)
    ELSE least(${sql.raw(String(LAST_BUCKET))}, ${sql.raw(String(EXACT_BELOW_MS))}
      + floor(ln(${column}::float8 / ${sql.raw(String(EXACT_BELOW_MS))}) / ln(${sql.raw(String(BUCKET_RATIO))}))::int) END`;
}

/** The response time a bucket stands for. */
export function bucketValue(bucket: number): number {
  if (bucket < EXACT_BELOW_MS) return bucket;
  return EXACT_BELOW_MS * BUCKET_RATIO ** (bucket - EXACT_BELOW_MS + 0.5);
}

/** The largest relative error of a percentile read from a histogram (compared with the raw percentile_cont). */
export const HISTOGRAM_RELATIVE_ERROR = Math.sqrt(BUCKET_RATIO) - 1;

/** Bucket → number of checks. */
export type Histogram = Map<number, number>;

export function addToHistogram(into: Histogram, buckets: readonly number[], counts: readonly number[]): void {
  for (let i = 0; i < buckets.length; i++) {
    into.set(buckets[i]!, (into.get(buckets[i]!) ?? 0) + counts[i]!);
  }
}

/**
 * Percentiles from a histogram, interpolated between neighbouring ranks as percentile_cont does over the raw
 * times. Each ranked time is replaced by its bucket's value, which keeps their order, so every result is
 * within HISTOGRAM_RELATIVE_ERROR of what percentile_cont gives on the raw rows. Null for an empty histogram.
 */
export function histogramPercentiles(histogram: Histogram, fractions: readonly number[]): (number | null)[] {
  const ordered = [...histogram.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = ordered.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return fractions.map(() => null);
  const valueAtRank = (rank: number): number => {
    let seen = 0;
    for (const [bucket, n] of ordered) {
      seen += n;
      if (rank < seen) return bucketValue(bucket);
    }
    return bucketValue(ordered[ordered.length - 1]![0]);
  };
  return fractions.map((p) => {
    const position = p * (total - 1);
    const lower = Math.floor(position);
    const low = valueAtRank(lower);
    return position === lower ? low : low + (position - lower) * (valueAtRank(lower + 1) - low);
  });
}

// ----- Rows: raw results and rollups in one shape -------------------------------------------------------

/** Timestamps travel as ISO text and are parsed by PostgreSQL, like the other queries. */
const ts = (ms: number) => sql`${new Date(ms).toISOString()}::timestamptz`;

// ----- What a check counts as: up, degraded, in planned maintenance ------------------------------------

/**
 * A stretch of time a monitor was in planned maintenance, epoch ms, [fromMs, toMs). The windows' rules (weekly
 * in a time zone, one-off) live in packages/incidents, which depends on this package; so whoever reads or rolls
 * figures passes the stretches in, computed from those rules for the range at hand.
 */
export interface MaintenanceInterval {
  monitorId: string;
  fromMs: number;
  toMs: number;
}

/** The intervals that overlap [fromMs, toMs]: all a raw piece of a window needs (a read sends no more). */
function overlapping(
  intervals: readonly MaintenanceInterval[],
  { fromMs, toMs }: { fromMs: number; toMs: number },
): MaintenanceInterval[] {
  return intervals.filter((i) => i.fromMs <= toMs && i.toMs > fromMs);
}

/**
 * The intervals as a relation (monitor_id, starts_at, ends_at), merged per monitor so that they never overlap:
 * a check joins at most one of them. One bound parameter, whatever their number.
 */
export function maintenanceRelationSql(intervals: readonly MaintenanceInterval[]): SQL {
  const sorted = intervals
    .filter((i) => i.toMs > i.fromMs)
    .sort((a, b) => (a.monitorId < b.monitorId ? -1 : a.monitorId > b.monitorId ? 1 : a.fromMs - b.fromMs));
  const merged: MaintenanceInterval[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.monitorId === interval.monitorId && interval.fromMs <= last.toMs) {
      last.toMs = Math.max(last.toMs, interval.toMs);
    } else {
      merged.push({ ...interval });
    }
  }
  const rows = merged.map((i) => ({
    monitor_id: i.monitorId,
    starts_at: new Date(i.fromMs).toISOString(),
    ends_at: new Date(i.toMs).toISOString(),
  }));
  return sql`SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
    AS m(monitor_id uuid, starts_at timestamptz, ends_at timestamptz)`;
}

/**
 * The raw results matching `where` (over check_results c), each with what the rollups count it as: the one
 * definition of up, degraded (an Up check the checker flagged in its details) and in maintenance (its slot
 * falls in one of `maintenance`). Read by the rolls and by the raw edges of every window alike.
 */
function classifiedResultsSql(where: SQL, maintenance: readonly MaintenanceInterval[], columns: SQL): SQL {
  return sql`SELECT ${columns}, (c.status = 'Up') AS is_up,
      (c.status = 'Up' AND c.details @> '{"degraded": true}'::jsonb) AS is_degraded,
      (m.monitor_id IS NOT NULL) AS in_maintenance
    FROM check_results c
    LEFT JOIN (${maintenanceRelationSql(maintenance)}) m
      ON m.monitor_id = c.monitor_id AND c.scheduled_at >= m.starts_at AND c.scheduled_at < m.ends_at
    WHERE ${where}`;
}

/** Counts over classified results (as c) that uptime needs; column names as in check_rollups. */
const UPTIME_COUNTS = sql.raw(`count(*)::int AS checks,
  (count(*) FILTER (WHERE c.is_up))::int AS up,
  (count(*) FILTER (WHERE c.in_maintenance))::int AS maintenance_checks,
  (count(*) FILTER (WHERE c.in_maintenance AND c.is_up))::int AS maintenance_up`);

/** The counts of a stretch of checks that uptime is computed from. */
export interface UptimeCounts {
  checks: number;
  up: number;
  /** Checks whose slot fell in a planned maintenance window, and how many of them were up. */
  maintenanceChecks: number;
  maintenanceUp: number;
}

/**
 * Uptime in percent: up checks over checks, leaving out the checks run during planned maintenance (they are
 * still counted and shown, but a planned window lowers no one's uptime). Null when no check falls outside
 * maintenance. The one definition, used by the stats API, status pages and badges.
 */
export function uptimePercent(counts: UptimeCounts): number | null {
  const checks = counts.checks - counts.maintenanceChecks;
  return checks > 0 ? ((counts.up - counts.maintenanceUp) / checks) * 100 : null;
}

/** The columns a rollup row holds besides its key, in table order. */
const FIGURE_COLUMNS = [
  'checks',
  'up',
  'degraded',
  'maintenance_checks',
  'maintenance_up',
  'responses',
  'response_ms_sum',
  'response_ms_max',
  'dns_ms_sum',
  'dns_count',
  'connect_ms_sum',
  'connect_count',
  'tls_ms_sum',
  'tls_count',
  'first_byte_ms_sum',
  'first_byte_count',
  'histogram_buckets',
  'histogram_counts',
];

/**
 * The last step of aggregateResultsSql and mergeRollupsSql: totals t and histogram h as rows of the same
 * shape, in the same column order (their results are unioned).
 */
const FIGURES_OF_TOTALS = sql.raw(`SELECT t.monitor_id, t.region, t.starts_at,
    ${FIGURE_COLUMNS.filter((c) => !c.startsWith('histogram_'))
      .map((c) => `t.${c}`)
      .join(', ')},
    coalesce(h.buckets, '{}'::int[]) AS histogram_buckets, coalesce(h.counts, '{}'::int[]) AS histogram_counts
  FROM totals t LEFT JOIN histogram h USING (monitor_id, region, starts_at)`);

/**
 * The raw results matching `where` (over check_results c) aggregated per monitor, region and period of
 * `periodSeconds`, in the shape of check_rollups: monitor_id, region, starts_at and FIGURE_COLUMNS.
 */
export function aggregateResultsSql(
  where: SQL,
  periodSeconds: number,
  maintenance: readonly MaintenanceInterval[],
  withHistogram = true,
): SQL {
  const responded = sql.raw('FILTER (WHERE c.status_code IS NOT NULL)');
  const phase = (column: string) =>
    sql.raw(`coalesce(sum(c.${column}_ms) FILTER (WHERE c.status_code IS NOT NULL), 0)::bigint AS ${column}_ms_sum,
      (count(c.${column}_ms) FILTER (WHERE c.status_code IS NOT NULL))::int AS ${column}_count`);
  const columns = sql`c.monitor_id, c.region,
    to_timestamp(floor(extract(epoch FROM c.scheduled_at) / ${periodSeconds}) * ${periodSeconds}) AS starts_at,
    c.status_code, c.response_time_ms, c.dns_ms, c.connect_ms, c.tls_ms, c.first_byte_ms`;
  return sql`WITH raw AS (${classifiedResultsSql(where, maintenance, columns)}),
    totals AS (
      SELECT c.monitor_id, c.region, c.starts_at,
             ${UPTIME_COUNTS},
             (count(*) FILTER (WHERE c.is_degraded))::int AS degraded,
             (count(*) ${responded})::int AS responses,
             coalesce(sum(c.response_time_ms) ${responded}, 0)::bigint AS response_ms_sum,
             max(c.response_time_ms) ${responded} AS response_ms_max,
             ${phase('dns')}, ${phase('connect')}, ${phase('tls')}, ${phase('first_byte')}
      FROM raw c GROUP BY 1, 2, 3
    ),
    histogram AS (
      SELECT monitor_id, region, starts_at,
             array_agg(bucket ORDER BY bucket) AS buckets, array_agg(n ORDER BY bucket) AS counts
      FROM (SELECT c.monitor_id, c.region, c.starts_at, ${histogramBucketSql(sql.raw('c.response_time_ms'))} AS bucket,
                   count(*)::int AS n
            FROM raw c WHERE c.status_code IS NOT NULL ${withHistogram ? sql`` : sql`AND false`} GROUP BY 1, 2, 3, 4) h
      GROUP BY 1, 2, 3
    )
    ${FIGURES_OF_TOTALS}`;
}

/** Rollup rows (over check_rollups r) merged per monitor, region and period of `periodSeconds`, same shape. */
function mergeRollupsSql(where: SQL, periodSeconds: number, withHistogram = true): SQL {
  const sums = ['response_ms', 'dns_ms', 'connect_ms', 'tls_ms', 'first_byte_ms']
    .map((c) => `sum(r.${c}_sum)::bigint AS ${c}_sum`)
    .concat(['dns', 'connect', 'tls', 'first_byte'].map((c) => `sum(r.${c}_count)::int AS ${c}_count`))
    .join(', ');
  return sql`WITH rows AS (
      SELECT r.*, to_timestamp(floor(extract(epoch FROM r.starts_at) / ${periodSeconds}) * ${periodSeconds}) AS merged_at
      FROM check_rollups r WHERE ${where}
    ),
    totals AS (
      SELECT r.monitor_id, r.region, r.merged_at AS starts_at,
             sum(r.checks)::int AS checks, sum(r.up)::int AS up, sum(r.degraded)::int AS degraded,
             sum(r.maintenance_checks)::int AS maintenance_checks, sum(r.maintenance_up)::int AS maintenance_up,
             sum(r.responses)::int AS responses,
             max(r.response_ms_max) AS response_ms_max, ${sql.raw(sums)}
      FROM rows r GROUP BY 1, 2, 3
    ),
    histogram AS (
      SELECT monitor_id, region, starts_at,
             array_agg(bucket ORDER BY bucket) AS buckets, array_agg(n ORDER BY bucket) AS counts
      FROM (SELECT r.monitor_id, r.region, r.merged_at AS starts_at, u.bucket, sum(u.n)::int AS n
            FROM rows r, unnest(r.histogram_buckets, r.histogram_counts) AS u(bucket, n)
            ${withHistogram ? sql`` : sql`WHERE false`}
            GROUP BY 1, 2, 3, 4) h
      GROUP BY 1, 2, 3
    )
    ${FIGURES_OF_TOTALS}`;
}

function upsertRollupsSql(period: 'hour' | 'day', rows: SQL): SQL {
  const updates = FIGURE_COLUMNS.map((c) => `${c} = excluded.${c}`)
    .concat(['rolled_at = now()'])
    .join(', ');
  return sql`INSERT INTO check_rollups (monitor_id, region, period, starts_at, ${sql.raw(FIGURE_COLUMNS.join(', '))})
    SELECT s.monitor_id, s.region, ${period}, s.starts_at, ${sql.raw(FIGURE_COLUMNS.map((c) => `s.${c}`).join(', '))}
    FROM (${rows}) s
    ON CONFLICT ON CONSTRAINT check_rollups_pkey DO UPDATE SET ${sql.raw(updates)}`;
}

/**
 * Rolls the hours in [fromMs, toMs) from the raw results (`fromMs` on an hour; when `toMs` is not, the hour it
 * falls in gets a row of its results before `toMs`), then the UTC days they fall in from their hours (a day
 * still in progress gets a row of the hours so far), and those days' regionless uptime_days rows.
 * `maintenance`: the stretches of planned maintenance of every monitor within the range. Returns the hourly
 * rows written.
 */
export async function rollHours(
  db: Database,
  fromMs: number,
  toMs: number,
  maintenance: readonly MaintenanceInterval[],
): Promise<number> {
  if (toMs <= fromMs) return 0;
  const inRange = sql`c.scheduled_at >= ${ts(fromMs)} AND c.scheduled_at < ${ts(toMs)}`;
  const [hours] = await queryRows<{ n: number }>(
    db,
    sql`WITH written AS (${upsertRollupsSql('hour', aggregateResultsSql(inRange, 3600, maintenance))} RETURNING 1)
        SELECT count(*)::int AS n FROM written`,
  );
  const dayFrom = Math.floor(fromMs / DAY_MS) * DAY_MS;
  const dayTo = Math.ceil(toMs / DAY_MS) * DAY_MS;
  const days = sql`r.starts_at >= ${ts(dayFrom)} AND r.starts_at < ${ts(dayTo)}`;
  await db.execute(upsertRollupsSql('day', mergeRollupsSql(sql`r.period = 'hour' AND ${days}`, 86_400)));
  await db.execute(
    sql`INSERT INTO uptime_days (monitor_id, starts_at, checks, up, degraded, maintenance_checks, maintenance_up)
        SELECT r.monitor_id, r.starts_at, sum(r.checks)::int, sum(r.up)::int, sum(r.degraded)::int,
               sum(r.maintenance_checks)::int, sum(r.maintenance_up)::int
        FROM check_rollups r WHERE r.period = 'day' AND ${days}
        GROUP BY 1, 2
        ON CONFLICT ON CONSTRAINT uptime_days_pkey DO UPDATE SET checks = excluded.checks, up = excluded.up,
          degraded = excluded.degraded, maintenance_checks = excluded.maintenance_checks,
          maintenance_up = excluded.maintenance_up`,
  );
  return Number(hours?.n ?? 0);
}

/**
 * Every result scheduled before this has been rolled at least once; null before the first roll. Not always on
 * an hour: the hour it falls in has a row of its results before it.
 */
export async function rolledTo(db: Database): Promise<number | null> {
  const [row] = await queryRows<{ ms: number }>(
    db,
    sql`SELECT (extract(epoch FROM rolled_to) * 1000)::float8 AS ms FROM rollup_progress`,
  );
  return row ? Number(row.ms) : null;
}

export async function setRolledTo(db: Database, ms: number): Promise<void> {
  await db.execute(
    sql`INSERT INTO rollup_progress (id, rolled_to) VALUES (true, ${ts(ms)})
        ON CONFLICT (id) DO UPDATE SET rolled_to = greatest(rollup_progress.rolled_to, excluded.rolled_to)`,
  );
}

/** The first hour at or after `fromMs` with a raw result, or null when there is none. */
export async function firstResultHour(db: Database, fromMs: number): Promise<number | null> {
  const [row] = await queryRows<{ ms: number | null }>(
    db,
    sql`SELECT (extract(epoch FROM min(scheduled_at)) * 1000)::float8 AS ms FROM check_results
        WHERE scheduled_at >= ${ts(fromMs)}`,
  );
  return row?.ms == null ? null : Math.floor(Number(row.ms) / HOUR_MS) * HOUR_MS;
}

/** Deletes up to `limit` rows of each rollup table that start before `beforeMs`; returns how many. */
export async function deleteRollupsBefore(db: Database, beforeMs: number, limit: number): Promise<number> {
  let deleted = 0;
  for (const table of ['check_rollups', 'uptime_days']) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`WITH gone AS (
            DELETE FROM ${sql.identifier(table)} WHERE ctid = ANY (ARRAY(
              SELECT ctid FROM ${sql.identifier(table)} WHERE starts_at < ${ts(beforeMs)} LIMIT ${limit}))
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`,
    );
    deleted += Number(row?.n ?? 0);
  }
  return deleted;
}

// ----- Reading a window from rollups and raw results -----------------------------------------------------

/** A uuid[] of bound parameters, for `= ANY(...)`. */
export const uuidArray = (ids: readonly string[]) =>
  sql`ARRAY[${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )}]::uuid[]`;

/** A piece of a window and where its figures come from; `toMs` exclusive except for the last raw piece. */
export interface CoverPiece {
  source: 'raw' | 'hour' | 'day';
  fromMs: number;
  toMs: number;
  /** The last piece of the window includes its end (the window's `to` is inclusive). */
  inclusive: boolean;
}

/**
 * Splits the window [fromMs, toMs] into raw edges and rolled hours (and whole rolled days when
 * `daysAllowed`, i.e. when the caller's buckets are whole days): rollups only where rolled (before
 * `rolledToMs`), raw results for the partial hour at the start and everything from the roll horizon to the
 * end. When the window reaches the horizon, the hour (or day) it falls in is read from its row (results
 * before the horizon) and the raw tail starts at the horizon itself: minutes, not an hour.
 */
export function coverWindow(
  fromMs: number,
  toMs: number,
  rolledToMs: number | null,
  daysAllowed: boolean,
): CoverPiece[] {
  const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const rolled = rolledToMs ?? -Infinity;
  const horizonHour = Math.floor(rolled / HOUR_MS) * HOUR_MS;
  const hoursEnd =
    rolled <= toMs && horizonHour >= firstHour
      ? rolled
      : Math.min(horizonHour, Math.floor(toMs / HOUR_MS) * HOUR_MS);
  if (hoursEnd <= firstHour) return [{ source: 'raw', fromMs, toMs, inclusive: true }];
  const pieces: CoverPiece[] = [];
  const add = (source: CoverPiece['source'], from: number, to: number, inclusive = false) => {
    if (to > from || inclusive) pieces.push({ source, fromMs: from, toMs: to, inclusive });
  };
  add('raw', fromMs, firstHour);
  const firstDay = Math.ceil(firstHour / DAY_MS) * DAY_MS;
  // Like the horizon's hour, the horizon's day has a row of the results before the horizon.
  const daysEnd =
    hoursEnd === rolled && Math.floor(rolled / DAY_MS) * DAY_MS >= firstDay
      ? rolled
      : Math.floor(hoursEnd / DAY_MS) * DAY_MS;
  if (daysAllowed && daysEnd > firstDay) {
    add('hour', firstHour, firstDay);
    add('day', firstDay, daysEnd);
    add('hour', daysEnd, hoursEnd);
  } else {
    add('hour', firstHour, hoursEnd);
  }
  add('raw', hoursEnd, toMs, true);
  return pieces;
}

/** Rollup-shaped figures of one monitor and region over one period, as read back. */
export interface RollupFigures extends UptimeCounts {
  monitorId: string;
  region: string;
  /** Start of the period, epoch ms. */
  startsAt: number;
  /** Up checks flagged degraded. */
  degraded: number;
  responses: number;
  responseMsSum: number;
  responseMsMax: number | null;
  dnsMsSum: number;
  dnsCount: number;
  connectMsSum: number;
  connectCount: number;
  tlsMsSum: number;
  tlsCount: number;
  firstByteMsSum: number;
  firstByteCount: number;
  histogramBuckets: number[];
  histogramCounts: number[];
}

interface FiguresRow {
  monitor_id: string;
  region: string;
  starts_at: number;
  checks: number;
  up: number;
  degraded: number;
  maintenance_checks: number;
  maintenance_up: number;
  responses: number;
  response_ms_sum: number;
  response_ms_max: number | null;
  dns_ms_sum: number;
  dns_count: number;
  connect_ms_sum: number;
  connect_count: number;
  tls_ms_sum: number;
  tls_count: number;
  first_byte_ms_sum: number;
  first_byte_count: number;
  histogram_buckets: number[];
  histogram_counts: number[];
}

/**
 * The figures of some monitors over a window, per monitor, region and period of `periodSeconds` (a whole
 * number of hours), read from rollups where they cover it and from raw results at the edges. A period may
 * come back in several rows (one per source); callers add them up.
 */
export async function windowFigures(
  db: Database,
  monitorIds: readonly string[],
  {
    fromMs,
    toMs,
    periodSeconds,
    maintenance,
    withHistogram = true,
    rawOnly = false,
  }: {
    fromMs: number;
    toMs: number;
    periodSeconds: number;
    /** The monitors' stretches of planned maintenance within the window, for its raw edges. */
    maintenance: readonly MaintenanceInterval[];
    /** False leaves the histograms empty, for callers that need no percentiles (uptime bars). */
    withHistogram?: boolean;
    /** True reads the raw results alone: short windows, exact up to the newest result however late it came. */
    rawOnly?: boolean;
  },
): Promise<RollupFigures[]> {
  if (monitorIds.length === 0) return [];
  const horizon = rawOnly ? null : await rolledTo(db);
  const pieces = coverWindow(fromMs, toMs, horizon, periodSeconds % 86_400 === 0);
  const ids = uuidArray(monitorIds);
  const parts = pieces.map((piece) => {
    const end = piece.inclusive ? sql`<=` : sql`<`;
    if (piece.source === 'raw') {
      return aggregateResultsSql(
        sql`c.monitor_id = ANY(${ids}) AND c.scheduled_at >= ${ts(piece.fromMs)} AND c.scheduled_at ${end} ${ts(piece.toMs)}`,
        periodSeconds,
        overlapping(maintenance, piece),
        withHistogram,
      );
    }
    return mergeRollupsSql(
      sql`r.monitor_id = ANY(${ids}) AND r.period = ${piece.source}
          AND r.starts_at >= ${ts(piece.fromMs)} AND r.starts_at < ${ts(piece.toMs)}`,
      periodSeconds,
      withHistogram,
    );
  });
  const rows = await queryRows<FiguresRow>(
    db,
    sql`SELECT f.monitor_id, f.region, (extract(epoch FROM f.starts_at) * 1000)::float8 AS starts_at,
               f.checks, f.up, f.degraded, f.maintenance_checks, f.maintenance_up, f.responses, f.response_ms_sum::float8 AS response_ms_sum, f.response_ms_max,
               f.dns_ms_sum::float8 AS dns_ms_sum, f.dns_count, f.connect_ms_sum::float8 AS connect_ms_sum,
               f.connect_count, f.tls_ms_sum::float8 AS tls_ms_sum, f.tls_count,
               f.first_byte_ms_sum::float8 AS first_byte_ms_sum, f.first_byte_count,
               f.histogram_buckets, f.histogram_counts
        FROM (${sql.join(
          parts.map((part) => sql`(${part})`),
          sql` UNION ALL `,
        )}) f`,
  );
  return rows.map((r) => ({
    monitorId: r.monitor_id,
    region: r.region,
    startsAt: Number(r.starts_at),
    checks: r.checks,
    up: r.up,
    degraded: r.degraded,
    maintenanceChecks: r.maintenance_checks,
    maintenanceUp: r.maintenance_up,
    responses: r.responses,
    responseMsSum: Number(r.response_ms_sum),
    responseMsMax: r.response_ms_max,
    dnsMsSum: Number(r.dns_ms_sum),
    dnsCount: r.dns_count,
    connectMsSum: Number(r.connect_ms_sum),
    connectCount: r.connect_count,
    tlsMsSum: Number(r.tls_ms_sum),
    tlsCount: r.tls_count,
    firstByteMsSum: Number(r.first_byte_ms_sum),
    firstByteCount: r.first_byte_count,
    histogramBuckets: r.histogram_buckets,
    histogramCounts: r.histogram_counts,
  }));
}

/** One monitor's checks on one UTC day, all regions together. */
export interface DayUptime extends UptimeCounts {
  monitorId: string;
  /** Start of the UTC day, epoch ms. */
  day: number;
}

/**
 * The uptime bars of some monitors: the uptime counts per UTC day, for the `days` days up to and including
 * today (at `nowMs`), all regions together: whole days from uptime_days, today's hours from the hourly
 * rollups and the raw results not rolled yet. Days without checks are left out. A lean statement of its own
 * (counts only, one row per monitor): a status page asks for 90 days of many monitors, and both rollup keys
 * carry the counts, so the rolled part is an index-only scan.
 */
export async function dailyUptime(
  db: Database,
  monitorIds: readonly string[],
  {
    days,
    nowMs,
    maintenance,
  }: {
    days: number;
    nowMs: number;
    /** The monitors' stretches of planned maintenance within the days, for the results not rolled yet. */
    maintenance: readonly MaintenanceInterval[];
  },
): Promise<DayUptime[]> {
  if (monitorIds.length === 0) return [];
  const fromMs = Math.floor(nowMs / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const ids = uuidArray(monitorIds);
  const counts = sql.raw('checks, up, maintenance_checks, maintenance_up');
  const parts = coverWindow(fromMs, nowMs, await rolledTo(db), true).map((piece) => {
    const end = piece.inclusive ? sql`<=` : sql`<`;
    if (piece.source === 'raw') {
      const where = sql`c.monitor_id = ANY(${ids})
        AND c.scheduled_at >= ${ts(piece.fromMs)} AND c.scheduled_at ${end} ${ts(piece.toMs)}`;
      return sql`SELECT c.monitor_id, min(c.at) AS at, ${UPTIME_COUNTS}
        FROM (${classifiedResultsSql(where, overlapping(maintenance, piece), sql`c.monitor_id, c.scheduled_at AS at`)}) c
        GROUP BY c.monitor_id, floor(extract(epoch FROM c.at) / 86400)`;
    }
    const range = sql`r.monitor_id = ANY(${ids}) AND r.starts_at >= ${ts(piece.fromMs)} AND r.starts_at < ${ts(piece.toMs)}`;
    return piece.source === 'day'
      ? sql`SELECT r.monitor_id, r.starts_at AS at, ${counts} FROM uptime_days r WHERE ${range}`
      : sql`SELECT r.monitor_id, r.starts_at AS at, ${counts} FROM check_rollups r WHERE r.period = 'hour' AND ${range}`;
  });
  // Each monitor's rows (days, today's hours, the raw tail per day) as one JSON array, unordered: added up per
  // day here, which costs less than grouping and ordering 9,000 rows in SQL and sending them one by one.
  const rows = await queryRows<{
    monitor_id: string;
    periods: string | [number, number, number, number, number][];
  }>(
    db,
    sql`SELECT monitor_id,
               json_agg(json_build_array((extract(epoch FROM at) * 1000)::float8, checks, up, maintenance_checks,
                                         maintenance_up)) AS periods
        FROM (${sql.join(parts, sql` UNION ALL `)}) x
        GROUP BY monitor_id ORDER BY monitor_id`,
  );
  return rows.flatMap((row) => {
    const byDay = new Map<number, DayUptime>();
    // node-postgres parses json columns; PGlite may hand back the text.
    const periods = typeof row.periods === 'string' ? JSON.parse(row.periods) : row.periods;
    for (const [at, checks, up, maintenanceChecks, maintenanceUp] of periods as number[][]) {
      const day = Math.floor(at! / DAY_MS) * DAY_MS;
      const counts = byDay.get(day);
      if (counts) {
        counts.checks += checks!;
        counts.up += up!;
        counts.maintenanceChecks += maintenanceChecks!;
        counts.maintenanceUp += maintenanceUp!;
      } else {
        byDay.set(day, {
          monitorId: row.monitor_id,
          day,
          checks: checks!,
          up: up!,
          maintenanceChecks: maintenanceChecks!,
          maintenanceUp: maintenanceUp!,
        });
      }
    }
    return [...byDay.values()].sort((a, b) => a.day - b.day);
  });
}
