import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '@better-uptime/checker';
import { openDatabase, queryRows, type Database } from '@better-uptime/db';
import { type CheckTask, MemoryTaskQueue, type TaskQueue } from '@better-uptime/redis-stream';
import {
  createTestDatabase,
  KERNEL_CLOCK_SLACK_MS,
  postgresAvailable,
  queueVariants,
  seedMonitor,
  seedUser,
  startTarget,
  startTcpProxy,
  TEST_REDIS_URL,
  type TargetServer,
  type TestDatabase,
} from '@better-uptime/testing';
import { databaseResultStore } from '../src/region-worker.js';
import { Reclaimer } from '../src/reclaimer.js';
import { type Probe, Worker } from '../src/worker.js';
import { seedMonitorTask, silentLogger, storedResults, waitFor } from './helpers.js';

describe.each(queueVariants())('worker on the $name queue', (variant) => {
  const enabled = variant.available && postgresAvailable();
  let testDb: TestDatabase;
  let target: TargetServer;
  let userId: string;
  let queue: TaskQueue;
  let streamKey: string;
  let destroyQueue: () => Promise<void>;
  const running: Array<{ stop(): Promise<unknown> }> = [];

  beforeAll(async () => {
    if (!enabled) return;
    testDb = await createTestDatabase();
    target = await startTarget();
    userId = await seedUser(testDb.handle.db);
  });
  afterAll(async () => {
    await target?.close();
    await testDb?.drop();
  });
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    await destroyQueue?.();
  });

  async function freshQueue(): Promise<TaskQueue> {
    ({ queue, streamKey, destroy: destroyQueue } = await variant.create());
    return queue;
  }

  /** `count` monitors that all check `path` on the target, as tasks for their current slot. */
  function seedTasks(count: number, path: string): Promise<CheckTask[]> {
    return Promise.all(
      Array.from({ length: count }, () =>
        seedMonitorTask(testDb.handle.db, userId, { url: `${target.url}${path}` }),
      ),
    );
  }

  /** Waits until `count` results of these tasks are stored, and returns them. */
  function waitForResults(tasks: CheckTask[], count: number, timeoutMs?: number) {
    return waitFor(
      () =>
        storedResults(
          testDb.handle.db,
          tasks.map((t) => t.monitorId),
        ),
      (rows) => rows.length === count,
      timeoutMs,
    );
  }

  /** Waits until the region's consumer group has acked every task it read. */
  function waitForAcks(region: string) {
    return waitFor(
      () => queue.stats(region),
      (s) => s.pending === 0,
    );
  }

  function startWorker(
    region: string,
    overrides: Partial<{
      db: Database;
      probe: Probe;
      consumer: string;
      concurrency: number;
      maxDeliveries: number;
      resultBufferCapacity: number;
      now: () => number;
    }> = {},
  ): Worker {
    const worker = new Worker({
      region,
      consumer: overrides.consumer ?? `${region}-test`,
      queue,
      store: databaseResultStore(overrides.db ?? testDb.handle.db, {
        regions: [region],
        logger: silentLogger,
      }),
      probe: overrides.probe ?? probe,
      logger: silentLogger,
      concurrency: overrides.concurrency ?? 50,
      maxDeliveries: overrides.maxDeliveries ?? 5,
      allowPrivateTargets: true,
      readBlockMs: 200,
      resultBatchDelayMs: 50,
      resultBufferCapacity: overrides.resultBufferCapacity,
      now: overrides.now,
    });
    running.push(worker);
    return worker;
  }

  /** The test database reached through a TCP proxy the test can cut, as if PostgreSQL went away. */
  async function databaseBehindProxy() {
    const proxy = await startTcpProxy(Number(new URL(testDb.url).port || 5432));
    const proxiedUrl = new URL(testDb.url);
    proxiedUrl.port = String(proxy.port);
    const proxied = await openDatabase({
      databaseUrl: proxiedUrl.toString(),
      poolSize: 2,
      onPoolError: () => undefined,
    });
    running.push({
      stop: async () => {
        await proxied.close();
        await proxy.close();
      },
    });
    return { proxy, proxied };
  }

  function startReclaimer(
    worker: Worker,
    region: string,
    consumer: string,
    via: TaskQueue = queue,
  ): Reclaimer {
    const reclaimer = new Reclaimer({
      queue: via,
      worker,
      region,
      consumer,
      logger: silentLogger,
      idleMs: 300,
      intervalMs: 100,
    });
    reclaimer.start();
    running.push(reclaimer);
    return reclaimer;
  }

  describe.skipIf(!enabled)('', () => {
    it('runs each kind with the settings its task carries and stores its details', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const port = Number(new URL(target.url).port);
      const tcpSettings = {
        host: '127.0.0.1',
        port,
        tls: false,
        send: 'HEAD /ok HTTP/1.0\r\n\r\n',
        expect: 'HTTP/1.1 200',
      };
      const tcpId = await seedMonitor(db, userId, { kind: 'tcp', settings: tcpSettings, paused: true });
      const unknownId = await seedMonitor(db, userId, {
        kind: 'gopher',
        settings: {},
        target: 'x',
        paused: true,
      });
      const base = { userId, scheduledAt: Date.now(), intervalSeconds: 60, timeoutMs: 5_000, regions: [] };
      const tasks: CheckTask[] = [
        { ...base, monitorId: tcpId, kind: 'tcp', settings: tcpSettings },
        { ...base, monitorId: unknownId, kind: 'gopher', settings: {} },
      ];
      const usa = startWorker('usa');
      await usa.start();
      await queue.publish(tasks);
      await waitForResults(tasks, 2);
      await waitForAcks('usa');
      const rows = await queryRows<{
        monitor_id: string;
        status: string;
        reason: string | null;
        details: unknown;
      }>(
        db,
        sql`SELECT monitor_id, status, reason, details FROM check_results
            WHERE monitor_id IN (${tcpId}, ${unknownId})`,
      );
      expect(rows.find((r) => r.monitor_id === tcpId)).toMatchObject({ status: 'Up', reason: null });
      // A kind this worker does not know is a result saying so, not a poisoned message.
      expect(rows.find((r) => r.monitor_id === unknownId)).toMatchObject({
        status: 'Down',
        reason: 'unavailable',
      });
    });

    it('stores exactly one result per region per slot, with status and reason', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const ok = await seedMonitorTask(db, userId, { url: `${target.url}/ok` });
      const failing = await seedMonitorTask(db, userId, { url: `${target.url}/status/500` });
      const usa = startWorker('usa');
      const india = startWorker('india');
      await Promise.all([usa.start(), india.start()]);
      target.clearHits();
      // The same slot published twice (a publish that timed out after Redis took it, published again) is
      // checked once per region and stays one result.
      await queue.publish([ok, failing, ok]);

      const rows = await waitForResults([ok, failing], 4);
      await waitForAcks('usa');
      await waitForAcks('india');
      expect(
        rows.filter((r) => r.monitor_id === ok.monitorId).map((r) => [r.region, r.status, r.status_code]),
      ).toEqual([
        ['india', 'Up', 200],
        ['usa', 'Up', 200],
      ]);
      expect(
        rows.filter((r) => r.monitor_id === failing.monitorId).map((r) => [r.region, r.status, r.reason]),
      ).toEqual([
        ['india', 'Down', 'http_status'],
        ['usa', 'Down', 'http_status'],
      ]);
      expect((await storedResults(db, [ok.monitorId])).length).toBe(2);
      expect(target.hitCount('/ok')).toBe(2);
      expect([usa.counters.duplicates, india.counters.duplicates]).toEqual([1, 1]);
    });

    it('checks a monitor only from its regions, and acks the others', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const usaOnly = await seedMonitorTask(db, userId, { url: `${target.url}/ok`, regions: ['usa'] });
      const usa = startWorker('usa');
      const india = startWorker('india');
      await Promise.all([usa.start(), india.start()]);
      await queue.publish([usaOnly]);
      await waitForResults([usaOnly], 1);
      await waitForAcks('india');
      expect(india.counters.skippedRegion).toBe(1);
      expect((await storedResults(db, [usaOnly.monitorId]))[0]?.region).toBe('usa');
    });

    it('drops and counts a slot older than its interval, and a deleted monitor, without failing the batch', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const stale = await seedMonitorTask(
        db,
        userId,
        { url: `${target.url}/ok`, intervalSeconds: 30 },
        Date.now() - 31_000,
      );
      const deleted = await seedMonitorTask(db, userId, { url: `${target.url}/ok` });
      const kept = await seedMonitorTask(db, userId, { url: `${target.url}/ok` });
      await db.execute(sql`DELETE FROM monitors WHERE id = ${deleted.monitorId}`);
      const usa = startWorker('usa');
      await usa.start();
      // The stale slot twice: shed once, and its copy counted as a duplicate, not as a second shed slot.
      await queue.publish([stale, deleted, kept, stale]);
      await waitForResults([kept], 1);
      await waitForAcks('usa');
      expect(usa.counters.droppedStale).toBe(1);
      expect(usa.counters.duplicates).toBe(1);
      expect(await storedResults(db, [stale.monitorId, deleted.monitorId])).toEqual([]);
    });

    it('holds a task published early until its slot, then starts within milliseconds of it', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const slot = Date.now() + 600;
      const task = await seedMonitorTask(db, userId, { url: `${target.url}/ok` }, slot);
      target.clearHits();
      const usa = startWorker('usa');
      await usa.start();
      await queue.publish([task]);
      const [hit] = await target.waitForHits('/ok', 1, 5_000);
      expect(hit!.at).toBeGreaterThanOrEqual(slot);
      expect(hit!.at - slot).toBeLessThan(150);
    });

    it("keeps slots on the clock it is given (a remote probe's: the instance's time)", async () => {
      await freshQueue();
      const db = testDb.handle.db;
      // This worker's clock runs 2 s behind the instance's; the instance's time is what it is told.
      const offsetMs = -2_000;
      const instanceNow = () => Date.now() - offsetMs;
      const slot = instanceNow() + 600;
      const task = await seedMonitorTask(db, userId, { url: `${target.url}/ok` }, slot);
      target.clearHits();
      const usa = startWorker('usa', { now: instanceNow });
      await usa.start();
      await queue.publish([task]);
      const [hit] = await target.waitForHits('/ok', 1, 5_000);
      // On the local clock the slot is 2 s earlier: the check starts then, not 2 s late.
      expect(hit!.at).toBeGreaterThanOrEqual(slot + offsetMs);
      expect(hit!.at - (slot + offsetMs)).toBeLessThan(150);
      await waitFor(
        () => storedResults(db, [task.monitorId]),
        (rows) => rows.length === 1,
      );
      expect(new Date((await storedResults(db, [task.monitorId]))[0]!.scheduled_at).getTime()).toBe(slot);
    });

    it('runs tasks published out of order at their own slots, in slot order', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const base = Date.now() + 500;
      const offsets = [400, 0, 250, 100];
      const tasks = await Promise.all(
        offsets.map((offset) =>
          seedMonitorTask(db, userId, { url: `${target.url}/ok?o=${offset}` }, base + offset),
        ),
      );
      target.clearHits();
      const usa = startWorker('usa');
      await usa.start();
      await queue.publish(tasks);
      const hits = await target.waitForHits('/ok', 4, 5_000);
      const byOffset = offsets.map((offset) => hits.find((h) => h.url.endsWith(`o=${offset}`))!);
      for (const [i, offset] of offsets.entries()) {
        expect(byOffset[i]!.at).toBeGreaterThanOrEqual(base + offset);
        // Room for a loaded machine; the order below is the point.
        expect(byOffset[i]!.at - (base + offset)).toBeLessThan(300);
      }
      expect([...hits].sort((a, b) => a.at - b.at).map((h) => h.url.split('o=')[1])).toEqual([
        '0',
        '100',
        '250',
        '400',
      ]);
      await waitForResults(tasks, 4);
    });

    it('starts a burst of due checks in batches, all of them, none timed before the target answered', async () => {
      await freshQueue();
      const tasks = await seedTasks(120, '/delay/200');
      const usa = startWorker('usa', { concurrency: 200 });
      await usa.start();
      await queue.publish(tasks);
      const rows = await waitForResults(tasks, 120, 20_000);
      expect(rows.every((r) => r.status === 'Up')).toBe(true);
      const firstBytes = await queryRows<{ first_byte_ms: number }>(
        testDb.handle.db,
        sql`SELECT first_byte_ms FROM check_results
            WHERE monitor_id = ANY(${sql.param(tasks.map((t) => t.monitorId))}::uuid[])`,
      );
      // Never early (the target holds each answer 200 ms) beyond the kernel clock's tick; how late is the
      // benchmark's business, not a test's.
      for (const { first_byte_ms } of firstBytes) {
        expect(first_byte_ms).toBeGreaterThanOrEqual(200 - KERNEL_CLOCK_SLACK_MS);
        expect(first_byte_ms).toBeLessThan(2_000);
      }
      await waitForAcks('usa');
      expect(usa.held).toBe(0);
    });

    it('keeps results pending while the database is unreachable and stores them after it returns', async () => {
      await freshQueue();
      const { proxy, proxied } = await databaseBehindProxy();
      const db = testDb.handle.db;
      const tasks = await seedTasks(5, '/ok');
      await proxy.cut();
      const usa = startWorker('usa', { db: proxied.db });
      await usa.start();
      await queue.publish(tasks);
      await waitFor(
        async () => usa.counters,
        (c) => c.checked === 5 && c.flushFailures >= 2,
      );
      expect((await queue.stats('usa')).pending).toBe(5);
      expect(
        await storedResults(
          db,
          tasks.map((t) => t.monitorId),
        ),
      ).toEqual([]);

      await proxy.restore();
      await waitForResults(tasks, 5, 20_000);
      await waitForAcks('usa');
    });

    it('stops reading while its result buffer is full, so memory stays bounded during an outage', async () => {
      await freshQueue();
      const { proxy, proxied } = await databaseBehindProxy();
      // Each of its own owner: one owner held to its fair share would let the worker read on for others.
      const tasks = (await seedTasks(40, '/ok')).map((task, i) => ({ ...task, userId: `owner-${i}` }));
      await proxy.cut();
      const usa = startWorker('usa', { db: proxied.db, concurrency: 3, resultBufferCapacity: 5 });
      await usa.start();
      await queue.publish(tasks);
      await waitFor(
        async () => usa.counters.flushFailures,
        (failures) => failures >= 3,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Taken from the queue: at most a full buffer (rows waiting and rows being written count alike) and
      // the checks that were running when it filled.
      const taken = (await queue.stats('usa')).pending;
      expect(taken).toBeGreaterThanOrEqual(5);
      expect(taken).toBeLessThanOrEqual(5 + 3);
      expect(usa.counters.checked).toBe(taken);

      await proxy.restore();
      await waitForResults(tasks, 40, 30_000);
      await waitForAcks('usa');
    });

    it("reclaims a hung consumer's tasks: every slot still gets exactly one result", async () => {
      await freshQueue();
      const tasks = await seedTasks(6, '/ok');
      // A consumer that takes tasks and never finishes them, as a crashed process would.
      const hung = startWorker('usa', { consumer: 'usa-hung', probe: () => new Promise(() => undefined) });
      await hung.start();
      await queue.publish(tasks);
      await waitFor(
        async () => (await queue.stats('usa')).pending,
        (p) => p === 6,
      );
      // It stops reading but its checks never end: like a dead process, it will never ack.
      void hung.stop(0);
      running.splice(running.indexOf(hung), 1);

      const healthy = startWorker('usa', { consumer: 'usa-healthy' });
      await healthy.start();
      startReclaimer(healthy, 'usa', 'usa-healthy');
      const rows = await waitForResults(tasks, 6);
      expect(new Set(rows.map((r) => r.monitor_id)).size).toBe(6);
      await waitForAcks('usa');
      expect(healthy.counters.reclaimed).toBe(6);
    });

    it('does not let another consumer reclaim a check that is still running', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const slow = await seedMonitorTask(db, userId, { url: `${target.url}/delay/1500`, timeoutMs: 5_000 });
      target.clearHits();
      const first = startWorker('usa', { consumer: 'usa-first' });
      await first.start();
      startReclaimer(first, 'usa', 'usa-first');
      await queue.publish([slow]);
      await target.waitForHits('/delay/1500', 1, 5_000);
      // A second consumer with an eager reclaimer (idle bound 300 ms, far below the check's 1.5 s).
      const second = startWorker('usa', { consumer: 'usa-second' });
      await second.start();
      startReclaimer(second, 'usa', 'usa-second');
      await waitForResults([slow], 1);
      expect(second.counters.reclaimed).toBe(0);
      expect(target.hitCount('/delay/1500')).toBe(1);
    });

    it('does not take its own running check again when a slow claim returns it', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const slow = await seedMonitorTask(db, userId, { url: `${target.url}/delay/1500`, timeoutMs: 5_000 });
      target.clearHits();
      const worker = startWorker('usa', { consumer: 'usa-only' });
      await worker.start();
      // The claim reaches the queue only after the entries touched just before it went idle again, as when
      // the round trip between the touch and the claim is slow (a loaded probe, a slow link).
      let handedBack = 0;
      const slowClaims: TaskQueue = Object.assign(Object.create(queue) as TaskQueue, {
        touch: (region: string, consumer: string, ids: readonly string[]) =>
          queue.touch(region, consumer, ids),
        claimIdle: async (region: string, consumer: string, minIdleMs: number, count: number) => {
          await sleep(minIdleMs + 100);
          const claimed = await queue.claimIdle(region, consumer, minIdleMs, count);
          handedBack += claimed.length;
          return claimed;
        },
      });
      startReclaimer(worker, 'usa', 'usa-only', slowClaims);
      await queue.publish([slow]);
      await waitForResults([slow], 1);
      await waitForAcks('usa');
      // The queue did hand the running entry back, and the worker did not take it.
      expect(handedBack).toBeGreaterThan(0);
      expect(worker.counters.reclaimed).toBe(0);
      expect(worker.counters.checked).toBe(1);
      expect(target.hitCount('/delay/1500')).toBe(1);
    });

    it('sends a message whose result the database always refuses to the dead-letter stream after 5 deliveries', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const good = await seedMonitorTask(db, userId, { url: `${target.url}/ok` });
      // Not a UUID: its row can never be stored (a poison message).
      const poison = { ...good, monitorId: 'not-a-uuid', scheduledAt: good.scheduledAt + 1 };
      const usa = startWorker('usa', { consumer: 'usa-1', maxDeliveries: 5 });
      await usa.start();
      startReclaimer(usa, 'usa', 'usa-1');
      await queue.publish([good, poison]);
      await waitFor(
        () => queue.stats('usa'),
        (s) => s.deadLetters === 1 && s.pending === 0,
        20_000,
      );
      expect(usa.counters.rejected).toBe(5);
      expect(usa.counters.deadLettered).toBe(1);
      expect(await storedResults(db, [good.monitorId])).toHaveLength(1);
    });

    it('dead-letters an undecodable message at once', async () => {
      await freshQueue();
      const usa = startWorker('usa');
      await usa.start();
      await publishRaw(queue, streamKey, '{"v":1,"monitorId":42}');
      await waitFor(
        () => queue.stats('usa'),
        (s) => s.deadLetters === 1 && s.pending === 0,
      );
      expect(usa.counters.deadLettered).toBe(1);
    });

    it('on stop, finishes in-flight checks, writes and acks them', async () => {
      await freshQueue();
      const db = testDb.handle.db;
      const tasks = await seedTasks(3, '/delay/400');
      const usa = startWorker('usa');
      await usa.start();
      target.clearHits();
      await queue.publish(tasks);
      await target.waitForHits('/delay/400', 3, 5_000);
      await usa.stop();
      running.splice(running.indexOf(usa), 1);
      expect(
        await storedResults(
          db,
          tasks.map((t) => t.monitorId),
        ),
      ).toHaveLength(3);
      expect((await queue.stats('usa')).pending).toBe(0);
    });

    it('never runs more checks at once than its concurrency', async () => {
      await freshQueue();
      // Each of its own owner, so the fair share (one owner gets all but a reserved tenth) does not bind.
      const tasks = (await seedTasks(20, '/delay/100')).map((task, i) => ({ ...task, userId: `owner-${i}` }));
      let active = 0;
      let peak = 0;
      const counting: Probe = async (kind, settings, options) => {
        peak = Math.max(peak, ++active);
        try {
          return await probe(kind, settings, options);
        } finally {
          active--;
        }
      };
      const usa = startWorker('usa', { concurrency: 4, probe: counting });
      await usa.start();
      await queue.publish(tasks);
      await waitForResults(tasks, 20);
      expect(peak).toBe(4);
    });
  });
});

async function publishRaw(queue: TaskQueue, streamKey: string, payload: string): Promise<void> {
  if (queue instanceof MemoryTaskQueue) return queue.publishPayloads([payload]);
  const client = createClient({ url: TEST_REDIS_URL });
  await client.connect();
  try {
    await client.xAdd(streamKey, '*', { task: payload });
  } finally {
    await client.close();
  }
}
