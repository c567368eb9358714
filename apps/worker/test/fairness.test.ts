import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorKind, probe, withDefaults } from '@better-uptime/checker';
import { monitors, newId, queryRows } from '@better-uptime/db';
import type { CheckTask } from '@better-uptime/redis-stream';
import {
  createTestDatabase,
  postgresAvailable,
  queueVariants,
  seedUser,
  startTarget,
  type TargetServer,
  type TestDatabase,
} from '@better-uptime/testing';
import { FairShare, ownerOf, reservedSlots } from '../src/fair-share.js';
import { databaseResultStore } from '../src/region-worker.js';
import { type Probe, Worker } from '../src/worker.js';
import { seedMonitorTask, silentLogger, storedResults, waitFor } from './helpers.js';

/**
 * Issue 17, defect 1, at its own scale: one user's 600 monitors aimed at targets that accept and never
 * answer (or trickle) filled a 200-slot worker, and another user's new monitor got no check for minutes.
 * The timeouts are shorter here (10 s instead of 60 s), which only shortens the test: every hostile check
 * still holds its slot far longer than the other user's checks are apart.
 */
const CONCURRENCY = 200;
const HOSTILE_MONITORS = CONCURRENCY * 3;
const HOSTILE_TIMEOUT_MS = 10_000;
const POLITE_SLOTS = 20;
const POLITE_GAP_MS = 250;

const redis = queueVariants().find((variant) => variant.name === 'redis')!;

