import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CheckTask, MemoryTaskQueue } from '../src/index.js';

// Behaviour shared with the Redis queue is covered in queue.test.ts; these are the in-process extras.

const makeTasks = (count: number): CheckTask[] =>
  Array.from({ length: count }, (_, index) => ({
    monitorId: `m-${index}`,
    userId: 'u-1',
    kind: 'http',
    settings: { url: 'https://example.com' },
    scheduledAt: 0,
    intervalSeconds: 60,
    timeoutMs: 1_000,
    regions: [],
  }));

describe('memory task queue bounds', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps at most maxLength entries, dropping the oldest', async () => {
    const queue = new MemoryTaskQueue({ maxLength: 10 });
    await queue.publish(makeTasks(25));
    await queue.publish(makeTasks(3));
    expect((await queue.stats('usa')).length).toBe(10);
    const delivered = await queue.read('usa', 'a', 100, 0);
    expect(delivered.map((entry) => entry.task?.monitorId)).toEqual([
      ...['m-18', 'm-19', 'm-20', 'm-21', 'm-22', 'm-23', 'm-24'],
      ...['m-0', 'm-1', 'm-2'],
    ]);
    await queue.close();
  });

  it('hands out strictly increasing ids in the Redis format', async () => {
    const queue = new MemoryTaskQueue();
    await queue.publish(makeTasks(1_000));
    const ids = (await queue.read('usa', 'a', 1_000, 0)).map((entry) => entry.id);
    const parsed = ids.map((id) => id.split('-').map(BigInt) as [bigint, bigint]);
    for (let index = 1; index < parsed.length; index += 1) {
      const [ms, seq] = parsed[index]!;
      const [previousMs, previousSeq] = parsed[index - 1]!;
      expect(ms > previousMs || (ms === previousMs && seq > previousSeq)).toBe(true);
    }
    await queue.close();
  });

  it('keeps at most deadLetterMaxLen dead letters', async () => {
    const queue = new MemoryTaskQueue({ deadLetterMaxLen: 3 });
    await queue.publish(makeTasks(5));
    await queue.deadLetter('usa', await queue.read('usa', 'a', 5, 0), 'test');
    expect((await queue.stats('usa')).deadLetters).toBe(3);
    const newestFirst = await queue.recentDeadLetters(10);
    expect(newestFirst.map((entry) => entry.deliveries)).toEqual([1, 1, 1]);
    expect(newestFirst.map((entry) => JSON.parse(entry.payload).monitorId)).toEqual(['m-4', 'm-3', 'm-2']);
    await queue.close();
  });

  it('leaves no timer behind when a blocked read is woken by publish or close', async () => {
    vi.useFakeTimers();
    const queue = new MemoryTaskQueue();
    const woken = queue.read('usa', 'a', 10, 60_000);
    expect(vi.getTimerCount()).toBe(1);
    await queue.publish(makeTasks(1));
    expect(await woken).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);

    const closed = queue.read('usa', 'a', 10, 60_000);
    expect(vi.getTimerCount()).toBe(1);
    await queue.close();
    expect(await closed).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('serves blocked readers of one group in the order they blocked', async () => {
    const queue = new MemoryTaskQueue();
    const first = queue.read('usa', 'a', 2, 5_000);
    const second = queue.read('usa', 'b', 2, 5_000);
    await queue.publish(makeTasks(3));
    expect((await first).map((entry) => entry.task?.monitorId)).toEqual(['m-0', 'm-1']);
    expect((await second).map((entry) => entry.task?.monitorId)).toEqual(['m-2']);
    await queue.close();
  });
});
