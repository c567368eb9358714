import type { ResultRow } from '@better-uptime/db';
import type { CheckTask, QueuedTask } from '@better-uptime/redis-stream';
import { slotKey } from '../recent-slots.js';

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

/**
 * A result row on the wire: times as epoch milliseconds, and the queue entry its slot came in, which lets
 * any API process (not only the one that sent it) verify that the entry was delivered to this probe.
 */
export type WireResult = Omit<ResultRow, 'scheduledAt' | 'checkedAt' | 'certExpiresAt'> & {
  scheduledAt: number;
  checkedAt: number;
  certExpiresAt: number | null;
  entryId?: string;
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

export function toWireResult(row: ResultRow, entryId: string | undefined): WireResult {
  return {
    ...row,
    ...(entryId === undefined ? {} : { entryId }),
    scheduledAt: row.scheduledAt.getTime(),
    checkedAt: row.checkedAt.getTime(),
    certExpiresAt: row.certExpiresAt?.getTime() ?? null,
  };
}

export function fromWireResult({ entryId: _entryId, ...wire }: WireResult): ResultRow {
  return {
    ...wire,
    scheduledAt: new Date(wire.scheduledAt),
    checkedAt: new Date(wire.checkedAt),
    certExpiresAt: wire.certExpiresAt === null ? null : new Date(wire.certExpiresAt),
  };
}

// The slot a result or task is for; a result is accepted only for a slot sent to that probe.
export { slotKey };

/** Entries remembered per probe; beyond this the oldest are forgotten (and then looked up in the queue). */
const MAX_DELIVERED = 50_000;

/**
 * The queue entries sent to one probe and not yet settled, by id and by slot. The instance keeps one per
 * probe (results are accepted for its slots; ack, touch and dead-letter act on its ids), the probe one to
 * name the entry of each result. Settled ids are remembered a while, so that a later call naming them
 * (the probe acks what the instance stored already) needs no look-up.
 */
export class DeliveredEntries {
  private readonly byId = new Map<string, QueuedTask>();
  private readonly bySlot = new Map<string, string>();
  private readonly settled = new Set<string>();
  /** Entries whose result the database refused at their latest delivery: not to be acknowledged. */
  private readonly refused = new Set<string>();

  add(entries: readonly QueuedTask[]): void {
    for (const entry of entries) {
      this.byId.delete(entry.id);
      this.byId.set(entry.id, entry);
      this.settled.delete(entry.id);
      this.refused.delete(entry.id);
      // A slot published twice comes in two entries: the first is the one the worker checks.
      if (entry.task) {
        const key = slotKey(entry.task.monitorId, entry.task.scheduledAt);
        if (!this.bySlot.has(key)) this.bySlot.set(key, entry.id);
      }
      if (this.byId.size > MAX_DELIVERED) this.drop(this.byId.keys().next().value!);
    }
  }

  idOfSlot(key: string): string | undefined {
    return this.bySlot.get(key);
  }

  /** The entry a result names, when it was delivered for that very slot. */
  entryForSlot(id: string, key: string): string | undefined {
    const task = this.byId.get(id)?.task;
    return task && slotKey(task.monitorId, task.scheduledAt) === key ? id : undefined;
  }

  entries(ids: readonly string[]): QueuedTask[] {
    return ids.flatMap((id) => this.byId.get(id) ?? []);
  }

  /** Those of `ids` neither held nor settled lately: what only the queue can tell about. */
  unknown(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.byId.has(id) && !this.settled.has(id));
  }

  /**
   * The database refused these entries' results: they stay pending (a probe's acknowledgement of them is
   * ignored), so they are delivered again and, past the bound, dead-lettered, as a worker's are.
   */
  refusedByDatabase(ids: readonly string[]): void {
    for (const id of ids) if (this.byId.has(id)) this.refused.add(id);
  }

  isRefused(id: string): boolean {
    return this.refused.has(id);
  }

  /** The entries were settled (acknowledged or dead-lettered). */
  forget(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.drop(id)) continue;
      this.settled.add(id);
      if (this.settled.size > MAX_DELIVERED) this.settled.delete(this.settled.values().next().value!);
    }
  }

  private drop(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    this.refused.delete(id);
    if (entry.task) {
      const key = slotKey(entry.task.monitorId, entry.task.scheduledAt);
      if (this.bySlot.get(key) === id) this.bySlot.delete(key);
    }
    return true;
  }
}
