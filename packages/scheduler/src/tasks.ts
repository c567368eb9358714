import type { MonitorCheckSettings } from '@better-uptime/db';
import type { CheckTask } from '@better-uptime/redis-stream';

/** The message for one slot of one monitor: everything the worker needs, so it never reads the database. */
export function taskFor(
  monitor: MonitorCheckSettings & { id: string; userId: string },
  scheduledAt: number,
): CheckTask {
  return {
    monitorId: monitor.id,
    userId: monitor.userId,
    kind: monitor.kind,
    settings: monitor.settings,
    scheduledAt,
    intervalSeconds: monitor.intervalSeconds,
    timeoutMs: monitor.timeoutMs,
    regions: [...monitor.regions],
  };
}
