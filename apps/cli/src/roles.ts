import { apiSessionTimeouts, type RunningApi, startApi } from '@better-uptime/api';
import {
  channelSecretBox,
  type Config,
  type Logger,
  redactUrl,
  resolveSecretsKeys,
} from '@better-uptime/config';
import { sealStoredChannelSecrets } from '@better-uptime/notifications';
import { type DatabaseHandle, metricsQueries, migrateDatabase, openDatabase } from '@better-uptime/db';
import { createMetrics, type Metrics, type MetricsServer, startMetricsServer } from '@better-uptime/metrics';
import { type ProducerHandle, startProducer } from '@better-uptime/producer';
import { createRedisTaskQueue, MemoryTaskQueue, type TaskQueue } from '@better-uptime/redis-stream';
import { type DirectPush, directPush } from '@better-uptime/scheduler';
import { type RegionWorkerHandle, startRegionWorker } from '@better-uptime/worker';
import { lockDataDir } from './data-dir-lock.js';

export type Role = 'api' | 'producer' | 'worker';

export interface RunningSystem {
  stop(): Promise<void>;
  api?: RunningApi;
  /** This process's metrics: every role's series in one registry. */
  metrics: Metrics;
  /** The METRICS_PORT server, when set. */
  metricsServer?: MetricsServer;
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
    commandTimeoutMs: config.redisCommandTimeoutMs,
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
  // The API seals channel secrets and the producer's notifier opens them: both need the keys, which are
  // settled (or refused) before anything is opened.
  const secretsKeys =
    roles.includes('api') || roles.includes('producer')
      ? await resolveSecretsKeys(config, { singleProcess: roles.length === 3 })
      : undefined;
  const { handle, release } = await openAndMigrate(config, logger);
  let queue: TaskQueue | undefined;
  let api: RunningApi | undefined;
  let push: DirectPush | undefined;
  let apiDatabase: DatabaseHandle | undefined;
  let producer: ProducerHandle | undefined;
  let metricsServer: MetricsServer | undefined;
  const workers: RegionWorkerHandle[] = [];
  const metrics = createMetrics();
  if (handle.pool) metrics.watchPool('main', handle.pool);

  const stop = async () => {
    await metricsServer?.close();
    await api?.close().catch((error: unknown) => logger.error({ err: error }, 'API did not close cleanly'));
    await push?.close();
    await apiDatabase?.close();
    await producer?.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await queue?.close();
    await handle.close();
    release();
  };

  try {
    // Whichever of API and producer starts first seals the channel rows stored in the clear.
    if (secretsKeys) {
      await sealStoredChannelSecrets(handle.db, channelSecretBox(secretsKeys), {
        rotating: config.secretsKeyPrevious !== undefined,
        logger,
      });
    }
    const needsQueue =
      roles.includes('producer') || roles.includes('worker') || config.redisUrl !== undefined;
    let queueDescription = 'none (new monitors wait for the producer)';
    if (needsQueue) ({ queue, description: queueDescription } = await openQueue(config, logger));
    if (queue && (roles.includes('producer') || roles.includes('worker'))) {
      const watched = queue;
      metrics.watchQueue(roles.includes('producer') ? config.regions : regions, (region) =>
        watched.stats(region),
      );
    }
    if (roles.includes('worker')) {
      for (const region of regions) {
        workers.push(
          await startRegionWorker({
            region,
            db: handle.db,
            queue: queue!,
            config,
            logger: logger.child({ role: 'worker' }),
            metrics,
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
        secretsKeys: secretsKeys!,
        metrics,
      });
    }
    if (roles.includes('api')) {
      const apiLogger = logger.child({ role: 'api' });
      push = queue
        ? directPush(queue, {
            onFailure: (error, waiting) =>
              apiLogger.warn({ err: error, waiting }, 'direct push failed; retrying until the queue answers'),
            onRecovered: (published) => apiLogger.info({ published }, 'direct push caught up'),
          })
        : undefined;
      // On a server, the API's sessions of its own, whose statements wait for locks and run only so long;
      // the producer's and workers' long maintenance and bulk writes are not bound by the API's limits.
      apiDatabase = config.databaseUrl
        ? await openDatabase({
            databaseUrl: config.databaseUrl,
            sessionTimeouts: apiSessionTimeouts(config),
            onPoolError: (error) => apiLogger.warn({ err: error }, 'idle database connection failed'),
          })
        : undefined;
      // The database-wide series come with the API, the process every deployment has and scrapes.
      const apiDb = (apiDatabase ?? handle).db;
      if (apiDatabase?.pool) metrics.watchPool('api', apiDatabase.pool);
      metrics.watchOpenIncidents(() => metricsQueries.openIncidentCount(apiDb));
      if (config.metrics.perMonitor) metrics.watchMonitors(() => metricsQueries.monitorGauges(apiDb));
      api = await startApi({
        config,
        logger: apiLogger,
        database: apiDatabase ?? handle,
        monitorEvents: push,
        secretsKeys,
        queue,
        metrics,
      });
    }
    if (config.metrics.port !== undefined) {
      metricsServer = await startMetricsServer({
        metrics,
        host: config.host,
        port: config.metrics.port,
        token: config.metrics.token,
      });
    }
    logger.info(
      {
        roles,
        regions: roles.includes('worker') ? regions : undefined,
        database: handle.description,
        queue: queueDescription,
        metrics: metricsServer?.address,
      },
      `Better Uptime running: ${roles.join(', ')}; database: ${handle.description}; queue: ${queueDescription}` +
        (api ? `; API ${api.address}, docs ${api.address}/docs` : '') +
        (metricsServer ? `; metrics ${metricsServer.address}/metrics` : ''),
    );
    return { stop, api, metrics, metricsServer };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
