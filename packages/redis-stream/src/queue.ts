import type { CheckTask } from './task.js';

/** How long ago an entry was appended, from the milliseconds part of its id ("ms-seq"). */
export function entryAgeMs(id: string, now = Date.now()): number {
  return Math.max(0, now - Number(id.slice(0, id.indexOf('-'))));
}

/** A task as a region's consumer group sees it. */
export interface QueuedTask {
  /** The stream entry id (Redis "ms-seq"). */
  id: string;
  /** The decoded task, or null when the entry could not be decoded (such an entry is dead-lettered). */
  task: CheckTask | null;
  /** How many times this entry has been delivered to the group, this delivery included (1 on first read). */
  deliveries: number;
  /**
   * The entry's payload exactly as stored, when the queue has it. Kept so that a dead letter preserves
   * what could not be decoded; producers and workers need not look at it.
   */
  payload?: string;
}

export interface QueueStats {
  /** Entries in the work stream (after trimming). */
  length: number;
  /** Entries delivered to this region's group and not yet acknowledged. */
  pending: number;
  /** Entries in the dead-letter stream (all regions). */
  deadLetters: number;
  /** How long ago the oldest entry pending for this region was published (its id's time); null when none. */
  oldestPendingAgeMs: number | null;
}

/**
 * The work queue between scheduler and workers. Implemented over Redis Streams (one stream, one consumer
 * group per region) and in-process (single-process mode); producer, API and worker only see this.
 */
export interface TaskQueue {
  /** Appends tasks in one round trip (pipelined), trimming entries older than the queue's maximum age. */
  publish(tasks: readonly CheckTask[]): Promise<void>;
  /** Creates the region's consumer group if it does not exist yet (idempotent). */
  ensureGroup(region: string): Promise<void>;
  /**
   * Up to `count` entries never delivered to this region's group, assigned to `consumer` (creating the
   * group if needed). Waits up to `blockMs` when there are none (`blockMs <= 0`: does not wait); returns []
   * on timeout or when the queue is closed. Each delivered entry is pending until acked or claimed.
   */
  read(region: string, consumer: string, count: number, blockMs: number): Promise<QueuedTask[]>;
  /** Acknowledges entries for the region's group, in one call. Unknown ids are ignored. */
  ack(region: string, ids: readonly string[]): Promise<void>;
  /**
   * Takes over up to `count` entries of the region's group that have been pending (unacknowledged) for at
   * least `minIdleMs`, assigning them to `consumer` and counting the delivery. Pending entries whose stream
   * entry was trimmed meanwhile are dropped from the pending list and not returned.
   */
  claimIdle(region: string, consumer: string, minIdleMs: number, count: number): Promise<QueuedTask[]>;
  /**
   * Tells the queue that `consumer` is still working on these entries: resets their idle time without
   * counting a delivery, so a check that legitimately runs long (a slow target with a 60 s timeout, a task
   * held until its slot) is not taken over by another consumer's reclaimer. Entries no longer pending for
   * the group are ignored.
   */
  touch(region: string, consumer: string, ids: readonly string[]): Promise<void>;
  /**
   * Those of `ids` pending for the region's group under `consumer`: delivered to it (by whichever process
   * read or claimed them for it) and neither acknowledged nor claimed by another consumer since. Counts no
   * delivery and leaves the idle time alone. Entries trimmed from the stream, and ids that are no stream
   * ids, are left out.
   */
  pendingFor(region: string, consumer: string, ids: readonly string[]): Promise<QueuedTask[]>;
  /** Copies entries to the dead-letter stream with the reason, then acknowledges them for the region. */
  deadLetter(region: string, entries: readonly QueuedTask[], reason: string): Promise<void>;
  /** Missing stream or group count as zeros. */
  stats(region: string): Promise<QueueStats>;
  /** Ends connections; a read blocked in `read` returns []. Other calls after close reject. */
  close(): Promise<void>;
}
