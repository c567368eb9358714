import { sql, type SQL } from 'drizzle-orm';
import { type Database, queryRows } from './client.js';
import { sqlState } from './errors.js';

export const DAY_MS = 86_400_000;

/** Keeps every result whose day has no partition (a far-off clock, a partition not made yet). */
export const DEFAULT_PARTITION = 'check_results_default';

const UNDEFINED_TABLE = '42P01';

export function partitionName(dayStartMs: number): string {
  return `check_results_p${new Date(dayStartMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** A partition of check_results and its range of scheduled_at, `toMs` exclusive. */
export interface ResultPartition {
  name: string;
  /** Null for the default partition (and for an unbounded side, MINVALUE or MAXVALUE). */
  fromMs: number | null;
  toMs: number | null;
}

/** Matches the two quoted bounds in pg_get_expr(relpartbound): FOR VALUES FROM ('...') TO ('...'). */
const RANGE_BOUNDS = "FROM \\('([^']+)'\\) TO \\('([^']+)'\\)";

/**
 * Every partition of check_results with its range, oldest first and the default last. The range comes from
 * the catalog, not from the name: the bounds are printed in the session's time zone and cast back to
 * timestamptz in the same session, so they are exact whatever the server's settings.
 */
export async function listResultPartitions(db: Database): Promise<ResultPartition[]> {
  const rows = await queryRows<{ name: string; from_ms: number | null; to_ms: number | null }>(
    db,
    sql`SELECT c.relname AS name,
          (extract(epoch FROM b[1]::timestamptz) * 1000)::float8 AS from_ms,
          (extract(epoch FROM b[2]::timestamptz) * 1000)::float8 AS to_ms
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), ${RANGE_BOUNDS}) AS b
        WHERE i.inhparent = 'check_results'::regclass
        ORDER BY from_ms NULLS LAST, name`,
  );
  return rows.map((r) => ({
    name: r.name,
    fromMs: r.from_ms === null ? null : Number(r.from_ms),
    toMs: r.to_ms === null ? null : Number(r.to_ms),
  }));
}

/**
 * Creates the partition of the UTC day starting at `dayStartMs`. Rows already parked in the default
 * partition for that day are moved into it first, so attaching it never fails on them. Must run inside a
 * transaction (the move and the attach commit together); returns null when the partition already exists.
 */
export async function createDayPartition(
  tx: Database,
  dayStartMs: number,
): Promise<{ name: string; movedFromDefault: number } | null> {
  const name = partitionName(dayStartMs);
  // Serialises concurrent creators of this one partition (producers, and migrations at start-up).
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`);
  const [existing] = await queryRows<{ exists: boolean }>(
    tx,
    sql`SELECT to_regclass(${name}) IS NOT NULL AS exists`,
  );
  if (existing?.exists) return null;
  const from = new Date(dayStartMs).toISOString();
  const to = new Date(dayStartMs + DAY_MS).toISOString();
  const table = sql.identifier(name);
  await tx.execute(sql`CREATE TABLE ${table} (LIKE check_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  const [moved] = await queryRows<{ n: number }>(
    tx,
    sql`WITH moved AS (
          DELETE FROM check_results_default
          WHERE scheduled_at >= ${from}::timestamptz AND scheduled_at < ${to}::timestamptz RETURNING *),
        copied AS (INSERT INTO ${table} SELECT * FROM moved RETURNING 1)
        SELECT count(*)::int AS n FROM copied`,
  );
  await tx.execute(
    sql`ALTER TABLE check_results ATTACH PARTITION ${table} FOR VALUES FROM (${sql.raw(`'${from}'`)}) TO (${sql.raw(`'${to}'`)})`,
  );
  return { name, movedFromDefault: Number(moved?.n ?? 0) };
}

/**
 * Makes sure daily partitions of check_results exist from `daysBehind` days before `now` to `daysAhead`
 * days after it. Returns the names of the partitions it created.
 */
export async function ensureResultPartitions(
  db: Database,
  {
    now = Date.now(),
    daysBehind = 1,
    daysAhead = 3,
  }: { now?: number; daysBehind?: number; daysAhead?: number } = {},
): Promise<string[]> {
  const existing = new Set((await listResultPartitions(db)).map((p) => p.name));
  const created: string[] = [];
  const today = startOfUtcDay(now);
  for (let day = today - daysBehind * DAY_MS; day <= today + daysAhead * DAY_MS; day += DAY_MS) {
    if (existing.has(partitionName(day))) continue;
    const made = await db.transaction((tx) => createDayPartition(tx as unknown as Database, day));
    if (made) created.push(made.name);
  }
  return created;
}

/**
 * Drops a partition with its rows; returns false when it was already gone. DROP TABLE takes an ACCESS
 * EXCLUSIVE lock on check_results for a few milliseconds; while it waits for that lock every new insert
 * queues behind it, so the wait is capped by `lockTimeoutMs` (the statement then fails with
 * lock_not_available and the caller retries later). Must run inside a transaction (SET LOCAL).
 */
export async function dropPartition(tx: Database, name: string, lockTimeoutMs: number): Promise<boolean> {
  const [existing] = await queryRows<{ exists: boolean }>(
    tx,
    sql`SELECT to_regclass(${name}) IS NOT NULL AS exists`,
  );
  if (!existing?.exists) return false;
  await tx.execute(sql.raw(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`));
  await tx.execute(sql`DROP TABLE ${sql.identifier(name)}`);
  return true;
}

/**
 * Deletes at most `limit` rows of one partition matching `condition` in one statement, and returns how many
 * went. Rows are picked by ctid (unique within one table) and deleted with a TID scan, so each statement
 * does a bounded amount of work and holds its row locks only briefly. A partition dropped meanwhile counts
 * as nothing left to delete.
 */
export async function deleteBatchFromPartition(
  db: Database,
  partition: string,
  condition: SQL,
  limit: number,
): Promise<number> {
  const table = sql.identifier(partition);
  try {
    const [row] = await queryRows<{ deleted: number }>(
      db,
      sql`WITH gone AS (
            DELETE FROM ${table}
            WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${condition} LIMIT ${limit}))
            RETURNING 1)
          SELECT count(*)::int AS deleted FROM gone`,
    );
    return Number(row?.deleted ?? 0);
  } catch (error) {
    if (sqlState(error) === UNDEFINED_TABLE) return 0;
    throw error;
  }
}

/** Repeats deleteBatchFromPartition, each batch its own short transaction, until no matching row is left. */
export async function deleteFromPartitionInBatches(
  db: Database,
  partition: string,
  condition: SQL,
  batchSize: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatchFromPartition(db, partition, condition, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
