import { probe } from '@better-uptime/checker';
import type { Logger, ProbeConfig } from '@better-uptime/config';
import { chooseClock } from '../region-worker.js';
import { ProbeClient } from './client.js';

/**
 * Starts a remote probe as `better-uptime probe` runs it: the real checker, the clock RESPONSE_CLOCK asks
 * for, connected to PROBE_SERVER with PROBE_TOKEN.
 */
export function startProbe(
  config: ProbeConfig,
  logger: Logger,
  options: { version: string; onRefused: () => void },
): ProbeClient {
  const client = new ProbeClient({
    server: config.server,
    token: config.token,
    reconnectMaxMs: config.reconnectMaxMs,
    concurrency: config.workerConcurrency,
    allowPrivateTargets: config.allowPrivateTargets,
    clock: chooseClock(config.responseClock, logger),
    probe,
    version: options.version,
    logger,
    onRefused: options.onRefused,
  });
  client.start();
  logger.info({ server: config.server }, 'probe started');
  return client;
}
