import { createLogger, loadConfigOrExit } from '@better-uptime/config';
import { migrateDatabase } from '../migrate.js';
import { openDatabase } from '../client.js';

const config = loadConfigOrExit();
const logger = createLogger('migrate', config.logLevel);
const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  await migrateDatabase(handle, config.databaseUrl);
  logger.info({ database: handle.description }, 'migrations applied');
} catch (error) {
  logger.error({ err: error, database: handle.description }, 'migration failed');
  process.exitCode = 1;
} finally {
  await handle.close();
}
