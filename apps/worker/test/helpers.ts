import { sql } from 'drizzle-orm';
import pino from 'pino';
import { type Database, queryRows } from '@better-uptime/db';
import type { CheckTask } from '@better-uptime/redis-stream';
import { monitorKind, withDefaults } from '@better-uptime/checker';
import { seedMonitor } from '@better-uptime/testing';

const httpKind = monitorKind('http')!;

export const silentLogger = pino({ level: 'silent' });

export interface MonitorFields {
  url: string;
  intervalSeconds?: number;
  regions?: string[];
  expectedStatus?: string[];
  timeoutMs?: number;
}

/** Inserts a paused monitor (so no scheduler picks it up) and returns the task for one of its slots. */
export async function seedMonitorTask(
  db: Database,
  userId: string,
  fields: MonitorFields,
  scheduledAt = Date.now(),
): Promise<CheckTask> {
  const settings = withDefaults(httpKind, {
    url: fields.url,
    ...(fields.expectedStatus ? { expectedStatus: fields.expectedStatus } : {}),
  });
  const task: Omit<CheckTask, 'monitorId'> = {
    userId,
    kind: 'http',
    settings,
    scheduledAt,
    intervalSeconds: fields.intervalSeconds ?? 60,
    timeoutMs: fields.timeoutMs ?? 5_000,
    regions: fields.regions ?? [],
  };
  const { intervalSeconds, regions } = task;
  const monitorId = await seedMonitor(db, userId, { settings, intervalSeconds, regions, paused: true });
  return { monitorId, ...task };
}

export interface StoredResult {
  monitor_id: string;
  region: string;
  scheduled_at: Date;
  status: 'Up' | 'Down';
  reason: string | null;
  status_code: number | null;
}

export async function storedResults(db: Database, monitorIds: string[]): Promise<StoredResult[]> {
  return queryRows<StoredResult>(
    db,
    sql`SELECT monitor_id, region, scheduled_at, status, reason, status_code FROM check_results
        WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[]) ORDER BY monitor_id, region, scheduled_at`,
  );
}

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
