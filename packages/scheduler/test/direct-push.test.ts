import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorQueries, type MonitorRow } from '@better-uptime/db';
import { MemoryTaskQueue, type CheckTask, type TaskQueue } from '@better-uptime/redis-stream';
import { databaseVariants, seedMonitor, seedUser } from '@better-uptime/testing';
import { directPush } from '../src/index.js';

/**
 * A queue whose first publishes reach the stream but whose answers are lost, as when Redis is slow and
 * the command times out after it ran.
 */
class LostAnswerQueue extends MemoryTaskQueue {
  lostAnswers = 0;
  override async publish(tasks: readonly CheckTask[]): Promise<void> {
    await super.publish(tasks);
    if (this.lostAnswers > 0) {
      this.lostAnswers--;
      throw new Error('command timed out');
    }
  }
}

describe('direct push', () => {
  let drop: (() => Promise<void>) | undefined;
  let monitor: MonitorRow;

  beforeAll(async () => {
    // The push needs only a monitor row: the embedded database gives one without a server.
    const pglite = databaseVariants().find((v) => v.name === 'pglite')!;
    const { handle, drop: dropDatabase } = await pglite.create();
    drop = dropDatabase;
    const db = handle.db;
    const userId = await seedUser(db);
    const id = await seedMonitor(db, userId, { url: 'http://127.0.0.1/pushed' });
    monitor = (await monitorQueries.findMonitor(db, userId, id))!;
  });
  afterAll(async () => drop?.());

  async function slotsPublished(queue: TaskQueue): Promise<number[]> {
    return (await queue.read('usa', 'reader', 100, 0)).map((entry) => entry.task!.scheduledAt);
  }

  it('publishes a push retried after a lost answer for the slot it was pushed for, not a new one', async () => {
    const queue = new LostAnswerQueue();
    await queue.ensureGroup('usa');
    queue.lostAnswers = 2;
    const push = directPush(queue, { retryMinMs: 20, retryMaxMs: 40 });
    const pushedAt = Date.now();
    await push.created(monitor);
    await expect.poll(() => push.waiting, { timeout: 5_000 }).toBe(0);
    await push.close();

    const slots = await slotsPublished(queue);
    // Three publishes reached the stream; all carry one slot, so the result key keeps one check of it.
    expect(slots).toHaveLength(3);
    expect(new Set(slots).size).toBe(1);
    expect(slots[0]).toBeGreaterThanOrEqual(pushedAt);
    expect(slots[0]).toBeLessThanOrEqual(pushedAt + 100);
  });

  it('gives an edit made while a push waits its own, newer slot', async () => {
    const queue = new LostAnswerQueue();
    await queue.ensureGroup('usa');
    queue.lostAnswers = 1;
    const push = directPush(queue, { retryMinMs: 200, retryMaxMs: 200 });
    await push.created(monitor);
    await expect.poll(async () => (await slotsPublished(queue)).length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const editedAt = Date.now();
    await push.updated({ ...monitor, settings: { ...monitor.settings, url: 'http://127.0.0.1/edited' } });
    await expect.poll(() => push.waiting, { timeout: 5_000 }).toBe(0);
    await push.close();
    const edited = await queue.read('usa', 'reader', 100, 0);
    expect(edited.map((e) => [e.task!.settings.url, e.task!.scheduledAt >= editedAt])).toEqual([
      ['http://127.0.0.1/edited', true],
    ]);
  });
});
