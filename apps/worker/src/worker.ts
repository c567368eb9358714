import type { Logger } from '@better-uptime/config';
import type { CheckOutcome, ProbeOptions } from '@better-uptime/checker';
import type { ReceiveClock } from '@better-uptime/receive-time';
import type { ResultRow } from '@better-uptime/db';
import { resultRowOf } from '@better-uptime/incidents';
import { finishedCheck, type MetricsSink, NO_METRICS } from '@better-uptime/metrics/sink';
import type { CheckTask, QueuedTask, TaskQueue } from '@better-uptime/redis-stream';
import { FairShare, ownerOf, reservedSlots } from './fair-share.js';
import { RecentSlots } from './recent-slots.js';
import { ResultBuffer, type ResultStore } from './result-buffer.js';
import { LatenessWindow, newCounters, type WorkerCounters } from './stats.js';

/** Runs one check of a kind with its settings: the checker's `probe`, or a stand-in in tests. */
export type Probe = (
  kind: string,
  settings: Record<string, unknown>,
  options: ProbeOptions,
) => Promise<CheckOutcome>;

export interface WorkerOptions {
  region: string;
  /** Unique per process: the queue assigns and reclaims work by consumer. */
  consumer: string;
  queue: TaskQueue;
  store: ResultStore;
  probe: Probe;
  logger: Logger;
  /** Checks running at once; a tenth of them are kept for users with few checks running (see FairShare). */
  concurrency: number;
  /** Tasks held at once (waiting for their slot or running); bounds memory when slots are published early. */
  prefetch?: number;
  maxDeliveries: number;
  allowPrivateTargets: boolean;
  /** Says when response data arrived; the checker's default (the kernel's receive times) when unset. */
  clock?: ReceiveClock;
  /** How long a blocking read waits; also bounds how long stop() waits for the reader. */
  readBlockMs?: number;
  resultBatchRows?: number;
  resultBatchDelayMs?: number;
  resultBufferCapacity?: number;
  /**
   * The clock slots are kept on: the local clock, or for a remote probe the instance's (its own clock
   * corrected by the offset measured on its connection), so a probe with a skewed clock is still punctual.
   */
  now?: () => number;
  /** Where checks, lateness, shed slots, dead letters and result writes are reported (Prometheus). */
  metrics?: MetricsSink;
}

/** What the worker keeps of a task it holds: the entry id, the decoded task and its owner, not the raw entry. */
interface HeldTask {
  id: string;
  task: CheckTask;
  owner: string;
}

/** Due checks started back to back before the loop gets a turn for I/O (responses, reads, flushes). */
const START_BATCH = 16;
/** Entries read at once: each read is decoded and accepted in one synchronous run. */
const READ_CHUNK = 200;

/**
 * One region's worker: reads tasks for its consumer group, holds each until its slot, runs the check under
 * a concurrency bound shared fairly between users ({@link FairShare}), and hands the result to the buffer
 * that writes and acknowledges in bulk.
 *
 * It reads only when it has free check slots (running checks plus due tasks that could start stay under
 * `concurrency`; a user throttled by the fair share does not stop it reading other users' tasks), and never
 * holds more than `prefetch` tasks. A slot older than its interval when it comes to
 * run is dropped and counted (load shedding), so an overloaded worker sheds instead of piling up.
 *
 * The hot path is kept light, because every pause of the event loop shows up in the measured timings of
 * the checks in flight: tasks wait for their slot in one min-heap under a single timer (not a timer and a
 * closure each), only the decoded task is held (not the raw entry), and due checks start in batches of
 * {@link START_BATCH} with a turn of the event loop in between.
 */
export class Worker {
  readonly counters: WorkerCounters = newCounters();
  readonly lateness = new LatenessWindow();
  private readonly buffer: ResultBuffer;
  private readonly prefetch: number;
  private running = 0;
  /** Tasks waiting for their slot time: a min-heap on the slot. */
  private readonly waiting = new SlotHeap();
  /** The one timer for the earliest waiting slot, and the slot it is armed for. */
  private slotTimer: NodeJS.Timeout | undefined;
  private slotTimerAt = Infinity;
  /** Due tasks waiting for a free check slot, per user. */
  private readonly due: FairShare<HeldTask>;
  /** The slots taken lately, so that a slot published twice is checked (or shed) once. */
  private readonly recentSlots = new RecentSlots();
  /** The checks running now. */
  private readonly runningTasks = new Set<HeldTask>();
  /** A pump is scheduled for the next turn of the event loop. */
  private pumpScheduled: NodeJS.Immediate | undefined;
  private idleWaiters: Array<() => void> = [];
  private stopping = false;
  private readLoop: Promise<void> | undefined;
  private capacityWaiters: Array<() => void> = [];
  private readonly metrics: MetricsSink;

  private readonly now: () => number;

