/**
 * Figure 1, pipeline throughput: a backlog of tasks against a target that answers 200 after 20 ms, through
 * Redis, one worker process (the CLI's `worker`), PostgreSQL and acks, in sustained checks/s; against the
 * raw limit, the check engine alone in the same process shape at the same concurrency.
 */
import { type BenchContext, type Figure, type FigureResult, atLeast, goalMet } from './lib/figure.js';
import { insertBenchUser, insertMonitors, publishBacklog } from './lib/load.js';
import { type BenchDatabase, connectRedis, createBenchDatabase, redisPrefix } from './lib/services.js';
import { max, median, round, sustainedRate } from './lib/stats.js';
import {
  type CliBuild,
  createGroup,
  type ServiceSettings,
  groupProgress,
  sleep,
  startWorker,
  waitForConsumers,
} from './lib/system.js';
import { type BenchTarget, startRawChecker, startTargetProcess } from './lib/targets.js';
import type { BenchChild } from './lib/children.js';

/** The worker's default WORKER_CONCURRENCY; the raw baseline runs as many loops. */
export const CONCURRENCY = 200;
const TARGET_DELAY_MS = 20;
export const REGION = 'usa';
const MONITORS = 1_000;

/**
 * What consumes the region's group in a run: `worker` is the process whose CPU and memory are reported;
 * `others` run beside it (an API the worker connects through).
 */
export type Consumer = (
  ctx: BenchContext,
  settings: ServiceSettings,
) => Promise<{ worker: BenchChild; others: BenchChild[] }>;

/** One `better-uptime worker` process of the region. */
const workerConsumer: Consumer = async (ctx, settings) => ({
  worker: startWorker({ ...settings, region: REGION, concurrency: CONCURRENCY }),
  others: [],
});

export interface PipelineRun {
  tasks: number;
  checksPerSecond: number;
  stored: number;
  down: number;
  seconds: number;
  workerPeakRssBytes: number | null;
  /** Worker CPU while it worked, in cores (1 = one core busy). */
  workerCores: number | null;
  workerLoopDelayP99Ms: number | null;
}

/** What a pipeline run needs: a migrated database with monitors, and a target. */
export interface PipelineSetup {
  db: BenchDatabase;
  target: BenchTarget;
  monitors: Array<{ id: string; url: string }>;
}

export async function preparePipeline(ctx: BenchContext): Promise<PipelineSetup> {
  const db = await createBenchDatabase('pipeline');
  ctx.defer(() => db.drop());
  const target = await startTargetProcess(ctx, [TARGET_DELAY_MS]);
  const userId = await insertBenchUser(db.pool);
  const url = (i: number) => `${target.url}/delay/${TARGET_DELAY_MS}?m=${i}`;
  // The producer is not running: these monitors only give the results a row to belong to.
  const ids = await insertMonitors(db.pool, {
    userId,
    count: MONITORS,
    url,
    intervalSeconds: 3_600,
    firstCheck: { kind: 'never' },
  });
  return { db, target, monitors: ids.map((id, i) => ({ id, url: url(i) })) };
}

/**
 * One run: publish `tasks` due tasks, start a worker, and follow its consumer group until every task is
 * acknowledged (bounded: fails if the worker stops making progress).
 */
