import { createLogger, type ProbeConfig } from '@better-uptime/config';
import { startProbe } from '@better-uptime/worker';
import { stopOnSignals } from './signals.js';

/** The version a probe reports to the instance (shown on the probes page). */
export const PROBE_VERSION = '0.1.0';

/**
 * `better-uptime probe`: a remote region's checks, from any machine that can reach the instance over
 * HTTPS; no database, no Redis, no inbound port. Stops on SIGTERM after sending the results of the checks
 * in flight; exits 1 when the instance refuses the token.
 */
export function runProbe(config: ProbeConfig): void {
  const logger = createLogger('probe', config.logLevel);
  const client = startProbe(config, logger, {
    version: PROBE_VERSION,
    onRefused: () => void client.stop(0).finally(() => process.exit(1)),
  });
  stopOnSignals(logger, async () => {
    await client.stop();
    logger.info({ ...client.worker?.counters }, 'probe stopped');
  });
}
