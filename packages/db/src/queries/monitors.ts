import { and, eq, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { type MonitorCheckSettings, monitors, type MonitorRow } from '../schema.js';
import { deleteMonitorChecks, isoText } from './results.js';

/** The user-editable settings of a monitor (everything but identity, ownership and timestamps). */
export type MonitorSettings = MonitorCheckSettings & Pick<MonitorRow, 'name' | 'paused'>;

export type NewMonitor = MonitorSettings & { id: string; userId: string; nextCheckAt: Date };

export async function insertMonitor(db: Database, monitor: NewMonitor): Promise<MonitorRow> {
  const [row] = await db.insert(monitors).values(monitor).returning();
  if (!row) throw new Error('INSERT ... RETURNING returned no row');
  return row;
}

/** Every lookup is scoped by owner: another user's monitor is indistinguishable from a missing one. */
export async function findMonitor(db: Database, userId: string, id: string): Promise<MonitorRow | null> {
  const [row] = await db
    .select()
    .from(monitors)
    .where(and(eq(monitors.id, id), eq(monitors.userId, userId)))
    .limit(1);
  return row ?? null;
}

export async function monitorBelongsTo(db: Database, userId: string, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: monitors.id })
    .from(monitors)
    .where(and(eq(monitors.id, id), eq(monitors.userId, userId)))
    .limit(1);
  return row !== undefined;
}

/**
 * A monitor as the API lists it: its public fields only (no owner) and its timestamps as ISO 8601 text
 * (UTC, milliseconds), the same text as `Date.prototype.toISOString()`.
 */
export type MonitorView = Omit<MonitorRow, 'userId' | 'nextCheckAt' | 'createdAt' | 'updatedAt'> & {
  nextCheckAt: string;
  createdAt: string;
  updatedAt: string;
};

/**
 * One page of a user's monitors, newest first, as the API answers it. Ids are UUIDv7 (time ordered), so
 * the id alone is a stable keyset: the next page is everything with a smaller id, served by the
 * (user_id, id) index. Plain rows in the answer's shape, timestamps formatted by the database: mapping rows
 * column by column through drizzle and turning text into Dates and back into text was most of the CPU of
 * listing 100 monitors.
 */
export async function listMonitorViews(
  db: Database,
  userId: string,
  { limit, beforeId }: { limit: number; beforeId?: string | undefined },
): Promise<MonitorView[]> {
  return queryRows<MonitorView>(
    db,
    sql`SELECT id, name, url, interval_seconds AS "intervalSeconds", timeout_ms AS "timeoutMs", method,
          expected_status AS "expectedStatus", keyword, keyword_mode AS "keywordMode",
          follow_redirects AS "followRedirects", regions, paused,
          ${isoText(monitors.nextCheckAt)} AS "nextCheckAt", ${isoText(monitors.createdAt)} AS "createdAt",
          ${isoText(monitors.updatedAt)} AS "updatedAt"
        FROM monitors
        WHERE user_id = ${userId} ${beforeId === undefined ? sql`` : sql`AND id < ${beforeId}`}
        ORDER BY id DESC
        LIMIT ${limit}`,
    { prepared: true },
  );
}

/**
 * Applies `changes` to the user's monitor and returns the updated row, or null when there is no such
 * monitor for this user. The row is locked while `reschedule` decides, from the current row, whether the
 * next check moves (it returns the new time, or undefined to keep it).
 */
export async function updateMonitor(
  db: Database,
  userId: string,
  id: string,
  changes: Partial<MonitorSettings>,
  reschedule: (current: MonitorRow) => Date | undefined,
): Promise<MonitorRow | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(monitors)
      .where(and(eq(monitors.id, id), eq(monitors.userId, userId)))
      .for('update');
    if (!current) return null;
    const nextCheckAt = reschedule(current);
    const [row] = await tx
      .update(monitors)
      .set({ ...changes, ...(nextCheckAt ? { nextCheckAt } : {}), updatedAt: sql`now()` })
      .where(eq(monitors.id, id))
      .returning();
    return row ?? null;
  });
}

/**
 * Returns false when the user has no such monitor. Its results are deleted first in bounded batches
 * (deleteMonitorChecks): the ON DELETE CASCADE alone would remove millions of rows in one long statement.
 * The cascade still removes the few results workers store while the batches run.
 */
export async function deleteMonitor(db: Database, userId: string, id: string): Promise<boolean> {
  if (!(await monitorBelongsTo(db, userId, id))) return false;
  await deleteMonitorChecks(db, id);
  const rows = await db
    .delete(monitors)
    .where(and(eq(monitors.id, id), eq(monitors.userId, userId)))
    .returning({ id: monitors.id });
  return rows.length > 0;
}
