import { isDeepStrictEqual } from 'node:util';
import { PUSH_KIND_NAMES } from '@better-uptime/checker';
import type { MonitorRow } from '@better-uptime/db';
import type { TaskQueue } from '@better-uptime/redis-stream';
import { taskFor } from './tasks.js';

/** Whether two monitors check the same thing the same way: the same kind with equal settings. */
export function sameSettings(
  a: Pick<MonitorRow, 'kind' | 'settings'>,
  b: Pick<MonitorRow, 'kind' | 'settings'>,
): boolean {
  return a.kind === b.kind && isDeepStrictEqual(a.settings, b.settings);
}

export interface DirectPushOptions {
  /** Monitors waiting at most (the newest settings of each); beyond, the longest waiting is left to the producer. */
  maxPending?: number;
  /** Backoff between attempts while the queue fails: from `retryMinMs`, doubling up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Told of the first failure of an outage (and every 20th), and when the pushes caught up. */
  onFailure?: (error: unknown, waiting: number) => void;
  onRecovered?: (published: number) => void;
}

/** Tasks per publish when many pushes wait (after an outage): the rest follow at once. */
const PUBLISH_BATCH = 500;

/**
 * The seed's direct push: a monitor just created or edited gets a check at once instead of waiting for its
 * next slot. The API calls `created`/`updated`, which never wait for the queue: the monitor is noted and
 * published right away, and while the queue does not answer (Redis down) it waits here, with the newest
 * settings of each monitor, and is published with backoff as soon as the queue answers again, for a check
 * then. The producer keeps the regular schedule either way, so a push given up (the process stops, or more
 * than `maxPending` wait) only means the first check comes at the monitor's slot.
 */
/** A push waiting to be published: the monitor's newest settings and the slot it was pushed for. */
interface PendingPush {
  monitor: MonitorRow;
  scheduledAt: number;
}

export class DirectPush {
  private readonly pending = new Map<string, PendingPush>();
  private readonly maxPending: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly queue: TaskQueue,
    private readonly options: DirectPushOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 10_000;
    this.retryMinMs = options.retryMinMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
  }

  readonly created = (monitor: MonitorRow): Promise<void> => this.push(monitor);
  readonly updated = (monitor: MonitorRow): Promise<void> => this.push(monitor);

  /** Monitors whose push has not been published yet. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Stops retrying; what waits is left to the producer. Waits for an attempt in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    this.pending.clear();
  }

  private push(monitor: MonitorRow): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Deleted and set again, so the map's order stays the order of the latest pushes.
    this.pending.delete(monitor.id);
    // A push kind has nothing to check at once: its first slot is judged when it comes.
    if (monitor.paused || PUSH_KIND_NAMES.includes(monitor.kind)) return Promise.resolve();
    // The slot is fixed when pushed, not when published: a publish that timed out but reached Redis and is
    // then retried yields the same slot again, which the result key keeps to one check per region.
    this.pending.set(monitor.id, { monitor, scheduledAt: Date.now() });
    if (this.pending.size > this.maxPending) this.pending.delete(this.pending.keys().next().value!);
    if (this.failures === 0) this.schedule(0);
    return Promise.resolve();
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer !== undefined || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.pending.size > 0) this.schedule(this.backoffMs());
      });
    }, delayMs);
    this.timer.unref();
  }

  private backoffMs(): number {
    return this.failures === 0 ? 0 : Math.min(this.retryMaxMs, this.retryMinMs * 2 ** (this.failures - 1));
  }

  private async flush(): Promise<void> {
    const batch: PendingPush[] = [];
    for (const push of this.pending.values()) {
      if (batch.length === PUBLISH_BATCH) break;
      batch.push(push);
    }
    if (batch.length === 0) return;
    try {
      await this.queue.publish(batch.map((push) => taskFor(push.monitor, push.scheduledAt)));
    } catch (error) {
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) this.options.onFailure?.(error, this.pending.size);
      return;
    }
    // Pushed again meanwhile (an edit during the attempt): that newer push stays for the next round.
    for (const push of batch)
      if (this.pending.get(push.monitor.id) === push) this.pending.delete(push.monitor.id);
    if (this.failures > 0) this.options.onRecovered?.(batch.length);
    this.failures = 0;
  }
}

/** The direct push for the API (see DirectPush). */
export function directPush(queue: TaskQueue, options?: DirectPushOptions): DirectPush {
  return new DirectPush(queue, options);
}

type Checked = Pick<MonitorRow, 'kind' | 'settings' | 'timeoutMs' | 'regions' | 'paused'>;

/**
 * Whether an edit deserves a check at once: what is checked changed (target, request, expectations,
 * regions), or the monitor was resumed. A rename, a new interval or new alert thresholds do not send a
 * request to the target (the next slot comes anyway), so a client saving a form in a loop cannot turn the
 * monitor into a load generator.
 */
export function checkChanged(before: Checked, after: Checked): boolean {
  if (after.paused) return false;
  const sameList = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((value, i) => value === b[i]);
  return (
    before.paused ||
    !sameSettings(before, after) ||
    before.timeoutMs !== after.timeoutMs ||
    !sameList(before.regions, after.regions)
  );
}
