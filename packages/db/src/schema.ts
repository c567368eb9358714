import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** The TOTP seed, encrypted by the API (pending until totp_enabled_at is set). */
    totpSecret: text('totp_secret'),
    totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
    /** The last time step whose code was accepted: a code works once. */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
    /** SHA-256 of each unused recovery code. */
    totpRecoveryHashes: text('totp_recovery_hashes')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
  },
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)],
);

/** One row per login; a JWT names its session so logout can revoke it before the token expires. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** The client's User-Agent at login (at most 256 characters), so a user can tell sessions apart. */
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const apiKeyScope = pgEnum('api_key_scope', ['read', 'write']);

/**
 * API keys for scripts and integrations: `Authorization: Bearer bu_...`. Only a SHA-256 of the key is
 * stored (the key is 256 random bits, so a fast hash is as good as a slow one); `prefix` is its first
 * characters, for people to tell keys apart.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    scope: apiKeyScope('scope').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_key').on(t.keyHash), index('api_keys_user_idx').on(t.userId)],
);

export const monitors = pgTable(
  'monitors',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The monitor kind (http, tcp, ...): the checker's registry defines each and its settings. */
    kind: text('kind').notNull(),
    /** The kind's own settings, as the checker's schema of the kind says (defaults filled in). */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
    /** What is checked, as people read it (the URL, host:port), written from the settings by the kind. */
    target: text('target').notNull(),
    intervalSeconds: integer('interval_seconds').notNull().default(180),
    timeoutMs: integer('timeout_ms').notNull().default(30000),
    /** Regions to check from; empty means every configured region. */
    regions: text('regions')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    paused: boolean('paused').notNull().default(false),
    /** Consecutive failed checks before a region counts as down. */
    failureThreshold: integer('failure_threshold').notNull().default(2),
    /** Consecutive good checks before a down region counts as up again. */
    recoveryThreshold: integer('recovery_threshold').notNull().default(2),
    /** Regions that must be down to open an incident; null means a majority of the monitor's regions. */
    regionQuorum: integer('region_quorum'),
    /** The cadence of checks while a region is failing or an incident is open. */
    retryIntervalSeconds: integer('retry_interval_seconds').notNull().default(10),
    /** The owner lets anyone fetch this monitor's status, uptime and response badges. */
    publicBadges: boolean('public_badges').notNull().default(false),
    /** The owner's labels (migration 0009): the overview filters and groups by them. */
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    nextCheckAt: timestamp('next_check_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Migration 0009 adds INCLUDE (name, target, paused, tags), which drizzle-kit cannot express: the
    // overview ranks a user's monitors from the index alone.
    index('monitors_user_id_idx').on(t.userId, t.id),
    index('monitors_tags_idx').using('gin', t.tags),
    // Serves the producer's "due and not paused" scan.
    index('monitors_due_idx')
      .on(t.nextCheckAt)
      .where(sql`NOT ${t.paused}`),
  ],
);

export const checkStatus = pgEnum('check_status', ['Up', 'Down']);
/**
 * Time series of check results, range-partitioned by day on scheduled_at (the partitioning clause is in
 * the migration SQL: drizzle-kit cannot express it). The primary key is the idempotency key of a check:
 * one result per monitor, region and scheduled slot.
 */
