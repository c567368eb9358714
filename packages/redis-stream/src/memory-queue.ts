import { entryAgeMs, type QueuedTask, type QueueStats, type TaskQueue } from './queue.js';
import type { CheckTask } from './task.js';
import type { DeadLetterEntry } from './dead-letter.js';
import { deadLetterPayload } from './dead-letter.js';
import { decodeTask, encodeTask } from './codec.js';

export interface MemoryTaskQueueOptions {
  /** Entries older than this are trimmed on publish, as in the Redis queue. Default 1 hour. */
  maxAgeMs?: number;
  /** Hard bound on the log length; the oldest entries are dropped first. Default 100 000. */
  maxLength?: number;
  /** Bound on the dead-letter list; the oldest are dropped first. Default 10 000. */
  deadLetterMaxLen?: number;
}

interface LogEntry {
  id: string;
  /** Milliseconds part of the id: when it was appended. */
  ms: number;
  payload: string;
}

interface PendingEntry {
  /** Position in the log, to find the payload again (or learn that it was trimmed). */
  seq: number;
  consumer: string;
  deliveries: number;
  lastDeliveredAt: number;
}

interface ConsumerGroup {
  /** Sequence number of the last entry delivered to the group; -1 before the first. */
  lastDeliveredSeq: number;
  /** Delivered and not yet acknowledged, by entry id. Insertion order is id order, as in Redis. */
  pending: Map<string, PendingEntry>;
}

interface BlockedRead {
  region: string;
  consumer: string;
  count: number;
  timer: NodeJS.Timeout;
  resolve: (tasks: QueuedTask[]) => void;
}

const STREAM_ID = /^\d+-\d+$/;

/**
 * The in-process work queue of single-process mode, with the same semantics as the Redis Streams queue:
 * one append-only log with Redis-style ids, one consumer group per region with its own cursor and pending
 * list, blocking reads, claiming of idle entries and a dead-letter list. Payloads are stored encoded, so
 * every delivery hands out a fresh copy and bad payloads behave as they do in Redis.
 */
export class MemoryTaskQueue implements TaskQueue {
  private readonly maxAgeMs: number;
  private readonly maxLength: number;
  private readonly deadLetterMaxLen: number;

  /** The log is `entries[head..]`; dropped entries are compacted away lazily so trimming stays O(1). */
  private entries: LogEntry[] = [];
  private head = 0;
  /** Sequence number the next appended entry gets; entries' sequence numbers are contiguous. */
  private nextSeq = 0;
  private readonly entryIds = new StreamIdGenerator();
  private readonly deadLetterIds = new StreamIdGenerator();

  private readonly groups = new Map<string, ConsumerGroup>();
  private blockedReads: BlockedRead[] = [];
  private readonly deadLetters: DeadLetterEntry[] = [];
  private closed = false;

  constructor(options: MemoryTaskQueueOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.maxLength = Math.max(1, options.maxLength ?? 100_000);
    this.deadLetterMaxLen = options.deadLetterMaxLen ?? 10_000;
  }

  async publish(tasks: readonly CheckTask[]): Promise<void> {
    this.publishPayloads(tasks.map(encodeTask));
  }

  /**
   * Appends raw payloads, bypassing encoding. For tests and tools that need entries a worker cannot
   * decode (the Redis equivalent is a plain XADD); producers use `publish`.
   */
  publishPayloads(payloads: readonly string[]): void {
    this.assertOpen();
    if (payloads.length === 0) return;
    const now = Date.now();
    for (const payload of payloads) {
      const { id, ms } = this.entryIds.next(now);
      this.entries.push({ id, ms, payload });
      this.nextSeq += 1;
    }
    this.trim(now - this.maxAgeMs);
    this.serveBlockedReads();
  }

  async ensureGroup(region: string): Promise<void> {
    this.assertOpen();
    this.groupFor(region);
  }

  async read(region: string, consumer: string, count: number, blockMs: number): Promise<QueuedTask[]> {
    if (this.closed) return [];
    const limit = Math.floor(count);
    if (!(limit >= 1)) return [];
    const delivered = this.deliverNew(region, consumer, limit);
    if (delivered.length > 0 || !(blockMs > 0)) return delivered;
    return new Promise((resolve) => {
      const blocked: BlockedRead = {
        region,
        consumer,
        count: limit,
        resolve,
        timer: setTimeout(() => {
          this.blockedReads = this.blockedReads.filter((other) => other !== blocked);
          resolve([]);
        }, blockMs),
      };
      this.blockedReads.push(blocked);
    });
  }

  async ack(region: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    assertStreamIds(ids);
    const group = this.groups.get(region);
    if (!group) return;
    for (const id of ids) group.pending.delete(id);
  }

  async touch(region: string, consumer: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    const group = this.groups.get(region);
    if (!group) return;
    const now = Date.now();
    for (const id of ids) {
      const pending = group.pending.get(id);
      if (!pending) continue;
      pending.consumer = consumer;
      pending.lastDeliveredAt = now;
    }
  }

  async claimIdle(region: string, consumer: string, minIdleMs: number, count: number): Promise<QueuedTask[]> {
    this.assertOpen();
    const group = this.groups.get(region);
    const limit = Math.floor(count);
    if (!group || !(limit >= 1)) return [];
    const now = Date.now();
    const claimed: QueuedTask[] = [];
    for (const [id, pending] of group.pending) {
      if (claimed.length >= limit) break;
      if (now - pending.lastDeliveredAt < minIdleMs) continue;
      const entry = this.entryAt(pending.seq);
      if (!entry) {
        // Trimmed while pending: like Redis 7's XAUTOCLAIM, forget it rather than hand out nothing.
        group.pending.delete(id);
        continue;
      }
      pending.consumer = consumer;
      pending.deliveries += 1;
      pending.lastDeliveredAt = now;
      claimed.push(toQueuedTask(entry, pending.deliveries));
    }
    return claimed;
  }

