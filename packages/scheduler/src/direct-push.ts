import type { MonitorRow } from '@better-uptime/db';
import type { TaskQueue } from '@better-uptime/redis-stream';
import { taskFor } from './tasks.js';

/**
 * The seed's direct push: a monitor just created or edited gets a check at once instead of waiting for its
 * next slot. The API calls these; the producer keeps the regular schedule either way.
 */
export function directPush(queue: TaskQueue): {
  created(monitor: MonitorRow): Promise<void>;
  updated(monitor: MonitorRow): Promise<void>;
} {
  const push = async (monitor: MonitorRow) => {
    if (!monitor.paused) await queue.publish([taskFor(monitor, Date.now())]);
  };
  return { created: push, updated: push };
}
