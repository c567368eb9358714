import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimDueHeartbeats,
  type Database,
  type DatabaseHandle,
  heartbeatQueries,
  queryRows,
} from '@better-uptime/db';
import { PUSH_KIND_NAMES } from '@better-uptime/checker';
import { MemoryTaskQueue } from '@better-uptime/redis-stream';
import { databaseVariants, seedMonitor, seedUser } from '@better-uptime/testing';
import { judgeDueHeartbeats, Scheduler, slotAfter } from '../src/index.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2031, 5, 1, 8, 0, 0);
const INTERVAL = 20;

/**
 * The producer's judgement of heartbeat slots on each database: once per slot in slot order however many
 * producers run, nothing half-done when one dies, missed slots skipped after an outage, and never a task
 * for a worker. The cases share a database; each looks at its own monitors.
 */
describe.each(databaseVariants())('heartbeat judgement on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let db: Database;
  let userId: string;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    db = handle.db;
    userId = await seedUser(db);
  });
  afterAll(async () => drop?.());

  /** A heartbeat monitor armed at T0 with a push just before T0 + 1 s, due at T0 + 10 s. */
  async function heartbeat(fields: { paused?: boolean } = {}) {
    const id = await seedMonitor(db, userId, {
      kind: 'heartbeat',
      settings: { graceSeconds: 5 },
      intervalSeconds: INTERVAL,
      retryIntervalSeconds: 10,
      nextCheckAt: new Date(T0 + 10_000),
      ...fields,
    });
    await heartbeatQueries.setPushToken(db, id, { hash: `hash-${id}`, hint: 'abcd' }, T0);
    await heartbeatQueries.recordPush(db, `hash-${id}`, { at: T0 + 1_000, status: 'up', message: null }, [
      'heartbeat',
    ]);
    return id;
  }

  const resultsOf = (id: string) =>
    queryRows<{ slot: number; status: string; region: string }>(
      db,
      sql`SELECT (extract(epoch FROM scheduled_at) * 1000)::float8 AS slot, status::text, region
          FROM check_results WHERE monitor_id = ${id} ORDER BY scheduled_at`,
    );
  const nextCheckOf = async (id: string) =>
    (
      await queryRows<{ at: number }>(
        db,
        sql`SELECT (extract(epoch FROM next_check_at) * 1000)::float8 AS at FROM monitors WHERE id = ${id}`,
      )
    )[0]!.at;

  it.skipIf(!variant.available)('judges each slot once, in order, however many producers', async () => {
    const ids = [await heartbeat(), await heartbeat()];
    const paused = await heartbeat({ paused: true });
    for (let round = 0; round < 4; round++) {
      const now = Math.max(...(await Promise.all(ids.map(nextCheckOf))));
      // Three producers at once: the state locks make them take turns, and the later ones find nothing due.
      const judged = await Promise.all([1, 2, 3].map(() => judgeDueHeartbeats(db, now, { logger })));
      expect(judged.reduce((a, b) => a + b, 0)).toBe(2);
    }
    for (const id of ids) {
      const rows = await resultsOf(id);
      expect(rows).toHaveLength(4);
      expect(rows.every((r) => r.region === 'push')).toBe(true);
      const slots = rows.map((r) => r.slot);
      expect(new Set(slots).size).toBe(4);
      expect(slots).toEqual([...slots].sort((a, b) => a - b));
      // The push at T0 + 1 s covers slots up to T0 + 26 s (interval 20 + grace 5); later ones miss it.
      expect(rows.map((r) => r.status)).toEqual(slots.map((s) => (s < T0 + 26_000 ? 'Up' : 'Down')));
    }
    expect(await resultsOf(paused)).toEqual([]);
  });

  it.skipIf(!variant.available)(
    'leaves the slots due when the judging transaction dies, and skips slots missed while down',
    async () => {
      const id = await heartbeat();
      const due = await nextCheckOf(id);
      // A producer dying after claiming (here: its transaction fails) leaves nothing behind.
      await expect(
        db.transaction(async (tx) => {
          const claimed = await claimDueHeartbeats(
            tx as unknown as Database,
            due,
            10,
            PUSH_KIND_NAMES,
            slotAfter,
          );
          expect(claimed).toHaveLength(1);
          throw new Error('producer died');
        }),
      ).rejects.toThrow('producer died');
      expect(await nextCheckOf(id)).toBe(due);
      expect(await resultsOf(id)).toEqual([]);

      // Another producer (or the same, restarted) an hour later judges only the latest slot.
      const later = due + 3_600_000;
      expect(await judgeDueHeartbeats(db, later, { logger })).toBeGreaterThanOrEqual(1);
      const rows = await resultsOf(id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.slot).toBeLessThanOrEqual(later);
      expect(rows[0]!.slot).toBeGreaterThan(later - INTERVAL * 1000);
      expect(await nextCheckOf(id)).toBeGreaterThan(later);
    },
  );

  it.skipIf(!variant.available)(
    'the scheduler judges heartbeats and publishes no task for them',
    async () => {
      const id = await heartbeat();
      const http = await seedMonitor(db, userId, { nextCheckAt: new Date(T0 + 10_000) });
      const queue = new MemoryTaskQueue();
      await queue.ensureGroup('usa');
      const scheduler = new Scheduler({ db, queue, logger, tickMs: 100, leadMs: 3_000 });
      expect(await scheduler.tick(T0 + 10_000)).toBe(2);
      const read = await queue.read('usa', 'c', 10, 0);
      expect(read.map((e) => e.task!.monitorId)).toEqual([http]);
      expect(scheduler.counters).toMatchObject({ published: 1, heartbeatsJudged: 1 });
      expect(await resultsOf(id)).toHaveLength(1);
    },
  );
});
