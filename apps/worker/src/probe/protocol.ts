import type { ResultRow } from '@better-uptime/db';
import type { CheckTask } from '@better-uptime/redis-stream';

/**
 * The remote probe protocol: JSON messages on a WebSocket that the probe opens to the instance
 * (`GET /api/probes/connect`, `Authorization: Bearer bu_probe_...`). The probe runs the worker as it is,
 * over a queue and a result store that are calls on this connection; the instance is the consumer of the
 * probe's region's group on the real queue, and acknowledges an entry only after its result is stored.
 */
export const PROBE_CONNECT_PATH = '/api/probes/connect';

/** Closed by the instance: the token was revoked (the probe stops instead of reconnecting). */
export const CLOSE_REVOKED = 4001;
/** Closed by the instance: the same probe connected again. */
export const CLOSE_REPLACED = 4002;
/** Closed by the instance: a message broke the protocol. */
export const CLOSE_PROTOCOL = 4003;

/** A queue entry as sent to the probe. */
export interface WireTask {
  id: string;
  deliveries: number;
  task: CheckTask | null;
}

/** A result row on the wire: times as epoch milliseconds. */
export type WireResult = Omit<ResultRow, 'scheduledAt' | 'checkedAt' | 'certExpiresAt'> & {
  scheduledAt: number;
  checkedAt: number;
  certExpiresAt: number | null;
};

/** What a probe asks of the instance; each call is answered by a reply with the same id. */
export type ProbeCall =
  | { op: 'read'; count: number; blockMs: number }
  | { op: 'claim'; minIdleMs: number; count: number }
  | { op: 'touch'; ids: string[] }
  | { op: 'ack'; ids: string[] }
  | { op: 'deadLetter'; ids: string[]; reason: string }
  | { op: 'results'; rows: WireResult[] }
  | { op: 'stats'; checked: number; droppedStale: number; latenessP99Ms: number | null };

export type ProbeMessage =
  | { type: 'hello'; version: string }
  | ({ type: 'call'; id: number } & ProbeCall)
  /** The answer to the instance's clock ping: its time echoed, and the probe's time when it answered. */
  | { type: 'clock'; serverTime: number; probeTime: number };

export type InstanceMessage =
  | {
      type: 'welcome';
      probeId: string;
      name: string;
      region: string;
      /** The instance's reclaim settings, so the probe's reclaimer keeps the same pace as its workers. */
      reclaimIdleMs: number;
      reclaimIntervalMs: number;
      maxDeliveries: number;
    }
  | { type: 'reply'; id: number; ok: true; tasks?: WireTask[]; stored?: number; refused?: number }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'clock'; serverTime: number }
  /** The probe's clock minus the instance's, as measured; the probe keeps slots on the instance's time. */
  | { type: 'offset'; offsetMs: number };

export function toWireResult(row: ResultRow): WireResult {
  return {
    ...row,
    scheduledAt: row.scheduledAt.getTime(),
    checkedAt: row.checkedAt.getTime(),
    certExpiresAt: row.certExpiresAt?.getTime() ?? null,
  };
}

export function fromWireResult(wire: WireResult): ResultRow {
  return {
    ...wire,
    scheduledAt: new Date(wire.scheduledAt),
    checkedAt: new Date(wire.checkedAt),
    certExpiresAt: wire.certExpiresAt === null ? null : new Date(wire.certExpiresAt),
  };
}

/** The slot a result or task is for; a result is accepted only for a slot sent to that probe. */
export function slotKey(monitorId: string, scheduledAt: number): string {
  return `${monitorId}@${scheduledAt}`;
}
