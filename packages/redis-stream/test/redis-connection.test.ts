import { describe, expect, it } from 'vitest';
import {
  deleteRedisKeys,
  redisAvailable,
  redisTestPrefix,
  startTcpProxy,
  TEST_REDIS_URL,
} from '@better-uptime/testing';
import { type CheckTask, RedisTaskQueue, RedisTimeoutError } from '../src/index.js';

// Needs no Redis: a port nobody listens on stands for a Redis that is down.
const UNREACHABLE_URL = 'redis://127.0.0.1:1';

describe('Redis task queue without a reachable server', () => {
  it('reports connection errors instead of crashing, and closes promptly', async () => {
    const errors: Error[] = [];
    const queue = new RedisTaskQueue({
      url: UNREACHABLE_URL,
      streamKey: 'bu-test:unreachable',
      onError: (err) => errors.push(err),
    });
    const connecting = queue.connect();
    connecting.catch(() => undefined);
    const reading = queue.read('usa', 'a', 10, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors.length).toBeGreaterThan(0);

    const started = Date.now();
    await queue.close();
    expect(await reading).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe.skipIf(!redisAvailable())('Redis task queue while Redis stops answering', () => {
  const task: CheckTask = {
    monitorId: 'm1',
    userId: 'u1',
    kind: 'http',
    settings: { url: 'http://127.0.0.1/' },
    scheduledAt: Date.now(),
    intervalSeconds: 60,
    timeoutMs: 1_000,
    regions: [],
  };

  it('fails every command within its timeout, and works again once Redis is back', async () => {
    const proxy = await startTcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379));
    const prefix = redisTestPrefix();
    const url = new URL(TEST_REDIS_URL);
    url.port = String(proxy.port);
    const queue = new RedisTaskQueue({
      url: url.href,
      streamKey: `${prefix}stream`,
      commandTimeoutMs: 300,
      onError: () => undefined,
    });
    try {
      await queue.connect();
      await queue.ensureGroup('usa');
      await queue.publish([task]);
      await proxy.cut();
      // Once the client has seen its connection go, commands wait for a reconnection that does not come.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['publish', () => queue.publish([task])],
        ['ack', () => queue.ack('usa', ['1-0'])],
        ['stats', () => queue.stats('usa')],
        ['claimIdle', () => queue.claimIdle('usa', 'a', 0, 10)],
        ['touch', () => queue.touch('usa', 'a', ['1-0'])],
        ['read', () => queue.read('usa', 'a', 10, 200)],
      ];
      for (const [name, call] of calls) {
        const started = Date.now();
        await expect(call(), name).rejects.toBeInstanceOf(RedisTimeoutError);
        expect(Date.now() - started, name).toBeLessThan(1_500);
      }
      await proxy.restore();
      const until = Date.now() + 10_000;
      for (;;) {
        try {
          await queue.publish([task]);
          break;
        } catch (error) {
          if (Date.now() > until) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      // Nothing withdrawn at its deadline was sent late: the stream has the two publishes that succeeded.
      expect((await queue.stats('usa')).length).toBe(2);
      expect((await queue.read('usa', 'a', 10, 200)).length).toBe(2);
    } finally {
      await queue.close();
      await proxy.close();
      await deleteRedisKeys(prefix);
    }
  }, 30_000);
});