export async function runPipeline(
  ctx: BenchContext,
  setup: PipelineSetup,
  tasks: number,
  build: CliBuild = 'source',
  consume: Consumer = workerConsumer,
): Promise<PipelineRun> {
  const { db, target, monitors } = setup;
  await db.pool.query('TRUNCATE check_results');
  await target.reset();
  const keys = redisPrefix('pipeline');
  ctx.defer(() => keys.cleanup());
  const streamKey = `${keys.prefix}BetterUptime:Websites`;
  const redis = await connectRedis();
  try {
    await createGroup(redis, streamKey, REGION);
    ctx.progress.step(`publishing a backlog of ${tasks} tasks`);
    await publishBacklog(streamKey, monitors, tasks);

    const { worker, others } = await consume(ctx, {
      build,
      databaseUrl: db.url,
      streamKey,
      regions: [REGION],
      cpuProfileDir: ctx.cpuProfileDir,
    });
    ctx.defer(() => worker.stop());
    for (const other of others) ctx.defer(() => other.stop());
    const observations: Array<{ at: number; done: number }> = [];
    let finishedAt = 0;
    const follow = async () => {
      await waitForConsumers(redis, streamKey, REGION, 1, [worker, ...others]);
      const startedAt = Date.now();
      let lastProgressAt = Date.now();
      let last = 0;
      for (;;) {
        if (!worker.running) throw new Error(`the worker exited\n${worker.outputTail()}`);
        const { acked } = await groupProgress(redis, streamKey, REGION);
        const now = Date.now();
        observations.push({ at: now, done: acked });
        if (acked > last) lastProgressAt = now;
        last = acked;
        if (acked >= tasks) {
          finishedAt = now;
          return startedAt;
        }
        if (now - lastProgressAt > 30_000) throw new Error(`no progress for 30 s at ${acked} of ${tasks}`);
        await sleep(200);
      }
    };
    const startedAt = await ctx.progress.during(follow(), () => {
      const done = observations.at(-1)?.done ?? 0;
      return `${done} / ${tasks} checks stored and acked`;
    });
    const during = worker.samplesSince(startedAt, finishedAt);
    const memory = worker.memory();
    await worker.stop();
    for (const other of others) await other.stop();

    const [counts] = (
      await db.pool.query<{ stored: string; down: string }>(
        `SELECT count(*) AS stored, count(*) FILTER (WHERE status = 'Down') AS down FROM check_results`,
      )
    ).rows;
    const busySamples = during.filter((s) => s.wallMs > 0);
    return {
      tasks,
      checksPerSecond: sustainedRate(observations, tasks),
      stored: Number(counts?.stored ?? 0),
      down: Number(counts?.down ?? 0),
      seconds: (finishedAt - startedAt) / 1000,
      workerPeakRssBytes: memory?.peakBytes ?? max(worker.samples.map((s) => s.rssBytes)),
      workerCores: median(busySamples.map((s) => s.cpuMs / s.wallMs)),
      workerLoopDelayP99Ms: median(busySamples.map((s) => s.loopDelayP99Ms)),
    };
  } finally {
    await redis.close();
    await keys.cleanup();
  }
}

/**
 * The capacity later figures scale their load to: this run's figure when the throughput figure ran
 * first, else one short pipeline run of its own.
 */
export async function measuredCapacity(ctx: BenchContext): Promise<number> {
  if (ctx.shared.capacity) return ctx.shared.capacity.checksPerSecond;
  ctx.progress.step('measuring the pipeline capacity first (one short run of the throughput figure)');
  const setup = await preparePipeline(ctx);
  const run = await runPipeline(ctx, setup, ctx.quick ? 8_000 : 30_000);
  ctx.shared.capacity = { checksPerSecond: run.checksPerSecond };
  ctx.shared.workerPeakRssBytes = run.workerPeakRssBytes ?? undefined;
  return run.checksPerSecond;
}

