import { and, eq, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import {
  type MonitorAlertSettings,
  type MonitorCheckSettings,
  monitors,
  type MonitorRow,
} from '../schema.js';
import { lockMonitorStates } from './incidents.js';
import { deleteResultsOf, isoText } from './results.js';

/** The user-editable settings of a monitor (everything but identity, ownership and timestamps). */
export type MonitorSettings = Omit<MonitorCheckSettings, 'userId'> &
  MonitorAlertSettings &
  Pick<MonitorRow, 'name' | 'paused' | 'target' | 'publicBadges' | 'tags'>;

export type NewMonitor = MonitorSettings & { id: string; userId: string; nextCheckAt: Date };

export async function insertMonitor(db: Database, monitor: NewMonitor): Promise<MonitorRow> {
  const [row] = await db.insert(monitors).values(monitor).returning();
  if (!row) throw new Error('INSERT ... RETURNING returned no row');
  return row;
}

/**
 * Inserts a monitor unless its owner already has `maxPerUser` of them (0: no limit); null at the limit.
 * The owner's row is locked first (FOR NO KEY UPDATE, which the foreign-key checks of other writes do not
 * wait for), so concurrent creates of one user count one after another and never overshoot.
 */
export async function insertMonitorWithinQuota(
  db: Database,
  monitor: NewMonitor,
  maxPerUser: number,
): Promise<MonitorRow | null> {
  if (maxPerUser === 0) return insertMonitor(db, monitor);
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database;
    await t.execute(sql`SELECT 1 FROM users WHERE id = ${monitor.userId} FOR NO KEY UPDATE`);
    // A statement of its own: its snapshot is taken after the lock, so it sees the creates it waited for.
    const [row] = await queryRows<{ monitors: number }>(
      t,
      sql`SELECT count(*)::int AS monitors FROM monitors WHERE user_id = ${monitor.userId}`,
    );
    if (row && row.monitors >= maxPerUser) return null;
    return insertMonitor(t, monitor);
  });
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
  state: 'pending' | 'up' | 'down' | 'maintenance' | 'paused';
  stateSince: string;
  openIncidentId: string | null;
};

/** A listed monitor: with its notification settings, read in the same query. */
export type MonitorListView = MonitorView & {
  /** The channels told of its events, by id. */
  channelIds: string[];
  /** 0: no reminders. */
  reminderIntervalMinutes: number;
};

/** A monitor with its confirmed state (monitor_states). */
export type MonitorWithState = MonitorRow & {
  state: MonitorView['state'];
  stateSince: Date;
  openIncidentId: string | null;
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
): Promise<MonitorListView[]> {
  // The page's monitors first, then their state, channels and reminder joined to those rows once: per-row
  // subqueries cost a third of the statement (BENCHMARKS.md, section 5).
  return queryRows<MonitorListView>(
    db,
    sql`WITH page AS (
          SELECT * FROM monitors
          WHERE user_id = ${userId} ${beforeId === undefined ? sql`` : sql`AND id < ${beforeId}`}
          ORDER BY id DESC
          LIMIT ${limit}
        ),
        channels AS (
          SELECT mc.monitor_id, array_agg(mc.channel_id::text ORDER BY mc.channel_id) AS ids
          FROM monitor_channels mc JOIN page p ON p.id = mc.monitor_id
          GROUP BY mc.monitor_id
        )
        SELECT m.id, m.name, m.kind, m.settings, m.target, m.interval_seconds AS "intervalSeconds",
          m.timeout_ms AS "timeoutMs", m.regions, m.paused, m.public_badges AS "publicBadges",
          m.failure_threshold AS "failureThreshold", m.recovery_threshold AS "recoveryThreshold",
          m.region_quorum AS "regionQuorum", m.retry_interval_seconds AS "retryIntervalSeconds", m.tags,
          COALESCE(s.state, CASE WHEN m.paused THEN 'paused' ELSE 'pending' END) AS state,
          ${isoText(sql`COALESCE(s.since, m.created_at)`)} AS "stateSince",
          s.open_incident_id AS "openIncidentId",
          COALESCE(c.ids, '{}'::text[]) AS "channelIds",
          COALESCE(r.interval_minutes, 0) AS "reminderIntervalMinutes",
          ${isoText(sql`m.next_check_at`)} AS "nextCheckAt",
          ${isoText(sql`m.created_at`)} AS "createdAt",
          ${isoText(sql`m.updated_at`)} AS "updatedAt"
        FROM page m
        LEFT JOIN monitor_states s ON s.monitor_id = m.id
        LEFT JOIN channels c ON c.monitor_id = m.id
        LEFT JOIN monitor_reminders r ON r.monitor_id = m.id
        ORDER BY m.id DESC`,
    { prepared: true },
  );
}

