import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';

/** Incidents open now, all users. */
export async function openIncidentCount(db: Database): Promise<number> {
  const [row] = await queryRows<{ open: number }>(
    db,
    sql`SELECT count(*)::int AS open FROM incidents WHERE status = 'open'`,
  );
  return row?.open ?? 0;
}

export interface MonitorGaugeRow {
  id: string;
  name: string;
  up: boolean;
  /** Null when the monitor has no check in the last day. */
  responseTimeMs: number | null;
}

/**
 * Every monitor that is up or down (not pending, paused or in maintenance), with the response time of its
 * newest check (any region) of the last day: one index probe per monitor on (monitor_id, scheduled_at desc),
 * bounded so that only recent partitions are read.
 */
export async function monitorGauges(db: Database): Promise<MonitorGaugeRow[]> {
  return queryRows<MonitorGaugeRow>(
    db,
    sql`SELECT m.id, m.name, s.state = 'up' AS up, newest.response_time_ms AS "responseTimeMs"
        FROM monitors m
        JOIN monitor_states s ON s.monitor_id = m.id AND s.state IN ('up', 'down')
        LEFT JOIN LATERAL (
          SELECT r.response_time_ms FROM check_results r
          WHERE r.monitor_id = m.id AND r.scheduled_at > now() - interval '1 day'
          ORDER BY r.scheduled_at DESC LIMIT 1
        ) newest ON true
        ORDER BY m.id`,
  );
}
