import { createLogger, loadConfigOrExit } from '@better-uptime/config';
import { migrateDatabase, openDatabase } from '@better-uptime/db';
import { createRedisTaskQueue } from '@better-uptime/redis-stream';
import { Scheduler } from '@better-uptime/scheduler';

const config = loadConfigOrExit();
const logger = createLogger('producer', config.logLevel);
if (!config.redisUrl) {
  console.error(
    'Configuration error: REDIS_URL is required for a standalone producer (npm start runs everything in one process without Redis)',
  );
  process.exit(1);
}

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
const scheduler = new Scheduler({
  db: handle.db,
  queue,
  logger,
  tickMs: config.producerTickMs,
  leadMs: config.scheduleLeadMs,
});
scheduler.start();
logger.info(
  { database: handle.description, stream: config.streamKey, tickMs: config.producerTickMs },
  'producer started',
);

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down');
  await scheduler.stop();
  await queue.close();
  await handle.close();
  logger.info(scheduler.counters, 'producer stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
