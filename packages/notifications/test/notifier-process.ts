/**
 * A notifier in a process of its own, configured from the environment as the producer's is, for tests that
 * kill it mid-send.
 */
import { channelSecretBox, createLogger, loadConfig } from '@better-uptime/config';
import { openDatabase } from '@better-uptime/db';
import { Notifier } from '../src/index.js';

const config = loadConfig();
const handle = await openDatabase({ databaseUrl: config.databaseUrl, poolSize: 2 });
const notifier = new Notifier({
  db: handle.db,
  settings: config.notifications,
  allowPrivateTargets: config.allowPrivateTargets,
  secrets: channelSecretBox([config.secretsKey!]),
  logger: createLogger('notifier', config.logLevel),
});
notifier.start();
