import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';

/** Maintenance windows and the monitors they cover; every lookup is scoped by owner. */

const ms = (expression: string) =>
  sql.raw(
    `CASE WHEN ${expression} IS NULL THEN NULL ELSE (extract(epoch FROM ${expression}) * 1000)::float8 END`,
  );
const tsOrNull = (epochMs: number | null) =>
  epochMs === null ? sql`NULL::timestamptz` : sql`${new Date(epochMs).toISOString()}::timestamptz`;

export interface WindowFields {
  name: string;
  startsAt: number | null;
  endsAt: number | null;
  weeklyDays: number[] | null;
  weeklyTime: string | null;
  durationMinutes: number | null;
  timeZone: string;
}

export interface WindowRecord extends WindowFields {
  id: string;
  monitorIds: string[];
  createdAt: number;
  updatedAt: number;
}

const windowColumns = sql`w.id, w.name, ${ms('w.starts_at')} AS "startsAt", ${ms('w.ends_at')} AS "endsAt",
  w.weekly_days AS "weeklyDays", w.weekly_time AS "weeklyTime", w.duration_minutes AS "durationMinutes",
  w.time_zone AS "timeZone", ${ms('w.created_at')} AS "createdAt", ${ms('w.updated_at')} AS "updatedAt",
  COALESCE((SELECT array_agg(wm.monitor_id::text ORDER BY wm.monitor_id) FROM maintenance_window_monitors wm
            WHERE wm.window_id = w.id), '{}') AS "monitorIds"`;

/** A window's rule and the monitor it covers, from maintenance_windows w joined with its monitors wm. */
const coveringColumns = sql`wm.monitor_id AS "monitorId", w.name, ${ms('w.starts_at')} AS "startsAt",
  ${ms('w.ends_at')} AS "endsAt", w.weekly_days AS "weeklyDays", w.weekly_time AS "weeklyTime",
  w.duration_minutes AS "durationMinutes", w.time_zone AS "timeZone"`;

/** The windows covering each of these monitors (a monitor id per row, one row per window and monitor). */
export async function windowsForMonitors(
  db: Database,
  monitorIds: readonly string[],
): Promise<Array<WindowFields & { monitorId: string }>> {
  if (monitorIds.length === 0) return [];
  return queryRows(
    db,
    sql`SELECT ${coveringColumns}
        FROM maintenance_window_monitors wm JOIN maintenance_windows w ON w.id = wm.window_id
        WHERE wm.monitor_id = ANY(${sql.param([...monitorIds])}::uuid[])`,
  );
}

/** Every window with each monitor it covers (a row per window and monitor), for the rollups. */
export async function everyWindow(db: Database): Promise<Array<WindowFields & { monitorId: string }>> {
  return queryRows(
    db,
    sql`SELECT ${coveringColumns}
        FROM maintenance_windows w JOIN maintenance_window_monitors wm ON wm.window_id = w.id`,
  );
}

/** Every window of a user with each monitor it covers (a row per window and monitor). */
export async function windowsOfUser(
  db: Database,
  userId: string,
): Promise<Array<WindowFields & { monitorId: string }>> {
  return queryRows(
    db,
    sql`SELECT ${coveringColumns}
        FROM maintenance_windows w JOIN maintenance_window_monitors wm ON wm.window_id = w.id
        WHERE w.user_id = ${userId}`,
  );
}

export async function insertWindow(
  db: Database,
  window: WindowFields & { id: string; userId: string; monitorIds: readonly string[] },
): Promise<WindowRecord> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database;
    await t.execute(sql`INSERT INTO maintenance_windows (id, user_id, name, starts_at, ends_at, weekly_days,
        weekly_time, duration_minutes, time_zone)
      VALUES (${window.id}, ${window.userId}, ${window.name}, ${tsOrNull(window.startsAt)}, ${tsOrNull(window.endsAt)},
        ${window.weeklyDays === null ? null : sql.param(window.weeklyDays)}::int[], ${window.weeklyTime},
        ${window.durationMinutes}::int, ${window.timeZone})`);
    await setWindowMonitors(t, window.id, window.monitorIds);
    return (await findWindow(t, window.userId, window.id))!;
  });
}

async function setWindowMonitors(
  tx: Database,
  windowId: string,
  monitorIds: readonly string[],
): Promise<void> {
  await tx.execute(sql`DELETE FROM maintenance_window_monitors WHERE window_id = ${windowId}`);
  if (monitorIds.length === 0) return;
  await tx.execute(sql`INSERT INTO maintenance_window_monitors (window_id, monitor_id)
    SELECT ${windowId}, unnest(${sql.param([...monitorIds])}::uuid[]) ON CONFLICT DO NOTHING`);
}

export async function findWindow(db: Database, userId: string, id: string): Promise<WindowRecord | null> {
  const [row] = await queryRows<WindowRecord>(
    db,
    sql`SELECT ${windowColumns} FROM maintenance_windows w WHERE w.id = ${id} AND w.user_id = ${userId}`,
  );
  return row ?? null;
}

export async function listWindows(
  db: Database,
  userId: string,
  { limit, beforeId }: { limit: number; beforeId?: string | undefined },
): Promise<WindowRecord[]> {
  return queryRows<WindowRecord>(
    db,
    sql`SELECT ${windowColumns} FROM maintenance_windows w
        WHERE w.user_id = ${userId} ${beforeId === undefined ? sql`` : sql`AND w.id < ${beforeId}`}
        ORDER BY w.id DESC LIMIT ${limit}`,
  );
}

/** Replaces a window's fields and monitors; null when the user has no such window. */
export async function replaceWindow(
  db: Database,
  userId: string,
  id: string,
  window: WindowFields & { monitorIds: readonly string[] },
): Promise<WindowRecord | null> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database;
    const updated = await queryRows<{ id: string }>(
      t,
      sql`UPDATE maintenance_windows SET name = ${window.name}, starts_at = ${tsOrNull(window.startsAt)},
            ends_at = ${tsOrNull(window.endsAt)},
            weekly_days = ${window.weeklyDays === null ? null : sql.param(window.weeklyDays)}::int[],
            weekly_time = ${window.weeklyTime}, duration_minutes = ${window.durationMinutes}::int,
            time_zone = ${window.timeZone}, updated_at = now()
          WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
    );
    if (updated.length === 0) return null;
    await setWindowMonitors(t, id, window.monitorIds);
    return findWindow(t, userId, id);
  });
}

export async function deleteWindow(db: Database, userId: string, id: string): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`DELETE FROM maintenance_windows WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
  );
  return rows.length > 0;
}
