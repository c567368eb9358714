import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';

/**
 * The dashboard's overview, a page at a time: the user's monitors filtered (search, state, tag), sorted
 * and paged in SQL, and the count per state. Each sort is one ascending key (sortKey, nameKey, id):
 *
 * - state: down, pending, maintenance, up, paused (the rank), then name, then id;
 * - name: case-insensitive name, then id;
 * - response: slowest newest check first (no check in the window: last), then name, id;
 * - uptime: lowest uptime first (no checks: last), then name, id.
 *
 * Paging is by keyset on that triple (`(sortKey, nameKey, id) > cursor`), never OFFSET, so a page costs
 * the same wherever it is. The shown state (maintenance applies now) and the response and uptime keys are
 * computed, not indexed: every page ranks the matching monitors (a top-N sort), which BENCHMARKS.md
 * measures at 100,000. The response key is each monitor's newest check within the window, as its regions'
 * states keep it (a probe of region_states per monitor, not of check_results' daily partitions); the uptime
 * key comes from the hourly rollups of the window (so it may trail the shown uptime by up to an hour). A monitor whose key changes between two pages may be skipped or shown twice.
 */

export const OVERVIEW_SORTS = ['state', 'name', 'response', 'uptime'] as const;
export type OverviewSort = (typeof OVERVIEW_SORTS)[number];

export const SHOWN_STATES = ['down', 'pending', 'maintenance', 'up', 'paused'] as const;
export type ShownState = (typeof SHOWN_STATES)[number];

export interface OverviewFilter {
  /** Case-insensitive substring of the name or the target. */
  q?: string | undefined;
  /** Monitors carrying this tag (exactly, case kept). */
  tag?: string | undefined;
}

/** Where a page ends: the sort key of its last monitor. */
export interface OverviewPosition {
  sortKey: number;
  nameKey: string;
  id: string;
}

export interface OverviewPageOptions extends OverviewFilter {
  status?: ShownState | undefined;
  sort: OverviewSort;
  limit: number;
  after?: OverviewPosition | undefined;
  /** The monitors a maintenance window covers now: shown as in maintenance unless down or paused. */
  inMaintenance: readonly string[];
  now: Date;
  /** The lookback of the response and uptime keys. */
  windowMs: number;
}

export interface OverviewRow extends OverviewPosition {
  name: string;
  kind: string;
  target: string;
  paused: boolean;
  intervalSeconds: number;
  createdAt: string;
  tags: string[];
  /** The regions it is checked from (empty: every configured one). */
  regions: string[];
  status: ShownState;
  stateSince: string;
  openIncidentId: string | null;
}

const iso = (column: string) =>
  sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** The state a monitor is shown in: shownState() of the incidents package, in SQL. */
function shownState(inMaintenance: readonly string[]): SQL {
  const stored = sql`COALESCE(s.state, CASE WHEN m.paused THEN 'paused' ELSE 'pending' END)`;
  return sql`CASE WHEN ${stored} IN ('down', 'paused') THEN ${stored}
      WHEN m.id = ANY(${sql.param([...inMaintenance])}::uuid[]) THEN 'maintenance'
      WHEN ${stored} = 'maintenance' THEN 'up' ELSE ${stored} END`;
}

