import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';

/**
 * Storage of monitor states, region states, incidents, their timelines and the outbox of events. The
 * rules that decide what to write live in @better-uptime/incidents; these statements only read and write.
 * Times cross as epoch milliseconds (numbers) on the way out and ISO text on the way in, the same on
 * PostgreSQL and PGlite.
 */

// Whole milliseconds, as JavaScript keeps them: a timestamp made by now() has microseconds, and a slot
// compared with it must not fall a fraction of a millisecond short.
export const ms = (expression: string) => sql.raw(`floor(extract(epoch FROM ${expression}) * 1000)::float8`);
export const msOrNull = (expression: string) =>
  sql.raw(
    `CASE WHEN ${expression} IS NULL THEN NULL ELSE floor(extract(epoch FROM ${expression}) * 1000)::float8 END`,
  );
export const ts = (epochMs: number) => sql`${new Date(epochMs).toISOString()}::timestamptz`;
const isoArray = (values: readonly (number | null)[]) =>
  sql.param(values.map((v) => (v === null ? null : new Date(v).toISOString())));

export interface MonitorStateRow {
  monitorId: string;
  state: string;
  since: number;
  retrying: boolean;
  openIncidentId: string | null;
  settledAt: number;
}

const monitorStateColumns = sql`monitor_id AS "monitorId", state, ${ms('since')} AS since, retrying,
  open_incident_id AS "openIncidentId", ${ms('settled_at')} AS "settledAt"`;

/**
 * Locks the state rows of these monitors, in id order (every writer locks in the same order, so writers of
 * overlapping monitors queue instead of deadlocking). Every path that changes a monitor's state takes this
 * lock first.
 */
export async function lockMonitorStates(
  tx: Database,
  monitorIds: readonly string[],
): Promise<MonitorStateRow[]> {
  if (monitorIds.length === 0) return [];
  return queryRows<MonitorStateRow>(
    tx,
    sql`SELECT ${monitorStateColumns} FROM monitor_states
        WHERE monitor_id = ANY(${sql.param([...monitorIds])}::uuid[])
        ORDER BY monitor_id FOR UPDATE`,
  );
}

export async function monitorStateOf(db: Database, monitorId: string): Promise<MonitorStateRow | null> {
  const [row] = await queryRows<MonitorStateRow>(
    db,
    sql`SELECT ${monitorStateColumns} FROM monitor_states WHERE monitor_id = ${monitorId}`,
  );
  return row ?? null;
}

/** What the state rules need of a monitor. */
export interface MonitorRules {
  id: string;
  userId: string;
  name: string;
  /** What is checked, as people read it (for http the URL). */
  target: string;
  /** The kind: a push kind is judged in its own region, whatever `regions` says. */
  kind: string;
  paused: boolean;
  regions: string[];
  intervalSeconds: number;
  failureThreshold: number;
  recoveryThreshold: number;
  regionQuorum: number | null;
  retryIntervalSeconds: number;
}

export async function monitorRules(tx: Database, monitorIds: readonly string[]): Promise<MonitorRules[]> {
  if (monitorIds.length === 0) return [];
  return queryRows<MonitorRules>(
    tx,
    sql`SELECT id, user_id AS "userId", name, target, kind, paused, regions, interval_seconds AS "intervalSeconds",
          failure_threshold AS "failureThreshold", recovery_threshold AS "recoveryThreshold",
          region_quorum AS "regionQuorum", retry_interval_seconds AS "retryIntervalSeconds"
        FROM monitors WHERE id = ANY(${sql.param([...monitorIds])}::uuid[])`,
  );
}

export interface RegionStateRow {
  monitorId: string;
  region: string;
  status: 'pending' | 'up' | 'down';
  since: number;
  failures: number;
  successes: number;
  streakStartedAt: number;
  lastSlotAt: number;
  lastReason: string | null;
  lastStatusCode: number | null;
  lastMessage: string | null;
  lastResponseMs: number | null;
}

export async function regionStatesOf(db: Database, monitorIds: readonly string[]): Promise<RegionStateRow[]> {
  if (monitorIds.length === 0) return [];
  return queryRows<RegionStateRow>(
    db,
    sql`SELECT monitor_id AS "monitorId", region, status, ${ms('since')} AS since, failures, successes,
          ${ms('streak_started_at')} AS "streakStartedAt", ${ms('last_slot_at')} AS "lastSlotAt",
          last_reason AS "lastReason", last_status_code AS "lastStatusCode", last_message AS "lastMessage",
          last_response_ms AS "lastResponseMs"
        FROM region_states WHERE monitor_id = ANY(${sql.param([...monitorIds])}::uuid[])
        ORDER BY monitor_id, region`,
  );
}

