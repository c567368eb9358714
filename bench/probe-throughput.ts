/**
 * Remote probe throughput: the backlog of figure 1 through one probe connection (`better-uptime api` and
 * `better-uptime probe` as processes, tasks and results over the WebSocket), against a direct worker on the
 * same database, stream and target in the same run, in sustained checks/s.
 */
import { type BenchContext, type Figure, type FigureResult, atLeast } from './lib/figure.js';
import { insertBenchProbe } from './lib/load.js';
import { median, round } from './lib/stats.js';
import { startApiWithProbe } from './lib/system.js';
import {
  CONCURRENCY,
  type Consumer,
  type PipelineRun,
  preparePipeline,
  REGION,
  runPipeline,
} from './pipeline-throughput.js';

/** An API process and one probe of the region connected to it; the probe is the measured process. */
function probeConsumer(token: string): Consumer {
  return async (_ctx, settings) => {
    const { api, probe } = await startApiWithProbe({ ...settings, token, concurrency: CONCURRENCY });
    return { worker: probe, others: [api] };
  };
}

export const probeThroughput: Figure = {
  name: 'probe-throughput',
  title: 'Checks/s through one remote probe connection against a direct worker',
  async run(ctx: BenchContext): Promise<FigureResult> {
    const setup = await preparePipeline(ctx);
    const token = await insertBenchProbe(setup.db.pool, REGION);
    const tasks = ctx.quick ? 4_000 : 12_000;
    const rounds: Array<{ worker: PipelineRun; probe: PipelineRun }> = [];
    const viaWorker = async (n: number) => {
      ctx.progress.step(`round ${n}/${ctx.runs}: direct worker, ${tasks} tasks`);
      const run = await runPipeline(ctx, setup, tasks);
      ctx.progress.step(`  worker: ${Math.round(run.checksPerSecond)} checks/s`);
      return run;
    };
    const viaProbe = async (n: number) => {
      ctx.progress.step(`round ${n}/${ctx.runs}: one probe through the API, ${tasks} tasks`);
      const run = await runPipeline(ctx, setup, tasks, 'source', probeConsumer(token));
      ctx.progress.step(`  probe: ${Math.round(run.checksPerSecond)} checks/s`);
      if (run.stored !== tasks || run.down > 0)
        throw new Error(`expected ${tasks} Up rows, found ${run.stored} rows of which ${run.down} Down`);
      return run;
    };
    for (let n = 1; n <= ctx.runs; n++) {
      // Alternating which goes first, as figure 1 does.
      if (n % 2 === 1) rounds.push({ worker: await viaWorker(n), probe: await viaProbe(n) });
      else {
        const probe = await viaProbe(n);
        rounds.push({ probe, worker: await viaWorker(n) });
      }
      const last = rounds.at(-1)!;
      ctx.progress.step(`  ratio ${round(last.probe.checksPerSecond / last.worker.checksPerSecond)}`);
    }
    const ratio = median(rounds.map((r) => r.probe.checksPerSecond / r.worker.checksPerSecond));
    return {
      metrics: [
        {
          label: 'checks/s through one probe connection',
          value: round(median(rounds.map((r) => r.probe.checksPerSecond))),
          unit: 'checks/s',
          baseline: {
            label: 'direct worker',
            value: round(median(rounds.map((r) => r.worker.checksPerSecond))),
          },
          ratio: round(ratio),
          goal: '≥ 0.8 × a direct worker',
          met: atLeast(ratio, 0.8),
        },
      ],
      notes: [
        `The backlog of figure 1 (${tasks} due tasks, /delay/20 target in its own process, WORKER_CONCURRENCY=${CONCURRENCY}); probe = \`better-uptime api\` + \`better-uptime probe\` over a WebSocket on 127.0.0.1, results stored and acked by the API; worker = \`better-uptime worker\`.`,
        `Median of ${rounds.length} round(s); probe CPU ${round(median(rounds.map((r) => r.probe.workerCores ?? 0)))} cores (the API's not counted), worker ${round(median(rounds.map((r) => r.worker.workerCores ?? 0)))}.`,
      ],
      details: rounds,
    };
  },
};
