import { createClient } from 'redis';
import { createRedisTaskQueue, MemoryTaskQueue, type TaskQueue } from '@better-uptime/redis-stream';
import { redisAvailable, redisTestPrefix } from './database.js';
import { TEST_REDIS_URL } from './services.js';

export interface QueueVariant {
  name: 'redis' | 'memory';
  /** False when the variant's server is missing (only Redis can be). */
  available: boolean;
  /** A queue on a stream of its own; `destroy` closes it and deletes its keys. */
  create(options?: {
    maxAgeMs?: number;
  }): Promise<{ queue: TaskQueue; streamKey: string; destroy(): Promise<void> }>;
}

/** Deletes every key under a test prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: TEST_REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    await client.close();
  }
}

/** The same producer and worker cases run against the Redis Streams queue and the in-process queue. */
export function queueVariants(): QueueVariant[] {
  return [
    {
      name: 'redis',
      available: redisAvailable(),
      create: async (options = {}) => {
        const prefix = redisTestPrefix();
        const streamKey = `${prefix}BetterUptime:Websites`;
        const queue = await createRedisTaskQueue({ url: TEST_REDIS_URL, streamKey, ...options });
        return {
          queue,
          streamKey,
          destroy: async () => {
            await queue.close();
            await deleteRedisKeys(prefix);
          },
        };
      },
    },
    {
      name: 'memory',
      available: true,
      create: async (options = {}) => {
        const queue = new MemoryTaskQueue(options);
        return { queue, streamKey: 'memory', destroy: () => queue.close() };
      },
    },
  ];
}