export async function saveRegionStates(tx: Database, rows: readonly RegionStateRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: RegionStateRow) => T) => sql.param(rows.map(pick));
  await tx.execute(sql`INSERT INTO region_states (monitor_id, region, status, since, failures, successes,
      streak_started_at, last_slot_at, last_reason, last_status_code, last_message, last_response_ms)
    SELECT * FROM unnest(
      ${column((r) => r.monitorId)}::uuid[], ${column((r) => r.region)}::text[], ${column((r) => r.status)}::text[],
      ${isoArray(rows.map((r) => r.since))}::timestamptz[], ${column((r) => r.failures)}::int[],
      ${column((r) => r.successes)}::int[], ${isoArray(rows.map((r) => r.streakStartedAt))}::timestamptz[],
      ${isoArray(rows.map((r) => r.lastSlotAt))}::timestamptz[], ${column((r) => r.lastReason)}::text[],
      ${column((r) => r.lastStatusCode)}::int[], ${column((r) => r.lastMessage)}::text[],
      ${column((r) => r.lastResponseMs)}::int[])
    ON CONFLICT (monitor_id, region) DO UPDATE SET status = excluded.status, since = excluded.since,
      failures = excluded.failures, successes = excluded.successes,
      streak_started_at = excluded.streak_started_at, last_slot_at = excluded.last_slot_at,
      last_reason = excluded.last_reason, last_status_code = excluded.last_status_code,
      last_message = excluded.last_message, last_response_ms = excluded.last_response_ms`);
}

/** Forgets a monitor's region states (all, or those of regions it no longer checks from). */
export async function deleteRegionStates(
  tx: Database,
  monitorId: string,
  keep: readonly string[] = [],
): Promise<void> {
  await tx.execute(sql`DELETE FROM region_states WHERE monitor_id = ${monitorId}
    AND NOT (region = ANY(${sql.param([...keep])}::text[]))`);
}

export async function saveMonitorStates(tx: Database, rows: readonly MonitorStateRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: MonitorStateRow) => T) => sql.param(rows.map(pick));
  await tx.execute(sql`UPDATE monitor_states AS s SET state = v.state, since = v.since, retrying = v.retrying,
      open_incident_id = v.open_incident_id, settled_at = v.settled_at
    FROM unnest(${column((r) => r.monitorId)}::uuid[], ${column((r) => r.state)}::text[],
      ${isoArray(rows.map((r) => r.since))}::timestamptz[], ${column((r) => r.retrying)}::boolean[],
      ${column((r) => r.openIncidentId)}::uuid[], ${isoArray(rows.map((r) => r.settledAt))}::timestamptz[])
      AS v(monitor_id, state, since, retrying, open_incident_id, settled_at)
    WHERE s.monitor_id = v.monitor_id`);
}

/**
 * Brings the next check of monitors that just started failing forward to `at` (never later than already
 * planned), so a failure is confirmed at the retry cadence instead of the interval.
 */
export async function bringNextCheckForward(
  tx: Database,
  changes: ReadonlyArray<{ monitorId: string; at: number }>,
): Promise<void> {
  if (changes.length === 0) return;
  await tx.execute(sql`UPDATE monitors AS m SET next_check_at = LEAST(m.next_check_at, v.at)
    FROM unnest(${sql.param(changes.map((c) => c.monitorId))}::uuid[], ${isoArray(changes.map((c) => c.at))}::timestamptz[])
      AS v(id, at)
    WHERE m.id = v.id`);
}

// ---------------------------------------------------------------------------------------------------
// Incidents
// ---------------------------------------------------------------------------------------------------

export interface IncidentRecord {
  id: string;
  monitorId: string;
  userId: string;
  status: 'open' | 'resolved';
  startedAt: number;
  confirmedAt: number;
  resolvedAt: number | null;
  resolution: string | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  cause: unknown;
}

