import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  databaseVariants,
  postgresAvailable,
  resultRow,
  seedMonitor,
  seedUser,
  type TestDatabase,
} from '@better-uptime/testing';
import {
  type Database,
  type DatabaseHandle,
  ensureResultPartitions,
  insertResults,
  monitorQueries,
  newId,
  queryRows,
  resultQueries,
} from '../src/index.js';
import { DAY_MS, DEFAULT_PARTITION, startOfUtcDay } from '../src/partitions.js';

const HOUR = 3_600_000;

async function slotsOf(db: Database, monitorId: string): Promise<number[]> {
  const rows = await queryRows<{ at: string }>(
    db,
    sql`SELECT scheduled_at AS at FROM check_results WHERE monitor_id = ${monitorId} ORDER BY scheduled_at, region`,
  );
  return rows.map((r) => new Date(r.at).getTime());
}

async function countOf(db: Database, monitorId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM check_results WHERE monitor_id = ${monitorId}`,
  );
  return Number(row?.n ?? 0);
}

describe.each(databaseVariants())('batched result cleanup on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let userId: string;
  const now = startOfUtcDay(Date.now()) + 13 * HOUR;
  const today = startOfUtcDay(now);

  // One database for the suite: every test works on monitors of its own.
  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    userId = await seedUser(handle.db);
    // Partitions for the last 10 days; older results land in the default partition.
    await ensureResultPartitions(handle.db, { now, daysBehind: 10, daysAhead: 3 });
  });
  afterAll(async () => drop?.());

  describe.skipIf(!variant.available)('deleteChecksBefore (the cleanup endpoint)', () => {
    it('removes exactly the monitor’s results older than `days`: a result exactly `days` old stays', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, userId, { paused: true });
      const otherId = await seedMonitor(db, userId, { paused: true });
      const days = 3;
      const cutoff = now - days * DAY_MS;
      const older = [cutoff - 200 * DAY_MS, cutoff - 5 * DAY_MS, cutoff - HOUR, cutoff - 1];
      const kept = [cutoff, cutoff + 1, cutoff + HOUR, now, now + 2 * DAY_MS];
      await insertResults(db, [
        ...older.map((at) => resultRow(monitorId, at)),
        ...older.map((at) => resultRow(monitorId, at, { region: 'india' })),
        ...kept.map((at) => resultRow(monitorId, at)),
        ...older.map((at) => resultRow(otherId, at)),
      ]);
      // The rows span the default partition and several daily ones, the boundary's own day included.
      const [spread] = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(DISTINCT tableoid)::int AS n FROM check_results WHERE monitor_id = ${monitorId}`,
      );
      expect(spread?.n).toBeGreaterThanOrEqual(4);

      expect(await resultQueries.deleteChecksBefore(db, monitorId, new Date(cutoff))).toBe(8);
      expect(await slotsOf(db, monitorId)).toEqual(kept);
      expect(await slotsOf(db, otherId)).toEqual(older);
      expect(await resultQueries.deleteChecksBefore(db, monitorId, new Date(cutoff))).toBe(0);
    });

    it('keeps microsecond precision at the boundary', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, userId, { paused: true });
      const cutoff = new Date(now - DAY_MS);
      const iso = cutoff.toISOString();
      for (const at of [iso.replace('Z', '000Z'), iso.replace('.000Z', '.000001Z')]) {
        await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
          VALUES (${monitorId}, 'usa', ${at}::timestamptz, now(), 'Up', 1)`);
      }
      await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
        VALUES (${monitorId}, 'usa', ${iso}::timestamptz - interval '1 microsecond', now(), 'Up', 1)`);
      expect(await resultQueries.deleteChecksBefore(db, monitorId, cutoff)).toBe(1);
      expect(await countOf(db, monitorId)).toBe(2);
    });

    it('works in bounded batches across partitions until nothing old is left', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, userId, { paused: true });
      // 7 results in each of 4 daily partitions and 7 in the default partition.
      const slots = [2, 3, 4, 5, 40].flatMap((d) =>
        Array.from({ length: 7 }, (_, i) => today - d * DAY_MS + i * HOUR),
      );
      await insertResults(
        db,
        [...slots, now].map((at) => resultRow(monitorId, at)),
      );
      expect(await resultQueries.deleteChecksBefore(db, monitorId, new Date(today - DAY_MS), 3)).toBe(35);
      // An exact multiple of the batch size ends too.
      expect(await resultQueries.deleteChecksBefore(db, monitorId, new Date(now + 1), 1)).toBe(1);
      expect(await countOf(db, monitorId)).toBe(0);
    });

    it('with nothing to delete does not fail, and counts zero', async () => {
      const monitorId = await seedMonitor(handle.db, userId, { paused: true });
      expect(await resultQueries.deleteChecksBefore(handle.db, monitorId, new Date(now))).toBe(0);
    });
  });

  describe.skipIf(!variant.available)('deleteMonitor', () => {
    it('removes the monitor and every one of its results, in any partition; others stay', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, userId, { paused: true });
      const otherId = await seedMonitor(db, userId, { paused: true });
      const slots = [-400, -5, -1, 0, 2, 300].map((d) => now + d * DAY_MS);
      await insertResults(db, [
        ...slots.map((at) => resultRow(monitorId, at)),
        ...slots.map((at) => resultRow(otherId, at)),
      ]);
      const [inDefault] = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM ${sql.identifier(DEFAULT_PARTITION)} WHERE monitor_id = ${monitorId}`,
      );
      expect(inDefault?.n).toBe(2);

      expect(await monitorQueries.deleteMonitor(db, newId(), monitorId)).toBe(false); // someone else's
      expect(await countOf(db, monitorId)).toBe(6);
      expect(await monitorQueries.deleteMonitor(db, userId, monitorId)).toBe(true);
      expect(await countOf(db, monitorId)).toBe(0);
      expect(await monitorQueries.findMonitor(db, userId, monitorId)).toBeNull();
      expect(await countOf(db, otherId)).toBe(6);
      expect(await monitorQueries.deleteMonitor(db, userId, monitorId)).toBe(false);
    });
  });
});

/** Nearest-rank percentile. */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

describe.skipIf(!postgresAvailable())('cleanup of a monitor with 1 million results (PostgreSQL)', () => {
  const ROWS = 1_000_000;
  const WRITER_BATCH = 500;
  let testDb: TestDatabase;
  let db: Database;
  let bigMonitor: string;
  let writerMonitors: string[];
  const now = Date.now();
  const today = startOfUtcDay(now);
  let nextSlot = today + 2 * HOUR;

  /** One flush of a worker: 500 new results of other monitors, via the workers' own bulk insert. */
  async function writerFlush(): Promise<number> {
    const at = nextSlot;
    nextSlot += 1000;
    const rows = writerMonitors.flatMap((id) =>
      Array.from({ length: WRITER_BATCH / writerMonitors.length }, (_, i) =>
        resultRow(id, at, { region: `r${i}` }),
      ),
    );
    const started = performance.now();
    expect(await insertResults(db, rows)).toBe(WRITER_BATCH);
    return performance.now() - started;
  }

  beforeAll(async () => {
    testDb = await createTestDatabase(6);
    db = testDb.handle.db;
    const userId = await seedUser(db);
    bigMonitor = await seedMonitor(db, userId, { paused: true });
    writerMonitors = await Promise.all(
      Array.from({ length: 10 }, () => seedMonitor(db, userId, { paused: true })),
    );
    await ensureResultPartitions(db, { now, daysBehind: 31, daysAhead: 1 });
    // Two regions every 5 s for 29 days, all older than a day: 1,000,000 rows over 30 daily partitions.
    const from = new Date(today - 30 * DAY_MS).toISOString();
    await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
      SELECT ${bigMonitor}::uuid, r, ${from}::timestamptz + g * interval '5 seconds', now(), 'Up', 40
      FROM generate_series(0, ${ROWS / 2 - 1}::int) AS g, unnest(ARRAY['usa', 'india']) AS r`);
    // Recent results of the same monitor, which the cleanup keeps.
    await insertResults(db, [
      resultRow(bigMonitor, now - HOUR),
      resultRow(bigMonitor, now - HOUR, { region: 'india' }),
    ]);
    await db.execute(sql`VACUUM ANALYZE check_results`);
  }, 120_000);
  afterAll(async () => testDb?.drop());

  it('removes them in bounded batches while the workers keep inserting at close to their quiet latency', async ({
    annotate,
  }) => {
    for (let i = 0; i < 5; i++) await writerFlush(); // warm-up
    const quiet: number[] = [];
    for (let i = 0; i < 40; i++) quiet.push(await writerFlush());

    const during: number[] = [];
    let cleaning = true;
    const started = performance.now();
    const cleanup = resultQueries
      .deleteChecksBefore(db, bigMonitor, new Date(today - DAY_MS))
      .finally(() => (cleaning = false));
    while (cleaning) during.push(await writerFlush());
    const deleted = await cleanup;
    const cleanupMs = performance.now() - started;

    const figures = {
      cleanupMs: Math.round(cleanupMs),
      quietP50: percentile(quiet, 50),
      duringP50: percentile(during, 50),
      duringP99: percentile(during, 99),
      duringMax: Math.max(...during),
      flushesDuring: during.length,
    };
    await annotate(`1M-row cleanup with concurrent writers: ${JSON.stringify(figures)}`);
    expect(deleted).toBe(ROWS);
    expect(await countOf(db, bigMonitor)).toBe(2);
    // The workers never stall: their typical flush stays within a few times its quiet latency, and no
    // flush waits anywhere near as long as the whole cleanup (no long lock).
    expect(during.length).toBeGreaterThan(10);
    expect(figures.duringP50, JSON.stringify(figures)).toBeLessThan(
      Math.max(4 * figures.quietP50, figures.quietP50 + 10),
    );
    expect(figures.duringMax, JSON.stringify(figures)).toBeLessThan(Math.max(1_000, 20 * figures.quietP50));
  }, 120_000);
});
