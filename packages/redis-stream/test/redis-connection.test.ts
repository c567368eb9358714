import { describe, expect, it } from 'vitest';
import { RedisTaskQueue } from '../src/index.js';

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