const incidentColumns = sql`i.id, i.monitor_id AS "monitorId", i.user_id AS "userId", i.status,
  ${ms('i.started_at')} AS "startedAt", ${ms('i.confirmed_at')} AS "confirmedAt",
  ${msOrNull('i.resolved_at')} AS "resolvedAt", i.resolution, ${msOrNull('i.acknowledged_at')} AS "acknowledgedAt",
  i.acknowledged_by AS "acknowledgedBy", i.cause`;

export async function openIncident(
  tx: Database,
  incident: Pick<IncidentRecord, 'id' | 'monitorId' | 'userId' | 'startedAt' | 'cause'>,
): Promise<IncidentRecord> {
  const [row] = await queryRows<IncidentRecord>(
    tx,
    sql`WITH i AS (
          INSERT INTO incidents (id, monitor_id, user_id, status, started_at, confirmed_at, cause)
          VALUES (${incident.id}, ${incident.monitorId}, ${incident.userId}, 'open', ${ts(incident.startedAt)},
            now(), ${JSON.stringify(incident.cause)}::jsonb)
          RETURNING *)
        SELECT ${incidentColumns} FROM i`,
  );
  return row!;
}

export async function resolveIncident(
  tx: Database,
  id: string,
  resolvedAt: number | 'now',
  resolution: string,
): Promise<IncidentRecord | null> {
  const at = resolvedAt === 'now' ? sql`now()` : sql`GREATEST(${ts(resolvedAt)}, started_at)`;
  const [row] = await queryRows<IncidentRecord>(
    tx,
    sql`WITH i AS (
          UPDATE incidents SET status = 'resolved', resolved_at = ${at}, resolution = ${resolution}
          WHERE id = ${id} AND status = 'open' RETURNING *)
        SELECT ${incidentColumns} FROM i`,
  );
  return row ?? null;
}

/** A late result showed the outage began earlier than thought. */
export async function moveIncidentStart(tx: Database, id: string, startedAt: number): Promise<void> {
  await tx.execute(
    sql`UPDATE incidents SET started_at = LEAST(started_at, ${ts(startedAt)}) WHERE id = ${id}`,
  );
}

export interface IncidentView extends IncidentRecord {
  monitorName: string;
}

export async function findIncident(db: Database, userId: string, id: string): Promise<IncidentView | null> {
  const [row] = await queryRows<IncidentView>(
    db,
    sql`SELECT ${incidentColumns}, m.name AS "monitorName"
        FROM incidents i JOIN monitors m ON m.id = i.monitor_id
        WHERE i.id = ${id} AND i.user_id = ${userId}`,
  );
  return row ?? null;
}

export async function incidentsById(db: Database, ids: readonly string[]): Promise<IncidentRecord[]> {
  if (ids.length === 0) return [];
  return queryRows<IncidentRecord>(
    db,
    sql`SELECT ${incidentColumns} FROM incidents i WHERE i.id = ANY(${sql.param([...ids])}::uuid[])`,
  );
}

export interface IncidentFilter {
  status?: 'open' | 'resolved' | undefined;
  monitorId?: string | undefined;
  /** Keyset: incidents listed after this one (open first, then newest first). */
  after?: { open: boolean; id: string } | undefined;
  limit: number;
}

/**
 * A user's incidents, open ones first, each group newest first (ids are time ordered), a page at a time.
 * Served by the (user_id, id desc) index; an open incident is at most one per monitor.
 */
export async function listIncidents(
  db: Database,
  userId: string,
  filter: IncidentFilter,
): Promise<IncidentView[]> {
  const conditions: SQL[] = [sql`i.user_id = ${userId}`];
  if (filter.status) conditions.push(sql`i.status = ${filter.status}`);
  if (filter.monitorId) conditions.push(sql`i.monitor_id = ${filter.monitorId}`);
  if (filter.after) {
    const { open, id } = filter.after;
    conditions.push(
      open
        ? sql`((i.status = 'open' AND i.id < ${id}) OR i.status = 'resolved')`
        : sql`(i.status = 'resolved' AND i.id < ${id})`,
    );
  }
  return queryRows<IncidentView>(
    db,
    sql`SELECT ${incidentColumns}, m.name AS "monitorName"
        FROM incidents i JOIN monitors m ON m.id = i.monitor_id
        WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY (i.status = 'open') DESC, i.id DESC
        LIMIT ${filter.limit}`,
  );
}

/** Returns the incident after acknowledging it (once: a second acknowledgement keeps the first). */
export async function acknowledgeIncident(db: Database, userId: string, id: string): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, now()),
          acknowledged_by = COALESCE(acknowledged_by, ${userId})
        WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
  );
  return rows.length > 0;
}

