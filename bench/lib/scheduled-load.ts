/**
 * Scheduled load through the whole system: monitors in the database, the CLI's producer claiming and
 * publishing their slots, and one CLI worker per region checking them. Used where punctuality and timing
 * are measured, because there the producer's lead and the worker's hold-until-slot are part of the figure.
 */
import type { ResponseClock } from '@better-uptime/config';
import type { BenchChild } from './children.js';
import type { BenchContext } from './figure.js';
import { insertBenchProbe, insertBenchUser, insertMonitors } from './load.js';
import { percentiles, round } from './stats.js';
import { type BenchDatabase, connectRedis, type RedisClient, redisPrefix } from './services.js';
import {
  groupProgress,
  sleep,
  startApiWithProbe,
  startProducer,
  startWorker,
  waitForConsumers,
} from './system.js';

export const PRODUCER_TICK_MS = 1_000;
export const SCHEDULE_LEAD_MS = 3_000;
const WARM_UP_MS = 10_000;

export interface ScheduledLoadOptions {
  db: BenchDatabase;
  monitors: number;
  intervalSeconds: number;
  url(index: number): string;
  regions: readonly string[];
  concurrency: number;
  /** The measured window: slots in it count. */
  windowSeconds: number;
  /** The workers' RESPONSE_CLOCK; their default (kernel) when unset. */
  responseClock?: ResponseClock;
  /**
   * Regions (of `regions`) checked by a remote probe instead of a direct worker: `better-uptime api` and
   * `better-uptime probe`, tasks and results over the probe's WebSocket.
   */
  probeRegions?: readonly string[];
}

export interface ScheduledLoadRun {
  /** Slots scheduled in [from, to) are the measured ones (epoch ms). */
  from: number;
  to: number;
  /** Per region of `regions`, in order: its worker, or its probe. */
  workers: BenchChild[];
  /** Monitor ids in the order of `url(index)`. */
  monitorIds: string[];
}

/**
 * Inserts the monitors (first slots from a few seconds ahead, spread over the interval by their phase, as
 * the API schedules them), starts producer and workers, lets the system warm up for 10 s, runs the
 * window, then waits until the window's results are stored and stops everything.
 */
export async function runScheduledLoad(
  ctx: BenchContext,
  options: ScheduledLoadOptions,
): Promise<ScheduledLoadRun> {
  const { db, regions } = options;
  const keys = redisPrefix('scheduled');
  ctx.defer(() => keys.cleanup());
  const streamKey = `${keys.prefix}BetterUptime:Websites`;
  const userId = await insertBenchUser(db.pool, `scheduled-${Date.now()}@example.test`);
  ctx.progress.step(`inserting ${options.monitors} monitors at a ${options.intervalSeconds} s interval`);
  // Long enough for the processes to start before the first slots come due.
  const firstSlotsFrom = Date.now() + 10_000;
  const monitorIds = await insertMonitors(db.pool, {
    userId,
    count: options.monitors,
    url: options.url,
    intervalSeconds: options.intervalSeconds,
    firstCheck: { kind: 'slot', from: firstSlotsFrom },
  });
  const probeTokens: Record<string, string> = {};
  for (const region of options.probeRegions ?? [])
    probeTokens[region] = await insertBenchProbe(db.pool, region);
  const system = await startScheduledSystem(ctx, {
    databaseUrl: db.url,
    streamKey,
    regions,
    concurrency: options.concurrency,
    responseClock: options.responseClock,
    probeTokens,
  });
  const { workers, children } = system;
  try {
    // A few seconds of warm-up (connections, JIT) first. Any window of whole intervals holds exactly one
    // slot per monitor per interval, wherever it starts.
    const from = firstSlotsFrom + WARM_UP_MS;
    const to = from + options.windowSeconds * 1000;
    const total = Math.ceil((to + 5_000 - Date.now()) / 1000);
    ctx.progress.step(
      `running ${options.monitors} monitors × ${regions.length} region(s) for ${total} s (measured window ${options.windowSeconds} s)`,
    );
    await ctx.progress.during(watchUntil(to + 5_000, children), () => system.status(to + 5_000), 15_000);
    return { from, to, workers, monitorIds };
  } finally {
    await system.stop();
    await keys.cleanup();
  }
}