/**
 * Applies `changes` to the user's monitor and returns the updated row, or null when there is no such
 * monitor for this user. `changes` may be a function of the current row (settings merged over the stored
 * ones). The monitor's state row is locked first and then the monitor's row (the order
 * every state writer keeps), while `plan` decides from the current row whether the next check moves (it
 * returns the new time, or undefined to keep it; it may throw to refuse the change). `afterUpdate` runs in
 * the same transaction with the row before and after, to settle the monitor's state.
 */
export async function updateMonitor(
  db: Database,
  userId: string,
  id: string,
  changes: Partial<MonitorSettings> | ((current: MonitorRow) => Partial<MonitorSettings>),
  plan: (current: MonitorRow, changes: Partial<MonitorSettings>) => Date | undefined,
  afterUpdate?: (tx: Database, before: MonitorRow, after: MonitorRow) => Promise<void>,
): Promise<MonitorRow | null> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database;
    await lockMonitorStates(t, [id]);
    const [current] = await tx
      .select()
      .from(monitors)
      .where(and(eq(monitors.id, id), eq(monitors.userId, userId)))
      .for('no key update');
    if (!current) return null;
    const change = typeof changes === 'function' ? changes(current) : changes;
    const nextCheckAt = plan(current, change);
    const [row] = await tx
      .update(monitors)
      .set({ ...change, ...(nextCheckAt ? { nextCheckAt } : {}), updatedAt: sql`now()` })
      .where(eq(monitors.id, id))
      .returning();
    if (row && afterUpdate) await afterUpdate(t, current, row);
    return row ?? null;
  });
}

/** The user's monitor with its state, or null. */
export async function findMonitorWithState(
  db: Database,
  userId: string,
  id: string,
): Promise<MonitorWithState | null> {
  const monitor = await findMonitor(db, userId, id);
  if (!monitor) return null;
  return withState(db, monitor);
}

/** Adds the monitor's confirmed state to its row. */
export async function withState(db: Database, monitor: MonitorRow): Promise<MonitorWithState> {
  const [state] = await queryRows<{
    state: MonitorView['state'];
    since: string;
    openIncidentId: string | null;
  }>(
    db,
    sql`SELECT state, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS since, open_incident_id AS "openIncidentId"
        FROM monitor_states WHERE monitor_id = ${monitor.id}`,
  );
  return {
    ...monitor,
    state: state?.state ?? (monitor.paused ? 'paused' : 'pending'),
    stateSince: state ? new Date(state.since) : monitor.createdAt,
    openIncidentId: state?.openIncidentId ?? null,
  };
}

/**
 * Returns false when the user has no such monitor. Its results are deleted first in bounded batches
 * (deleteResultsOf): the ON DELETE CASCADE alone would remove millions of rows in one long statement.
 * The cascade still removes the few results workers store while the batches run.
 */
export async function deleteMonitor(
  db: Database,
  userId: string,
  id: string,
  beforeDelete?: (tx: Database, monitor: MonitorRow) => Promise<void>,
): Promise<boolean> {
  if (!(await monitorBelongsTo(db, userId, id))) return false;
  await deleteResultsOf(db, { monitorId: id });
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database;
    // The state row first, as every state writer locks it; then the monitor, whose delete cascades.
    await lockMonitorStates(t, [id]);
    const monitor = await findMonitor(t, userId, id);
    if (!monitor) return false;
    if (beforeDelete) await beforeDelete(t, monitor);
    const rows = await tx
      .delete(monitors)
      .where(and(eq(monitors.id, id), eq(monitors.userId, userId)))
      .returning({ id: monitors.id });
    return rows.length > 0;
  });
}

/** A monitor whose owner made its badges public, with its stored state; null for any other id. */
export async function findPublicBadgeMonitor(
  db: Database,
  id: string,
): Promise<{ id: string; userId: string; state: MonitorView['state'] } | null> {
  const [row] = await queryRows<{ id: string; userId: string; state: MonitorView['state'] }>(
    db,
    sql`SELECT m.id, m.user_id AS "userId",
          COALESCE(s.state, CASE WHEN m.paused THEN 'paused' ELSE 'pending' END) AS state
        FROM monitors m LEFT JOIN monitor_states s ON s.monitor_id = m.id
        WHERE m.id = ${id} AND m.public_badges`,
  );
  return row ?? null;
}
