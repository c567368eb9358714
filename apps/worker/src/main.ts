import { createLogger, loadConfigOrExit } from '@better-uptime/config';
import { migrateDatabase, openDatabase } from '@better-uptime/db';
import { createRedisTaskQueue } from '@better-uptime/redis-stream';
import { startRegionWorker } from './region-worker.js';

const config = loadConfigOrExit();
const logger = createLogger('worker', config.logLevel);
if (!config.region) {
  console.error(
    `Configuration error: REGION is required for a worker: one of ${config.regions.join(', ')} (e.g. REGION=usa npm run worker)`,
  );
  process.exit(1);
}
if (!config.redisUrl) {
  console.error(
    'Configuration error: REDIS_URL is required for a standalone worker (npm start runs everything in one process without Redis)',
  );
  process.exit(1);
}
const region = config.region;

const handle = openDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  onPoolError: (error) => logger.warn({ err: error }, 'database connection error'),
});
await migrateDatabase(handle, config.databaseUrl);
const queue = await createRedisTaskQueue({
  url: config.redisUrl,
  streamKey: config.streamKey,
  onError: (error) => logger.warn({ err: error }, 'redis connection error'),
});
const worker = await startRegionWorker({ region, db: handle.db, queue, config, logger });
logger.info({ database: handle.description, stream: config.streamKey }, 'worker ready');

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down: finishing in-flight checks');
  await worker.stop();
  await queue.close();
  await handle.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
