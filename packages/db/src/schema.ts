import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
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
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const httpMethod = pgEnum('http_method', ['GET', 'HEAD']);
export const keywordMode = pgEnum('keyword_mode', ['present', 'absent']);

export const monitors = pgTable(
  'monitors',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    url: text('url').notNull(),
    intervalSeconds: integer('interval_seconds').notNull().default(180),
    timeoutMs: integer('timeout_ms').notNull().default(30000),
    method: httpMethod('method').notNull().default('GET'),
    /** Status codes and ranges that count as up, e.g. {"200-299","304"}. */
    expectedStatus: text('expected_status')
      .array()
      .notNull()
      .default(sql`'{200-299}'::text[]`),
    keyword: text('keyword'),
    keywordMode: keywordMode('keyword_mode').notNull().default('present'),
    followRedirects: boolean('follow_redirects').notNull().default(true),
    /** Regions to check from; empty means every configured region. */
    regions: text('regions')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    paused: boolean('paused').notNull().default(false),
    nextCheckAt: timestamp('next_check_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('monitors_user_id_idx').on(t.userId, t.id),
    // Serves the producer's "due and not paused" scan.
    index('monitors_due_idx')
      .on(t.nextCheckAt)
      .where(sql`NOT ${t.paused}`),
  ],
);

export const checkStatus = pgEnum('check_status', ['Up', 'Down']);
export const FAILURE_REASONS = [
  'dns',
  'connect',
  'tls',
  'timeout',
  'http_status',
  'keyword',
  'redirects',
  'protocol',
  'too_large',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
export const failureReason = pgEnum('failure_reason', FAILURE_REASONS);

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
    reason: failureReason('reason'),
    message: text('message'),
    dnsMs: integer('dns_ms'),
    connectMs: integer('connect_ms'),
    tlsMs: integer('tls_ms'),
    firstByteMs: integer('first_byte_ms'),
    certExpiresAt: timestamp('cert_expires_at', { withTimezone: true }),
  },
  (t) => [
    // Migration 0001 adds INCLUDE (status, status code, response time, phases) to the primary key, which
    // drizzle-kit cannot express: the dashboard's aggregates over days then read the index alone.
    primaryKey({ name: 'check_results_pkey', columns: [t.monitorId, t.region, t.scheduledAt] }),
    index('check_results_monitor_time_idx').on(t.monitorId, t.scheduledAt.desc()),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type MonitorRow = typeof monitors.$inferSelect;
/** What a check of a monitor needs to know: the settings that travel in every task. */
export type MonitorCheckSettings = Pick<
  MonitorRow,
  | 'url'
  | 'intervalSeconds'
  | 'timeoutMs'
  | 'method'
  | 'expectedStatus'
  | 'keyword'
  | 'keywordMode'
  | 'followRedirects'
  | 'regions'
>;
export type NewMonitorRow = typeof monitors.$inferInsert;
export type CheckResultRow = typeof checkResults.$inferSelect;
export type NewCheckResultRow = typeof checkResults.$inferInsert;
