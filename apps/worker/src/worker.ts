import type { Logger } from '@better-uptime/config';
import type { CheckOutcome, CheckRequest } from '@better-uptime/checker';
import type { ResultRow } from '@better-uptime/db';
import type { CheckTask, QueuedTask, TaskQueue } from '@better-uptime/redis-stream';
import { ResultBuffer, type ResultStore } from './result-buffer.js';
import { LatenessWindow, newCounters, type WorkerCounters } from './stats.js';

export type RunCheck = (request: CheckRequest) => Promise<CheckOutcome>;

export interface WorkerOptions {
  region: string;
  /** Unique per process: the queue assigns and reclaims work by consumer. */
  consumer: string;
  queue: TaskQueue;
  store: ResultStore;
  runCheck: RunCheck;
  logger: Logger;
  /** Checks running at once. */
  concurrency: number;
  /** Tasks held at once (waiting for their slot or running); bounds memory when slots are published early. */
  prefetch?: number;
  maxDeliveries: number;
  allowPrivateTargets: boolean;
  /** How long a blocking read waits; also bounds how long stop() waits for the reader. */
  readBlockMs?: number;
  resultBatchRows?: number;
  resultBatchDelayMs?: number;
  resultBufferCapacity?: number;
}

/**
 * One region's worker: reads tasks for its consumer group, holds each until its slot, runs the check under
 * a concurrency bound, and hands the result to the buffer that writes and acknowledges in bulk.
 *
 * It reads only when it has free check slots (running checks plus due tasks waiting for a slot stay under
 * `concurrency`), and never holds more than `prefetch` tasks. A slot older than its interval when it comes to
 * run is dropped and counted (load shedding), so an overloaded worker sheds instead of piling up.
 */
export class Worker {
  readonly counters: WorkerCounters = newCounters();
  readonly lateness = new LatenessWindow();
  private readonly buffer: ResultBuffer;
  private readonly prefetch: number;
  private running = 0;
  /** Tasks waiting for their slot time. */
  private readonly waitingForSlot = new Map<string, NodeJS.Timeout>();
  /** Due tasks waiting for a free check slot, in order. */
  private readonly dueQueue: Array<{ entry: QueuedTask; task: CheckTask }> = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Entry ids of the checks running now. */
  private readonly runningIds = new Set<string>();
  private stopping = false;
  private readLoop: Promise<void> | undefined;
  private capacityWaiters: Array<() => void> = [];

  constructor(private readonly options: WorkerOptions) {
    this.prefetch = options.prefetch ?? Math.max(options.concurrency * 10, 1000);
    this.buffer = new ResultBuffer({
      store: options.store,
      ack: (ids) => options.queue.ack(options.region, ids),
      logger: options.logger,
      counters: this.counters,
      maxRows: options.resultBatchRows,
      maxDelayMs: options.resultBatchDelayMs,
      capacity: options.resultBufferCapacity,
      onRoom: () => this.wakeReader(),
    });
  }

  /** Tasks held (waiting, queued or running). */
  get held(): number {
    return this.waitingForSlot.size + this.dueQueue.length + this.running;
  }

  /** How many tasks could be taken now without exceeding the check and memory bounds. */
  get freeSlots(): number {
    if (this.stopping || this.buffer.full) return 0;
    const checkSlots = this.options.concurrency - this.running - this.dueQueue.length;
    return Math.max(0, Math.min(checkSlots, this.prefetch - this.held));
  }

  async start(): Promise<void> {
    await this.options.queue.ensureGroup(this.options.region);
    this.readLoop = this.readForever();
  }

  /**
   * Graceful stop: stop reading, let running checks finish, write and ack their results. Tasks not yet
   * started stay unacknowledged and are reclaimed by another consumer.
   */
  async stop(flushDeadlineMs = 15_000): Promise<void> {
    this.stopping = true;
    for (const wake of this.capacityWaiters.splice(0)) wake();
    for (const timer of this.waitingForSlot.values()) clearTimeout(timer);
    this.waitingForSlot.clear();
    this.dueQueue.length = 0;
    await this.readLoop;
    await Promise.all(this.inFlight);
    const drained = await this.buffer.drain(flushDeadlineMs);
    if (!drained)
      this.options.logger.warn('stopped with results unwritten; their messages will be redelivered');
  }

  /** Every entry this worker holds and has not acknowledged: waiting, running, or buffered for the database. */
  heldIds(): string[] {
    return [
      ...this.waitingForSlot.keys(),
      ...this.dueQueue.map((d) => d.entry.id),
      ...this.runningIds,
      ...this.buffer.messageIds(),
    ];
  }

