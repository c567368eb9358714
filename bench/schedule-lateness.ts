/**
 * Figure 2, schedule lateness: monitors at a 30 s interval filling half of the measured capacity, checked
 * from two regions for at least two minutes, through producer, Redis, two worker processes and
 * PostgreSQL. Lateness is check start minus slot (checked_at - scheduled_at of the stored results); the
 * target's hit log gives the interval between consecutive checks of one monitor as the site sees them.
 */
import { type BenchContext, type Figure, type FigureResult, below, goalMet, ratio } from './lib/figure.js';
import {
  medianLoopDelayP99,
  PRODUCER_TICK_MS,
  runScheduledLoad,
  windowLateness,
} from './lib/scheduled-load.js';
import { createBenchDatabase } from './lib/services.js';
import { percentiles, round } from './lib/stats.js';
import { startTargetProcess } from './lib/targets.js';
import { CONCURRENCY, measuredCapacity } from './pipeline-throughput.js';

const INTERVAL_SECONDS = 30;
const REGIONS = ['usa', 'india'];
const TARGET_DELAY_MS = 20;
const LOAD_SHARE = 0.5;

/** Per monitor, the gap between each hit and the one two later: both regions hit every slot. */
export function hitIntervals(urls: readonly string[], at: readonly number[], regions: number): number[] {
  const byMonitor = new Map<string, number[]>();
  urls.forEach((url, i) => {
    const monitor = new URL(url, 'http://target').searchParams.get('m') ?? url;
    let list = byMonitor.get(monitor);
    if (!list) byMonitor.set(monitor, (list = []));
    list.push(at[i]!);
  });
  const intervals: number[] = [];
  for (const times of byMonitor.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0; i + regions < times.length; i++) intervals.push(times[i + regions]! - times[i]!);
  }
  return intervals;
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const capacity = await measuredCapacity(ctx);
  const checksPerSecond = capacity * LOAD_SHARE;
  const fullMonitors = Math.round((checksPerSecond * INTERVAL_SECONDS) / REGIONS.length);
  const monitors = ctx.quick ? Math.min(fullMonitors, 3_000) : fullMonitors;
  const windowSeconds = ctx.quick ? 30 : 120;

  const db = await createBenchDatabase('lateness');
  ctx.defer(() => db.drop());
  const target = await startTargetProcess(ctx, [TARGET_DELAY_MS]);
  const load = await runScheduledLoad(ctx, {
    db,
    monitors,
    intervalSeconds: INTERVAL_SECONDS,
    url: (i) => `${target.url}/delay/${TARGET_DELAY_MS}?m=${i}`,
    regions: REGIONS,
    concurrency: CONCURRENCY,
    windowSeconds,
  });

  const rows = await windowLateness(db, load);
  const lateness = percentiles(
    rows.map((r) => r.lateMs),
    [50, 99, 100],
  );
  // Is lateness spread evenly, or a few stalls (a busy machine, a pause) that hit every check of a second?
  const { rows: seconds } = await db.pool.query<{ late: number }>(
    `SELECT max(EXTRACT(EPOCH FROM checked_at - scheduled_at) * 1000)::float8 AS late
     FROM check_results WHERE scheduled_at >= $1 AND scheduled_at < $2 GROUP BY date_trunc('second', scheduled_at)`,
    [new Date(load.from), new Date(load.to)],
  );
  const secondsLate = seconds.filter((s) => s.late > 100).length;
  const expected = Math.round(monitors * REGIONS.length * (windowSeconds / INTERVAL_SECONDS));
  // Hits of the window's slots (they arrive within a few ms after the slot; a second of margin).
  const hits = await target.hits(`/delay/${TARGET_DELAY_MS}`);
  const inWindow = hits.at
    .map((t, i) => ({ t, url: hits.urls[i]! }))
    .filter((h) => h.t >= load.from && h.t < load.to + 1_000);
  const gaps = hitIntervals(
    inWindow.map((h) => h.url),
    inWindow.map((h) => h.t),
    REGIONS.length,
  );
  const intervals = percentiles(gaps, [50, 99]);
  const deviation = percentiles(
    gaps.map((ms) => Math.abs(ms - INTERVAL_SECONDS * 1000)),
    [99],
  );
  const loopDelay = medianLoopDelayP99(load);
  const lateGoalMs = 1_000 + PRODUCER_TICK_MS;
  return {
    metrics: [
      {
        label: 'lateness p50',
        value: round(lateness.p50),
        unit: 'ms',
      },
      {
        label: 'lateness p99',
        value: round(lateness.p99),
        unit: 'ms',
        goal: `< ${lateGoalMs} ms (1 s + producer tick)`,
        met: below(lateness.p99, lateGoalMs),
      },
      { label: 'lateness max', value: round(lateness.p100), unit: 'ms' },
      {
        label: 'hit interval p50 (target side)',
        value: round(intervals.p50),
        unit: 'ms',
        goal: `${INTERVAL_SECONDS * 1000} ms`,
      },
      { label: 'hit interval p99 (target side)', value: round(intervals.p99), unit: 'ms' },
      {
        label: 'results stored / slots in window',
        value: rows.length,
        unit: 'rows',
        baseline: { label: 'slots × regions', value: expected },
        ratio: round(ratio(rows.length, expected)),
        goal: '1 (none shed or lost)',
        met: goalMet(rows.length === expected),
      },
    ],
    notes: [
      `${monitors} monitors at ${INTERVAL_SECONDS} s × ${REGIONS.length} regions = ${round(checksPerSecond)} checks/s, ${LOAD_SHARE * 100} % of the measured pipeline capacity (${round(capacity)} checks/s, figure 1); target /delay/${TARGET_DELAY_MS} in its own process.`,
      `Processes: \`better-uptime producer\` (PRODUCER_TICK_MS=${PRODUCER_TICK_MS}, SCHEDULE_LEAD_MS default 3000) and one \`better-uptime worker\` per region (WORKER_CONCURRENCY=${CONCURRENCY}); a ${windowSeconds} s window (whole intervals: every monitor has the same number of slots in it) measured after 10 s of warm-up.`,
      `Lateness = checked_at − scheduled_at of every stored result in the window (${rows.length} results). Hit interval: per monitor, each target hit to the hit two later (two regions hit every slot); |interval − ${INTERVAL_SECONDS} s| p99 = ${round(deviation.p99)} ms.`,
      `Worker event-loop delay p99 (median of 1 s samples): ${loopDelay.map((d, i) => `${REGIONS[i]} ${d} ms`).join(', ')}; worst 1 s sample: ${load.workers.map((w, i) => `${REGIONS[i]} ${round(Math.max(0, ...w.samplesSince(load.from, load.to).map((s) => s.loopDelayMaxMs)))} ms`).join(', ')}.`,
      `Seconds of the window in which some check started more than 100 ms late: ${secondsLate} of ${seconds.length}.`,
    ],
    details: {
      monitors,
      checksPerSecond,
      windowSeconds,
      lateness,
      intervals,
      deviation,
      stored: rows.length,
      expected,
    },
  };
}

export const scheduleLateness: Figure = {
  name: 'schedule-lateness',
  title: 'Schedule lateness at half capacity, two regions',
  run,
};
