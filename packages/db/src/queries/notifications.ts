import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { enqueueEvents, ms, msOrNull, type OutboxEvent } from './incidents.js';

/**
 * Storage of notification channels, their links to monitors, and the deliveries the notifiers send. What to
 * send and when is decided in @better-uptime/notifications; these statements only read and write. Times
 * cross as epoch milliseconds.
 */

export interface ChannelRecord {
  id: string;
  userId: string;
  type: string;
  name: string;
  config: Record<string, unknown>;
  secret: string;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface LastOutcome {
  outcome: 'delivered' | 'retry' | 'failed';
  at: number;
  statusCode: number | null;
  error: string | null;
}

const channelColumns = sql`c.id, c.user_id AS "userId", c.type, c.name, c.config, c.secret,
  c.is_default AS "isDefault", ${ms('c.created_at')} AS "createdAt", ${ms('c.updated_at')} AS "updatedAt"`;

export async function insertChannel(
  db: Database,
  channel: Omit<ChannelRecord, 'createdAt' | 'updatedAt'>,
): Promise<ChannelRecord> {
  const [row] = await queryRows<ChannelRecord>(
    db,
    sql`WITH c AS (
          INSERT INTO channels (id, user_id, type, name, config, secret, is_default)
          VALUES (${channel.id}, ${channel.userId}, ${channel.type}, ${channel.name},
            ${JSON.stringify(channel.config)}::jsonb, ${channel.secret}, ${channel.isDefault})
          RETURNING *)
        SELECT ${channelColumns} FROM c`,
  );
  return row!;
}

/** A user's channels, oldest first, each with the outcome of its latest attempt. */
export async function listChannels(
  db: Database,
  userId: string,
): Promise<Array<ChannelRecord & { lastOutcome: LastOutcome | null }>> {
  return queryRows(
    db,
    sql`SELECT ${channelColumns},
          (SELECT json_build_object('outcome', a.outcome, 'at', ${ms('a.at')}, 'statusCode', a.status_code,
                    'error', a.error)
             FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id
             WHERE d.channel_id = c.id ORDER BY d.id DESC, a.id DESC LIMIT 1) AS "lastOutcome"
        FROM channels c WHERE c.user_id = ${userId} ORDER BY c.id`,
  );
}

export async function findChannel(db: Database, userId: string, id: string): Promise<ChannelRecord | null> {
  const [row] = await queryRows<ChannelRecord>(
    db,
    sql`SELECT ${channelColumns} FROM channels c WHERE c.id = ${id} AND c.user_id = ${userId}`,
  );
  return row ?? null;
}

export async function updateChannel(
  db: Database,
  userId: string,
  id: string,
  changes: { name: string; config: Record<string, unknown>; isDefault: boolean },
): Promise<ChannelRecord | null> {
  const [row] = await queryRows<ChannelRecord>(
    db,
    sql`WITH c AS (
          UPDATE channels SET name = ${changes.name}, config = ${JSON.stringify(changes.config)}::jsonb,
            is_default = ${changes.isDefault}, updated_at = now()
          WHERE id = ${id} AND user_id = ${userId} RETURNING *)
        SELECT ${channelColumns} FROM c`,
  );
  return row ?? null;
}

export async function deleteChannel(db: Database, userId: string, id: string): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`DELETE FROM channels WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
  );
  return rows.length > 0;
}

/** A channel's secret-holding columns as stored (sealed, or in the clear from before sealing). */
export interface StoredChannelSecrets {
  id: string;
  type: string;
  config: Record<string, unknown>;
  secret: string;
}

/**
 * Channels' stored secrets, a page at a time: newest first, or by id after `afterId`. With `onlyClear`,
 * only rows whose signing secret is not sealed (every secret of a row is sealed in the same write, so
 * that marks a row written before sealing).
 */
export async function storedChannelSecrets(
  db: Database,
  options: { onlyClear: boolean; limit: number; afterId?: string | undefined; ascending?: boolean },
): Promise<StoredChannelSecrets[]> {
  const conditions = [
    options.onlyClear ? sql`secret NOT LIKE 'v1.%'` : sql`true`,
    options.afterId === undefined ? sql`true` : sql`id > ${options.afterId}`,
  ];
  return queryRows<StoredChannelSecrets>(
    db,
    sql`SELECT id, type, config, secret FROM channels WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY id ${options.ascending ? sql`ASC` : sql`DESC`} LIMIT ${options.limit}`,
  );
}

/**
 * In a transaction, first: keeps other writers and sealing passes out until it ends (SHARE ROW EXCLUSIVE
 * conflicts with itself and with writes, not with reads). LOCK TABLE takes no snapshot while it waits.
 */
export async function lockChannelsForSealing(tx: Database): Promise<void> {
  await tx.execute(sql`LOCK TABLE channels IN SHARE ROW EXCLUSIVE MODE`);
}

/** The current transaction's id (64-bit, as text), to compare running transactions and snapshots with. */
export async function currentTransactionId(tx: Database): Promise<string> {
  const [row] = await queryRows<{ xid: string }>(tx, sql`SELECT pg_current_xact_id()::text AS xid`);
  return row!.xid;
}

/**
 * Whether a rewrite now would still keep the row versions the given (committed) transaction replaced: it
 * keeps every version that the oldest snapshot it must respect could read. That horizon is held back by
 * another session of this database whose snapshot predates the transaction (a long query, autovacuum's
 * ANALYZE), and by any transaction of the whole server, whatever its database, that began before it and
 * still runs: every snapshot taken meanwhile, the rewrite's own included, counts it as in progress. The
 * first shows in pg_stat_activity; the second in the current snapshot's xmin, which needs no privilege.
 */
export async function olderTransactionsRunning(db: Database, xid: string): Promise<boolean> {
  const [row] = await queryRows<{ running: boolean }>(
    db,
    sql`SELECT pg_snapshot_xmin(pg_current_snapshot()) <= ${xid}::xid8
          OR EXISTS (SELECT 1 FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()
                       AND backend_xmin IS NOT NULL AND age(backend_xmin) >= age(${xid}::xid8::xid)) AS running`,
  );
  return row!.running;
}

/** Rewrites the channels table, so no page keeps a replaced row version (VACUUM FULL; outside a transaction). */
export async function rewriteChannels(db: Database): Promise<void> {
  await db.execute(sql`VACUUM (FULL) channels`);
}

/** Replaces a channel's config and secret if both are still as read; false when it changed meanwhile. */
export async function replaceChannelSecrets(
  db: Database,
  before: StoredChannelSecrets,
  after: { config: Record<string, unknown>; secret: string },
): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`UPDATE channels SET config = ${JSON.stringify(after.config)}::jsonb, secret = ${after.secret}
        WHERE id = ${before.id} AND secret = ${before.secret} AND config = ${JSON.stringify(before.config)}::jsonb
        RETURNING id`,
  );
  return rows.length > 0;
}

/**
 * Replaces a monitor's channels with these (only the user's own: an id of someone else's links nothing),
 * or, with `'defaults'`, links the user's default channels.
 */
export async function setMonitorChannels(
  tx: Database,
  userId: string,
  monitorId: string,
  channelIds: readonly string[] | 'defaults',
): Promise<void> {
  await tx.execute(sql`DELETE FROM monitor_channels WHERE monitor_id = ${monitorId}`);
  const which =
    channelIds === 'defaults' ? sql`is_default` : sql`id = ANY(${sql.param([...channelIds])}::uuid[])`;
  await tx.execute(sql`INSERT INTO monitor_channels (monitor_id, channel_id)
    SELECT ${monitorId}, id FROM channels WHERE user_id = ${userId} AND ${which}`);
}

/** 0 turns reminders off. */
export async function setMonitorReminder(tx: Database, monitorId: string, minutes: number): Promise<void> {
  if (minutes === 0) {
    await tx.execute(sql`DELETE FROM monitor_reminders WHERE monitor_id = ${monitorId}`);
    return;
  }
  await tx.execute(sql`INSERT INTO monitor_reminders (monitor_id, interval_minutes) VALUES (${monitorId}, ${minutes})
    ON CONFLICT (monitor_id) DO UPDATE SET interval_minutes = excluded.interval_minutes`);
}

export interface MonitorNotificationSettings {
  channelIds: string[];
  reminderIntervalMinutes: number;
}

export async function monitorNotificationSettings(
  db: Database,
  monitorId: string,
): Promise<MonitorNotificationSettings> {
  const [row] = await queryRows<MonitorNotificationSettings>(
    db,
    sql`SELECT ARRAY(SELECT channel_id::text FROM monitor_channels WHERE monitor_id = ${monitorId}
                     ORDER BY channel_id) AS "channelIds",
          COALESCE((SELECT interval_minutes FROM monitor_reminders WHERE monitor_id = ${monitorId}), 0)
            AS "reminderIntervalMinutes"`,
  );
  return row!;
}

// ---------------------------------------------------------------------------------------------------
// Deliveries
// ---------------------------------------------------------------------------------------------------

/** A claimed delivery with what sending it needs: the event and the channel. */
export interface ClaimedDelivery {
  id: number;
  attempts: number;
  createdAt: number;
  eventId: string;
  eventType: string;
  userId: string;
  payload: Record<string, unknown>;
  channel: Pick<ChannelRecord, 'id' | 'type' | 'name' | 'config' | 'secret'>;
}

const claimedColumns = sql`d.id::float8 AS id, d.attempts, ${ms('d.created_at')} AS "createdAt",
  e.id AS "eventId", e.type AS "eventType", e.user_id AS "userId", e.payload,
  json_build_object('id', c.id, 'type', c.type, 'name', c.name, 'config', c.config, 'secret', c.secret) AS channel`;

export interface ClaimOptions {
  limit: number;
  /** At most this many deliveries of one channel per claim. */
  perChannel: number;
  /** Channels this notifier already has enough of in flight. */
  skipChannels: readonly string[];
  leaseMs: number;
  /** Event types whose deliveries wait `holdMs` after they were made (so a burst can be grouped). */
  heldTypes: readonly string[];
  holdMs: number;
}

/**
 * Leases due deliveries: pending, their next attempt due, not leased by a live notifier, and no earlier
 * delivery of the same channel and monitor still pending (messages about one monitor arrive in order).
 * Candidates are picked first (at most `perChannel` per channel, oldest first), then locked with SKIP
 * LOCKED, so concurrent notifiers take disjoint rows; the lease brings a row back if its notifier dies
 * mid-send.
 */
export async function claimDeliveries(db: Database, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  // Channels with due work first, then each one's oldest few: a channel with thousands waiting takes only
  // its share, never the places of the others.
  return queryRows<ClaimedDelivery>(
    db,
    sql`WITH due_channels AS (
          SELECT DISTINCT d.channel_id FROM deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND NOT (d.channel_id = ANY(${sql.param([...options.skipChannels])}::uuid[]))
          LIMIT 10000),
        candidates AS (
          SELECT x.id FROM due_channels dc CROSS JOIN LATERAL (
            SELECT d.id, d.next_attempt_at FROM deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.channel_id = dc.channel_id AND d.status = 'pending' AND d.next_attempt_at <= now()
              AND (d.leased_until IS NULL OR d.leased_until < now())
              AND (d.attempts > 0 OR NOT (e.type = ANY(${sql.param([...options.heldTypes])}::text[]))
                   OR d.created_at <= now() - make_interval(secs => ${options.holdMs / 1000}))
              -- In order per channel and monitor: a resolve never overtakes its trigger.
              AND NOT EXISTS (
                SELECT 1 FROM deliveries p JOIN events pe ON pe.id = p.event_id
                WHERE p.channel_id = d.channel_id AND p.id < d.id AND p.status = 'pending'
                  AND pe.monitor_id = e.monitor_id)
            ORDER BY d.next_attempt_at, d.id LIMIT ${options.perChannel}) x
          ORDER BY x.next_attempt_at LIMIT ${options.limit}),
        locked AS (
          SELECT d.id FROM deliveries d
          WHERE d.id IN (SELECT id FROM candidates) AND d.status = 'pending'
            AND (d.leased_until IS NULL OR d.leased_until < now())
          FOR UPDATE SKIP LOCKED),
        d AS (
          UPDATE deliveries SET leased_until = now() + make_interval(secs => ${options.leaseMs / 1000}),
            attempts = attempts + 1
          WHERE id IN (SELECT id FROM locked) RETURNING *)
        SELECT ${claimedColumns} FROM d JOIN events e ON e.id = d.event_id JOIN channels c ON c.id = d.channel_id
        ORDER BY d.id`,
  );
}

/**
 * Leases a channel's other pending deliveries of these event types (due or held), for a grouped message
 * with `claimed` (already this batch's): none whose earlier delivery about the same monitor is in flight
 * elsewhere, so a group never overtakes it.
 */
export async function claimGroup(
  db: Database,
  channelId: string,
  types: readonly string[],
  leaseMs: number,
  limit: number,
  claimed: readonly number[],
): Promise<ClaimedDelivery[]> {
  return queryRows<ClaimedDelivery>(
    db,
    sql`WITH locked AS (
          SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id
          WHERE d.channel_id = ${channelId} AND d.status = 'pending'
            AND (d.leased_until IS NULL OR d.leased_until < now())
            AND e.type = ANY(${sql.param([...types])}::text[])
            AND NOT EXISTS (
              SELECT 1 FROM deliveries p JOIN events pe ON pe.id = p.event_id
              WHERE p.channel_id = d.channel_id AND p.id < d.id AND p.status = 'pending'
                AND p.leased_until >= now() AND pe.monitor_id = e.monitor_id
                AND NOT (p.id = ANY(${sql.param([...claimed])}::bigint[])))
          ORDER BY d.id LIMIT ${limit}
          FOR UPDATE OF d SKIP LOCKED),
        d AS (
          UPDATE deliveries SET leased_until = now() + make_interval(secs => ${leaseMs / 1000}),
            attempts = attempts + 1
          WHERE id IN (SELECT id FROM locked) RETURNING *)
        SELECT ${claimedColumns} FROM d JOIN events e ON e.id = d.event_id JOIN channels c ON c.id = d.channel_id
        ORDER BY d.id`,
  );
}

/** Leases one delivery (the API's test send), whatever its due time. */
export async function claimDelivery(
  db: Database,
  id: number,
  leaseMs: number,
): Promise<ClaimedDelivery | null> {
  const [row] = await queryRows<ClaimedDelivery>(
    db,
    sql`WITH d AS (
          UPDATE deliveries SET leased_until = now() + make_interval(secs => ${leaseMs / 1000}),
            attempts = attempts + 1
          WHERE id = ${id} AND status = 'pending' RETURNING *)
        SELECT ${claimedColumns} FROM d JOIN events e ON e.id = d.event_id JOIN channels c ON c.id = d.channel_id`,
  );
  return row ?? null;
}

export interface AttemptRecord {
  outcome: 'delivered' | 'retry' | 'failed';
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** For a retry: when to try again. */
  nextAttemptAt?: number;
}

/** Records one attempt on each delivery a message carried and moves them on (delivered, retry later, failed). */
export async function recordAttempt(
  db: Database,
  deliveryIds: readonly number[],
  attempt: AttemptRecord,
): Promise<void> {
  if (deliveryIds.length === 0) return;
  const ids = sql.param([...deliveryIds]);
  const status = attempt.outcome === 'retry' ? 'pending' : attempt.outcome;
  const next =
    attempt.nextAttemptAt === undefined
      ? sql`next_attempt_at`
      : sql`${new Date(attempt.nextAttemptAt).toISOString()}::timestamptz`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`INSERT INTO delivery_attempts (delivery_id, outcome, status_code, latency_ms, error, grouped)
      SELECT unnest(${ids}::bigint[]), ${attempt.outcome}, ${attempt.statusCode}::int, ${Math.round(attempt.latencyMs)},
        ${attempt.error}::text, ${deliveryIds.length}`);
    await tx.execute(sql`UPDATE deliveries SET status = ${status}, leased_until = NULL, next_attempt_at = ${next},
        last_status_code = ${attempt.statusCode}::int, last_error = ${attempt.error}::text,
        delivered_at = ${attempt.outcome === 'delivered' ? sql`now()` : sql`NULL`}
      WHERE id = ANY(${ids}::bigint[])`);
  });
}

/** How many distinct monitors of the user changed state (events of these types) since `since`. */
export async function stateChangesSince(
  db: Database,
  userId: string,
  types: readonly string[],
  since: number,
): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(DISTINCT monitor_id)::int AS n FROM events
        WHERE user_id = ${userId} AND created_at > ${new Date(since).toISOString()}::timestamptz
          AND type = ANY(${sql.param([...types])}::text[])`,
  );
  return row?.n ?? 0;
}