  /** Takes tasks from a read or a reclaim. */
  accept(entries: readonly QueuedTask[]): void {
    const { region, maxDeliveries } = this.options;
    const poison: QueuedTask[] = [];
    for (const entry of entries) {
      const task = entry.task;
      if (task === null || entry.deliveries > maxDeliveries) {
        poison.push(entry);
        continue;
      }
      if (task.regions.length > 0 && !task.regions.includes(region)) {
        this.counters.skippedRegion++;
        this.buffer.add(entry.id, null);
        continue;
      }
      if (this.isStale(task, Date.now())) {
        this.drop(entry);
        continue;
      }
      const wait = task.scheduledAt - Date.now();
      if (wait > 0) {
        this.waitingForSlot.set(
          entry.id,
          setTimeout(() => {
            this.waitingForSlot.delete(entry.id);
            this.enqueueDue(entry, task);
          }, wait),
        );
      } else {
        this.enqueueDue(entry, task);
      }
    }
    if (poison.length > 0) void this.deadLetter(poison);
  }

  /** Resolves once freeSlots is positive (or the worker is stopping). */
  whenCapacity(): Promise<void> {
    if (this.freeSlots > 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Called whenever room may have appeared: a check finished, or the result buffer flushed. */
  private wakeReader(): void {
    if (this.freeSlots > 0 || this.stopping) for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private async readForever(): Promise<void> {
    const { queue, region, consumer, logger } = this.options;
    let failures = 0;
    while (!this.stopping) {
      await this.whenCapacity();
      if (this.stopping) break;
      try {
        const entries = await queue.read(
          region,
          consumer,
          Math.min(this.freeSlots, 500),
          this.options.readBlockMs ?? 1000,
        );
        failures = 0;
        this.accept(entries);
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 20 === 0)
          logger.warn({ err: error, failures }, 'queue read failed; retrying');
        await sleep(Math.min(10_000, 100 * 2 ** failures));
      }
    }
  }

  private isStale(task: CheckTask, now: number): boolean {
    return now - task.scheduledAt > task.intervalSeconds * 1000;
  }

  private drop(entry: QueuedTask): void {
    this.counters.droppedStale++;
    this.buffer.add(entry.id, null);
  }

  private enqueueDue(entry: QueuedTask, task: CheckTask): void {
    if (this.stopping) return;
    this.dueQueue.push({ entry, task });
    this.pump();
  }

  /** Starts queued due checks while check slots are free. */
  private pump(): void {
    while (this.running < this.options.concurrency && this.dueQueue.length > 0 && !this.stopping) {
      const { entry, task } = this.dueQueue.shift()!;
      const startedAt = Date.now();
      if (this.isStale(task, startedAt)) {
        this.drop(entry);
        continue;
      }
      this.running++;
      this.runningIds.add(entry.id);
      const run = this.check(entry, task, startedAt).finally(() => {
        this.running--;
        this.runningIds.delete(entry.id);
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
    this.wakeReader();
  }

  private async check(entry: QueuedTask, task: CheckTask, startedAt: number): Promise<void> {
    this.lateness.record(startedAt - task.scheduledAt);
    const outcome = await this.options.runCheck({
      url: task.url,
      method: task.method,
      timeoutMs: task.timeoutMs,
      expectedStatus: task.expectedStatus,
      keyword: task.keyword,
      keywordMode: task.keywordMode,
      followRedirects: task.followRedirects,
      allowPrivateTargets: this.options.allowPrivateTargets,
    });
    this.counters.checked++;
    if (outcome.status === 'Up') this.counters.up++;
    else this.counters.down++;
    this.buffer.add(entry.id, toRow(task, this.options.region, outcome));
  }

  private async deadLetter(entries: QueuedTask[]): Promise<void> {
    const reason = (entry: QueuedTask) => (entry.task === null ? 'undecodable' : 'max_deliveries');
    try {
      for (const kind of ['undecodable', 'max_deliveries']) {
        const group = entries.filter((e) => reason(e) === kind);
        if (group.length > 0) await this.options.queue.deadLetter(this.options.region, group, kind);
      }
      this.counters.deadLettered += entries.length;
      this.options.logger.warn(
        { count: entries.length, ids: entries.map((e) => e.id) },
        'moved messages to the dead-letter stream',
      );
    } catch (error) {
      // They stay pending and come back through the reclaimer.
      this.options.logger.warn({ err: error }, 'dead-lettering failed');
    }
  }
}

export function toRow(task: CheckTask, region: string, outcome: CheckOutcome): ResultRow {
  return {
    monitorId: task.monitorId,
    region,
    scheduledAt: new Date(task.scheduledAt),
    checkedAt: new Date(outcome.startedAt),
    status: outcome.status,
    responseTimeMs: outcome.responseTimeMs,
    statusCode: outcome.statusCode,
    reason: outcome.reason,
    message: outcome.message,
    dnsMs: outcome.timings.dnsMs,
    connectMs: outcome.timings.connectMs,
    tlsMs: outcome.timings.tlsMs,
    firstByteMs: outcome.timings.firstByteMs,
    certExpiresAt: outcome.certExpiresAt,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
