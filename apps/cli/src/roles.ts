import { type RunningApi, startApi } from '@better-uptime/api';
import { type Config, type Logger, redactUrl } from '@better-uptime/config';
import { type DatabaseHandle, migrateDatabase, openDatabase } from '@better-uptime/db';
import { type ProducerHandle, startProducer } from '@better-uptime/producer';
import { createRedisTaskQueue, MemoryTaskQueue, type TaskQueue } from '@better-uptime/redis-stream';
import { directPush } from '@better-uptime/scheduler';
import { type RegionWorkerHandle, startRegionWorker } from '@better-uptime/worker';
import { lockDataDir } from './data-dir-lock.js';

export type Role = 'api' | 'producer' | 'worker';

export interface RunningSystem {
  stop(): Promise<void>;
  api?: RunningApi;
}

/** Opens the database (locking PGlite's directory for this process) and applies migrations. */
export async function openAndMigrate(
  config: Config,
  logger: Logger,
): Promise<{ handle: DatabaseHandle; release: () => void }> {
  const release = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      pgliteSharedBuffers: config.pgliteSharedBuffers,
      pgliteLowMemory: config.pgliteLowMemory,
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
    });
  } catch (error) {
    release();
    throw error;
  }
  try {
    await migrateDatabase(handle, config.databaseUrl);
  } catch (error) {
    await handle.close().catch(() => undefined);
    release();
    throw error;
  }
  return { handle, release };
}

async function openQueue(config: Config, logger: Logger): Promise<{ queue: TaskQueue; description: string }> {
  if (!config.redisUrl) return { queue: new MemoryTaskQueue(), description: 'in-process queue' };
  const queue = await createRedisTaskQueue({
    url: config.redisUrl,
    streamKey: config.streamKey,
    onError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });
  return { queue, description: `Redis stream ${config.streamKey} at ${redactUrl(config.redisUrl)}` };
}

/**
 * Starts the given roles in this process on one database handle and one queue. `start` runs all three;
 * each service runs one. Stopping goes from the edge inwards: no new requests, no new slots, then the
 * workers finish their in-flight checks and write and ack their results, then queue and database close.
 */
export async function startRoles(
  roles: readonly Role[],
  config: Config,
  logger: Logger,
  regions: readonly string[],
): Promise<RunningSystem> {
  const { handle, release } = await openAndMigrate(config, logger);
  let queue: TaskQueue | undefined;
  let api: RunningApi | undefined;
  let producer: ProducerHandle | undefined;
  const workers: RegionWorkerHandle[] = [];

  const stop = async () => {
    await api?.close().catch((error: unknown) => logger.error({ err: error }, 'API did not close cleanly'));
    await producer?.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await queue?.close();
    await handle.close();
    release();
  };

  try {
    const needsQueue =
      roles.includes('producer') || roles.includes('worker') || config.redisUrl !== undefined;
    let queueDescription = 'none (new monitors wait for the producer)';
    if (needsQueue) ({ queue, description: queueDescription } = await openQueue(config, logger));
    if (roles.includes('worker')) {
      for (const region of regions) {
        workers.push(
          await startRegionWorker({
            region,
            db: handle.db,
            queue: queue!,
            config,
            logger: logger.child({ role: 'worker' }),
          }),
        );
      }
    }
    if (roles.includes('producer')) {
      producer = startProducer({
        db: handle.db,
        queue: queue!,
        config,
        logger: logger.child({ role: 'producer' }),
      });
    }
    if (roles.includes('api')) {
      const monitorEvents = queue ? directPush(queue) : undefined;
      api = await startApi({
        config,
        logger: logger.child({ role: 'api' }),
        database: handle,
        monitorEvents,
      });
    }
    logger.info(
      {
        roles,
        regions: roles.includes('worker') ? regions : undefined,
        database: handle.description,
        queue: queueDescription,
      },
      `Better Uptime running: ${roles.join(', ')}; database: ${handle.description}; queue: ${queueDescription}` +
        (api ? `; API ${api.address}, docs ${api.address}/docs` : ''),
    );
    return { stop, api };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
