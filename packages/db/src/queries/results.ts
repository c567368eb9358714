import { and, desc, eq, getTableColumns, gte, lte, sql, type SQL } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { checkResults, type CheckResultRow } from '../schema.js';

/** Where a page of checks ends: the last row's slot (as exact UTC text, microseconds kept) and region. */
export interface CheckPosition {
  scheduledAt: string;
  region: string;
}

export interface CheckFilter {
  /** Inclusive bounds on scheduled_at, as ISO 8601 text (parsed by PostgreSQL, so no precision is lost). */
  from?: string | undefined;
  to?: string | undefined;
  region?: string | undefined;
  status?: 'Up' | 'Down' | undefined;
}

export type CheckResultWithPosition = CheckResultRow & { position: CheckPosition };

/** scheduled_at as UTC text with microseconds: a JavaScript Date would drop them and break the keyset. */
const scheduledAtText = sql<string>`to_char(${checkResults.scheduledAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * One page of a monitor's results, newest slot first; ties on the slot (one row per region) are broken
 * by region, descending, so (scheduled_at, region) is a strict total order and pages neither repeat nor
 * skip rows.
 */
export async function listChecks(
  db: Database,
  monitorId: string,
  { limit, after, filter = {} }: { limit: number; after?: CheckPosition | undefined; filter?: CheckFilter },
): Promise<CheckResultWithPosition[]> {
  const conditions: SQL[] = [eq(checkResults.monitorId, monitorId)];
  if (filter.from !== undefined)
    conditions.push(gte(checkResults.scheduledAt, sql`${filter.from}::timestamptz`));
  if (filter.to !== undefined) conditions.push(lte(checkResults.scheduledAt, sql`${filter.to}::timestamptz`));
  if (filter.region !== undefined) conditions.push(eq(checkResults.region, filter.region));
  if (filter.status !== undefined) conditions.push(eq(checkResults.status, filter.status));
  if (after !== undefined) {
    conditions.push(
      sql`(${checkResults.scheduledAt}, ${checkResults.region}) < (${after.scheduledAt}::timestamptz, ${after.region})`,
    );
  }
  const rows = await db
    .select({ ...getTableColumns(checkResults), positionAt: scheduledAtText })
    .from(checkResults)
    .where(and(...conditions))
    .orderBy(desc(checkResults.scheduledAt), desc(checkResults.region))
    .limit(limit);
  return rows.map(({ positionAt, ...row }) => ({
    ...row,
    position: { scheduledAt: positionAt, region: row.region },
  }));
}

/**
 * The newest result of each of `regions` (regions without results are left out), ordered by region.
 * One LIMIT 1 probe of the (monitor, region, scheduled_at) key per region, which stays cheap however long
 * the history is, where DISTINCT ON would read all of it.
 */
export async function latestChecks(
  db: Database,
  monitorId: string,
  regions: readonly string[],
): Promise<CheckResultRow[]> {
  const perRegion = await Promise.all(
    [...regions].sort().map(async (region) => {
      const [row] = await db
        .select()
        .from(checkResults)
        .where(and(eq(checkResults.monitorId, monitorId), eq(checkResults.region, region)))
        .orderBy(desc(checkResults.scheduledAt))
        .limit(1);
      return row;
    }),
  );
  return perRegion.filter((row): row is CheckResultRow => row !== undefined);
}

export const CLEANUP_BATCH_SIZE = 10_000;

/**
 * Deletes the monitor's results whose slot is strictly before `cutoff` and returns how many went. Runs
 * as a series of statements of at most `batchSize` rows each (selected by primary key, since ctid is not
 * unique across partitions), each its own transaction, so a monitor with a long history never holds
 * locks or a huge transaction for long.
 */
export async function deleteChecksBefore(
  db: Database,
  monitorId: string,
  cutoff: Date,
  batchSize = CLEANUP_BATCH_SIZE,
): Promise<number> {
  let total = 0;
  for (;;) {
    const [result] = await queryRows<{ deleted: number }>(
      db,
      sql`WITH doomed AS (
            SELECT monitor_id, region, scheduled_at FROM check_results
            WHERE monitor_id = ${monitorId} AND scheduled_at < ${cutoff.toISOString()}::timestamptz
            LIMIT ${batchSize}
          ), gone AS (
            DELETE FROM check_results c USING doomed d
            WHERE c.monitor_id = d.monitor_id AND c.region = d.region AND c.scheduled_at = d.scheduled_at
            RETURNING 1
          )
          SELECT count(*)::int AS deleted FROM gone`,
    );
    const deleted = Number(result?.deleted ?? 0);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