export interface DeliveryView {
  id: number;
  eventId: string;
  eventType: string;
  channelId: string;
  channelName: string;
  channelType: string;
  incidentId: string | null;
  monitorId: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  createdAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  history: Array<{
    at: number;
    outcome: string;
    statusCode: number | null;
    latencyMs: number;
    error: string | null;
    grouped: number;
  }>;
}

const deliveryViewColumns = sql`d.id::float8 AS id, d.event_id AS "eventId", e.type AS "eventType",
  d.channel_id AS "channelId", c.name AS "channelName", c.type AS "channelType", e.incident_id AS "incidentId",
  e.monitor_id AS "monitorId", d.status, d.attempts,
  CASE WHEN d.status = 'pending' THEN ${ms('d.next_attempt_at')} ELSE NULL END AS "nextAttemptAt",
  ${msOrNull('d.delivered_at')} AS "deliveredAt", ${ms('d.created_at')} AS "createdAt",
  d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
  COALESCE((SELECT json_agg(json_build_object('at', ${ms('a.at')}, 'outcome', a.outcome,
              'statusCode', a.status_code, 'latencyMs', a.latency_ms, 'error', a.error, 'grouped', a.grouped)
              ORDER BY a.id)
            FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS history`;

/** A channel's deliveries, newest first, a page at a time (keyset on the id). */
export async function channelDeliveries(
  db: Database,
  channelId: string,
  { limit, beforeId }: { limit: number; beforeId?: number | undefined },
): Promise<DeliveryView[]> {
  return queryRows<DeliveryView>(
    db,
    sql`SELECT ${deliveryViewColumns}
        FROM deliveries d JOIN events e ON e.id = d.event_id JOIN channels c ON c.id = d.channel_id
        WHERE d.channel_id = ${channelId} ${beforeId === undefined ? sql`` : sql`AND d.id < ${beforeId}`}
        ORDER BY d.id DESC LIMIT ${limit}`,
  );
}

