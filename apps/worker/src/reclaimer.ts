import type { Logger } from '@better-uptime/config';
import type { TaskQueue } from '@better-uptime/redis-stream';
import type { Worker } from './worker.js';

export interface ReclaimerOptions {
  queue: TaskQueue;
  worker: Worker;
  region: string;
  consumer: string;
  logger: Logger;
  /** Entries pending longer than this belong to a consumer presumed dead. */
  idleMs: number;
  intervalMs: number;
}

const MAX_CLAIM = 200;
const TOUCH_CHUNK = 1000;

/**
 * Takes over the work of crashed consumers: every interval, claims entries of this region's group idle for
 * at least `idleMs` and feeds them to the worker (which dead-letters those past their delivery limit).
 * Each pass also refreshes the entries this worker still holds, so only a dead consumer's work goes idle:
 * the interval must be well below `idleMs` (defaults 10 s and 30 s).
 * One loop per worker: each run is scheduled only after the previous one finished, so runs never stack,
 * and it claims no more than the worker has room for, so it never spins.
 */
export class Reclaimer {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: ReclaimerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  /** One pass; returns how many entries were taken over. */
  async runOnce(): Promise<number> {
    const { queue, worker, region, consumer, idleMs, logger } = this.options;
    // First keep our own long-running work from looking abandoned to the other consumers' reclaimers.
    const held = worker.heldIds();
    for (let i = 0; i < held.length; i += TOUCH_CHUNK)
      await queue.touch(region, consumer, held.slice(i, i + TOUCH_CHUNK));
    const room = Math.min(worker.freeSlots, MAX_CLAIM);
    if (room === 0) return 0;
    const claimed = await queue.claimIdle(region, consumer, idleMs, room);
    const taken = worker.takeOver(claimed);
    if (taken > 0) {
      worker.counters.reclaimed += taken;
      logger.info({ count: taken }, 'reclaimed idle messages');
    }
    return taken;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.runOnce()
        .catch((error: unknown) => {
          this.options.logger.warn({ err: error }, 'reclaim failed');
          return 0;
        })
        .then(() => {
          this.current = undefined;
          this.schedule(this.options.intervalMs);
        });
    }, delayMs);
  }
}
