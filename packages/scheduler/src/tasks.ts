import type { MonitorCheckSettings } from '@better-uptime/db';
import type { CheckTask } from '@better-uptime/redis-stream';

/** The message for one slot of one monitor: everything the worker needs, so it never reads the database. */
export function taskFor(monitor: MonitorCheckSettings & { id: string }, scheduledAt: number): CheckTask {
  return {
    monitorId: monitor.id,
    url: monitor.url,
    scheduledAt,
    intervalSeconds: monitor.intervalSeconds,
    timeoutMs: monitor.timeoutMs,
    method: monitor.method,
    expectedStatus: [...monitor.expectedStatus],
    keyword: monitor.keyword,
    keywordMode: monitor.keywordMode,
    followRedirects: monitor.followRedirects,
    regions: [...monitor.regions],
  };
}