/** Every delivery of an incident's events (opened, reminders, resolved), in order. */
export async function incidentDeliveries(db: Database, incidentId: string): Promise<DeliveryView[]> {
  return queryRows<DeliveryView>(
    db,
    sql`SELECT ${deliveryViewColumns}
        FROM events e JOIN deliveries d ON d.event_id = e.id JOIN channels c ON c.id = d.channel_id
        WHERE e.incident_id = ${incidentId} ORDER BY d.id`,
  );
}

/** A test event for one channel, with its delivery; returns the delivery's id. */
export async function enqueueTestEvent(db: Database, event: OutboxEvent, channelId: string): Promise<number> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database;
    await enqueueEvents(t, [event]);
    const [row] = await queryRows<{ id: number }>(
      t,
      sql`INSERT INTO deliveries (event_id, channel_id) VALUES (${event.id}, ${channelId}) RETURNING id::float8 AS id`,
    );
    return row!.id;
  });
}

// ---------------------------------------------------------------------------------------------------
// Reminders and certificates
// ---------------------------------------------------------------------------------------------------

export interface ReminderDue {
  incidentId: string;
  intervalMinutes: number;
}

/** Open, unacknowledged incidents whose monitor asks for reminders and whose last one (or opening) is due. */
export async function dueReminders(db: Database, limit: number): Promise<ReminderDue[]> {
  return queryRows<ReminderDue>(
    db,
    sql`SELECT i.id AS "incidentId", r.interval_minutes AS "intervalMinutes"
        FROM incidents i JOIN monitor_reminders r ON r.monitor_id = i.monitor_id
        LEFT JOIN incident_reminders ir ON ir.incident_id = i.id
        WHERE i.status = 'open' AND i.acknowledged_at IS NULL
          AND COALESCE(ir.sent_at, i.confirmed_at) <= now() - make_interval(mins => r.interval_minutes)
        LIMIT ${limit}`,
  );
}

