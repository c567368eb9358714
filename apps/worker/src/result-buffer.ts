import type { Logger } from '@better-uptime/config';
import { isRowDataError, type ResultRow, type RowOutcome } from '@better-uptime/db';
import type { WorkerCounters } from './stats.js';

/** Where results go: the database, seen only through these two calls. */
export interface ResultStore {
  insert(rows: readonly ResultRow[]): Promise<unknown>;
  insertOneByOne(rows: readonly ResultRow[]): Promise<RowOutcome[]>;
}

export interface ResultBufferOptions {
  store: ResultStore;
  /** Acknowledges queue messages (one call per flush). */
  ack: (ids: string[]) => Promise<void>;
  logger: Logger;
  counters: WorkerCounters;
  /** Told of each bulk insert: its rows, its duration and whether it committed. */
  onWrite?: (rows: number, seconds: number, outcome: 'ok' | 'failed') => void;
  /** Rows per insert statement. */
  maxRows?: number;
  /** A partial batch waits at most this long. */
  maxDelayMs?: number;
  /**
   * Inserts in flight at once (default 2): while one batch commits the next is already being written, so
   * the database works on two cores instead of waiting for round trips. One at a time while failing.
   */
  maxConcurrentFlushes?: number;
  /**
   * Results held (waiting or being written) before the worker must stop reading: backpressure while the
   * database is down or slow.
   */
  capacity?: number;
  /** Called when a write has finished (and may have made room), so a reader waiting on a full buffer can go on. */
  onRoom?: () => void;
}

interface Entry {
  messageId: string;
  /** Null for a message that only needs its ack (dropped or skipped task). */
  row: ResultRow | null;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

/**
 * Buffers results and writes them in bulk: one multi-row insert per flush (at maxRows rows or after
 * maxDelayMs), then one ack for exactly the messages whose rows are committed. Acks always follow the
 * commit, so a crash loses nothing (unacked messages are reclaimed) and a retry duplicates nothing (the
 * insert is idempotent). While the database fails, rows stay buffered and flushes retry with exponential
 * backoff; when the buffer is full the worker stops reading new work, so memory stays bounded.
 */
export class ResultBuffer {
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  readonly capacity: number;
  private entries: Entry[] = [];
  /** Committed but not yet acknowledged (the queue was unreachable); retried before the next flush. */
  private unacked: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly maxConcurrentFlushes: number;
  private readonly flushing = new Set<Promise<void>>();
  /** Batches taken out of `entries` and being written: still unacknowledged, so still held. */
  private readonly writing = new Set<Entry[]>();
  /** Entries in the batches of `writing`. */
  private writingCount = 0;
  private failures = 0;