export const checkResults = pgTable(
  'check_results',
  {
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    region: text('region').notNull(),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
    status: checkStatus('status').notNull(),
    responseTimeMs: integer('response_time_ms').notNull(),
    statusCode: integer('status_code'),
    /** Why it is down: one of the checker's failure reasons, kept as text. */
    reason: text('reason'),
    message: text('message'),
    dnsMs: integer('dns_ms'),
    connectMs: integer('connect_ms'),
    tlsMs: integer('tls_ms'),
    firstByteMs: integer('first_byte_ms'),
    certExpiresAt: timestamp('cert_expires_at', { withTimezone: true }),
    /** What is particular to the kind's check (DNS answers, certificate issuer, degraded, ...). */
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [
    // Migration 0001 adds INCLUDE (status, status code, response time, phases) to the primary key, which
    // drizzle-kit cannot express: the dashboard's aggregates over days then read the index alone.
    primaryKey({ name: 'check_results_pkey', columns: [t.monitorId, t.region, t.scheduledAt] }),
    index('check_results_monitor_time_idx').on(t.monitorId, t.scheduledAt.desc()),
  ],
);

/**
 * Hourly and daily aggregates of check_results per monitor and region (migration 0006), kept for
 * ROLLUP_RETENTION_DAYS. Response-time figures count checks that got a response (status code present),
 * like the raw queries; the histogram is sparse: the log-spaced buckets that hold any check (see
 * queries/rollups.ts) and their counts, in bucket order.
 */
export const checkRollups = pgTable(
  'check_rollups',
  {
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    region: text('region').notNull(),
    /** hour or day. */
    period: text('period').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    checks: integer('checks').notNull(),
    up: integer('up').notNull(),
    /** Up checks flagged degraded (details.degraded). */
    degraded: integer('degraded').notNull().default(0),
    /** Checks whose slot fell in a planned maintenance window of the monitor, and how many of them were up. */
    maintenanceChecks: integer('maintenance_checks').notNull().default(0),
    maintenanceUp: integer('maintenance_up').notNull().default(0),
    /** Checks that got a response. */
    responses: integer('responses').notNull(),
    responseMsSum: bigint('response_ms_sum', { mode: 'number' }).notNull(),
    responseMsMax: integer('response_ms_max'),
    dnsMsSum: bigint('dns_ms_sum', { mode: 'number' }).notNull(),
    dnsCount: integer('dns_count').notNull(),
    connectMsSum: bigint('connect_ms_sum', { mode: 'number' }).notNull(),
    connectCount: integer('connect_count').notNull(),
    tlsMsSum: bigint('tls_ms_sum', { mode: 'number' }).notNull(),
    tlsCount: integer('tls_count').notNull(),
    firstByteMsSum: bigint('first_byte_ms_sum', { mode: 'number' }).notNull(),
    firstByteCount: integer('first_byte_count').notNull(),
    histogramBuckets: integer('histogram_buckets').array().notNull(),
    histogramCounts: integer('histogram_counts').array().notNull(),
    rolledAt: timestamp('rolled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Migrations 0006 and 0011 add INCLUDE (checks, up, maintenance_checks, maintenance_up), which drizzle-kit
    // cannot express: uptime bars read the key alone.
    primaryKey({ name: 'check_rollups_pkey', columns: [t.monitorId, t.period, t.startsAt, t.region] }),
    check('check_rollups_period_check', sql`${t.period} IN ('hour','day')`),
    index('check_rollups_starts_at_idx').on(t.startsAt),
  ],
);

/**
 * Per monitor and UTC day, every region together: the uptime counts of the daily rollups, for the uptime bars
 * of many monitors (half the rows of check_rollups' days). Migration 0011 adds INCLUDE (checks, up,
 * maintenance_checks, maintenance_up) to the key.
 */
export const uptimeDays = pgTable(
  'uptime_days',
  {
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    checks: integer('checks').notNull(),
    up: integer('up').notNull(),
    degraded: integer('degraded').notNull(),
    maintenanceChecks: integer('maintenance_checks').notNull(),
    maintenanceUp: integer('maintenance_up').notNull(),
  },
  (t) => [
    primaryKey({ name: 'uptime_days_pkey', columns: [t.monitorId, t.startsAt] }),
    index('uptime_days_starts_at_idx').on(t.startsAt),
  ],
);

/** One row: every hour before `rolled_to` has been rolled up at least once. */
export const rollupProgress = pgTable(
  'rollup_progress',
  {
    id: boolean('id').primaryKey().default(true),
    rolledTo: timestamp('rolled_to', { withTimezone: true }).notNull(),
  },
  (t) => [check('rollup_progress_single_row', sql`${t.id}`)],
);

/**
 * A monitor's confirmed state, changed only in the transaction that stores the results causing the change
 * (or the one that pauses, edits or deletes the monitor). One row per monitor, made by a trigger when the
 * monitor is inserted; writers lock it first, so it is where concurrent writers of one monitor queue up.
 */
export const monitorStates = pgTable(
  'monitor_states',
  {
    monitorId: uuid('monitor_id')
      .primaryKey()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    /** pending, up, down, maintenance or paused. */
    state: text('state').notNull().default('pending'),
    since: timestamp('since', { withTimezone: true }).notNull().defaultNow(),
    /** Checks come at the retry interval while true (a region failing, or an incident open). */
    retrying: boolean('retrying').notNull().default(false),
    openIncidentId: uuid('open_incident_id'),
    /** Results of slots before this time no longer change state (the settings they were checked with are gone). */
    settledAt: timestamp('settled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('monitor_states_state_check', sql`${t.state} IN ('pending','up','down','maintenance','paused')`),
  ],
);

/** Each region's view of a monitor: its status and the streak of good or failed checks it is in. */
export const regionStates = pgTable(
  'region_states',
  {
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    region: text('region').notNull(),
    /** pending, up or down. */
    status: text('status').notNull(),
    /** The scheduled time of the first check of the streak that gave the region this status. */
    since: timestamp('since', { withTimezone: true }).notNull(),
    failures: integer('failures').notNull().default(0),
    successes: integer('successes').notNull().default(0),
    /** The first slot of the current run of failures (or of successes). */
    streakStartedAt: timestamp('streak_started_at', { withTimezone: true }).notNull(),
    /** The newest slot applied: an older result arriving late never changes the state. */
    lastSlotAt: timestamp('last_slot_at', { withTimezone: true }).notNull(),
    lastReason: text('last_reason'),
    lastStatusCode: integer('last_status_code'),
    lastMessage: text('last_message'),
    /** The newest slot's response time (migration 0012): the overview's response sort reads it here. */
    lastResponseMs: integer('last_response_ms'),
  },
  (t) => [
    primaryKey({ name: 'region_states_pkey', columns: [t.monitorId, t.region] }),
    check('region_states_status_check', sql`${t.status} IN ('pending','up','down')`),
  ],
);

/** A confirmed outage: opened when a quorum of regions is down, resolved when fewer are. */
export const incidents = pgTable(
  'incidents',
  {
    id: uuid('id').primaryKey(),
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status').notNull().default('open'),
    /** The scheduled time of the first failed check of the streak that confirmed it. */
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** recovered, paused, deleted, settings_changed. */
    resolution: text('resolution'),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by').references(() => users.id, { onDelete: 'set null' }),
    /** {reason, statusCode, message, regions: [{region, reason, statusCode, message, since}]} */
    cause: jsonb('cause').notNull(),
  },
  (t) => [
    check('incidents_status_check', sql`${t.status} IN ('open','resolved')`),
    // At most one open incident per monitor, whatever races the writers run.
    uniqueIndex('incidents_one_open_per_monitor')
      .on(t.monitorId)
      .where(sql`${t.status} = 'open'`),
    index('incidents_user_idx').on(t.userId, t.id.desc()),
    index('incidents_monitor_idx').on(t.monitorId, t.id.desc()),
  ],
);

/** Every change of a region's status or a monitor's state, with the check that caused it: timelines. */
export const stateChanges = pgTable(
  'state_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    /** Null for a change of the monitor's own state. */
    region: text('region'),
    incidentId: uuid('incident_id'),
    /** The scheduled time of the check that caused it (or the time of the edit that did). */
    at: timestamp('at', { withTimezone: true }).notNull(),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    reason: text('reason'),
    statusCode: integer('status_code'),
    message: text('message'),
  },
  (t) => [
    index('state_changes_monitor_idx').on(t.monitorId, t.at),
    index('state_changes_incident_idx').on(t.incidentId),
  ],
);

/**
 * The outbox: what happened that people are told about (incident.opened, incident.resolved, ...), written
 * in the transaction of the change itself. The payload is a snapshot, so an event outlives its monitor.
 */
export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    monitorId: uuid('monitor_id'),
    incidentId: uuid('incident_id'),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('events_user_idx').on(t.userId, t.id.desc()),
    index('events_created_idx').on(t.createdAt),
    index('events_incident_idx').on(t.incidentId),
  ],
);