  constructor(private readonly options: WorkerOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = options.metrics ?? NO_METRICS;
    this.prefetch = options.prefetch ?? Math.max(options.concurrency * 10, 1000);
    // Half the held tasks at most for one user's due backlog: the other half stays for everyone else's.
    this.due = new FairShare(reservedSlots(options.concurrency), Math.max(1, Math.floor(this.prefetch / 2)));
    this.buffer = new ResultBuffer({
      store: options.store,
      ack: (ids) => options.queue.ack(options.region, ids),
      logger: options.logger,
      counters: this.counters,
      onWrite: (rows, seconds, outcome) =>
        this.metrics.resultsWritten(options.region, rows, seconds, outcome),
      maxRows: options.resultBatchRows,
      maxDelayMs: options.resultBatchDelayMs,
      capacity: options.resultBufferCapacity,
      onRoom: () => this.wakeReader(),
    });
  }

  /** Tasks held (waiting, queued or running). */
  get held(): number {
    return this.waiting.size + this.due.size + this.running;
  }

  /** How many tasks could be taken now without exceeding the check and memory bounds. */
  get freeSlots(): number {
    if (this.stopping || this.buffer.full) return 0;
    const free = this.options.concurrency - this.running;
    const checkSlots = free - this.due.startable(free);
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
    clearTimeout(this.slotTimer);
    this.slotTimer = undefined;
    this.slotTimerAt = Infinity;
    this.waiting.clear();
    if (this.pumpScheduled) clearImmediate(this.pumpScheduled);
    this.pumpScheduled = undefined;
    this.due.clear();
    await this.readLoop;
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const drained = await this.buffer.drain(flushDeadlineMs);
    if (!drained)
      this.options.logger.warn('stopped with results unwritten; their messages will be redelivered');
  }

  /** Every entry this worker holds and has not acknowledged: waiting, running, or buffered for the database. */
  heldIds(): string[] {
    const ids = this.waiting.ids();
    for (const held of this.due.items()) ids.push(held.id);
    for (const held of this.runningTasks) ids.push(held.id);
    for (const id of this.buffer.messageIds()) ids.push(id);
    return ids;
  }

  /** Takes tasks from a read or a reclaim. */
  accept(entries: readonly QueuedTask[]): void {
    const { region, maxDeliveries } = this.options;
    let poison: QueuedTask[] | undefined;
    let due = false;
    const now = this.now();
    for (const entry of entries) {
      const task = entry.task;
      if (task === null || entry.deliveries > maxDeliveries) {
        (poison ??= []).push(entry);
        continue;
      }
      if (task.regions.length > 0 && !task.regions.includes(region)) {
        this.counters.skippedRegion++;
        this.buffer.add(entry.id, null);
        continue;
      }
      if (this.recentSlots.isDuplicate(task.monitorId, task.scheduledAt, entry.id)) {
        this.counters.duplicates++;
        this.buffer.add(entry.id, null);
        continue;
      }
      if (this.isStale(task, now)) {
        this.drop(entry.id);
        continue;
      }
      // Stopping: not taken on; the entry stays pending and another consumer reclaims it.
      if (this.stopping) continue;
      const held: HeldTask = { id: entry.id, task, owner: ownerOf(task) };
      if (task.scheduledAt > now) {
        this.waiting.push(held);
      } else {
        this.makeDue(held);
        due = true;
      }
    }
    this.armSlotTimer();
    if (due) this.pump();
    if (poison) void this.deadLetter(poison);
  }

  /**
   * Takes entries claimed from idle consumers, and returns how many it took. A claim can hand back entries
   * this worker holds itself, when the touch that keeps them fresh came too late (a slow round trip let them
   * go idle): they are no new work, and taking them again would run or shed a slot twice.
   */
  takeOver(entries: readonly QueuedTask[]): number {
    if (entries.length === 0) return 0;
    const holding = new Set(this.heldIds());
    const fresh = entries.filter((entry) => !holding.has(entry.id));
    this.accept(fresh);
    return fresh.length;
  }

