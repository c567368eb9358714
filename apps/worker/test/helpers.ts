import { sql } from 'drizzle-orm';
import pino from 'pino';
import { type Database, newId, queryRows } from '@better-uptime/db';
import type { CheckTask } from '@better-uptime/redis-stream';

export const silentLogger = pino({ level: 'silent' });

export interface MonitorFields {
  url: string;
  intervalSeconds?: number;
  regions?: string[];
  expectedStatus?: string[];
  timeoutMs?: number;
}

export async function seedUser(db: Database): Promise<string> {
  const id = newId();
  await db.execute(
    sql`INSERT INTO users (id, email, name, password_hash) VALUES (${id}, ${id + '@x.test'}, 'u', 'h')`,
  );
  return id;
}

/** Inserts a paused monitor (so no scheduler picks it up) and returns the task for one of its slots. */
export async function seedMonitorTask(
  db: Database,
  userId: string,
  fields: MonitorFields,
  scheduledAt = Date.now(),
): Promise<CheckTask> {
  const id = newId();
  const task: CheckTask = {
    monitorId: id,
    url: fields.url,
    scheduledAt,
    intervalSeconds: fields.intervalSeconds ?? 60,
    timeoutMs: fields.timeoutMs ?? 5_000,
    method: 'GET',
    expectedStatus: fields.expectedStatus ?? ['200-299'],
    keyword: null,
    keywordMode: 'present',
    followRedirects: true,
    regions: fields.regions ?? [],
  };
  await db.execute(sql`INSERT INTO monitors (id, user_id, name, url, interval_seconds, regions, paused)
    VALUES (${id}, ${userId}, 'm', ${task.url}, ${task.intervalSeconds}, ${sql.param(task.regions)}::text[], true)`);
  return task;
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
