import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';

/**
 * The push URLs of heartbeat monitors and their newest push. A token is stored as its SHA-256 only (and
 * its last four characters, to tell URLs apart); the caller hashes.
 */

/** Gives the monitor a new push token (replacing any), armed at `at`: a missing push is judged from then. */
export async function setPushToken(
  db: Database,
  monitorId: string,
  token: { hash: string; hint: string },
  at: number,
): Promise<void> {
  await db.execute(sql`INSERT INTO heartbeats (monitor_id, token_hash, token_hint, armed_at)
    VALUES (${monitorId}, ${token.hash}, ${token.hint}, ${new Date(at).toISOString()}::timestamptz)
    ON CONFLICT (monitor_id) DO UPDATE SET token_hash = excluded.token_hash,
      token_hint = excluded.token_hint, armed_at = excluded.armed_at`);
}

/** Pushes are expected afresh from `at` (a resumed monitor is not judged by the gap of its pause). */
export async function rearm(db: Database, monitorId: string, at: number): Promise<void> {
  await db.execute(
    sql`UPDATE heartbeats SET armed_at = ${new Date(at).toISOString()}::timestamptz WHERE monitor_id = ${monitorId}`,
  );
}

/** The monitor is no longer of a push kind: its URL stops working. */
export async function removePushToken(db: Database, monitorId: string): Promise<void> {
  await db.execute(sql`DELETE FROM heartbeats WHERE monitor_id = ${monitorId}`);
}

export interface HeartbeatView {
  tokenHint: string;
  armedAt: number;
  lastPushAt: number | null;
  lastStatus: string | null;
  lastMessage: string | null;
}

export async function heartbeatOf(db: Database, monitorId: string): Promise<HeartbeatView | null> {
  const [row] = await queryRows<{
    token_hint: string;
    armed_at: string | Date;
    last_push_at: string | Date | null;
    last_status: string | null;
    last_message: string | null;
  }>(
    db,
    sql`SELECT token_hint, armed_at, last_push_at, last_status, last_message
        FROM heartbeats WHERE monitor_id = ${monitorId}`,
  );
  if (!row) return null;
  return {
    tokenHint: row.token_hint,
    armedAt: new Date(row.armed_at).getTime(),
    lastPushAt: row.last_push_at === null ? null : new Date(row.last_push_at).getTime(),
    lastStatus: row.last_status,
    lastMessage: row.last_message,
  };
}

/**
 * Records a push to the monitor whose token hashes to `tokenHash`, if it is of one of the push `kinds`:
 * the newest push wins (one arriving late from a slower API process does not replace a newer one). Returns
 * the monitor and whether it is paused (its push is kept, but no slot of it is judged), or null for a token
 * no monitor has.
 */
export async function recordPush(
  db: Database,
  tokenHash: string,
  push: { at: number; status: string; message: string | null },
  kinds: readonly string[],
): Promise<{ monitorId: string; paused: boolean } | null> {
  const at = new Date(push.at).toISOString();
  const [row] = await queryRows<{ monitor_id: string; paused: boolean }>(
    db,
    sql`UPDATE heartbeats h SET
          last_status = CASE WHEN h.last_push_at > ${at}::timestamptz THEN h.last_status ELSE ${push.status} END,
          last_message = CASE WHEN h.last_push_at > ${at}::timestamptz THEN h.last_message ELSE ${push.message} END,
          last_push_at = GREATEST(h.last_push_at, ${at}::timestamptz)
        FROM monitors m
        WHERE h.token_hash = ${tokenHash} AND m.id = h.monitor_id
          AND m.kind = ANY(${sql.param([...kinds])}::text[])
        RETURNING h.monitor_id, m.paused`,
  );
  return row ? { monitorId: row.monitor_id, paused: row.paused } : null;
}
