/**
 * Rollups: with 10 million raw check rows in the partitioned table and 90 days of hourly and daily rollups,
 * the two reads the long windows need: one monitor's 90-day stats (uptime, p50/p95/p99, daily series:
 * what `GET /api/results/:id/stats?window=90d` reads) and the 90 daily uptime bars of 100 monitors (a
 * status page), each monitor in planned maintenance an hour a week. Also the roll of the hours since.
 *
 * The raw rows cover the last 34.7 days (100 monitors × 2 regions, one check a minute); the rollups of the
 * 90 days are generated directly in SQL as hourly rows; then every hour that has raw rows is rolled from
 * them for real (replacing the generated row) and every day from its hours, as maintenance does. The reads
 * are timed twice in the same run: rolled up to the hour before the last (a raw tail of one to two hours,
 * as between two hourly maintenance runs before the hour in progress was rolled), then rolled up to two
 * minutes ago (as the producer keeps it, rolling the hour in progress every 5 minutes). Timed through the
 * project's own query functions, median of repeated warm runs.
 */
import { ROLL_SETTLE_MS, rollups, statsQueries } from '@better-uptime/db';
import { type BenchContext, type Figure, type FigureResult, below } from './lib/figure.js';
import { seededHistory, timeWarm } from './lib/history.js';
import { round } from './lib/stats.js';

const REGIONS = ['usa', 'india'];
const MONITORS = 100;
const INTERVAL_SECONDS = 60;
/** 100 monitors × 2 regions × 50,000 slots = 10 million rows. */
const SLOTS = 50_000;
const DAYS = 90;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const REPEATS = 20;

/** Every monitor in planned maintenance one hour a week (Sundays 02:00 UTC) over the 90 days. */
function weeklyMaintenance(monitorIds: readonly string[], nowMs: number): rollups.MaintenanceInterval[] {
  const WEEK_MS = 7 * DAY_MS;
  const sunday = Math.floor((nowMs - 3 * DAY_MS) / WEEK_MS) * WEEK_MS + 3 * DAY_MS; // epoch day 3 is a Sunday
  const intervals: rollups.MaintenanceInterval[] = [];
  for (let week = sunday; week > nowMs - (DAYS + 7) * DAY_MS; week -= WEEK_MS) {
    for (const monitorId of monitorIds) {
      intervals.push({ monitorId, fromMs: week + 2 * HOUR_MS, toMs: week + 3 * HOUR_MS });
    }
  }
  return intervals;
}