export interface ScheduledSystem {
  /** Per region, in order: its worker, or its probe. */
  workers: BenchChild[];
  producer: BenchChild;
  /** Workers, probes with their API, and producer. */
  children: BenchChild[];
  /** A client for reading the consumer groups (closed by `stop`). */
  redis: RedisClient;
  /** Per region, the checks done (acked), and the seconds left until `until`. */
  status(until: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `better-uptime producer` and one `better-uptime worker` per region on the given database and
 * stream (or, for a region with a probe token, an API and a probe connected to it), and resolves once every
 * region's worker reads. Everything is stopped when the figure ends.
 */
export async function startScheduledSystem(
  ctx: BenchContext,
  options: {
    databaseUrl: string;
    streamKey: string;
    regions: readonly string[];
    concurrency: number;
    responseClock?: ResponseClock | undefined;
    /** Extra settings of the producer (its notifier's, say). */
    producerEnv?: Record<string, string>;
    /** Regions checked by a remote probe, with its token. */
    probeTokens?: Readonly<Record<string, string>>;
  },
): Promise<ScheduledSystem> {
  const { streamKey, regions } = options;
  const settings = { databaseUrl: options.databaseUrl, streamKey, regions, cpuProfileDir: ctx.cpuProfileDir };
  const workers: BenchChild[] = [];
  const apis: BenchChild[] = [];
  for (const region of regions) {
    const token = options.probeTokens?.[region];
    if (token === undefined) {
      workers.push(
        startWorker({
          ...settings,
          region,
          concurrency: options.concurrency,
          responseClock: options.responseClock,
        }),
      );
      continue;
    }
    const { api, probe } = await startApiWithProbe({
      ...settings,
      token,
      concurrency: options.concurrency,
      env: options.responseClock ? { RESPONSE_CLOCK: options.responseClock } : {},
    });
    apis.push(api);
    workers.push(probe);
  }
  const producer = startProducer({
    ...settings,
    env: options.producerEnv,
    tickMs: PRODUCER_TICK_MS,
    leadMs: SCHEDULE_LEAD_MS,
  });
  const children = [...workers, ...apis, producer];
  for (const child of children) ctx.defer(() => child.stop());
  const redis = await connectRedis();
  const stop = async () => {
    if (redis.isOpen) await redis.close();
    await Promise.all(children.map((child) => child.stop()));
  };
  try {
    for (const region of regions) await waitForConsumers(redis, streamKey, region, 1, children);
  } catch (error) {
    await stop();
    throw error;
  }
  const status = async (until: number) => {
    const parts = await Promise.all(
      regions.map(async (r) => `${r} ${(await groupProgress(redis, streamKey, r)).acked} done`),
    );
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    return `${parts.join(', ')}; ${left} s left`;
  };
  return { workers, producer, children, redis, status, stop };
}

/** Check start minus slot (checked_at − scheduled_at, ms) of every stored result of the run's window, by region. */
export async function windowLateness(
  db: BenchDatabase,
  load: ScheduledLoadRun,
): Promise<Array<{ region: string; lateMs: number }>> {
  const { rows } = await db.pool.query<{ region: string; late_ms: number }>(
    `SELECT region, (EXTRACT(EPOCH FROM checked_at - scheduled_at) * 1000)::float8 AS late_ms
     FROM check_results WHERE scheduled_at >= $1 AND scheduled_at < $2`,
    [new Date(load.from), new Date(load.to)],
  );
  return rows.map((r) => ({ region: r.region, lateMs: r.late_ms }));
}

/** Per region's worker (or probe), its event-loop delay p99 in the median 1 s sample of the window. */
export function medianLoopDelayP99(load: ScheduledLoadRun): Array<number | null> {
  return load.workers.map((w) =>
    round(
      percentiles(
        w.samplesSince(load.from, load.to).map((s) => s.loopDelayP99Ms),
        [50],
      ).p50,
    ),
  );
}

/** Sleeps until `until`, failing early if a process under test dies. */
export async function watchUntil(until: number, children: readonly BenchChild[]): Promise<void> {
  while (Date.now() < until) {
    for (const child of children) {
      if (!child.running) throw new Error(`${child.options.label} exited\n${child.outputTail()}`);
    }
    await sleep(Math.min(500, Math.max(0, until - Date.now())));
  }
}
