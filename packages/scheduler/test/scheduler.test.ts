import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, monitors } from '@better-uptime/db';
import type { TaskQueue } from '@better-uptime/redis-stream';
import {
  createTestDatabase,
  postgresAvailable,
  queueVariants,
  seedMonitor,
  seedUser,
  type TestDatabase,
} from '@better-uptime/testing';
import { Scheduler } from '../src/index.js';

const logger = pino({ level: 'silent' });

/** The producer's loop against both queue implementations: the same cases, the same expectations. */
describe.each(queueVariants())('scheduler on the $name queue', (variant) => {
  const enabled = variant.available && postgresAvailable();
  let testDb: TestDatabase;
  let db: Database;
  let userId: string;
  let queue: TaskQueue;
  let destroy: () => Promise<void>;

  beforeAll(async () => {
    if (!enabled) return;
    testDb = await createTestDatabase();
    db = testDb.handle.db;
    userId = await seedUser(db);
  });
  afterAll(async () => testDb?.drop());
  afterEach(async () => destroy?.());

  function scheduler(): Scheduler {
    return new Scheduler({ db, queue, logger, tickMs: 100, leadMs: 3_000, batchSize: 50 });
  }

  describe.skipIf(!enabled)('', () => {
    it('publishes each due slot once, in batches, with everything a check needs', async () => {
      ({ queue, destroy } = await variant.create());
      await queue.ensureGroup('usa');
      const now = Date.now();
      const due = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          seedMonitor(db, userId, {
            url: `http://127.0.0.1/${i}`,
            intervalSeconds: 60,
            nextCheckAt: new Date(now + 1_000),
          }),
        ),
      );
      await seedMonitor(db, userId, { nextCheckAt: new Date(now + 60_000) });
      await seedMonitor(db, userId, { nextCheckAt: new Date(now), paused: true });

      expect(await scheduler().tick(now)).toBe(120); // three pages of at most 50
      expect(await scheduler().tick(now)).toBe(0);
      const read = await queue.read('usa', 'c', 500, 0);
      expect(read).toHaveLength(120);
      expect(new Set(read.map((e) => e.task!.monitorId))).toEqual(new Set(due));
      const task = read.find((e) => e.task!.monitorId === due[7])!.task!;
      expect(task).toMatchObject({
        userId,
        kind: 'http',
        settings: { url: 'http://127.0.0.1/7', method: 'GET', expectedStatus: ['200-299'] },
        intervalSeconds: 60,
        regions: [],
      });
      expect(task.scheduledAt).toBe(now + 1_000);
    });

    it('two schedulers ticking at once never publish a slot twice', async () => {
      ({ queue, destroy } = await variant.create());
      await queue.ensureGroup('usa');
      await db.update(monitors).set({ paused: true }); // earlier cases' monitors are not part of this one
      const now = Date.now() + 3_600_000;
      await Promise.all(
        Array.from({ length: 200 }, () =>
          seedMonitor(db, userId, { intervalSeconds: 300, nextCheckAt: new Date(now) }),
        ),
      );
      const [a, b] = await Promise.all([scheduler().tick(now), scheduler().tick(now)]);
      expect(a + b).toBe(200);
      const read = await queue.read('usa', 'c', 1_000, 0);
      expect(read).toHaveLength(200);
      expect(new Set(read.map((e) => `${e.task!.monitorId}@${e.task!.scheduledAt}`)).size).toBe(200);
    });
  });
});