describe.skipIf(!redis.available || !postgresAvailable())('fair sharing of check slots between users', () => {
  let testDb: TestDatabase;
  let target: TargetServer;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    target = await startTarget();
  });
  afterAll(async () => {
    await target?.close();
    await testDb?.drop();
  });

  it("one user's hanging and trickling targets leave another user's checks on time", async () => {
    const db = testDb.handle.db;
    const { queue, destroy } = await redis.create();
    const [hostileUser, politeUser] = [await seedUser(db), await seedUser(db)];
    const start = Date.now() + 1_000;
    const trickle = `/chunks?${Array.from({ length: 30 }, () => 'part=x').join('&')}&gapMs=1000`;
    // One insert for all of them: the hostile user's monitors, paused so that no scheduler claims them.
    const hostile: CheckTask[] = Array.from({ length: HOSTILE_MONITORS }, (_, i) => ({
      monitorId: newId(),
      userId: hostileUser,
      kind: 'http',
      settings: withDefaults(monitorKind('http')!, {
        url: `${target.url}${i % 3 === 0 ? trickle : '/hang'}`,
      }),
      scheduledAt: start + i,
      intervalSeconds: 60,
      timeoutMs: HOSTILE_TIMEOUT_MS,
      regions: [],
    }));
    await db.insert(monitors).values(
      hostile.map((task) => ({
        id: task.monitorId,
        userId: hostileUser,
        name: 'hostile',
        kind: task.kind,
        settings: task.settings,
        target: String(task.settings.url),
        intervalSeconds: task.intervalSeconds,
        timeoutMs: task.timeoutMs,
        paused: true,
      })),
    );
    const polite = await seedMonitorTask(db, politeUser, { url: `${target.url}/ok`, intervalSeconds: 60 });
    const politeSlots: CheckTask[] = Array.from({ length: POLITE_SLOTS }, (_, k) => ({
      ...polite,
      userId: politeUser,
      scheduledAt: start + 500 + k * POLITE_GAP_MS,
    }));

    let hostileRunning = 0;
    let hostilePeak = 0;
    const counting: Probe = async (kind, settings, options) => {
      const mine = String(settings.url).startsWith(`${target.url}/ok`);
      if (!mine) hostilePeak = Math.max(hostilePeak, ++hostileRunning);
      try {
        return await probe(kind, settings, options);
      } finally {
        if (!mine) hostileRunning--;
      }
    };
    const worker = new Worker({
      region: 'usa',
      consumer: 'usa-fair',
      queue,
      store: databaseResultStore(db, { regions: ['usa'], logger: silentLogger }),
      probe: counting,
      logger: silentLogger,
      concurrency: CONCURRENCY,
      maxDeliveries: 5,
      allowPrivateTargets: true,
      readBlockMs: 200,
      resultBatchDelayMs: 50,
    });
    try {
      await worker.start();
      // Published the way the producer does: every slot a little ahead, the hostile user's first.
      await queue.publish(hostile);
      await queue.publish(politeSlots);

      const rows = await waitFor(
        () => storedResults(db, [polite.monitorId]),
        (r) => r.length === POLITE_SLOTS,
        POLITE_SLOTS * POLITE_GAP_MS + 8_000,
      );
      expect(rows.every((row) => row.status === 'Up')).toBe(true);
      const lateness = await politeLateness(polite.monitorId);
      expect(lateness).toHaveLength(POLITE_SLOTS);
      expect(percentile(lateness, 99)).toBeLessThan(1_000);
      // The hostile user did get the rest of the worker, and not one slot more.
      expect(hostilePeak).toBe(CONCURRENCY - reservedSlots(CONCURRENCY));
    } finally {
      await worker.stop();
      await destroy();
    }
    expect(worker.counters.checked).toBeGreaterThanOrEqual(POLITE_SLOTS + hostilePeak);
  }, 60_000);

  async function politeLateness(monitorId: string): Promise<number[]> {
    const rows = await queryRows<{ lateness: number }>(
      testDb.handle.db,
      sql`SELECT (extract(epoch FROM checked_at - scheduled_at) * 1000)::float8 AS lateness
          FROM check_results WHERE monitor_id = ${monitorId}`,
    );
    return rows.map((row) => row.lateness);
  }
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('FairShare', () => {
  const task = (monitorId: string, userId?: string): CheckTask => ({
    monitorId,
    userId: userId ?? '',
    kind: 'http',
    settings: { url: 'http://127.0.0.1/' },
    scheduledAt: 0,
    intervalSeconds: 60,
    timeoutMs: 1_000,
    regions: [],
  });
  const held = (monitorId: string, userId?: string) => {
    const t = task(monitorId, userId);
    return { owner: ownerOf(t), task: t };
  };
  const never = () => false;
  const ignore = () => undefined;

  it('serves owners round-robin, and a task without an owner counts as an owner of its own', () => {
    const fair = new FairShare(0, 100);
    for (const item of [held('a1', 'a'), held('a2', 'a'), held('a3', 'a'), held('b1', 'b'), held('x')])
      fair.push(item);
    const order = Array.from({ length: 5 }, () => fair.take(10, never, ignore)!.task.monitorId);
    expect(order).toEqual(['a1', 'b1', 'x', 'a2', 'a3']);
    expect(ownerOf(task('x'))).not.toBe(ownerOf(task('y')));
    expect(fair.take(10, never, ignore)).toBeUndefined();
  });

  it('keeps the reserved slots for owners with few checks running', () => {
    const fair = new FairShare(2, 100);
    for (let i = 0; i < 5; i++) fair.started('a');
    fair.push(held('a6', 'a'));
    expect(fair.startable(2)).toBe(0);
    expect(fair.take(2, never, ignore)).toBeUndefined();
    fair.push(held('b1', 'b'));
    expect(fair.startable(2)).toBe(1);
    expect(fair.take(2, never, ignore)?.task.monitorId).toBe('b1');
    // With more than the reserve free, anyone may start.
    expect(fair.take(3, never, ignore)?.task.monitorId).toBe('a6');
  });

  it("bounds an owner's backlog and drops stale heads on the way", () => {
    const fair = new FairShare(0, 2);
    expect(fair.push(held('a1', 'a'))).toBeUndefined();
    expect(fair.push(held('a2', 'a'))).toBeUndefined();
    expect(fair.push(held('a3', 'a'))?.task.monitorId).toBe('a1');
    expect(fair.size).toBe(2);
    const dropped: string[] = [];
    const next = fair.take(
      1,
      (item) => item.task.monitorId === 'a2',
      (item) => dropped.push(item.task.monitorId),
    );
    expect([next?.task.monitorId, dropped, fair.size]).toEqual(['a3', ['a2'], 0]);
  });
});