/** `%` and `_` in a search are the characters themselves. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function filters(userId: string, { q, tag }: OverviewFilter): SQL {
  const parts = [sql`m.user_id = ${userId}`];
  if (q !== undefined && q !== '') {
    const pattern = likePattern(q);
    parts.push(sql`(m.name ILIKE ${pattern} OR m.target ILIKE ${pattern})`);
  }
  // `@>` is what the GIN index on tags serves.
  if (tag !== undefined) parts.push(sql`m.tags @> ARRAY[${tag}]::text[]`);
  return sql.join(parts, sql` AND `);
}

function sortKey(sort: OverviewSort, now: Date, windowMs: number): SQL {
  const to = sql`${now.toISOString()}::timestamptz`;
  const from = sql`${new Date(now.getTime() - windowMs).toISOString()}::timestamptz`;
  switch (sort) {
    case 'state':
      return sql`(array_position(${sql.param([...SHOWN_STATES])}::text[], c.status))::float8`;
    case 'name':
      return sql`0::float8`;
    case 'response':
      // Negated, so the slowest comes first in ascending order; -(-1) = 1 puts "no check" after any response.
      return sql`-COALESCE((SELECT s.last_response_ms FROM region_states s
          WHERE s.monitor_id = c.id AND s.last_slot_at > ${from} AND s.last_slot_at <= ${to}
          ORDER BY s.last_slot_at DESC LIMIT 1), -1)::float8`;
    case 'uptime':
      // 101: after any uptime, for monitors without rolled-up checks in the window.
      // Planned maintenance left out, as rollups.uptimePercent does (the key's INCLUDE carries the counts).
      return sql`COALESCE((SELECT (sum(u.up) - sum(u.maintenance_up))::float8 * 100
            / NULLIF(sum(u.checks) - sum(u.maintenance_checks), 0) FROM check_rollups u
          WHERE u.monitor_id = c.id AND u.period = 'hour' AND u.starts_at >= ${from}), 101)`;
  }
}

export type StateCounts = Record<ShownState, number> & { total: number };

/**
 * One page of the overview (`limit` rows; ask for one more to learn whether a next page exists) and the
 * count per state of every monitor matching q and tag, in one statement: both come from one pass over the
 * user's monitors. That pass reads the narrow columns only (an index-only scan of monitors_user_id_idx,
 * which includes them); the page's few rows are then read whole.
 */
export async function overviewPage(
  db: Database,
  userId: string,
  options: OverviewPageOptions,
): Promise<{ rows: OverviewRow[]; counts: StateCounts }> {
  const { status, sort, limit, after, inMaintenance, now, windowMs } = options;
  const afterCursor =
    after === undefined
      ? sql``
      : sql`WHERE (k."sortKey", k."nameKey", k.id) > (${after.sortKey}::float8, ${after.nameKey}, ${after.id}::uuid)`;
  const [result] = await queryRows<{ counts: unknown; rows: unknown }>(
    db,
    sql`WITH c AS MATERIALIZED (
          SELECT m.id, m.name, ${shownState(inMaintenance)} AS status
          FROM monitors m LEFT JOIN monitor_states s ON s.monitor_id = m.id
          WHERE ${filters(userId, options)}
        ), k AS (
          SELECT c.id, c.status, ${sortKey(sort, now, windowMs)} AS "sortKey", lower(c.name) AS "nameKey"
          FROM c ${status === undefined ? sql`` : sql`WHERE c.status = ${status}`}
        ), page AS (
          SELECT * FROM k ${afterCursor}
          ORDER BY k."sortKey", k."nameKey", k.id
          LIMIT ${limit}
        ), rows AS (
          SELECT m.id, m.name, m.kind, m.target, m.paused, m.interval_seconds AS "intervalSeconds",
                 ${iso('m.created_at')} AS "createdAt", m.tags, m.regions, p.status,
                 ${iso('COALESCE(s.since, m.created_at)')} AS "stateSince", s.open_incident_id AS "openIncidentId",
                 p."sortKey", p."nameKey"
          FROM page p JOIN monitors m ON m.id = p.id LEFT JOIN monitor_states s ON s.monitor_id = m.id
        )
        SELECT (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM c GROUP BY status) g)
                 AS counts,
               (SELECT json_agg(r ORDER BY r."sortKey", r."nameKey", r.id) FROM rows r) AS rows`,
  );
  // node-postgres parses json columns; PGlite may hand back the text.
  const parse = <T>(value: unknown, empty: T): T =>
    value === null || value === undefined
      ? empty
      : ((typeof value === 'string' ? JSON.parse(value) : value) as T);
  const counts: StateCounts = { up: 0, down: 0, pending: 0, paused: 0, maintenance: 0, total: 0 };
  for (const [state, n] of Object.entries(parse<Record<string, number>>(result?.counts, {}))) {
    counts[state as ShownState] += n;
    counts.total += n;
  }
  return { rows: parse<OverviewRow[]>(result?.rows, []), counts };
}

/** Every tag the user's monitors carry, with how many carry it, by name (case-insensitive, then exact). */
export async function tagsOfUser(
  db: Database,
  userId: string,
): Promise<Array<{ name: string; monitors: number }>> {
  return queryRows(
    db,
    sql`SELECT t.name, count(*)::int AS monitors
        FROM monitors m CROSS JOIN LATERAL unnest(m.tags) AS t(name)
        WHERE m.user_id = ${userId}
        GROUP BY t.name
        ORDER BY lower(t.name), t.name`,
  );
}
