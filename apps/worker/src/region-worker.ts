import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { probe } from '@better-uptime/checker';
import { loopClock, type ReceiveClock, receiveClock } from '@better-uptime/receive-time';
import type { Config, Logger, ResponseClock } from '@better-uptime/config';
import { type Database, insertResultsOneByOne, probeQueries } from '@better-uptime/db';
import { recordResults, type StateOptions } from '@better-uptime/incidents';
import type { MetricsSink } from '@better-uptime/metrics/sink';
import type { TaskQueue } from '@better-uptime/redis-stream';
import { Reclaimer } from './reclaimer.js';
import type { ResultStore } from './result-buffer.js';
import { Worker } from './worker.js';

export interface RegionWorkerOptions {
  region: string;
  db: Database;
  queue: TaskQueue;
  config: Pick<
    Config,
    | 'workerConcurrency'
    | 'maxDeliveries'
    | 'allowPrivateTargets'
    | 'reclaimIdleMs'
    | 'reclaimIntervalMs'
    | 'responseClock'
    | 'regions'
  >;
  logger: Logger;
  metrics?: MetricsSink;
}

export interface RegionWorkerHandle {
  worker: Worker;
  consumer: string;
  stop(): Promise<void>;
}

/** A consumer name unique to this process, so the queue can tell a dead process's work from ours. */
export function consumerName(region: string): string {
  return `${region}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Results go to the database with the states, incidents and events they cause (recordResults). */
export function databaseResultStore(db: Database, state: StateOptions): ResultStore {
  const record = (target: Database, rows: Parameters<typeof recordResults>[1]) =>
    recordResults(target, rows, state);
  return {
    insert: (rows) => record(db, rows),
    insertOneByOne: (rows) => insertResultsOneByOne(db, rows, record),
  };
}

/** The clock RESPONSE_CLOCK asks for, saying so when the kernel's receive times are unavailable. */
export function chooseClock(responseClock: ResponseClock, logger: Logger): ReceiveClock {
  const clock = responseClock === 'kernel' ? receiveClock : loopClock;
  if (responseClock === 'kernel' && clock.source !== 'kernel') {
    logger.warn(
      'RESPONSE_CLOCK=kernel, but kernel receive times are unavailable here (Linux only, and the native ' +
        'reader of @better-uptime/receive-time must be built: python3, make and a C compiler at install); ' +
        'response times come from the event loop',
    );
  }
  return clock;
}

/** Starts one region's worker with its reclaimer and a periodic summary line (every drop is visible). */
export async function startRegionWorker(options: RegionWorkerOptions): Promise<RegionWorkerHandle> {
  const { region, queue, config } = options;
  const consumer = consumerName(region);
  const logger = options.logger.child({ region, consumer });
  const clock = chooseClock(config.responseClock, logger);
  // The probes' regions count too: a monitor checking from all regions is judged over them as well.
  const regions = new probeQueries.InstanceRegions(options.db, config.regions);
  const worker = new Worker({
    region,
    consumer,
    queue,
    store: databaseResultStore(options.db, {
      get regions() {
        return regions.list;
      },
      logger,
    }),
    probe,
    logger,
    concurrency: config.workerConcurrency,
    maxDeliveries: config.maxDeliveries,
    allowPrivateTargets: config.allowPrivateTargets,
    clock,
    metrics: options.metrics,
  });
  const reclaimer = new Reclaimer({
    queue,
    worker,
    region,
    consumer,
    logger,
    idleMs: config.reclaimIdleMs,
    intervalMs: config.reclaimIntervalMs,
  });
  await worker.start();
  reclaimer.start();
  let last = { ...worker.counters };
  const summary = setInterval(() => {
    const now = { ...worker.counters };
    const delta = Object.fromEntries(
      Object.entries(now).map(([k, v]) => [k, v - last[k as keyof typeof last]]),
    );
    last = now;
    if (Object.values(delta).some((v) => v !== 0)) {
      logger.info(
        {
          ...delta,
          latenessP50Ms: worker.lateness.percentile(50),
          latenessP99Ms: worker.lateness.percentile(99),
        },
        'worker summary (last minute)',
      );
    }
  }, 60_000);
  summary.unref();
  logger.info({ concurrency: config.workerConcurrency, responseClock: clock.source }, 'worker started');
  return {
    worker,
    consumer,
    stop: async () => {
      clearInterval(summary);
      regions.stop();
      await reclaimer.stop();
      await worker.stop();
      logger.info({ ...worker.counters }, 'worker stopped');
    },
  };
}
