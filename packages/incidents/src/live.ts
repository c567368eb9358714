import { type Database, notify } from '@better-uptime/db';

/**
 * Live news for open dashboards: the results and state changes a transaction writes, told with NOTIFY in
 * that same transaction, so listeners hear of them exactly when they are committed (and never of a rolled
 * back attempt). The API's one listener per process fans them out to its subscribers by user.
 */
export const LIVE_CHANNEL = 'better_uptime_live';

export interface LiveCheck {
  monitorId: string;
  userId: string;
  region: string;
  status: 'Up' | 'Down';
  responseTimeMs: number;
  /** Epoch ms. */
  checkedAt: number;
}

export interface LiveState {
  monitorId: string;
  userId: string;
  status: string;
  /** Epoch ms. */
  since: number;
}

export interface LiveNews {
  checks: LiveCheck[];
  states: LiveState[];
}

/** NOTIFY payloads must stay under 8,000 bytes; ids and numbers are ASCII, region names short. */
const PAYLOAD_BYTES = 7_000;

type CheckTuple = [string, string, string, 'Up' | 'Down', number, number];
type StateTuple = [string, string, string, number];

/** Compact payloads (arrays of tuples), each under PAYLOAD_BYTES. */
export function livePayloads({ checks, states }: LiveNews): string[] {
  const payloads: string[] = [];
  let batch: { c: CheckTuple[]; s: StateTuple[] } = { c: [], s: [] };
  let size = 0;
  const add = (kind: 'c' | 's', tuple: CheckTuple | StateTuple) => {
    const bytes = Buffer.byteLength(JSON.stringify(tuple)) + 1;
    if (size + bytes > PAYLOAD_BYTES - 16 && size > 0) {
      payloads.push(JSON.stringify(batch));
      batch = { c: [], s: [] };
      size = 0;
    }
    (batch[kind] as Array<CheckTuple | StateTuple>).push(tuple);
    size += bytes;
  };
  for (const s of states) add('s', [s.monitorId, s.userId, s.status, s.since]);
  for (const c of checks)
    add('c', [c.monitorId, c.userId, c.region, c.status, c.responseTimeMs, c.checkedAt]);
  if (size > 0) payloads.push(JSON.stringify(batch));
  return payloads;
}

/** The news of one payload; an unreadable payload is no news. */
export function parseLivePayload(payload: string): LiveNews {
  try {
    const parsed = JSON.parse(payload) as { c?: CheckTuple[]; s?: StateTuple[] };
    return {
      checks: (parsed.c ?? []).map(([monitorId, userId, region, status, responseTimeMs, checkedAt]) => ({
        monitorId,
        userId,
        region,
        status,
        responseTimeMs,
        checkedAt,
      })),
      states: (parsed.s ?? []).map(([monitorId, userId, status, since]) => ({
        monitorId,
        userId,
        status,
        since,
      })),
    };
  } catch {
    return { checks: [], states: [] };
  }
}

/** Tells listeners of the news, inside the caller's transaction (delivered at its commit). */
export async function notifyLive(tx: Database, news: LiveNews): Promise<void> {
  await notify(tx, LIVE_CHANNEL, livePayloads(news));
}
