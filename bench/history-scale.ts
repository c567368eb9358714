/**
 * Figure 7, scale of history: with 10 million check rows in the partitioned table, the queries the API
 * runs for one monitor: its newest 100 checks, its latest check per region, and its 30-day uptime (the
 * stats endpoint's per-region summary: uptime and response-time percentiles). Timed through the project's
 * own query functions on a warm cache (median of repeated runs), the first (cold) run noted.
 */
import { resultQueries, statsQueries } from '@better-uptime/db';
import { type BenchContext, type Figure, type FigureResult, below } from './lib/figure.js';
import { seededHistory, timeWarm as time } from './lib/history.js';
import { round } from './lib/stats.js';

const REGIONS = ['usa', 'india'];
const INTERVAL_SECONDS = 30;
/** 30 days of 30 s slots per monitor and region. */
const SLOTS = (30 * 86_400) / INTERVAL_SECONDS;
/** 58 monitors × 2 regions × 86 400 slots ≈ 10 million rows; each monitor at the shortest interval the API allows. */
const MONITORS = 58;
const REPEATS = 15;

async function run(ctx: BenchContext): Promise<FigureResult> {
  const slots = ctx.quick ? SLOTS / 10 : SLOTS;
  const { db, userId, monitorIds, seedSeconds } = await seededHistory(ctx, 'history', {
    monitors: MONITORS,
    regions: REGIONS,
    intervalSeconds: INTERVAL_SECONDS,
    slots,
  });
  ctx.progress.step('VACUUM ANALYZE');
  await db.pool.query('VACUUM ANALYZE check_results');
  const [{ count } = { count: '0' }] = (
    await db.pool.query<{ count: string }>('SELECT count(*) FROM check_results')
  ).rows;
  const { rows: sizeRows } = await db.pool.query<{ size: string }>(
    `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'check_results'::regclass`,
  );

  // The price of the covering index: its size beside the table's and the primary key's.
  const { rows: indexRows } = await db.pool.query<{ name: string; size: string }>(
    `SELECT x.name, pg_size_pretty(sum(pg_relation_size(c.oid))) AS size
     FROM (SELECT i.inhrelid AS part FROM pg_inherits i WHERE i.inhparent = 'check_results'::regclass) p
     CROSS JOIN LATERAL (
       SELECT 'table' AS name, p.part AS oid
       UNION ALL
       SELECT CASE WHEN ix.indisprimary THEN 'primary key' ELSE 'monitor/time index' END, ix.indexrelid
       FROM pg_index ix WHERE ix.indrelid = p.part
     ) x
     JOIN pg_class c ON c.oid = x.oid
     GROUP BY x.name ORDER BY x.name`,
  );
  const sizes = indexRows.map((row) => `${row.name} ${row.size}`).join(', ');

  const handle = db.handle.db;
  const monitorId = monitorIds[Math.floor(MONITORS / 2)]!;
  const now = Date.now();
  const repeats = ctx.quick ? 5 : REPEATS;
  ctx.progress.step(`timing the queries (${repeats} warm runs each)`);
  const newest = await time(
    () => resultQueries.listOwnChecks(handle, { userId, monitorId }, { limit: 100 }),
    repeats,
  );
  const latest = await time(() => resultQueries.latestChecks(handle, monitorId, REGIONS), repeats);
  const uptime = await time(
    () =>
      statsQueries.regionSummaries(handle, monitorId, {
        from: new Date(now - 30 * 86_400_000),
        to: new Date(now),
      }),
    repeats,
  );
  // The 30-day chart: the stats endpoint's other query, 4 h buckets with the phase averages.
  const series = await time(
    () =>
      statsQueries.responseSeries(handle, monitorId, {
        from: new Date(now - 30 * 86_400_000),
        to: new Date(now),
        bucketSeconds: 4 * 3_600,
      }),
    repeats,
  );
  // Uptime alone (no percentiles), to show what the percentile part of the summary costs.
  const uptimeOnly = await time(
    () =>
      db.pool.query(
        `SELECT count(*) FILTER (WHERE status = 'Up') * 100.0 / count(*) FROM check_results
         WHERE monitor_id = $1 AND scheduled_at >= $2`,
        [monitorId, new Date(now - 30 * 86_400_000)],
      ),
    repeats,
  );
  const metric = (label: string, t: { medianMs: number }, limitMs: number) => ({
    label,
    value: round(t.medianMs),
    unit: 'ms',
    goal: `< ${limitMs} ms`,
    met: below(t.medianMs, limitMs),
  });
  const fmt = (t: { coldMs: number; medianMs: number; p95Ms: number }) =>
    `median ${round(t.medianMs)} ms, p95 ${round(t.p95Ms)} ms, cold ${round(t.coldMs)} ms`;
  return {
    metrics: [
      metric('newest 100 checks of one monitor', newest, 20),
      metric('latest check per region', latest, 20),
      metric('30-day uptime of one monitor (stats summary)', uptime, 200),
      {
        label: '30-day response chart of one monitor (4 h buckets)',
        value: round(series.medianMs),
        unit: 'ms',
      },
    ],
    notes: [
      `${Number(count)} rows (${MONITORS} monitors × ${REGIONS.length} regions × ${slots} slots ${INTERVAL_SECONDS} s apart: ${Math.round((slots * INTERVAL_SECONDS) / 86_400)} days; 1 % Down) in daily partitions, ${sizeRows[0]?.size ?? '?'} with indexes (${sizes}); written server-side in ${Math.round(seedSeconds)} s, then VACUUM ANALYZE. One monitor holds ${slots * REGIONS.length} rows.`,
      `Queries through packages/db as the API runs them: resultQueries.listOwnChecks (limit 100, with the ownership check), resultQueries.latestChecks (2 regions), statsQueries.regionSummaries over 30 days. Warm: median of ${repeats} runs after one cold run.`,
      `newest 100: ${fmt(newest)}; latest per region: ${fmt(latest)}; 30-day summary: ${fmt(uptime)}; 30-day chart series: ${fmt(series)}; uptime alone (count FILTER, no percentiles): ${fmt(uptimeOnly)}.`,
    ],
    details: {
      rows: Number(count),
      seedSeconds,
      sizes: indexRows,
      newest,
      latest,
      uptime,
      series,
      uptimeOnly,
    },
  };
}

export const historyScale: Figure = {
  name: 'history-scale',
  title: 'Queries over 10 million check rows',
  run,
};
