import { createClient } from 'redis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, redisAvailable, redisTestPrefix } from '@better-uptime/testing';
import {
  type CheckTask,
  type DeadLetterEntry,
  type QueuedTask,
  type TaskQueue,
  MemoryTaskQueue,
  createRedisTaskQueue,
  decodeTask,
} from '../src/index.js';

/** One queue under test, with the few back doors the contract does not offer. */
interface Harness {
  queue: TaskQueue;
  /** Appends an entry with this payload as is (not necessarily a valid task). */
  publishRaw(payload: string): Promise<void>;
  recentDeadLetters(): Promise<DeadLetterEntry[]>;
  /** Deletes the stream, and with it the consumer groups (Redis only). */
  deleteStream?: () => Promise<void>;
  dispose(): Promise<void>;
}

interface Variant {
  name: string;
  available: boolean;
  /** Redis trims by age a whole stream node at a time (MINID ~), so some stale entries may remain. */
  trimsExactly: boolean;
  canDeleteStream: boolean;
  open(options?: { maxAgeMs?: number }): Promise<Harness>;
  cleanup(): Promise<void>;
}

type AdminClient = ReturnType<typeof createClient>;

function redisVariant(): Variant {
  const prefix = redisTestPrefix();
  let admin: AdminClient | undefined;
  let queueCount = 0;
  const adminClient = async (): Promise<AdminClient> => {
    if (!admin) {
      admin = createClient({ url: TEST_REDIS_URL });
      admin.on('error', () => undefined);
      await admin.connect();
    }
    return admin;
  };
  return {
    name: 'Redis',
    available: redisAvailable(),
    trimsExactly: false,
    canDeleteStream: true,
    async open(options = {}) {
      const client = await adminClient();
      const streamKey = `${prefix}stream-${++queueCount}`;
      const queue = await createRedisTaskQueue({ url: TEST_REDIS_URL, streamKey, ...options });
      return {
        queue,
        publishRaw: async (payload) => {
          await client.xAdd(streamKey, '*', { task: payload });
        },
        recentDeadLetters: () => queue.recentDeadLetters(),
        deleteStream: async () => {
          await client.del(streamKey);
        },
        dispose: async () => {
          await queue.close();
          await client.del([streamKey, `${streamKey}:dead`]);
        },
      };
    },
    async cleanup() {
      if (!admin) return;
      // Anything a failed test left behind, but only under this suite's own prefix.
      const keys: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
      if (keys.length > 0) await admin.del(keys);
      await admin.close();
    },
  };
}

function memoryVariant(): Variant {
  return {
    name: 'memory',
    available: true,
    trimsExactly: true,
    canDeleteStream: false,
    async open(options = {}) {
      const queue = new MemoryTaskQueue(options);
      return {
        queue,
        publishRaw: async (payload) => queue.publishPayloads([payload]),
        recentDeadLetters: () => queue.recentDeadLetters(),
        dispose: () => queue.close(),
      };
    },
    cleanup: async () => undefined,
  };
}

function makeTask(monitorId: string, overrides: Partial<CheckTask> = {}): CheckTask {
  return {
    monitorId,
    userId: 'u-1',
    kind: 'http',
    settings: { url: `https://example.com/${monitorId}` },
    scheduledAt: 1_700_000_000_000,
    intervalSeconds: 60,
    timeoutMs: 10_000,
    regions: [],
    ...overrides,
  };
}

