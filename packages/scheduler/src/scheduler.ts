import type { Logger } from '@better-uptime/config';
import {
  claimDueMonitors,
  type Database,
  type DueMonitor,
  DEFAULT_RETENTION_DAYS,
  republishAbandonedClaims,
  rollRecent,
  runMaintenance,
} from '@better-uptime/db';
import { maintenanceIntervals } from '@better-uptime/incidents';
import { PUSH_KIND_NAMES } from '@better-uptime/checker';
import type { MetricsSink } from '@better-uptime/metrics/sink';
import type { TaskQueue } from '@better-uptime/redis-stream';
import { judgeDueHeartbeats } from './heartbeats.js';
import { slotAfter } from './slots.js';
import { taskFor } from './tasks.js';

export interface SchedulerOptions {
  db: Database;
  queue: TaskQueue;
  logger: Logger;
  /** How often due monitors are looked for. */
  tickMs: number;
  /** Slots are published this far ahead; the worker starts each check at its slot on its own timer. */
  leadMs: number;
  /** Monitors claimed and published per transaction (the seed's batch size). */
  batchSize?: number;
  /** How often result partitions are made ahead and old ones dropped (the maintenance step). */
  maintenanceIntervalMs?: number;
  /**
   * How often, between maintenance runs, the hour in progress is rolled up again (default 5 min), so long
   * windows read only the last minutes from raw results.
   */
  rollIntervalMs?: number;
  /** Results older than this many days are removed by the maintenance step (default 90). */
  retentionDays?: number;
  /** Hourly and daily rollups older than this many days are removed by the maintenance step (default 400). */
  rollupRetentionDays?: number;
  /** Where judged heartbeat slots are counted (Prometheus). */
  metrics?: MetricsSink;
}

const MAX_BACKOFF_MS = 30_000;
/**
 * A claim still unpublished after this long belongs to a dead scheduler (a publish takes milliseconds; a
 * failed one puts its slots back at once).
 */
const ABANDONED_CLAIM_MS = 5_000;
/** After a failed maintenance run, the next one is tried this much later instead of a whole interval. */
const MAINTENANCE_RETRY_MS = 60_000;

/**
 * The producer's loop: every tick, claim the monitors whose next slot falls within the lead window, publish
 * one task per slot, and advance their schedule (see claimDueMonitors for the exactly-once argument). Ticks
 * never overlap; after a failure (database or queue down) the next tick backs off exponentially.
 */
export class Scheduler {
  private readonly batchSize: number;
  private readonly maintenanceIntervalMs: number;
  private readonly rollIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private failures = 0;
  private lastMaintenance = 0;
  private lastRoll = 0;
  private maintenance: Promise<void> | undefined;
  /** Totals since start, for logs and metrics. */
  readonly counters = { published: 0, heartbeatsJudged: 0, tickFailures: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.maintenanceIntervalMs = options.maintenanceIntervalMs ?? 3_600_000;
    this.rollIntervalMs = options.rollIntervalMs ?? 300_000;
  }

  /**
   * Publishes every slot due before now + lead, and judges the heartbeat slots due by now (push kinds have
   * no prober: their results are written here). Returns how many slots were published or judged.
   */
  async tick(now = Date.now()): Promise<number> {
    const horizon = now + this.options.leadMs;
    const publish = async (due: DueMonitor[]) => {
      await this.options.queue.publish(due.map((monitor) => taskFor(monitor, monitor.slotAt)));
    };
    // First the slots of a scheduler that died between its claim and its publish.
    let total = await republishAbandonedClaims(this.options.db, ABANDONED_CLAIM_MS, publish);
    for (;;) {
      const claimed = await claimDueMonitors(
        this.options.db,
        horizon,
        this.batchSize,
        publish,
        slotAfter,
        PUSH_KIND_NAMES,
      );
      total += claimed;
      if (claimed < this.batchSize) break;
    }
    this.counters.published += total;
    const judged = await judgeDueHeartbeats(this.options.db, now, {
      logger: this.options.logger,
      limit: this.batchSize,
      metrics: this.options.metrics,
    });
    this.counters.heartbeatsJudged += judged;
    return total + judged;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops ticking and waits for a tick in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.maintenance;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    const started = Date.now();
    try {
      this.maintain(started);
      const published = await this.tick(started);
      if (published > 0) this.options.logger.debug({ published }, 'published due slots');
      if (this.failures > 0) this.options.logger.info('scheduler recovered');
      this.failures = 0;
    } catch (error) {
      this.failures++;
      this.counters.tickFailures++;
      this.options.logger.warn({ err: error, failures: this.failures }, 'scheduler tick failed; backing off');
    }
    const backoff =
      this.failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, this.options.tickMs * 2 ** this.failures);
    const elapsed = Date.now() - started;
    this.schedule(Math.max(backoff, this.options.tickMs - elapsed));
  }

  /**
   * Starts a maintenance run (partitions ahead, rollups, retention) when one is due, else a roll of the hour in
   * progress when that is due. They run beside the ticks, not in them: a drop waiting for its table lock or a
   * long default-partition cleanup must not delay publishing, and a failing run must not stop scheduling.
   */
  private maintain(now: number): void {
    if (this.maintenance) return;
    const { db, logger } = this.options;
    const intervalsOf = (fromMs: number, toMs: number) => maintenanceIntervals(db, 'every', fromMs, toMs);
    if (now - this.lastMaintenance < this.maintenanceIntervalMs) {
      if (now - this.lastRoll < this.rollIntervalMs) return;
      this.lastRoll = now;
      this.maintenance = rollRecent(db, { now, maintenanceIntervals: intervalsOf })
        .then(
          () => undefined,
          (error: unknown) =>
            logger.warn({ err: error }, 'rolling the hour in progress failed; retrying later'),
        )
        .finally(() => {
          this.maintenance = undefined;
        });
      return;
    }
    this.lastMaintenance = now;
    this.lastRoll = now;
    this.maintenance = runMaintenance(db, {
      now,
      maintenanceIntervals: intervalsOf,
      retentionDays: this.options.retentionDays ?? DEFAULT_RETENTION_DAYS,
      ...(this.options.rollupRetentionDays === undefined
        ? {}
        : { rollupRetentionDays: this.options.rollupRetentionDays }),
      logger,
    })
      .then(
        () => undefined,
        (error: unknown) => {
          this.lastMaintenance = now - this.maintenanceIntervalMs + MAINTENANCE_RETRY_MS;
          logger.warn({ err: error }, 'result maintenance failed; retrying in a minute');
        },
      )
      .finally(() => {
        this.maintenance = undefined;
      });
  }
}