/**
 * Planned maintenance of some of a user's monitors: one-off (startsAt..endsAt) or weekly (days, a local
 * time and a duration, in a named time zone, optionally bounded by startsAt/endsAt).
 */
export const maintenanceWindows = pgTable(
  'maintenance_windows',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    /** ISO weekdays 1 (Monday) .. 7 (Sunday) of a weekly window; null for a one-off window. */
    weeklyDays: integer('weekly_days').array(),
    /** Local start time "HH:MM" of a weekly window. */
    weeklyTime: text('weekly_time'),
    durationMinutes: integer('duration_minutes'),
    timeZone: text('time_zone').notNull().default('UTC'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('maintenance_windows_user_idx').on(t.userId, t.id.desc())],
);

export const maintenanceWindowMonitors = pgTable(
  'maintenance_window_monitors',
  {
    windowId: uuid('window_id')
      .notNull()
      .references(() => maintenanceWindows.id, { onDelete: 'cascade' }),
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ name: 'maintenance_window_monitors_pkey', columns: [t.windowId, t.monitorId] }),
    index('maintenance_window_monitors_monitor_idx').on(t.monitorId),
  ],
);

export const CHANNEL_TYPES = [
  'webhook',
  'slack',
  'discord',
  'teams',
  'telegram',
  'ntfy',
  'pagerduty',
  'email',
] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/**
 * Where a user's notifications go: a type, its settings (`config`, holding the type's secrets: webhook URLs,
 * tokens, keys) and a signing `secret` shown once at creation. A default channel is linked to new monitors.
 */
