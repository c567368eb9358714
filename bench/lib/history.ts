/** What the history benches share: a database of monitors with raw results written server-side, and timing. */
import type { BenchContext } from './figure.js';
import { insertBenchUser, insertMonitors, seedHistory } from './load.js';
import { type BenchDatabase, createBenchDatabase } from './services.js';
import { median, percentiles } from './stats.js';

export interface HistoryDatabase {
  db: BenchDatabase;
  userId: string;
  monitorIds: string[];
  /** Raw rows written. */
  written: number;
  seedSeconds: number;
}

/**
 * A bench database (dropped when the figure ends) with `monitors` monitors of one user, each with `slots`
 * results per region `intervalSeconds` apart, written server-side with progress shown.
 */
export async function seededHistory(
  ctx: BenchContext,
  figure: string,
  spec: { monitors: number; regions: string[]; intervalSeconds: number; slots: number },
): Promise<HistoryDatabase> {
  const db = await createBenchDatabase(figure);
  ctx.defer(() => db.drop());
  const userId = await insertBenchUser(db.pool);
  const monitorIds = await insertMonitors(db.pool, {
    userId,
    count: spec.monitors,
    url: (i) => `https://example.com/health/${i}`,
    intervalSeconds: spec.intervalSeconds,
    firstCheck: { kind: 'never' },
  });
  const total = spec.monitors * spec.regions.length * spec.slots;
  ctx.progress.step(
    `writing ${total} check rows (${spec.slots} slots × ${spec.regions.length} regions × ${spec.monitors} monitors)`,
  );
  const seedStarted = Date.now();
  let written = 0;
  await ctx.progress.during(
    seedHistory(db.pool, db.handle.db, {
      monitorIds,
      regions: spec.regions,
      intervalSeconds: spec.intervalSeconds,
      slots: spec.slots,
      onProgress: (rows) => (written = rows),
    }),
    () => `${written} / ${total} rows`,
  );
  return { db, userId, monitorIds, written, seedSeconds: (Date.now() - seedStarted) / 1000 };
}

/** One cold run, then the median and p95 of `repeats` warm runs, in ms. */
export async function timeWarm(
  run: () => Promise<unknown>,
  repeats: number,
): Promise<{ coldMs: number; medianMs: number; p95Ms: number }> {
  const coldStart = performance.now();
  await run();
  const coldMs = performance.now() - coldStart;
  const warm: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    warm.push(performance.now() - start);
  }
  return { coldMs, medianMs: median(warm)!, p95Ms: percentiles(warm, [95]).p95! };
}
