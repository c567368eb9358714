/**
 * Remote probe lateness: the same monitors checked on schedule from two regions in one run, one region by a
 * direct worker and the other by a remote probe (`better-uptime api` + `better-uptime probe`, tasks and
 * results over the WebSocket). Lateness is check start minus slot (checked_at − scheduled_at of the stored
 * results), per region; the worker's is the baseline.
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
import { CONCURRENCY } from './pipeline-throughput.js';

const INTERVAL_SECONDS = 30;
const WORKER_REGION = 'usa';
const PROBE_REGION = 'remote';
const TARGET_DELAY_MS = 20;
const MONITORS = 1_000;

async function run(ctx: BenchContext): Promise<FigureResult> {
  const monitors = ctx.quick ? MONITORS / 2 : MONITORS;
  const windowSeconds = ctx.quick ? 30 : 120;
  const regions = [WORKER_REGION, PROBE_REGION];
  const db = await createBenchDatabase('probe-lateness');
  ctx.defer(() => db.drop());
  const target = await startTargetProcess(ctx, [TARGET_DELAY_MS]);
  const load = await runScheduledLoad(ctx, {
    db,
    monitors,
    intervalSeconds: INTERVAL_SECONDS,
    url: (i) => `${target.url}/delay/${TARGET_DELAY_MS}?m=${i}`,
    regions,
    probeRegions: [PROBE_REGION],
    concurrency: CONCURRENCY,
    windowSeconds,
  });

  const rows = await windowLateness(db, load);
  const lateOf = (region: string) => rows.filter((r) => r.region === region).map((r) => r.lateMs);
  const worker = percentiles(lateOf(WORKER_REGION), [50, 99, 100]);
  const probe = percentiles(lateOf(PROBE_REGION), [50, 99, 100]);
  const expected = Math.round(monitors * (windowSeconds / INTERVAL_SECONDS));
  const stored = lateOf(PROBE_REGION).length;
  const loopDelay = medianLoopDelayP99(load);
  const lateGoalMs = 1_000 + PRODUCER_TICK_MS;
  return {
    metrics: [
      {
        label: 'probe lateness p50',
        value: round(probe.p50),
        unit: 'ms',
        baseline: { label: 'direct worker', value: round(worker.p50) },
      },
      {
        label: 'probe lateness p99',
        value: round(probe.p99),
        unit: 'ms',
        baseline: { label: 'direct worker', value: round(worker.p99) },
        goal: `< ${lateGoalMs} ms (1 s + producer tick), as a worker's`,
        met: below(probe.p99, lateGoalMs),
      },
      {
        label: 'probe lateness max',
        value: round(probe.p100),
        unit: 'ms',
        baseline: { label: 'direct worker', value: round(worker.p100) },
      },
      {
        label: 'probe results stored / slots in window',
        value: stored,
        unit: 'rows',
        baseline: { label: 'slots', value: expected },
        ratio: round(ratio(stored, expected)),
        goal: '1 (none shed or lost)',
        met: goalMet(stored === expected),
      },
    ],
    notes: [
      `${monitors} monitors at ${INTERVAL_SECONDS} s (${round(monitors / INTERVAL_SECONDS)} checks/s per region), target /delay/${TARGET_DELAY_MS} in its own process; region ${WORKER_REGION} checked by \`better-uptime worker\`, region ${PROBE_REGION} by \`better-uptime probe\` connected to \`better-uptime api\` on 127.0.0.1 (WORKER_CONCURRENCY=${CONCURRENCY} both), one producer (PRODUCER_TICK_MS=${PRODUCER_TICK_MS}); a ${windowSeconds} s window after 10 s of warm-up.`,
      `Lateness = checked_at − scheduled_at of every stored result in the window: ${lateOf(WORKER_REGION).length} worker results, ${stored} probe results.`,
      `Event-loop delay p99 (median of 1 s samples): worker ${loopDelay[0]} ms, probe ${loopDelay[1]} ms.`,
    ],
    details: { monitors, windowSeconds, worker, probe, stored, expected },
  };
}

export const probeLateness: Figure = {
  name: 'probe-lateness',
  title: 'Lateness of remote probe checks against a direct worker, same run',
  run,
};
