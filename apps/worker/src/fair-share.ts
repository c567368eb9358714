import type { CheckTask } from '@better-uptime/redis-stream';

/** Whose check slots a task uses: its monitor's user, or, for a task that names none, a user of its own. */
export function ownerOf(task: CheckTask): string {
  return task.userId || `monitor:${task.monitorId}`;
}

/** What the fair queue holds: a task and the owner it counts against. */
export interface OwnedTask {
  owner: string;
  task: CheckTask;
}

/** Slots kept free for owners with few checks running: a tenth of the concurrency (none with one slot). */
export function reservedSlots(concurrency: number): number {
  return concurrency < 2 ? 0 : Math.max(1, Math.ceil(concurrency / 10));
}

/**
 * Due tasks waiting for a check slot, one FIFO queue per owner, served round-robin, so that one user's many
 * due checks do not hold back another user's.
 *
 * A running check cannot be taken back, so round-robin alone is not enough: one user's slow targets (checks
 * that each hold a slot until their timeout) would fill every slot, and another user's check would wait for
 * one of them to end. So the last `reserve` free slots are kept for owners running fewer than `reserve`
 * checks: an owner with many checks in flight uses at most `concurrency - reserve` slots, and an owner with
 * few always finds one free. An owner's due backlog is bounded too (`maxBacklog`; the oldest goes first),
 * so that it cannot fill the worker's held tasks and stop it reading other users' tasks.
 */
export class FairShare<T extends OwnedTask> {
  /** Owners with due tasks, in round-robin order: an owner served moves to the end. */
  private readonly queues = new Map<string, Fifo<T>>();
  private readonly running = new Map<string, number>();
  private count = 0;

  constructor(
    readonly reserve: number,
    private readonly maxBacklog: number,
  ) {}

  /** Due tasks waiting. */
  get size(): number {
    return this.count;
  }

  /** Queues a due task; returns the owner's oldest one when that is pushed out by the backlog bound. */
  push(item: T): T | undefined {
    let queue = this.queues.get(item.owner);
    if (!queue) this.queues.set(item.owner, (queue = new Fifo()));
    queue.push(item);
    if (queue.length <= this.maxBacklog) {
      this.count++;
      return undefined;
    }
    return queue.shift();
  }

  /**
   * The next task that may start with `free` slots free, or undefined. Stale heads of the queues it passes
   * are handed to `dropStale` on the way, so a throttled owner's backlog does not outlive its slots.
   */
  take(free: number, isStale: (item: T) => boolean, dropStale: (item: T) => void): T | undefined {
    if (free <= 0) return undefined;
    for (const [owner, queue] of this.queues) {
      while (queue.length > 0 && isStale(queue.peek()!)) {
        this.count--;
        dropStale(queue.shift()!);
      }
      if (queue.length === 0) {
        this.queues.delete(owner);
        continue;
      }
      if (!this.mayStart(owner, free)) continue;
      const item = queue.shift()!;
      this.count--;
      this.queues.delete(owner);
      if (queue.length > 0) this.queues.set(owner, queue);
      return item;
    }
    return undefined;
  }

  /** How many of the due tasks could start now with `free` slots free (were there enough). */
  startable(free: number): number {
    if (free <= 0) return 0;
    if (free > this.reserve) return this.count;
    let n = 0;
    for (const [owner, queue] of this.queues) if (this.mayStart(owner, free)) n += queue.length;
    return n;
  }

  started(owner: string): void {
    this.running.set(owner, (this.running.get(owner) ?? 0) + 1);
  }

  finished(owner: string): void {
    const n = (this.running.get(owner) ?? 1) - 1;
    if (n > 0) this.running.set(owner, n);
    else this.running.delete(owner);
  }

  /** Checks running for this owner. */
  runningFor(owner: string): number {
    return this.running.get(owner) ?? 0;
  }

  *items(): IterableIterator<T> {
    for (const queue of this.queues.values()) yield* queue.items();
  }

  /** Forgets the waiting tasks (the running counts stay until their checks finish). */
  clear(): void {
    this.queues.clear();
    this.count = 0;
  }

  private mayStart(owner: string, free: number): boolean {
    return free > this.reserve || this.runningFor(owner) < this.reserve;
  }
}

/** A first-in first-out queue over an array with a moving head (shift() on an array is O(n)). */
class Fifo<T> {
  private items_: T[] = [];
  private head = 0;

  get length(): number {
    return this.items_.length - this.head;
  }

  push(item: T): void {
    this.items_.push(item);
  }

  peek(): T | undefined {
    return this.items_[this.head];
  }

  shift(): T | undefined {
    if (this.head === this.items_.length) return undefined;
    const item = this.items_[this.head]!;
    this.items_[this.head++] = undefined as unknown as T;
    if (this.head === this.items_.length) {
      this.items_.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items_.length) {
      this.items_ = this.items_.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  items(): T[] {
    return this.items_.slice(this.head);
  }
}