export const channels = pgTable(
  'channels',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    name: text('name').notNull(),
    config: jsonb('config').notNull(),
    secret: text('secret').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check(
      'channels_type_check',
      sql.raw(`"channels"."type" IN (${CHANNEL_TYPES.map((c) => `'${c}'`).join(',')})`),
    ),
    index('channels_user_idx').on(t.userId, t.id),
  ],
);

/** Which channels hear of a monitor's events. */
export const monitorChannels = pgTable(
  'monitor_channels',
  {
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ name: 'monitor_channels_pkey', columns: [t.monitorId, t.channelId] }),
    index('monitor_channels_channel_idx').on(t.channelId),
  ],
);

/** A monitor's reminder cadence while an incident is open and unacknowledged (no row: no reminders). */
export const monitorReminders = pgTable(
  'monitor_reminders',
  {
    monitorId: uuid('monitor_id')
      .primaryKey()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    intervalMinutes: integer('interval_minutes').notNull(),
  },
  (t) => [check('monitor_reminders_interval_check', sql`${t.intervalMinutes} > 0`)],
);

/** When an open incident was last reminded of (a conditional upsert: one reminder per interval). */
export const incidentReminders = pgTable('incident_reminders', {
  incidentId: uuid('incident_id')
    .primaryKey()
    .references(() => incidents.id, { onDelete: 'cascade' }),
  sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
});

/** certificate.expiring events already raised: once per threshold per certificate (its expiry time). */
export const certificateNotices = pgTable(
  'certificate_notices',
  {
    monitorId: uuid('monitor_id')
      .notNull()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    thresholdDays: integer('threshold_days').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'certificate_notices_pkey', columns: [t.monitorId, t.expiresAt, t.thresholdDays] }),
  ],
);

/**
 * One row per (event, channel), written in the transaction of the event: what the notifiers send. Claimed
 * with FOR UPDATE SKIP LOCKED and a lease, so several notifiers take disjoint rows and a dead one's rows
 * come back when its lease runs out.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    /** pending, delivered or failed (given up). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leasedUntil: timestamp('leased_until', { withTimezone: true }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check('deliveries_status_check', sql`${t.status} IN ('pending','delivered','failed')`),
    uniqueIndex('deliveries_event_channel_key').on(t.eventId, t.channelId),
    index('deliveries_pending_idx')
      .on(t.channelId, t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('deliveries_channel_idx').on(t.channelId, t.id.desc()),
  ],
);

/** Every attempt to send a delivery: when, how it went, how long it took. */
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: bigint('delivery_id', { mode: 'number' })
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** delivered, retry (failed, tried again later) or failed (given up). */
    outcome: text('outcome').notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    error: text('error'),
    /** How many deliveries the message carried (more than 1: a grouped message of an alert storm). */
    grouped: integer('grouped').notNull().default(1),
  },
  (t) => [
    check('delivery_attempts_outcome_check', sql`${t.outcome} IN ('delivered','retry','failed')`),
    index('delivery_attempts_delivery_idx').on(t.deliveryId, t.id),
  ],
);

export const INCIDENT_UPDATE_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;

/** What the operator tells the public about an incident, shown on status pages; it never opens or closes one. */
export const incidentUpdates = pgTable(
  'incident_updates',
  {
    id: uuid('id').primaryKey(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status').notNull(),
    message: text('message').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      'incident_updates_status_check',
      sql`${t.status} IN ('investigating','identified','monitoring','resolved')`,
    ),
    index('incident_updates_incident_idx').on(t.incidentId, t.createdAt),
  ],
);