function makeTasks(count: number, prefix = 'm'): CheckTask[] {
  return Array.from({ length: count }, (_, index) => makeTask(`${prefix}-${index}`));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const monitorIds = (entries: readonly QueuedTask[]) => entries.map((entry) => entry.task?.monitorId);

/** Reads without blocking until the group has nothing new. */
async function drain(queue: TaskQueue, region: string, consumer: string, count = 100): Promise<QueuedTask[]> {
  const all: QueuedTask[] = [];
  for (;;) {
    const batch = await queue.read(region, consumer, count, 0);
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

for (const variant of [redisVariant(), memoryVariant()]) {
  describe.skipIf(!variant.available)(`${variant.name} task queue`, () => {
    let harness: Harness;
    let queue: TaskQueue;

    beforeEach(async () => {
      harness = await variant.open();
      queue = harness.queue;
    });
    afterEach(async () => {
      await harness.dispose();
    });
    afterAll(async () => {
      await variant.cleanup();
    });

    it('delivers every task of a large batch once to each region', async () => {
      const tasks = makeTasks(600);
      const published = Date.now();
      await queue.ensureGroup('usa');
      await queue.ensureGroup('india');
      await queue.publish(tasks);

      for (const region of ['usa', 'india']) {
        const delivered = await drain(queue, region, 'worker-1');
        expect(monitorIds(delivered)).toEqual(tasks.map((task) => task.monitorId));
        expect(delivered[0]).toMatchObject({ task: tasks[0], deliveries: 1 });
        expect(new Set(delivered.map((entry) => entry.id)).size).toBe(600);
        const stats = await queue.stats(region);
        expect(stats).toMatchObject({ length: 600, pending: 600, deadLetters: 0 });
        // The oldest pending entry is the first published: its age is the time since the publish.
        expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
        expect(stats.oldestPendingAgeMs).toBeLessThanOrEqual(Date.now() - published + 5);
      }
    });

    it('splits a group between consumers without overlap', async () => {
      await queue.ensureGroup('usa');
      await queue.publish(makeTasks(50));
      const byConsumer: Record<string, string[]> = { a: [], b: [] };
      for (let done = false; !done;) {
        const [a, b] = [await queue.read('usa', 'a', 7, 0), await queue.read('usa', 'b', 7, 0)];
        byConsumer.a!.push(...a.map((entry) => entry.id));
        byConsumer.b!.push(...b.map((entry) => entry.id));
        done = a.length === 0 && b.length === 0;
      }
      expect(byConsumer.a!.length).toBeGreaterThan(0);
      expect(byConsumer.b!.length).toBeGreaterThan(0);
      expect(new Set([...byConsumer.a!, ...byConsumer.b!]).size).toBe(50);
      expect(byConsumer.a!.length + byConsumer.b!.length).toBe(50);
    });

    it('reads at most count entries', async () => {
      await queue.publish(makeTasks(10));
      expect(await queue.read('usa', 'a', 3, 0)).toHaveLength(3);
      expect(await queue.read('usa', 'a', 0, 0)).toEqual([]);
      expect(await queue.read('usa', 'a', 100, 0)).toHaveLength(7);
    });

    it('wakes a blocked read when a task is published', async () => {
      await queue.ensureGroup('usa');
      const started = Date.now();
      const reading = queue.read('usa', 'a', 10, 5_000);
      await sleep(100);
      const publishStarted = Date.now();
      await queue.publish([makeTask('late')]);
      // The blocked read must not hold up commands.
      expect(Date.now() - publishStarted).toBeLessThan(1_000);
      const delivered = await reading;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(monitorIds(delivered)).toEqual(['late']);
    });

    it('returns [] when a blocked read times out', async () => {
      await queue.ensureGroup('usa');
      const started = Date.now();
      expect(await queue.read('usa', 'a', 10, 200)).toEqual([]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(2_000);
    });

    it('does not serialize blocked reads of different regions', async () => {
      await queue.ensureGroup('usa');
      await queue.ensureGroup('india');
      const started = Date.now();
      const reads = [queue.read('usa', 'a', 10, 3_000), queue.read('india', 'a', 10, 3_000)];
      await sleep(100);
      await queue.publish([makeTask('both')]);
      const [usa, india] = await Promise.all(reads);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(monitorIds(usa!)).toEqual(['both']);
      expect(monitorIds(india!)).toEqual(['both']);
    });

    it('removes acknowledged entries from pending', async () => {
      await queue.publish(makeTasks(5));
      const delivered = await queue.read('usa', 'a', 10, 0);
      expect((await queue.stats('usa')).pending).toBe(5);
      await queue.ack(
        'usa',
        delivered.slice(0, 3).map((entry) => entry.id),
      );
      expect((await queue.stats('usa')).pending).toBe(2);
      await queue.ack('usa', []);
      await queue.ack(
        'usa',
        delivered.slice(3).map((entry) => entry.id),
      );
      expect((await queue.stats('usa')).pending).toBe(0);
    });

    it('claims only entries idle for minIdleMs, counting each delivery', async () => {
      const tasks = makeTasks(3);
      await queue.publish(tasks);
      await queue.read('usa', 'a', 10, 0);
      expect(await queue.claimIdle('usa', 'b', 10_000, 10)).toEqual([]);

      await sleep(150);
      const second = await queue.claimIdle('usa', 'b', 100, 10);
      expect(second.map((entry) => entry.task)).toEqual(tasks);
      expect(second.map((entry) => entry.deliveries)).toEqual([2, 2, 2]);
      // Just claimed, so not idle any more.
      expect(await queue.claimIdle('usa', 'c', 100, 10)).toEqual([]);

      await sleep(150);
      const third = await queue.claimIdle('usa', 'c', 100, 2);
      expect(third.map((entry) => entry.deliveries)).toEqual([3, 3]);
      expect(third.map((entry) => entry.id)).toEqual(second.slice(0, 2).map((entry) => entry.id));
      expect((await queue.stats('usa')).pending).toBe(3);
    });

    it('touch keeps entries from going idle without counting a delivery', async () => {
      await queue.publish(makeTasks(2));
      const held = await queue.read('usa', 'busy', 10, 0);
      await sleep(150);
      await queue.touch(
        'usa',
        'busy',
        held.map((entry) => entry.id),
      );
      expect(await queue.claimIdle('usa', 'other', 100, 10)).toEqual([]);
      await sleep(150);
      const claimed = await queue.claimIdle('usa', 'other', 100, 10);
      expect(claimed.map((entry) => entry.deliveries)).toEqual([2, 2]);
      // Touching acknowledged or unknown entries is harmless.
      await queue.ack(
        'usa',
        claimed.map((entry) => entry.id),
      );
      await queue.touch(
        'usa',
        'busy',
        held.map((entry) => entry.id),
      );
      expect((await queue.stats('usa')).pending).toBe(0);
      await queue.touch('missing-group', 'busy', ['1-0']);
    });

    it('tells which entries are pending for a consumer, with their tasks, without counting a delivery', async () => {
      await queue.publish(makeTasks(4));
      const mine = await queue.read('usa', 'probe-a', 3, 0);
      const theirs = await queue.read('usa', 'probe-b', 1, 0);
      const ids = mine.map((entry) => entry.id);
      await queue.ack('usa', [ids[0]!]);
      const asked = [...ids, theirs[0]!.id, '9-9', 'not-an-id', ids[1]!];
      const found = await queue.pendingFor('usa', 'probe-a', asked);
      expect(found).toEqual(mine.slice(1));
      // Asking neither counts a delivery nor keeps the entries from going idle.
      await sleep(150);
      const claimed = await queue.claimIdle('usa', 'probe-b', 100, 10);
      expect(claimed.map((entry) => [entry.id, entry.deliveries])).toEqual([
        [ids[1], 2],
        [ids[2], 2],
        [theirs[0]!.id, 2],
      ]);
      // Claimed away: no longer probe-a's.
      expect(await queue.pendingFor('usa', 'probe-a', ids)).toEqual([]);
      expect(await queue.pendingFor('usa', 'probe-b', [ids[1]!])).toMatchObject([
        { id: ids[1], deliveries: 2, task: mine[1]!.task },
      ]);
      expect(await queue.pendingFor('missing-group', 'probe-a', ids)).toEqual([]);
      expect(await queue.pendingFor('usa', 'probe-a', [])).toEqual([]);
    });

    it("hands a crashed consumer's entries to another consumer", async () => {
      await queue.publish(makeTasks(4));
      const lost = await queue.read('usa', 'crashed', 10, 0);
      expect(lost).toHaveLength(4);
      // Read entries are never delivered as new again, whoever asks.
      expect(await queue.read('usa', 'survivor', 10, 0)).toEqual([]);
      expect(await queue.read('usa', 'crashed', 10, 0)).toEqual([]);

      await sleep(150);
      const takenOver = await queue.claimIdle('usa', 'survivor', 100, 10);
      expect(takenOver.map((entry) => entry.id)).toEqual(lost.map((entry) => entry.id));
      await queue.ack(
        'usa',
        takenOver.map((entry) => entry.id),
      );
      expect((await queue.stats('usa')).pending).toBe(0);
      await sleep(150);
      expect(await queue.claimIdle('usa', 'survivor', 100, 10)).toEqual([]);
    });

    it('moves dead letters to the dead-letter stream and clears them from pending', async () => {
      const tasks = makeTasks(2);
      await queue.publish(tasks);
      const delivered = await queue.read('usa', 'a', 10, 0);
      await queue.deadLetter('usa', delivered, 'too many deliveries');
      await queue.deadLetter('usa', [], 'nothing');

      expect(await queue.stats('usa')).toEqual({
        length: 2,
        pending: 0,
        deadLetters: 2,
        oldestPendingAgeMs: null,
      });
      // Other regions still have their own copy to run.
      expect(await queue.read('india', 'a', 10, 0)).toHaveLength(2);
      const deadLetters = (await harness.recentDeadLetters()).reverse();
      expect(deadLetters).toHaveLength(2);
      expect(deadLetters.map((entry) => entry.originalId)).toEqual(delivered.map((entry) => entry.id));
      expect(deadLetters[0]).toMatchObject({ region: 'usa', reason: 'too many deliveries', deliveries: 1 });
      expect(deadLetters.map((entry) => decodeTask(entry.payload))).toEqual(tasks);
      expect(Math.abs(deadLetters[0]!.deadLetteredAt - Date.now())).toBeLessThan(10_000);
    });

    it('delivers an undecodable payload as task null and keeps it raw in the dead letter', async () => {
      const badPayloads = [
        'not json',
        JSON.stringify({ v: 1, ...makeTask('bad-types'), timeoutMs: 'soon' }),
        JSON.stringify({ ...makeTask('no-version') }),
        JSON.stringify({ v: 99, ...makeTask('future-version') }),
      ];
      for (const payload of badPayloads) await harness.publishRaw(payload);
      await queue.publish([makeTask('good')]);

      const delivered = await queue.read('usa', 'a', 10, 0);
      expect(delivered.map((entry) => entry.task)).toEqual([null, null, null, null, makeTask('good')]);
      expect(delivered.map((entry) => entry.deliveries)).toEqual([1, 1, 1, 1, 1]);

      await queue.deadLetter(
        'usa',
        delivered.filter((entry) => entry.task === null),
        'undecodable',
      );
      const deadLetters = (await harness.recentDeadLetters()).reverse();
      expect(deadLetters.map((entry) => entry.payload)).toEqual(badPayloads);
      expect((await queue.stats('usa')).pending).toBe(1);
    });

    it('trims entries older than maxAgeMs on publish', async () => {
      const aged = await variant.open({ maxAgeMs: 50 });
      try {
        await aged.queue.publish(makeTasks(200, 'old'));
        for (let round = 0; round < 3; round += 1) {
          await sleep(100);
          await aged.queue.publish(makeTasks(200, `new${round}`));
          const { length } = await aged.queue.stats('usa');
          // Redis drops whole stream nodes (at most 100 entries each), so one partial node may linger.
          expect(length).toBeLessThanOrEqual(variant.trimsExactly ? 200 : 300);
          expect(length).toBeGreaterThanOrEqual(200);
        }
        const seen = monitorIds(await drain(aged.queue, 'late', 'a'));
        expect(seen.filter((id) => id?.startsWith('new2-'))).toHaveLength(200);
        expect(seen.filter((id) => id?.startsWith('old-'))).toEqual([]);
      } finally {
        await aged.dispose();
      }
    });

    it('drops pending entries that were trimmed away instead of claiming them', async () => {
      const aged = await variant.open({ maxAgeMs: 50 });
      try {
        await aged.queue.publish(makeTasks(200, 'old'));
        expect(await drain(aged.queue, 'usa', 'crashed')).toHaveLength(200);
        await sleep(100);
        await aged.queue.publish(makeTasks(200, 'new'));

        const claimed = await aged.queue.claimIdle('usa', 'survivor', 50, 1_000);
        expect(claimed.every((entry) => entry.task !== null)).toBe(true);
        expect(claimed.length).toBeLessThanOrEqual(variant.trimsExactly ? 0 : 100);
        // The trimmed ones left the pending list for good.
        expect((await aged.queue.stats('usa')).pending).toBe(claimed.length);
        await sleep(100);
        const again = await aged.queue.claimIdle('usa', 'other', 50, 1_000);
        expect(again.map((entry) => entry.id)).toEqual(claimed.map((entry) => entry.id));
      } finally {
        await aged.dispose();
      }
    });

    it('creates groups idempotently, also concurrently, without resetting them', async () => {
      await queue.ensureGroup('usa');
      await queue.ensureGroup('usa');
      await Promise.all(Array.from({ length: 5 }, () => queue.ensureGroup('usa')));
      await queue.publish(makeTasks(3));
      expect(await queue.read('usa', 'a', 10, 0)).toHaveLength(3);
      await queue.ensureGroup('usa');
      expect(await queue.read('usa', 'a', 10, 0)).toEqual([]);
      expect((await queue.stats('usa')).pending).toBe(3);
    });

    it('delivers tasks published before the group was created', async () => {
      await queue.publish(makeTasks(5));
      await queue.ensureGroup('late');
      expect(await queue.read('late', 'a', 10, 0)).toHaveLength(5);
      // read creates a missing group itself.
      expect(await queue.read('never-ensured', 'a', 10, 0)).toHaveLength(5);
    });

    // Only Redis has a stream to delete: the case is not registered for the in-process queue (nothing skips).
    if (variant.canDeleteStream)
      it('recreates the group when the stream was deleted', async () => {
        await queue.publish(makeTasks(2));
        expect(await queue.read('usa', 'a', 10, 0)).toHaveLength(2);
        await harness.deleteStream!();
        await queue.publish([makeTask('after-delete')]);
        expect(monitorIds(await queue.read('usa', 'a', 10, 0))).toEqual(['after-delete']);
      });

    it('wakes a blocked read with [] on close', async () => {
      await queue.ensureGroup('usa');
      const started = Date.now();
      const reading = queue.read('usa', 'a', 10, 10_000);
      await sleep(100);
      await queue.close();
      expect(await reading).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await queue.read('usa', 'a', 10, 1_000)).toEqual([]);
      await expect(queue.publish([makeTask('too-late')])).rejects.toThrow(/closed/);
      await queue.close();
    });

    it('ignores acks of unknown ids', async () => {
      await queue.publish(makeTasks(2));
      await queue.read('usa', 'a', 10, 0);
      await queue.ack('usa', ['0-1', '99999999999999-0']);
      await queue.ack('nowhere', ['0-1']);
      expect((await queue.stats('usa')).pending).toBe(2);
      await expect(queue.ack('usa', ['not-an-id'])).rejects.toThrow(/Invalid stream ID/);
    });

    it('claims nothing from an empty or missing group', async () => {
      expect(await queue.claimIdle('missing', 'a', 0, 10)).toEqual([]);
      await queue.ensureGroup('usa');
      expect(await queue.claimIdle('usa', 'a', 0, 10)).toEqual([]);
      await queue.publish(makeTasks(1));
      expect(await queue.claimIdle('usa', 'a', 0, 10)).toEqual([]);
    });

    it('reports zeros for a missing stream and group', async () => {
      const zeros = { length: 0, pending: 0, deadLetters: 0, oldestPendingAgeMs: null };
      expect(await queue.stats('usa')).toEqual(zeros);
      await queue.publish(makeTasks(2));
      expect(await queue.stats('nowhere')).toEqual({ ...zeros, length: 2 });
    });
  });
}
