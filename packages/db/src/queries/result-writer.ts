import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { FOREIGN_KEY_VIOLATION, isRowDataError, sqlState } from '../errors.js';
import type { FailureReason } from '../schema.js';

/** One check result as the worker produces it. */
export interface ResultRow {
  monitorId: string;
  region: string;
  scheduledAt: Date;
  checkedAt: Date;
  status: 'Up' | 'Down';
  responseTimeMs: number;
  statusCode: number | null;
  reason: FailureReason | null;
  message: string | null;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
  certExpiresAt: Date | null;
}

const MESSAGE_MAX = 500;

/**
 * Inserts many results in one statement (arrays unnested server-side: one round trip, one plan).
 * Idempotent: a slot already stored is skipped (ON CONFLICT DO NOTHING on the primary key), and rows
 * of monitors deleted meanwhile are skipped too. Returns how many rows were new.
 */
export async function insertResults(db: Database, rows: readonly ResultRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  // One array parameter per column (sql.param keeps an array as one parameter instead of a list).
  // Enum arrays travel as text[]: PGlite cannot serialise arrays of types it does not know.
  const column = <T>(pick: (row: ResultRow) => T) => sql.param(rows.map(pick));
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  const inserted = await queryRows<{ n: number }>(
    db,
    sql`WITH inserted AS (
      INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms,
        status_code, reason, message, dns_ms, connect_ms, tls_ms, first_byte_ms, cert_expires_at)
      SELECT r.* FROM unnest(
        ${column((r) => r.monitorId)}::uuid[],
        ${column((r) => r.region)}::text[],
        ${column((r) => iso(r.scheduledAt))}::timestamptz[],
        ${column((r) => iso(r.checkedAt))}::timestamptz[],
        ${column((r) => r.status)}::text[]::check_status[],
        ${column((r) => r.responseTimeMs)}::int[],
        ${column((r) => r.statusCode)}::int[],
        ${column((r) => r.reason)}::text[]::failure_reason[],
        ${column((r) => (r.message === null ? null : r.message.slice(0, MESSAGE_MAX)))}::text[],
        ${column((r) => r.dnsMs)}::int[],
        ${column((r) => r.connectMs)}::int[],
        ${column((r) => r.tlsMs)}::int[],
        ${column((r) => r.firstByteMs)}::int[],
        ${column((r) => iso(r.certExpiresAt))}::timestamptz[]
      ) AS r(monitor_id, region, scheduled_at, checked_at, status, response_time_ms, status_code, reason,
             message, dns_ms, connect_ms, tls_ms, first_byte_ms, cert_expires_at)
      WHERE EXISTS (SELECT 1 FROM monitors m WHERE m.id = r.monitor_id)
      ON CONFLICT DO NOTHING
      RETURNING 1)
    SELECT count(*)::int AS n FROM inserted`,
  );
  return inserted[0]?.n ?? 0;
}

export type RowOutcome = 'stored' | 'monitor_deleted' | 'rejected';

/**
 * After a batch failed on its data, stores the rows one by one to find the bad ones: the good rows are
 * stored, a row whose monitor vanished mid-flight is reported as such, and a row the database rejects is
 * reported as rejected (its message is left pending and ends in the dead-letter stream after its
 * deliveries run out). Failures of the database itself are thrown, as for a batch.
 */
export async function insertResultsOneByOne(db: Database, rows: readonly ResultRow[]): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  for (const row of rows) {
    try {
      await insertResults(db, [row]);
      outcomes.push('stored');
    } catch (error) {
      if (!isRowDataError(error)) throw error;
      outcomes.push(sqlState(error) === FOREIGN_KEY_VIOLATION ? 'monitor_deleted' : 'rejected');
    }
  }
  return outcomes;
}