  constructor(private readonly options: ResultBufferOptions) {
    this.maxRows = options.maxRows ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 250;
    this.capacity = options.capacity ?? 5_000;
    this.maxConcurrentFlushes = Math.max(1, options.maxConcurrentFlushes ?? 2);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Messages buffered or being written, and not yet acknowledged (the reclaimer keeps them from going idle). */
  messageIds(): string[] {
    const ids = this.entries.map((e) => e.messageId);
    for (const batch of this.writing) for (const entry of batch) ids.push(entry.messageId);
    for (const id of this.unacked) ids.push(id);
    return ids;
  }

  get full(): boolean {
    return this.entries.length + this.writingCount >= this.capacity;
  }

  add(messageId: string, row: ResultRow | null): void {
    this.entries.push({ messageId, row });
    if (this.entries.length >= this.maxRows && this.failures === 0) {
      // A full batch goes now, not when the partial batch's deadline comes.
      if (this.timer) this.cancelTimer();
      this.flushSoon(0);
    } else this.flushSoon(this.failures === 0 ? this.maxDelayMs : this.backoffMs());
  }

  /** Flushes until empty; gives up (leaving messages unacked, to be redelivered) after `deadlineMs`. */
  async drain(deadlineMs: number): Promise<boolean> {
    const until = Date.now() + deadlineMs;
    clearTimeout(this.timer);
    this.timer = undefined;
    // A batch being inserted is no longer in `entries`: drained means its flush has finished too.
    const pending = () => this.entries.length > 0 || this.unacked.length > 0 || this.flushing.size > 0;
    while (pending() && Date.now() < until) {
      await this.flush();
      if (this.failures > 0) await sleep(Math.min(this.backoffMs(), Math.max(0, until - Date.now())));
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    return !pending();
  }

  /**
   * Starts flushes up to `maxConcurrentFlushes` (only one while inserts fail): one for whatever is
   * buffered, more only for full batches. Resolves when every flush in progress has finished.
   */
  flush(): Promise<void> {
    const limit = this.failures > 0 ? 1 : this.maxConcurrentFlushes;
    while (this.flushing.size < limit && (this.flushing.size === 0 || this.entries.length >= this.maxRows)) {
      const run: Promise<void> = this.flushOnce().finally(() => {
        this.flushing.delete(run);
        if (this.entries.length > 0 && !this.timer) {
          this.flushSoon(
            this.failures > 0 ? this.backoffMs() : this.entries.length >= this.maxRows ? 0 : this.maxDelayMs,
          );
        }
      });
      this.flushing.add(run);
    }
    return Promise.all(this.flushing).then(() => undefined);
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flushSoon(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private backoffMs(): number {
    return Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, this.failures - 1));
  }

  private async flushOnce(): Promise<void> {
    if (this.unacked.length > 0 && !(await this.ack(this.unacked.splice(0)))) {
      this.failures++;
      return;
    }
    if (this.entries.length === 0) return;
    const batch = this.entries.splice(0, this.maxRows);
    this.writing.add(batch);
    this.writingCount += batch.length;
    try {
      await this.writeBatch(batch);
    } finally {
      this.writing.delete(batch);
      this.writingCount -= batch.length;
      // Only now is the batch no longer counted against the capacity; a failed one is back in `entries`.
      this.options.onRoom?.();
    }
  }

  private async writeBatch(batch: Entry[]): Promise<void> {
    const rows = batch.filter((e) => e.row !== null).map((e) => e.row!);
    const { counters, logger, onWrite } = this.options;
    const started = performance.now();
    try {
      await this.options.store.insert(rows);
      counters.stored += rows.length;
      if (rows.length > 0) onWrite?.(rows.length, (performance.now() - started) / 1000, 'ok');
    } catch (error) {
      if (rows.length > 0) onWrite?.(rows.length, (performance.now() - started) / 1000, 'failed');
      if (!isRowDataError(error)) {
        this.entries.unshift(...batch);
        this.failures++;
        counters.flushFailures++;
        if (this.failures === 1 || this.failures % 20 === 0) {
          logger.warn(
            { err: error, buffered: this.entries.length, failures: this.failures },
            'result insert failed; retrying with backoff',
          );
        }
        return;
      }
      // Some row is bad: store the others and leave only the bad ones pending.
      const rejected = await this.isolateBadRows(batch).catch((retryError: unknown) => {
        this.entries.unshift(...batch);
        this.failures++;
        counters.flushFailures++;
        logger.warn({ err: retryError }, 'result insert failed while isolating a bad row');
        return undefined;
      });
      if (rejected === undefined) return;
      const rejectedIds = new Set(rejected);
      await this.ack(batch.map((e) => e.messageId).filter((id) => !rejectedIds.has(id)));
      this.afterSuccess();
      return;
    }
    await this.ack(batch.map((e) => e.messageId));
    this.afterSuccess();
  }

  /** Returns the message ids whose rows the database refused. */
  private async isolateBadRows(batch: Entry[]): Promise<string[]> {
    const withRows = batch.filter((e) => e.row !== null);
    const outcomes = await this.options.store.insertOneByOne(withRows.map((e) => e.row!));
    const rejected: string[] = [];
    outcomes.forEach((outcome, i) => {
      const entry = withRows[i]!;
      if (outcome === 'stored') this.options.counters.stored++;
      else if (outcome === 'monitor_deleted') this.options.counters.droppedDeleted++;
      else {
        this.options.counters.rejected++;
        rejected.push(entry.messageId);
        this.options.logger.warn(
          { messageId: entry.messageId, monitorId: entry.row!.monitorId },
          'result refused by the database; its message stays pending and will be dead-lettered',
        );
      }
    });
    return rejected;
  }

  private afterSuccess(): void {
    if (this.failures > 0)
      this.options.logger.info({ buffered: this.entries.length }, 'result inserts recovered');
    this.failures = 0;
  }

  /** Acks; on failure keeps the ids to retry (the rows are safe, a redelivery would be a no-op anyway). */
  private async ack(ids: string[]): Promise<boolean> {
    if (ids.length === 0) return true;
    try {
      await this.options.ack(ids);
      return true;
    } catch (error) {
      this.options.counters.ackFailures++;
      this.options.logger.warn({ err: error, count: ids.length }, 'ack failed; will retry');
      // Bounded: beyond the capacity the oldest are forgotten; they will be redelivered and skipped as duplicates.
      this.unacked = [...ids, ...this.unacked].slice(0, this.capacity);
      return false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