  async pendingFor(region: string, consumer: string, ids: readonly string[]): Promise<QueuedTask[]> {
    this.assertOpen();
    const group = this.groups.get(region);
    if (!group) return [];
    return [...new Set(ids)].flatMap((id) => {
      const pending = group.pending.get(id);
      const entry = pending?.consumer === consumer ? this.entryAt(pending.seq) : undefined;
      return entry ? [toQueuedTask(entry, pending!.deliveries)] : [];
    });
  }

  async deadLetter(region: string, entries: readonly QueuedTask[], reason: string): Promise<void> {
    this.assertOpen();
    if (entries.length === 0) return;
    const now = Date.now();
    for (const entry of entries) {
      this.deadLetters.push({
        id: this.deadLetterIds.next(now).id,
        originalId: entry.id,
        region,
        reason,
        deliveries: entry.deliveries,
        payload: deadLetterPayload(entry),
        deadLetteredAt: now,
      });
    }
    const excess = this.deadLetters.length - this.deadLetterMaxLen;
    if (excess > 0) this.deadLetters.splice(0, excess);
    await this.ack(
      region,
      entries.map((entry) => entry.id),
    );
  }

  /** The newest dead letters first, at most `count`: for inspection by operators and tests. */
  async recentDeadLetters(count = 100): Promise<DeadLetterEntry[]> {
    this.assertOpen();
    const limit = Math.max(0, Math.floor(count));
    return limit === 0 ? [] : this.deadLetters.slice(-limit).reverse();
  }

  async stats(region: string): Promise<QueueStats> {
    this.assertOpen();
    const pending = this.groups.get(region)?.pending;
    // Insertion order is id order: the first key is the oldest.
    const oldest = pending?.keys().next().value;
    return {
      length: this.entries.length - this.head,
      pending: pending?.size ?? 0,
      deadLetters: this.deadLetters.length,
      oldestPendingAgeMs: oldest === undefined ? null : entryAgeMs(oldest),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const blocked = this.blockedReads;
    this.blockedReads = [];
    for (const read of blocked) {
      clearTimeout(read.timer);
      read.resolve([]);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The task queue is closed');
  }

  private groupFor(region: string): ConsumerGroup {
    let group = this.groups.get(region);
    if (!group) {
      // Like XGROUP CREATE ... 0: entries published before the group existed are delivered too.
      group = { lastDeliveredSeq: -1, pending: new Map() };
      this.groups.set(region, group);
    }
    return group;
  }

  /** Drops entries older than `minMs` (exactly, where Redis trims approximately), then the oldest beyond maxLength. */
  private trim(minMs: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.ms < minMs) this.head += 1;
    const excess = this.entries.length - this.head - this.maxLength;
    if (excess > 0) this.head += excess;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private get firstSeq(): number {
    return this.nextSeq - (this.entries.length - this.head);
  }

  private entryAt(seq: number): LogEntry | undefined {
    if (seq < this.firstSeq || seq >= this.nextSeq) return undefined;
    return this.entries[this.head + (seq - this.firstSeq)];
  }

  /** Hands out up to `count` entries the group has not seen yet, recording them as pending. */
  private deliverNew(region: string, consumer: string, count: number): QueuedTask[] {
    const group = this.groupFor(region);
    const now = Date.now();
    const delivered: QueuedTask[] = [];
    // Entries trimmed before the group got to them are skipped, as XREADGROUP does.
    let seq = Math.max(group.lastDeliveredSeq + 1, this.firstSeq);
    for (; seq < this.nextSeq && delivered.length < count; seq += 1) {
      const entry = this.entryAt(seq)!;
      group.pending.set(entry.id, { seq, consumer, deliveries: 1, lastDeliveredAt: now });
      group.lastDeliveredSeq = seq;
      delivered.push(toQueuedTask(entry, 1));
    }
    return delivered;
  }

  /** Serves blocked reads in the order they blocked, as Redis serves blocked clients. */
  private serveBlockedReads(): void {
    if (this.blockedReads.length === 0) return;
    const stillBlocked: BlockedRead[] = [];
    for (const read of this.blockedReads) {
      const delivered = this.deliverNew(read.region, read.consumer, read.count);
      if (delivered.length === 0) {
        stillBlocked.push(read);
        continue;
      }
      clearTimeout(read.timer);
      read.resolve(delivered);
    }
    this.blockedReads = stillBlocked;
  }
}

/** Redis-style "ms-seq" ids: strictly increasing, even when the clock steps back. */
class StreamIdGenerator {
  private lastMs = 0;
  private lastSeq = -1;

  next(now: number): { id: string; ms: number } {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq += 1;
    }
    return { id: `${this.lastMs}-${this.lastSeq}`, ms: this.lastMs };
  }
}

function toQueuedTask(entry: LogEntry, deliveries: number): QueuedTask {
  return { id: entry.id, task: decodeTask(entry.payload), deliveries, payload: entry.payload };
}

function assertStreamIds(ids: readonly string[]): void {
  // Redis rejects a malformed id with "Invalid stream ID"; failing the same way keeps callers honest.
  const invalid = ids.find((id) => !STREAM_ID.test(id));
  if (invalid !== undefined) throw new Error(`Invalid stream ID: ${invalid}`);
}