async function time(run: () => Promise<unknown>, repeats: number) {
  const t = await timeWarm(run, repeats);
  return { coldMs: round(t.coldMs), medianMs: round(t.medianMs), p95Ms: round(t.p95Ms) };
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const slots = ctx.quick ? SLOTS / 20 : SLOTS;
  const { db, monitorIds, written } = await seededHistory(ctx, 'rollups', {
    monitors: MONITORS,
    regions: REGIONS,
    intervalSeconds: INTERVAL_SECONDS,
    slots,
  });

  const now = Date.now();
  const rolledTo = Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS;
  const firstHour = Math.floor(now / DAY_MS) * DAY_MS - DAYS * DAY_MS;
  ctx.progress.step(`generating ${DAYS} days of hourly rollups, then rolling the raw rows over them`);
  // One hour of one region: 60 checks, about 1 % down, times spread over a few buckets around 40-200 ms.
  await db.pool.query(
    `INSERT INTO check_rollups (monitor_id, region, period, starts_at, checks, up, responses, response_ms_sum,
       response_ms_max, dns_ms_sum, dns_count, connect_ms_sum, connect_count, tls_ms_sum, tls_count,
       first_byte_ms_sum, first_byte_count, histogram_buckets, histogram_counts)
     SELECT m.id, r.region, 'hour', h.at, 60, 60 - (random() < 0.5)::int, 60, 7200, 199, 60, 60, 360, 60, 780, 60,
            5400, 60, ARRAY[44, 50, 55, 60, 65, 70, 75, 80]::int[], ARRAY[8, 8, 8, 8, 7, 7, 7, 7]::int[]
     FROM unnest($1::uuid[]) AS m(id)
     CROSS JOIN unnest($2::text[]) AS r(region)
     CROSS JOIN generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') AS h(at)`,
    [monitorIds, REGIONS, new Date(firstHour), new Date(rolledTo)],
  );
  // The hours that have raw rows are rolled from them for real, a day per statement as maintenance does,
  // and every day from its hours.
  const rollAllStart = performance.now();
  for (let from = firstHour; from < rolledTo; from += DAY_MS) {
    await rollups.rollHours(db.handle.db, from, Math.min(from + DAY_MS, rolledTo), []);
  }
  const rollAllSeconds = (performance.now() - rollAllStart) / 1000;
  await rollups.setRolledTo(db.handle.db, rolledTo);
  await db.pool.query('VACUUM ANALYZE check_rollups');
  await db.pool.query('VACUUM ANALYZE uptime_days');
  await db.pool.query('VACUUM ANALYZE check_results');
  const [{ count: rollupRows } = { count: '0' }] = (
    await db.pool.query<{ count: string }>('SELECT count(*) FROM check_rollups')
  ).rows;

  const monitorId = monitorIds[0]!;
  const maintenance = weeklyMaintenance(monitorIds, now);
  const ofMonitor = maintenance.filter((m) => m.monitorId === monitorId);
  const reads = async () => ({
    stats: await time(
      () =>
        statsQueries.rolledUpStats(
          db.handle.db,
          monitorId,
          { from: new Date(Date.now() - DAYS * DAY_MS), to: new Date(), bucketSeconds: 86_400 },
          ofMonitor,
        ),
      REPEATS,
    ),
    bars: await time(
      () => rollups.dailyUptime(db.handle.db, monitorIds, { days: DAYS, nowMs: Date.now(), maintenance }),
      REPEATS,
    ),
  });
  ctx.progress.step('timing, rolled up to the hour before the last (as between two hourly maintenance runs)');
  const hourTail = await reads();

  // The producer rolls the hour in progress every few minutes (rollRecent): up to ROLL_SETTLE_MS before now.
  const rollStart = performance.now();
  const recentTo = Date.now() - ROLL_SETTLE_MS;
  const hourRows = await rollups.rollHours(db.handle.db, rolledTo, recentTo, []);
  await rollups.setRolledTo(db.handle.db, recentTo);
  const rollMs = performance.now() - rollStart;
  ctx.progress.step('timing, rolled up to two minutes ago (the hour in progress rolled)');
  const { stats, bars } = await reads();
  const sample = await rollups.dailyUptime(db.handle.db, monitorIds, {
    days: DAYS,
    nowMs: Date.now(),
    maintenance,
  });

  return {
    metrics: [
      {
        label: '90-day stats of one monitor (uptime, p50/p95/p99, daily series), warm median',
        value: stats.medianMs,
        unit: 'ms',
        goal: '< 20 ms',
        met: below(stats.medianMs, 20),
      },
      {
        label: '90 daily uptime bars of 100 monitors, warm median',
        value: bars.medianMs,
        unit: 'ms',
        goal: '< 20 ms',
        met: below(bars.medianMs, 20),
      },
      {
        label:
          'rolling the last hour and the hour in progress of 100 monitors × 2 regions (hour and day rows)',
        value: round(rollMs),
        unit: 'ms',
      },
    ],
    notes: [
      `${written} raw rows (${MONITORS} monitors × ${REGIONS.length} regions × ${slots} slots ${INTERVAL_SECONDS} s apart), ` +
        `${rollupRows} rollup rows generated for ${DAYS} days; each monitor in maintenance an hour a week.`,
      `Rolled to two minutes ago: 90-day stats p95 ${stats.p95Ms} ms, cold ${stats.coldMs} ms; bars p95 ${bars.p95Ms} ms, ` +
        `cold ${bars.coldMs} ms, ${sample.length} monitor-days.`,
      `Rolled to the hour before the last (the raw tail 60-120 min, as before rolling the hour in progress): ` +
        `90-day stats median ${hourTail.stats.medianMs} ms (p95 ${hourTail.stats.p95Ms}); bars median ` +
        `${hourTail.bars.medianMs} ms (p95 ${hourTail.bars.p95Ms}).`,
      `Roll: ${hourRows} hourly rows. Rolling all ${DAYS} days (the raw rows of ${round(slots / 1440)} of them) took ` +
        `${round(rollAllSeconds)} s.`,
    ],
    details: {
      stats,
      bars,
      hourTail,
      rollMs,
      hourRows,
      rollAllSeconds,
      rollupRows: Number(rollupRows),
      rawRows: written,
    },
  };
}

export const rollupsFigure: Figure = {
  name: 'rollups',
  title: 'Rollups: 90-day stats and status-page bars on 10 million raw rows',
  run,
};
