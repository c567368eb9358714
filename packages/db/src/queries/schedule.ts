import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import type { MonitorCheckSettings } from '../schema.js';

/** A monitor due for a check, with the slot it is due for and everything a check needs. */
export type DueMonitor = MonitorCheckSettings & {
  id: string;
  /** The slot to publish, epoch ms. */
  slotAt: number;
};

interface DueRow {
  id: string;
  url: string;
  interval_seconds: number;
  timeout_ms: number;
  method: 'GET' | 'HEAD';
  expected_status: string[];
  keyword: string | null;
  keyword_mode: 'present' | 'absent';
  follow_redirects: boolean;
  regions: string[];
  next_check_at: string | Date;
}

/**
 * Claims up to `limit` unpaused monitors whose next slot falls before `horizon`, hands them to `publish`,
 * and only then advances their next_check_at by whole intervals, all in one transaction. Rows are locked
 * FOR UPDATE SKIP LOCKED, so concurrent schedulers claim disjoint monitors and never publish a slot twice;
 * if `publish` fails the transaction rolls back and the slots stay due. A crash after publishing but before
 * the commit republishes the slot later, which the results' idempotency key makes harmless.
 *
 * When a monitor is more than one interval behind (the scheduler was down), the missed slots are skipped:
 * only the latest slot before the horizon is published. Returns the number of monitors claimed.
 */
export async function claimDueMonitors(
  db: Database,
  horizon: number,
  limit: number,
  publish: (due: DueMonitor[]) => Promise<void>,
): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await queryRows<DueRow>(
      tx as unknown as Database,
      sql`SELECT id, url, interval_seconds, timeout_ms, method, expected_status, keyword, keyword_mode,
                 follow_redirects, regions, next_check_at
          FROM monitors
          WHERE NOT paused AND next_check_at <= ${new Date(horizon).toISOString()}::timestamptz
          ORDER BY next_check_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED`,
    );
    if (rows.length === 0) return 0;
    const due = rows.map((row): DueMonitor => {
      const intervalMs = row.interval_seconds * 1000;
      const next = new Date(row.next_check_at).getTime();
      const skipped = Math.max(0, Math.floor((horizon - next) / intervalMs));
      return {
        id: row.id,
        url: row.url,
        intervalSeconds: row.interval_seconds,
        timeoutMs: row.timeout_ms,
        method: row.method,
        expectedStatus: row.expected_status,
        keyword: row.keyword,
        keywordMode: row.keyword_mode,
        followRedirects: row.follow_redirects,
        regions: row.regions,
        slotAt: next + skipped * intervalMs,
      };
    });
    await publish(due);
    await tx.execute(sql`UPDATE monitors AS m SET next_check_at = v.next_check_at
      FROM unnest(${sql.param(due.map((d) => d.id))}::uuid[],
                  ${sql.param(due.map((d) => new Date(d.slotAt + d.intervalSeconds * 1000).toISOString()))}::timestamptz[])
        AS v(id, next_check_at)
      WHERE m.id = v.id`);
    return due.length;
  });
}
