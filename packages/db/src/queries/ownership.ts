import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';

/** The tables whose rows a user owns by `user_id` and names by `id` in requests. */
const OWNED_TABLES = {
  monitors: sql.raw('monitors'),
  channels: sql.raw('channels'),
} as const;
export type OwnedTable = keyof typeof OWNED_TABLES;

/**
 * Which of these ids name rows of the user in the table: one query, whatever the number of ids. Callers
 * refuse the others like missing ones, so another user's id tells nothing.
 */
export async function ownedIds(
  db: Database,
  table: OwnedTable,
  userId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await queryRows<{ id: string }>(
    db,
    sql`SELECT id FROM ${OWNED_TABLES[table]} WHERE user_id = ${userId} AND id = ANY(${sql.param([...new Set(ids)])}::uuid[])`,
  );
  return new Set(rows.map((r) => r.id));
}
