import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { type MonitorCheckSettings, monitors, type MonitorRow } from '../schema.js';
import { deleteMonitorChecks } from './results.js';

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
 * One page of a user's monitors, newest first. Ids are UUIDv7 (time ordered), so the id alone is a
 * stable keyset: the next page is everything with a smaller id, served by the (user_id, id) index.
 */
export async function listMonitors(
  db: Database,
  userId: string,
  { limit, beforeId }: { limit: number; beforeId?: string | undefined },
): Promise<MonitorRow[]> {
  return db
    .select()
    .from(monitors)
    .where(
      beforeId === undefined
        ? eq(monitors.userId, userId)
        : and(eq(monitors.userId, userId), lt(monitors.id, beforeId)),
    )
    .orderBy(desc(monitors.id))
    .limit(limit);
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