export const pipelineThroughput: Figure = {
  name: 'pipeline-throughput',
  title: 'Pipeline throughput against the raw check limit',
  async run(ctx): Promise<FigureResult> {
    const setup = await preparePipeline(ctx);
    const raw = await startRawChecker(ctx);
    const rawSeconds = ctx.quick ? 6 : 20;
    const pipelineSeconds = ctx.quick ? 8 : 25;
    const rounds: Array<{ rawChecksPerSecond: number; pipeline: PipelineRun }> = [];
    let lastRawRate = 0;
    const measureRaw = async (n: number) => {
      ctx.progress.step(`round ${n}/${ctx.runs}: raw check engine, ${CONCURRENCY} loops for ${rawSeconds} s`);
      await setup.target.reset();
      const { checksPerSecond } = await raw.run({
        url: setup.monitors[0]!.url,
        concurrency: CONCURRENCY,
        durationMs: rawSeconds * 1000,
      });
      ctx.progress.step(`  raw: ${Math.round(checksPerSecond)} checks/s`);
      lastRawRate = checksPerSecond;
      return checksPerSecond;
    };
    const measurePipeline = async (n: number) => {
      // Sized from the raw rate so the run lasts at least as long as asked even at full speed.
      const tasks = Math.max(5_000, Math.ceil((lastRawRate * pipelineSeconds) / 1000) * 1000);
      ctx.progress.step(
        `round ${n}/${ctx.runs}: pipeline, ${tasks} tasks, worker concurrency ${CONCURRENCY}`,
      );
      const run = await runPipeline(ctx, setup, tasks);
      ctx.progress.step(`  pipeline: ${Math.round(run.checksPerSecond)} checks/s`);
      if (run.stored !== tasks || run.down > 0) {
        throw new Error(`expected ${tasks} Up rows, found ${run.stored} rows of which ${run.down} Down`);
      }
      return run;
    };
    for (let n = 1; n <= ctx.runs; n++) {
      // Alternating which goes first, so neither always inherits the other's leftovers (TIME_WAIT sockets,
      // a warm or busy PostgreSQL).
      if (n % 2 === 1) {
        const rawChecksPerSecond = await measureRaw(n);
        rounds.push({ rawChecksPerSecond, pipeline: await measurePipeline(n) });
      } else {
        const pipeline = await measurePipeline(n);
        rounds.push({ pipeline, rawChecksPerSecond: await measureRaw(n) });
      }
      const last = rounds.at(-1)!;
      ctx.progress.step(`  ratio ${round(last.pipeline.checksPerSecond / last.rawChecksPerSecond)}`);
    }
    const rawRate = median(rounds.map((r) => r.rawChecksPerSecond));
    const pipelineRate = median(rounds.map((r) => r.pipeline.checksPerSecond));
    const ratioMedian = median(rounds.map((r) => r.pipeline.checksPerSecond / r.rawChecksPerSecond));
    const peakRss = max(rounds.map((r) => r.pipeline.workerPeakRssBytes ?? 0));
    if (!ctx.shared.capacity?.given) ctx.shared.capacity = { checksPerSecond: pipelineRate ?? 0 };
    if (peakRss) ctx.shared.workerPeakRssBytes = peakRss;
    return {
      metrics: [
        {
          label: 'pipeline checks/s (one worker process)',
          value: round(pipelineRate),
          unit: 'checks/s',
          baseline: { label: 'raw check engine', value: round(rawRate) },
          ratio: round(ratioMedian),
          goal: '≥ 0.8 × raw and ≥ 1000 checks/s',
          met: goalMet(atLeast(ratioMedian, 0.8), atLeast(pipelineRate, 1000)),
        },
      ],
      notes: [
        `Target: /delay/${TARGET_DELAY_MS} (200 after ${TARGET_DELAY_MS} ms) in its own process; ${MONITORS} monitors; worker = \`better-uptime worker\` (NODE_ENV=production, WORKER_CONCURRENCY=${CONCURRENCY}); raw = ${CONCURRENCY} concurrent runCheck loops in one process.`,
        'Sustained rate = checks between 10 % and 90 % of the run over the time between (raw: by time, pipeline: by acked count read from the consumer group).',
        `Median of ${rounds.length} round(s); worker CPU ${round(median(rounds.map((r) => r.pipeline.workerCores ?? 0)))} cores, event-loop delay p99 ${round(median(rounds.map((r) => r.pipeline.workerLoopDelayP99Ms ?? 0)))} ms (medians over 1 s samples).`,
      ],
      details: rounds,
    };
  },
};
