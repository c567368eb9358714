import { randomBytes } from 'node:crypto';
import { monitorKind } from '@better-uptime/checker';
import { type Database, heartbeatQueries, type MonitorRow } from '@better-uptime/db';
import { sha256Hex } from '../auth/api-keys.js';

/**
 * Push URLs of heartbeat monitors: `<PUBLIC_URL>/api/push/<token>`, the token `hb_` and 24 random bytes (32
 * base64url characters); the prefix lets the loggers redact it from every line (request URLs included).
 * Only its hash is kept, so the whole URL is shown once, when it is made (a new monitor, a monitor made a
 * heartbeat, a regenerated URL); afterwards answers show it masked, like every secret.
 */
export const PUSH_TOKEN = /^hb_[A-Za-z0-9_-]{32}$/;
const HINT_LENGTH = 4;

export const isPushKind = (kind: string): boolean => monitorKind(kind)?.pushRegion !== undefined;

export function hashPushToken(token: string): string {
  return sha256Hex(token);
}

export function pushUrlOf(publicUrl: string, token: string): string {
  return `${publicUrl}/api/push/${token}`;
}

/** Gives the monitor a new push URL, armed now; answers the URL, the only time it is seen whole. */
export async function newPushUrl(
  db: Database,
  publicUrl: string,
  monitorId: string,
  now: number,
): Promise<string> {
  const token = `hb_${randomBytes(24).toString('base64url')}`;
  await heartbeatQueries.setPushToken(
    db,
    monitorId,
    { hash: hashPushToken(token), hint: token.slice(-HINT_LENGTH) },
    now,
  );
  return pushUrlOf(publicUrl, token);
}

/**
 * Keeps a monitor's push URL in step with an edit, in its transaction: made a heartbeat, it gets a URL
 * (returned, to show once); no longer one, its URL stops working; resumed, pushes are expected from now.
 */
export async function pushUrlAfterEdit(
  db: Database,
  publicUrl: string,
  before: MonitorRow,
  after: MonitorRow,
  now: number,
): Promise<string | null> {
  const was = isPushKind(before.kind);
  const is = isPushKind(after.kind);
  if (is && !was) return newPushUrl(db, publicUrl, after.id, now);
  if (was && !is) await heartbeatQueries.removePushToken(db, after.id);
  else if (is && before.paused && !after.paused) await heartbeatQueries.rearm(db, after.id, now);
  return null;
}

/**
 * What a push kind's answer adds: its push URL (whole when just made, else masked) and its newest push.
 * Nothing for other kinds.
 */
export async function pushFieldsOf(
  db: Database,
  publicUrl: string,
  monitor: { id: string; kind: string },
  wholeUrl?: string | null,
) {
  if (!isPushKind(monitor.kind)) return {};
  const heartbeat = await heartbeatQueries.heartbeatOf(db, monitor.id);
  return {
    pushUrl: wholeUrl ?? pushUrlOf(publicUrl, `…${heartbeat?.tokenHint ?? ''}`),
    lastPush:
      heartbeat?.lastPushAt == null
        ? null
        : {
            at: new Date(heartbeat.lastPushAt).toISOString(),
            status: heartbeat.lastStatus ?? 'up',
            message: heartbeat.lastMessage,
          },
  };
}
