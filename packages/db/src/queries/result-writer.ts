import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { FOREIGN_KEY_VIOLATION, isRowDataError, sqlState } from '../errors.js';

/** One check result as the worker produces it. */
export interface ResultRow {
  monitorId: string;
  region: string;
  scheduledAt: Date;
  checkedAt: Date;
  status: 'Up' | 'Down';
  responseTimeMs: number;
  statusCode: number | null;
  /** One of the checker's failure reasons. */
  reason: string | null;
  message: string | null;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
  certExpiresAt: Date | null;
  /** What is particular to the kind's check; null or absent when nothing. */
  details?: Record<string, unknown> | null;
}

const MESSAGE_MAX = 500;

/**
 * Inserts many results in one statement (arrays unnested server-side: one round trip, one plan).
 * Idempotent: a slot already stored is skipped (ON CONFLICT DO NOTHING on the primary key), and rows
 * of monitors deleted meanwhile are skipped too. Returns how many rows were new.
 */
export async function insertResults(db: Database, rows: readonly ResultRow[]): Promise<number> {
  return (await storeNewResults(db, rows)).length;
}

/**
 * Inserts like insertResults and returns the rows that were new (in the order given): a redelivered
 * result, already stored, is not among them, so whatever follows from a result follows once.
 */
export async function storeNewResults(db: Database, rows: readonly ResultRow[]): Promise<ResultRow[]> {
  if (rows.length === 0) return [];
  // One array parameter per column (sql.param keeps an array as one parameter instead of a list).
  // Enum arrays travel as text[]: PGlite cannot serialise arrays of types it does not know.
  const column = <T>(pick: (row: ResultRow) => T) => sql.param(rows.map(pick));
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  const inserted = await queryRows<{ monitor_id: string; region: string; slot: number }>(
    db,
    sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms,
        status_code, reason, message, dns_ms, connect_ms, tls_ms, first_byte_ms, cert_expires_at, details)
      SELECT r.* FROM unnest(
        ${column((r) => r.monitorId)}::uuid[],
        ${column((r) => r.region)}::text[],
        ${column((r) => iso(r.scheduledAt))}::timestamptz[],
        ${column((r) => iso(r.checkedAt))}::timestamptz[],
        ${column((r) => r.status)}::text[]::check_status[],
        ${column((r) => r.responseTimeMs)}::int[],
        ${column((r) => r.statusCode)}::int[],
        ${column((r) => r.reason)}::text[],
        ${column((r) => (r.message === null ? null : r.message.slice(0, MESSAGE_MAX)))}::text[],
        ${column((r) => r.dnsMs)}::int[],
        ${column((r) => r.connectMs)}::int[],
        ${column((r) => r.tlsMs)}::int[],
        ${column((r) => r.firstByteMs)}::int[],
        ${column((r) => iso(r.certExpiresAt))}::timestamptz[],
        ${column((r) => (r.details == null ? null : JSON.stringify(r.details)))}::text[]::jsonb[]
      ) AS r(monitor_id, region, scheduled_at, checked_at, status, response_time_ms, status_code, reason,
             message, dns_ms, connect_ms, tls_ms, first_byte_ms, cert_expires_at, details)
      WHERE EXISTS (SELECT 1 FROM monitors m WHERE m.id = r.monitor_id)
      ON CONFLICT DO NOTHING
      RETURNING monitor_id, region, round(extract(epoch FROM scheduled_at) * 1000)::float8 AS slot`,
  );
  if (inserted.length === rows.length) return [...rows];
  const key = (monitorId: string, region: string, slot: number) => `${monitorId}|${region}|${slot}`;
  const fresh = new Set(inserted.map((r) => key(r.monitor_id, r.region, Number(r.slot))));
  return rows.filter((r) => fresh.has(key(r.monitorId, r.region, r.scheduledAt.getTime())));
}

export type RowOutcome = 'stored' | 'monitor_deleted' | 'rejected';

/**
 * After a batch failed on its data, stores the rows one by one to find the bad ones: the good rows are
 * stored, a row whose monitor vanished mid-flight is reported as such, and a row the database rejects is
 * reported as rejected (its message is left pending and ends in the dead-letter stream after its
 * deliveries run out). Failures of the database itself are thrown, as for a batch.
 */
export async function insertResultsOneByOne(
  db: Database,
  rows: readonly ResultRow[],
  insert: (db: Database, rows: readonly ResultRow[]) => Promise<unknown> = insertResults,
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  for (const row of rows) {
    try {
      await insert(db, [row]);
      outcomes.push('stored');
    } catch (error) {
      if (!isRowDataError(error)) throw error;
      outcomes.push(sqlState(error) === FOREIGN_KEY_VIOLATION ? 'monitor_deleted' : 'rejected');
    }
  }
  return outcomes;
}