// ---------------------------------------------------------------------------------------------------
// Timelines and the outbox
// ---------------------------------------------------------------------------------------------------

export interface StateChange {
  monitorId: string;
  region: string | null;
  incidentId: string | null;
  at: number;
  from: string;
  to: string;
  reason: string | null;
  statusCode: number | null;
  message: string | null;
}

export async function recordStateChanges(tx: Database, changes: readonly StateChange[]): Promise<void> {
  if (changes.length === 0) return;
  const column = <T>(pick: (row: StateChange) => T) => sql.param(changes.map(pick));
  await tx.execute(sql`INSERT INTO state_changes (monitor_id, region, incident_id, at, from_state, to_state, reason,
      status_code, message)
    SELECT * FROM unnest(${column((c) => c.monitorId)}::uuid[], ${column((c) => c.region)}::text[],
      ${column((c) => c.incidentId)}::uuid[], ${isoArray(changes.map((c) => c.at))}::timestamptz[],
      ${column((c) => c.from)}::text[], ${column((c) => c.to)}::text[], ${column((c) => c.reason)}::text[],
      ${column((c) => c.statusCode)}::int[], ${column((c) => c.message)}::text[])`);
}

/** Ties the changes that led to an incident (from its start on, not yet tied to one) to it. */
export async function attachChangesToIncident(
  tx: Database,
  monitorId: string,
  incidentId: string,
  from: number,
) {
  await tx.execute(sql`UPDATE state_changes SET incident_id = ${incidentId}
    WHERE monitor_id = ${monitorId} AND incident_id IS NULL AND at >= ${ts(from)}`);
}

export type TimelineEntry = Omit<StateChange, 'monitorId' | 'incidentId'>;

export async function incidentTimeline(db: Database, incidentId: string): Promise<TimelineEntry[]> {
  return queryRows<TimelineEntry>(
    db,
    sql`SELECT region, ${ms('at')} AS at, from_state AS "from", to_state AS "to", reason,
          status_code AS "statusCode", message
        FROM state_changes WHERE incident_id = ${incidentId} ORDER BY at, id`,
  );
}

export interface OutboxEvent {
  id: string;
  userId: string;
  monitorId: string | null;
  incidentId: string | null;
  type: string;
  payload: unknown;
}

/**
 * Writes events to the outbox and, in the same statement, one delivery per channel linked to each event's
 * monitor: fan-out happens exactly once, with the event, however the process dies afterwards.
 */
export async function enqueueEvents(tx: Database, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  const column = <T>(pick: (row: OutboxEvent) => T) => sql.param(events.map(pick));
  await tx.execute(sql`WITH e AS (
      INSERT INTO events (id, user_id, monitor_id, incident_id, type, payload)
      SELECT * FROM unnest(${column((e) => e.id)}::uuid[], ${column((e) => e.userId)}::uuid[],
        ${column((e) => e.monitorId)}::uuid[], ${column((e) => e.incidentId)}::uuid[], ${column((e) => e.type)}::text[],
        ${column((e) => JSON.stringify(e.payload))}::jsonb[])
      RETURNING id, monitor_id)
    INSERT INTO deliveries (event_id, channel_id)
    SELECT e.id, mc.channel_id FROM e JOIN monitor_channels mc ON mc.monitor_id = e.monitor_id`);
}

export async function eventsOf(
  db: Database,
  userId: string,
): Promise<Array<OutboxEvent & { createdAt: number }>> {
  return queryRows(
    db,
    sql`SELECT id, user_id AS "userId", monitor_id AS "monitorId", incident_id AS "incidentId", type, payload,
          ${ms('created_at')} AS "createdAt"
        FROM events WHERE user_id = ${userId} ORDER BY id`,
  );
}

/** Whether a good check of the region is stored strictly between two slots (a late result's streak check). */
export async function upBetween(
  tx: Database,
  monitorId: string,
  region: string,
  from: number,
  to: number,
): Promise<boolean> {
  const rows = await queryRows<{ found: boolean }>(
    tx,
    sql`SELECT EXISTS (SELECT 1 FROM check_results WHERE monitor_id = ${monitorId} AND region = ${region}
          AND scheduled_at > ${ts(from)} AND scheduled_at < ${ts(to)} AND status = 'Up') AS found`,
  );
  return rows[0]?.found === true;
}