/**
 * Takes the reminder of this interval for the incident: true for exactly one caller however many notifiers
 * race (the conditional upsert re-checks the time under the row lock), and only while it is still open
 * and unacknowledged.
 */
export async function takeReminder(
  tx: Database,
  incidentId: string,
  intervalMinutes: number,
): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`INSERT INTO incident_reminders AS ir (incident_id, sent_at)
        SELECT i.id, now() FROM incidents i
        WHERE i.id = ${incidentId} AND i.status = 'open' AND i.acknowledged_at IS NULL
          AND i.confirmed_at <= now() - make_interval(mins => ${intervalMinutes})
        ON CONFLICT (incident_id) DO UPDATE SET sent_at = excluded.sent_at
          WHERE ir.sent_at <= now() - make_interval(mins => ${intervalMinutes})
        RETURNING ir.incident_id AS id`,
  );
  return rows.length > 0;
}

export interface CertificateSeen {
  monitorId: string;
  userId: string;
  name: string;
  url: string;
  expiresAt: number;
}

/**
 * The certificate expiry of each unpaused monitor's newest check of the last two days (any kind that
 * records one: https, tls, tcp over TLS), for those expiring between now and `before`: one probe of the
 * (monitor, time) index per monitor.
 */
export async function certificatesExpiringBefore(db: Database, before: number): Promise<CertificateSeen[]> {
  return queryRows<CertificateSeen>(
    db,
    sql`SELECT m.id AS "monitorId", m.user_id AS "userId", m.name, m.target AS url, ${ms('c.expires_at')} AS "expiresAt"
        FROM monitors m
        CROSS JOIN LATERAL (
          SELECT r.cert_expires_at AS expires_at FROM check_results r
          WHERE r.monitor_id = m.id AND r.scheduled_at > now() - interval '2 days'
          ORDER BY r.scheduled_at DESC LIMIT 1) c
        WHERE NOT m.paused AND c.expires_at > now() AND c.expires_at < ${new Date(before).toISOString()}::timestamptz`,
  );
}

/** Marks these thresholds of a certificate as told; returns those no one had marked before. */
export async function takeCertificateThresholds(
  tx: Database,
  monitorId: string,
  expiresAt: number,
  thresholds: readonly number[],
): Promise<number[]> {
  if (thresholds.length === 0) return [];
  const rows = await queryRows<{ days: number }>(
    tx,
    sql`INSERT INTO certificate_notices (monitor_id, expires_at, threshold_days)
        SELECT ${monitorId}, ${new Date(expiresAt).toISOString()}::timestamptz, unnest(${sql.param([...thresholds])}::int[])
        ON CONFLICT DO NOTHING RETURNING threshold_days AS days`,
  );
  return rows.map((r) => r.days);
}