/** A public status page: sections of the owner's monitors under display names, and which figures to show. */
export const statusPages = pgTable(
  'status_pages',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    /** [{name, monitors: [{monitorId, displayName}]}] */
    sections: jsonb('sections').notNull(),
    /** {uptimeBars, uptimePercent, incidents, maintenance}: which figures the page shows. */
    show: jsonb('show').notNull(),
    published: boolean('published').notNull().default(true),
    /** Stored lower case; requests with this Host get the page at /. */
    customDomain: text('custom_domain'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('status_pages_slug_key').on(t.slug),
    uniqueIndex('status_pages_custom_domain_key').on(t.customDomain),
    index('status_pages_user_idx').on(t.userId, t.id.desc()),
  ],
);

/**
 * Slots a scheduler claimed and has not yet published (migration 0007): written with the claim, deleted
 * after the publish; a row left behind is a dead scheduler's, and another publishes its slots.
 */
export const schedulerClaims = pgTable(
  'scheduler_claims',
  {
    id: uuid('id').primaryKey(),
    /** [[monitor id, slot epoch ms], ...] */
    slots: jsonb('slots').notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('scheduler_claims_claimed_at_idx').on(t.claimedAt)],
);

/**
 * A heartbeat (push) monitor's push URL and newest push (migration 0008). Only a SHA-256 of the token is
 * kept (it is 192 random bits), and its last four characters to tell URLs apart.
 */
export const heartbeats = pgTable(
  'heartbeats',
  {
    monitorId: uuid('monitor_id')
      .primaryKey()
      .references(() => monitors.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    tokenHint: text('token_hint').notNull(),
    /** Since when pushes are expected: created, resumed, made a heartbeat or given a new URL. */
    armedAt: timestamp('armed_at', { withTimezone: true }).notNull(),
    lastPushAt: timestamp('last_push_at', { withTimezone: true }),
    /** up or down, as the newest push said. */
    lastStatus: text('last_status'),
    lastMessage: text('last_message'),
  },
  (t) => [uniqueIndex('heartbeats_token_hash_key').on(t.tokenHash)],
);

/**
 * A remote probe (migration 0010): a process anywhere that runs one region's checks over a connection it
 * opens to the instance with its `bu_probe_` token. Only a SHA-256 of the token is kept. The connection
 * facts are written by the API process holding the connection; `connected` is trusted only while
 * `last_seen_at` is recent, so a crashed API process does not leave a probe shown connected.
 */
export const probes = pgTable(
  'probes',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    region: text('region').notNull(),
    tokenHash: text('token_hash').notNull(),
    tokenHint: text('token_hint').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    connected: boolean('connected').notNull().default(false),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    version: text('version'),
    /** The probe's clock minus the instance's, measured on the connection. */
    clockOffsetMs: doublePrecision('clock_offset_ms'),
    checksPerSecond: doublePrecision('checks_per_second'),
    /** How late the probe's checks started after their slots (p99 of its recent checks). */
    lagMs: doublePrecision('lag_ms'),
  },
  (t) => [uniqueIndex('probes_token_hash_key').on(t.tokenHash)],
);

export type UserRow = typeof users.$inferSelect;
export type MonitorRow = typeof monitors.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ProbeRow = typeof probes.$inferSelect;
/** What a check of a monitor needs to know: the settings that travel in every task. */
export type MonitorCheckSettings = Pick<
  MonitorRow,
  'userId' | 'kind' | 'settings' | 'intervalSeconds' | 'timeoutMs' | 'regions'
>;
/** How a monitor's checks turn into region states and incidents (the alert settings). */
export type MonitorAlertSettings = Pick<
  MonitorRow,
  'failureThreshold' | 'recoveryThreshold' | 'regionQuorum' | 'retryIntervalSeconds'
>;
export type IncidentRow = typeof incidents.$inferSelect;
export type ChannelRow = typeof channels.$inferSelect;
export type MaintenanceWindowRow = typeof maintenanceWindows.$inferSelect;
export type NewMonitorRow = typeof monitors.$inferInsert;
export type CheckResultRow = typeof checkResults.$inferSelect;
export type NewCheckResultRow = typeof checkResults.$inferInsert;
