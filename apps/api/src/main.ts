import { createLogger, loadConfigOrExit } from '@better-uptime/config';
import { startApi } from './start.js';

/** `npm run api`: the API as its own process. */
const config = loadConfigOrExit();
const logger = createLogger('api', config.logLevel);

try {
  const api = await startApi({ config, logger });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: finishing in-flight requests, then closing the database`);
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  logger.fatal({ err: error }, 'API failed to start');
  process.exit(1);
}
