/**
 * The retention figures of bench/history-cleanup.ts (partition drop against one DELETE, the per-monitor
 * cleanup of a million rows while writers keep inserting) as a figure of the runner: same progress, same
 * result files. The measuring is all in that module; this maps its numbers to metrics.
 */
import { benchHistoryCleanup } from './history-cleanup.js';
import { type BenchContext, type Figure, type FigureResult, ratio } from './lib/figure.js';
import { POSTGRES_URL } from './lib/services.js';
import { round } from './lib/stats.js';

async function run(ctx: BenchContext): Promise<FigureResult> {
  const rows = ctx.quick ? 100_000 : 1_000_000;
  const f = await benchHistoryCleanup({
    databaseUrl: POSTGRES_URL,
    rows,
    droppedPartitionRows: ctx.quick ? 50_000 : 500_000,
    onProgress: (message) => ctx.progress.step(message),
  });
  return {
    metrics: [
      {
        label: `drop of a day's partition (${f.droppedPartitionRows} rows)`,
        value: round(f.partitionDropMs),
        unit: 'ms',
        baseline: { label: 'one DELETE of as many rows', value: round(f.rowDeleteBaselineMs) },
        ratio: round(ratio(f.partitionDropMs, f.rowDeleteBaselineMs)),
      },
      {
        label: `cleanup of ${f.rowsDeleted} rows of one monitor`,
        value: round(f.cleanupMillionRowsMs),
        unit: 'ms',
      },
      {
        label: 'writer insert p50 during the cleanup',
        value: round(f.insertLatencyDuringCleanupP50Ms),
        unit: 'ms',
        baseline: { label: 'quiet', value: round(f.insertLatencyQuietP50Ms) },
        ratio: round(f.insertSlowdownP50),
      },
      {
        label: 'writer insert p99 during the cleanup',
        value: round(f.insertLatencyDuringCleanupP99Ms),
        unit: 'ms',
        baseline: { label: 'quiet', value: round(f.insertLatencyQuietP99Ms) },
        ratio: round(ratio(f.insertLatencyDuringCleanupP99Ms, f.insertLatencyQuietP99Ms)),
      },
    ],
    notes: [
      `From bench/history-cleanup.ts: ${f.rowsDeleted} rows deleted at ${f.cleanupRowsPerSecond} rows/s with 2 writers flushing 500-row batches (${f.flushesDuringCleanup} flushes during the cleanup, slowest ${round(f.insertLatencyDuringCleanupMaxMs)} ms); the partition drop's slowest overlapping flush ${round(f.insertLatencyDuringDropMaxMs)} ms; the baseline DELETE wrote ${Math.round(f.rowDeleteBaselineWalBytes / 1048576)} MB of WAL; history generated in ${Math.round(f.seedMs / 1000)} s.`,
    ],
    details: f,
  };
}

export const historyCleanup: Figure = {
  name: 'history-cleanup',
  title: 'Retention: partition drop and a million-row cleanup while writing',
  run,
};