  /** Resolves once freeSlots is positive (or the worker is stopping). */
  whenCapacity(): Promise<void> {
    if (this.freeSlots > 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Called whenever room may have appeared: a check finished, or the result buffer flushed. */
  private wakeReader(): void {
    if (this.capacityWaiters.length > 0 && (this.freeSlots > 0 || this.stopping))
      for (const wake of this.capacityWaiters.splice(0)) wake();
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
          Math.min(this.freeSlots, READ_CHUNK),
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

  private drop(id: string): void {
    this.counters.droppedStale++;
    this.metrics.slotShed(this.options.region, 'stale');
    this.buffer.add(id, null);
  }

  private readonly dropStale = (held: HeldTask): void => this.drop(held.id);

  /** Queues a task whose slot has come; a user's backlog beyond its bound sheds its oldest slot. */
  private makeDue(held: HeldTask): void {
    const shed = this.due.push(held);
    if (shed) {
      this.counters.droppedBacklog++;
      this.metrics.slotShed(this.options.region, 'backlog');
      this.buffer.add(shed.id, null);
    }
  }

  /** Keeps the single slot timer armed for the earliest waiting task. */
  private armSlotTimer(): void {
    if (this.stopping) return;
    const next = this.waiting.peek();
    if (next === undefined) return;
    const at = next.task.scheduledAt;
    if (this.slotTimer !== undefined && at >= this.slotTimerAt) return;
    clearTimeout(this.slotTimer);
    this.slotTimerAt = at;
    this.slotTimer = setTimeout(this.onSlotTimer, Math.max(0, at - this.now()));
  }

  private readonly onSlotTimer = (): void => {
    this.slotTimer = undefined;
    this.slotTimerAt = Infinity;
    if (this.stopping) return;
    const now = this.now();
    let due = false;
    for (let next = this.waiting.peek(); next && next.task.scheduledAt <= now; next = this.waiting.peek()) {
      this.makeDue(this.waiting.pop()!);
      due = true;
    }
    this.armSlotTimer();
    if (due) this.pump();
  };

  /**
   * Starts queued due checks while check slots are free (as the fair share allows), at most
   * {@link START_BATCH} in one go: the rest start on the next turn of the event loop, after pending I/O
   * (responses being timed) has been handled.
   */
  private pump(): void {
    if (this.pumpScheduled) return;
    let started = 0;
    const now = this.now();
    const isStale = (held: HeldTask) => this.isStale(held.task, now);
    while (!this.stopping) {
      if (started === START_BATCH) {
        if (this.due.size > 0) this.pumpScheduled = setImmediate(this.onPumpTurn);
        break;
      }
      const held = this.due.take(this.options.concurrency - this.running, isStale, this.dropStale);
      if (!held) break;
      started++;
      this.startCheck(held, this.now());
    }
    this.wakeReader();
  }

  private readonly onPumpTurn = (): void => {
    this.pumpScheduled = undefined;
    this.pump();
  };

  private startCheck(held: HeldTask, startedAt: number): void {
    const { task } = held;
    this.running++;
    this.due.started(held.owner);
    this.runningTasks.add(held);
    this.lateness.record(startedAt - task.scheduledAt);
    this.metrics.checkStarted(this.options.region, startedAt - task.scheduledAt);
    let outcome: Promise<CheckOutcome>;
    try {
      outcome = this.options.probe(task.kind, task.settings, {
        timeoutMs: task.timeoutMs,
        allowPrivateTargets: this.options.allowPrivateTargets,
        clock: this.options.clock,
      });
    } catch (error) {
      outcome = Promise.reject(error as Error);
    }
    outcome.then(
      (result) => this.onChecked(held, result),
      (error: unknown) => this.onCheckFailed(held, error),
    );
  }

  private onChecked(held: HeldTask, outcome: CheckOutcome): void {
    this.counters.checked++;
    if (outcome.status === 'Up') this.counters.up++;
    else this.counters.down++;
    this.metrics.checkFinished(finishedCheck(held.task.kind, this.options.region, outcome));
    this.buffer.add(held.id, toRow(held.task, this.options.region, outcome));
    this.checkDone(held);
  }

  /** probe never rejects; should it, the entry stays pending and is reclaimed rather than lost. */
  private onCheckFailed(held: HeldTask, error: unknown): void {
    this.options.logger.error({ err: error, messageId: held.id }, 'check failed unexpectedly');
    this.checkDone(held);
  }

  private checkDone(held: HeldTask): void {
    this.running--;
    this.due.finished(held.owner);
    this.runningTasks.delete(held);
    if (this.running === 0 && this.idleWaiters.length > 0)
      for (const wake of this.idleWaiters.splice(0)) wake();
    this.pump();
  }

  private async deadLetter(entries: QueuedTask[]): Promise<void> {
    const reason = (entry: QueuedTask) => (entry.task === null ? 'undecodable' : 'max_deliveries');
    try {
      for (const kind of ['undecodable', 'max_deliveries']) {
        const group = entries.filter((e) => reason(e) === kind);
        if (group.length > 0) {
          await this.options.queue.deadLetter(this.options.region, group, kind);
          this.metrics.deadLettered(this.options.region, kind, group.length);
        }
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

/** Held tasks ordered by slot (earliest first), so one timer serves all of them. */
class SlotHeap {
  private readonly items: HeldTask[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): HeldTask | undefined {
    return this.items[0];
  }

  ids(): string[] {
    return this.items.map((held) => held.id);
  }

  clear(): void {
    this.items.length = 0;
  }

  push(held: HeldTask): void {
    const { items } = this;
    const at = held.task.scheduledAt;
    let i = items.length;
    items.push(held);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.task.scheduledAt <= at) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = held;
  }

  pop(): HeldTask | undefined {
    const { items } = this;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    const at = last.task.scheduledAt;
    const n = items.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1]!.task.scheduledAt < items[child]!.task.scheduledAt) child++;
      if (items[child]!.task.scheduledAt >= at) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

export function toRow(task: CheckTask, region: string, outcome: CheckOutcome): ResultRow {
  return resultRowOf({ monitorId: task.monitorId, region, scheduledAt: task.scheduledAt }, outcome);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
