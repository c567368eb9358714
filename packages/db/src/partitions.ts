import { sql } from 'drizzle-orm';
import { type Database, queryRows } from './client.js';

const DAY_MS = 86_400_000;

export function partitionName(dayStartMs: number): string {
  return `check_results_p${new Date(dayStartMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Makes sure daily partitions of check_results exist from `daysBehind` days before `now` to `daysAhead`
 * days after it. Rows already parked in the default partition for a new day are moved into it, so
 * creating a partition never fails on them. Returns the names of the partitions it created.
 */
export async function ensureResultPartitions(
  db: Database,
  {
    now = Date.now(),
    daysBehind = 1,
    daysAhead = 3,
  }: { now?: number; daysBehind?: number; daysAhead?: number } = {},
): Promise<string[]> {
  const existing = new Set(
    (
      await queryRows<{ name: string }>(
        db,
        sql`SELECT c.relname AS name FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = 'check_results'`,
      )
    ).map((r) => r.name),
  );
  const created: string[] = [];
  const today = startOfUtcDay(now);
  for (let day = today - daysBehind * DAY_MS; day <= today + daysAhead * DAY_MS; day += DAY_MS) {
    const name = partitionName(day);
    if (existing.has(name)) continue;
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    const table = sql.identifier(name);
    await db.transaction(async (tx) => {
      // Serialises concurrent creators (several producers) on this one partition.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`);
      const [again] = await queryRows<{ exists: boolean }>(
        tx as unknown as Database,
        sql`SELECT to_regclass(${name}) IS NOT NULL AS exists`,
      );
      if (again?.exists) return;
      await tx.execute(
        sql`CREATE TABLE ${table} (LIKE check_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
      );
      await tx.execute(sql`WITH moved AS (
          DELETE FROM check_results_default
          WHERE scheduled_at >= ${from}::timestamptz AND scheduled_at < ${to}::timestamptz RETURNING *)
        INSERT INTO ${table} SELECT * FROM moved`);
      await tx.execute(
        sql`ALTER TABLE check_results ATTACH PARTITION ${table} FOR VALUES FROM (${sql.raw(`'${from}'`)}) TO (${sql.raw(`'${to}'`)})`,
      );
      created.push(name);
    });
  }
  return created;
}
