import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { cachesPlans, type Database, queryRows } from '../client.js';
import { deleteFromPartitionInBatches, listResultPartitions } from '../partitions.js';
import { checkResults, type CheckResultRow, monitors } from '../schema.js';

/**
 * A timestamptz column as ISO 8601 text in UTC with milliseconds, formatted by the database: the same text
 * as `Date.prototype.toISOString()` of the Date the driver would make (both truncate the microseconds), for
 * answers that only pass timestamps on, without a Date per value.
 */
export function isoText(column: AnyPgColumn | SQL): SQL<string> {
  return sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

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

/** scheduled_at as UTC text with microseconds: a JavaScript Date would drop them and break the keyset. */
export const scheduledAtText = sql<string>`to_char(${checkResults.scheduledAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A check as the API lists it: plain values, timestamps as ISO 8601 text (see isoText). */
export interface CheckView {
  monitorId: string;
  /** The monitor's kind, which says what `details` holds. */
  kind: string;
  region: string;
  status: CheckResultRow['status'];
  responseTimeMs: number;
  statusCode: number | null;
  reason: CheckResultRow['reason'];
  message: string | null;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
  certExpiresAt: string | null;
  details: Record<string, unknown> | null;
  scheduledAt: string;
  checkedAt: string;
  /** scheduled_at with microseconds, for the keyset (CheckPosition.scheduledAt). */
  position: string;
}

/**
 * One page of a monitor's results, newest slot first, in one round trip with the ownership check: null
 * when `userId` has no monitor `monitorId` (so another user's monitor is indistinguishable from a missing
 * one), else the page as plain rows with database-formatted timestamps. Ties on the slot (one row per
 * region) are broken by region, descending, so (scheduled_at, region) is a strict total order and pages
 * neither repeat nor skip rows.
 */
export async function listOwnChecks(
  db: Database,
  owner: { userId: string; monitorId: string },
  page: CheckPage,
): Promise<CheckView[] | null> {
  // Without a time bound every daily partition is planned and opened (about 0.8 ms of PostgreSQL CPU per
  // page with 11 of them, growing with retention). The newest rows are nearly always within a day of where
  // the page starts, so look there first: a full page from the window is the answer, because every row
  // outside it is older. Only a short page (a sparse or new monitor, the end of the history) looks again
  // without the bound.
  const cachedPlan = page.cachedPlan === true && startsAtNewest(page) && cachesPlans(db);
  const windowStart = cachedPlan ? DATABASE_NOW_WINDOW : firstWindowStart(page);
  if (windowStart !== undefined) {
    const rows = await selectOwnChecks(db, owner, page, windowStart, cachedPlan);
    if (rows === null || rows.length === page.limit) return rows;
  }
  return selectOwnChecks(db, owner, page, undefined, false);
}

export interface CheckPage {
  limit: number;
  after?: CheckPosition | undefined;
  filter?: CheckFilter;
  /**
   * For the page a caller serves most (its default size): when the page starts at the newest checks
   * without filters, its first look is one named statement whose text never changes (window from the
   * database's clock, literal LIMIT), so PostgreSQL keeps a generic plan and prunes the partitions when it
   * runs instead of planning every page: PostgreSQL CPU per page 0.80 → 0.45–0.55 ms at 11 daily
   * partitions, 0.95 → 0.6 ms at 95 (measured). Each connection keeps that plan, about 1 MB at 95
   * partitions, per distinct limit so marked: mark one or two fixed sizes, never a size a client chose.
   * Where plans are not cached (PGlite), the page is read as any other.
   */
  cachedPlan?: boolean;
}

/** No cursor and no filter: the page starts at the newest checks. */
function startsAtNewest({ after, filter = {} }: CheckPage): boolean {
  return (
    after === undefined &&
    filter.from === undefined &&
    filter.to === undefined &&
    filter.region === undefined &&
    filter.status === undefined
  );
}

/** How far back from the page's start the first look reaches. */
const FIRST_WINDOW_MS = 86_400_000;
/** Slots are stamped by the producer's clock, which may run ahead of this one; the window allows for it. */
const CLOCK_SLACK_MS = 3_600_000;

/**
 * The first look of a page that starts at the newest checks, from the database's clock. Only for cached
 * plans: pruned when the plan runs; a plan made for one call could not prune by it and would plan every
 * partition (5.5 ms of PostgreSQL CPU per page at 95 partitions, measured). Which clock does not matter
 * for the answer, only for how much the first look reads.
 */
const DATABASE_NOW_WINDOW = sql.raw(
  `now() - interval '${(FIRST_WINDOW_MS - CLOCK_SLACK_MS) / 1000} seconds'`,
);

/** Where the first look starts, or undefined when the filter's own bound is as narrow. */
function firstWindowStart({ after, filter = {} }: CheckPage): SQL | undefined {
  const newest = Math.min(
    Date.now() + CLOCK_SLACK_MS,
    filter.to === undefined ? Infinity : Date.parse(filter.to),
    after === undefined ? Infinity : Date.parse(after.scheduledAt),
  );
  // An unparsable bound is PostgreSQL's to reject; a bound at or before `from` needs no window.
  if (!Number.isFinite(newest)) return undefined;
  const start = newest - FIRST_WINDOW_MS;
  if (filter.from !== undefined && !(Date.parse(filter.from) < start)) return undefined;
  // A value, so that PostgreSQL prunes the partitions when it plans the query.
  return sql`${new Date(start).toISOString()}::timestamptz`;
}

async function selectOwnChecks(
  db: Database,
  { userId, monitorId }: { userId: string; monitorId: string },
  { limit, after, filter = {} }: CheckPage,
  windowStart: SQL | undefined,
  cachedPlan: boolean,
): Promise<CheckView[] | null> {
  if (cachedPlan && !(Number.isSafeInteger(limit) && limit > 0)) {
    throw new RangeError(`page limit must be a positive integer, got ${limit}`);
  }
  const conditions: SQL[] = [sql`monitor_id = ${monitorId}`];
  if (windowStart !== undefined) conditions.push(sql`scheduled_at >= ${windowStart}`);
  if (filter.from !== undefined) conditions.push(sql`scheduled_at >= ${filter.from}::timestamptz`);
  if (filter.to !== undefined) conditions.push(sql`scheduled_at <= ${filter.to}::timestamptz`);
  if (filter.region !== undefined) conditions.push(sql`region = ${filter.region}`);
  if (filter.status !== undefined) conditions.push(sql`status = ${filter.status}`);
  if (after !== undefined) {
    conditions.push(sql`(scheduled_at, region) < (${after.scheduledAt}::timestamptz, ${after.region})`);
  }
  // The page is joined to the caller's monitor: no monitor row, no row at all; the monitor without checks
  // gives one row of NULLs (region is never NULL in a check). The inner ORDER BY, with NULLS LAST, is the
  // one the (monitor_id, scheduled_at DESC NULLS LAST) index serves (a plain DESC means NULLS FIRST, which
  // the planner cannot serve from that index: it does not reason from NOT NULL); the outer one keeps that
  // order through the join, a sort of at most `limit` rows.
  const rows = await queryRows<CheckView>(
    db,
    sql`SELECT c."monitorId", m.kind, c.region, c.status, c."responseTimeMs", c."statusCode", c.reason,
          c.message, c."dnsMs", c."connectMs", c."tlsMs", c."firstByteMs", c."certExpiresAt", c.details,
          c."scheduledAt", c."checkedAt", c.position
        FROM ${monitors} m
        LEFT JOIN (
          SELECT monitor_id AS "monitorId", region, status, response_time_ms AS "responseTimeMs",
            status_code AS "statusCode", reason, message, dns_ms AS "dnsMs", connect_ms AS "connectMs",
            tls_ms AS "tlsMs", first_byte_ms AS "firstByteMs",
            ${isoText(checkResults.certExpiresAt)} AS "certExpiresAt", details,
            ${isoText(checkResults.scheduledAt)} AS "scheduledAt",
            ${isoText(checkResults.checkedAt)} AS "checkedAt",
            ${scheduledAtText} AS position, scheduled_at AS sort_at
          FROM ${checkResults}
          WHERE ${sql.join(conditions, sql` AND `)}
          ORDER BY scheduled_at DESC NULLS LAST, region DESC
          LIMIT ${cachedPlan ? sql.raw(String(limit)) : limit}
        ) c ON true
        WHERE m.id = ${monitorId} AND m.user_id = ${userId}
        ORDER BY c.sort_at DESC NULLS LAST, c.region DESC`,
    // A LIMIT given as a parameter makes PostgreSQL's generic plan look costlier than planning each
    // call, hence the literal above: with it the generic plan wins (pg_prepared_statements shows it).
    { prepared: cachedPlan },
  );
  if (rows.length === 0) return null;
  return rows[0]!.region === null ? [] : rows;
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

/** Whose results to delete: one monitor's, or those of every monitor of one user. */
export type ResultOwner = { monitorId: string } | { userId: string };

/**
 * Deletes the results of a monitor (or of all of a user's monitors), all of them or only those scheduled
 * strictly before `before`, and returns how many went. The one batched delete behind the cleanup endpoint,
 * monitor deletion and account deletion: it works partition by partition (only those that can hold rows
 * before `before`), each statement removing at most `batchSize` rows picked by ctid from one partition and
 * committing on its own. So millions of rows never hold locks or a huge transaction for long, and no
 * statement scans the whole table (a DELETE joined on the parent's key would read every partition for
 * every batch). Partitions created while it runs are visited too; one dropped meanwhile by retention has
 * nothing left to delete.
 */
export async function deleteResultsOf(
  db: Database,
  owner: ResultOwner,
  { before, batchSize = CLEANUP_BATCH_SIZE }: { before?: Date | undefined; batchSize?: number } = {},
): Promise<number> {
  const beforeMs = before?.getTime();
  const ownedBy =
    'monitorId' in owner
      ? sql`monitor_id = ${owner.monitorId}`
      : sql`monitor_id IN (SELECT id FROM monitors WHERE user_id = ${owner.userId})`;
  const condition =
    before === undefined ? ownedBy : sql`${ownedBy} AND scheduled_at < ${before.toISOString()}::timestamptz`;
  const visited = new Set<string>();
  let total = 0;
  for (;;) {
    const pending = (await listResultPartitions(db)).filter(
      (p) => !visited.has(p.name) && (beforeMs === undefined || p.fromMs === null || p.fromMs < beforeMs),
    );
    if (pending.length === 0) return total;
    for (const partition of pending) {
      visited.add(partition.name);
      total += await deleteFromPartitionInBatches(db, partition.name, condition, batchSize);
    }
  }
}

/** The cleanup endpoint: the monitor's results scheduled strictly before `cutoff`, in bounded batches. */
export async function deleteChecksBefore(
  db: Database,
  monitorId: string,
  cutoff: Date,
  batchSize = CLEANUP_BATCH_SIZE,
): Promise<number> {
  return deleteResultsOf(db, { monitorId }, { before: cutoff, batchSize });
}
