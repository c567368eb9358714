import { and, desc, eq, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { newId } from '../ids.js';
import { uuidArray } from '../rollups.js';
import { type INCIDENT_UPDATE_STATUSES, statusPages } from '../schema.js';

export interface StatusPageSection {
  name: string;
  monitors: { monitorId: string; displayName: string }[];
}

/** Which figures a status page shows. */
export interface StatusPageShow {
  uptimeBars: boolean;
  uptimePercent: boolean;
  incidents: boolean;
  maintenance: boolean;
}

export interface StatusPageFields {
  slug: string;
  title: string;
  description: string;
  sections: StatusPageSection[];
  show: StatusPageShow;
  published: boolean;
  customDomain: string | null;
}

export interface StatusPageRecord extends StatusPageFields {
  id: string;
  userId: string;
  createdAt: Date;
  updatedAt: Date;
}

const asRecord = (row: typeof statusPages.$inferSelect): StatusPageRecord => ({
  ...row,
  sections: row.sections as StatusPageSection[],
  show: row.show as StatusPageShow,
});

export async function insertStatusPage(
  db: Database,
  page: StatusPageFields & { id: string; userId: string },
): Promise<StatusPageRecord> {
  const [row] = await db.insert(statusPages).values(page).returning();
  return asRecord(row!);
}

export async function listStatusPages(db: Database, userId: string): Promise<StatusPageRecord[]> {
  const rows = await db
    .select()
    .from(statusPages)
    .where(eq(statusPages.userId, userId))
    .orderBy(desc(statusPages.id));
  return rows.map(asRecord);
}

export async function findStatusPage(
  db: Database,
  userId: string,
  id: string,
): Promise<StatusPageRecord | null> {
  const [row] = await db
    .select()
    .from(statusPages)
    .where(and(eq(statusPages.id, id), eq(statusPages.userId, userId)));
  return row ? asRecord(row) : null;
}

export async function replaceStatusPage(
  db: Database,
  userId: string,
  id: string,
  fields: StatusPageFields,
): Promise<StatusPageRecord | null> {
  const [row] = await db
    .update(statusPages)
    .set({ ...fields, updatedAt: new Date() })
    .where(and(eq(statusPages.id, id), eq(statusPages.userId, userId)))
    .returning();
  return row ? asRecord(row) : null;
}

export async function deleteStatusPage(db: Database, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(statusPages)
    .where(and(eq(statusPages.id, id), eq(statusPages.userId, userId)))
    .returning({ id: statusPages.id });
  return rows.length > 0;
}

/** A published page by its slug, or by the custom domain it is served at; null otherwise. */
export async function findPublishedPage(
  db: Database,
  by: { slug: string } | { customDomain: string },
): Promise<StatusPageRecord | null> {
  const where =
    'slug' in by
      ? eq(statusPages.slug, by.slug)
      : eq(statusPages.customDomain, by.customDomain.toLowerCase());
  const [row] = await db
    .select()
    .from(statusPages)
    .where(and(where, eq(statusPages.published, true)));
  return row ? asRecord(row) : null;
}

/** The stored state of each of the user's monitors among `ids`. */
export async function monitorStates(
  db: Database,
  userId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows<{ id: string; state: string }>(
    db,
    sql`SELECT m.id, COALESCE(s.state, CASE WHEN m.paused THEN 'paused' ELSE 'pending' END) AS state
        FROM monitors m LEFT JOIN monitor_states s ON s.monitor_id = m.id
        WHERE m.user_id = ${userId} AND m.id = ANY(${uuidArray(ids)})`,
  );
  return new Map(rows.map((r) => [r.id, r.state]));
}

export interface PageIncident {
  id: string;
  monitorId: string;
  status: 'open' | 'resolved';
  startedAt: number;
  resolvedAt: number | null;
  reason: string | null;
}

/** Incidents of the user's monitors among `ids` that are open or started at `sinceMs` or later, newest first. */
export async function pageIncidents(
  db: Database,
  userId: string,
  ids: readonly string[],
  sinceMs: number,
): Promise<PageIncident[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{
    id: string;
    monitor_id: string;
    status: 'open' | 'resolved';
    started_at: number;
    resolved_at: number | null;
    reason: string | null;
  }>(
    db,
    sql`SELECT id, monitor_id, status, (extract(epoch FROM started_at) * 1000)::float8 AS started_at,
               (extract(epoch FROM resolved_at) * 1000)::float8 AS resolved_at, cause->>'reason' AS reason
        FROM incidents
        WHERE user_id = ${userId}
          AND monitor_id = ANY(${uuidArray(ids)})
          AND (status = 'open' OR started_at >= ${new Date(sinceMs).toISOString()}::timestamptz)
        ORDER BY started_at DESC
        LIMIT 200`,
  );
  return rows.map((r) => ({
    id: r.id,
    monitorId: r.monitor_id,
    status: r.status,
    startedAt: Number(r.started_at),
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    reason: r.reason,
  }));
}

export type IncidentUpdateStatus = (typeof INCIDENT_UPDATE_STATUSES)[number];

export interface IncidentUpdate {
  id: string;
  incidentId: string;
  status: IncidentUpdateStatus;
  message: string;
  createdAt: number;
}

const updateColumns = sql`id, incident_id AS "incidentId", status, message,
  (extract(epoch FROM created_at) * 1000)::float8 AS "createdAt"`;

/** Adds an update to one of the user's incidents; null when the incident is not theirs (or missing). */
export async function addIncidentUpdate(
  db: Database,
  userId: string,
  incidentId: string,
  update: { status: IncidentUpdateStatus; message: string },
): Promise<IncidentUpdate | null> {
  const [row] = await queryRows<IncidentUpdate>(
    db,
    sql`INSERT INTO incident_updates (id, incident_id, user_id, status, message)
        SELECT ${newId()}, i.id, ${userId}, ${update.status}, ${update.message}
        FROM incidents i WHERE i.id = ${incidentId} AND i.user_id = ${userId}
        RETURNING ${updateColumns}`,
  );
  return row ? { ...row, createdAt: Number(row.createdAt) } : null;
}

/** The updates of these incidents, oldest first. */
export async function incidentUpdates(
  db: Database,
  incidentIds: readonly string[],
): Promise<IncidentUpdate[]> {
  if (incidentIds.length === 0) return [];
  const rows = await queryRows<IncidentUpdate>(
    db,
    sql`SELECT ${updateColumns} FROM incident_updates
        WHERE incident_id = ANY(${uuidArray(incidentIds)}) ORDER BY created_at, id`,
  );
  return rows.map((r) => ({ ...r, createdAt: Number(r.createdAt) }));
}
