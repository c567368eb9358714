/**
 * Figure 3, timing accuracy: checks of a target that answers after exactly 200 ms, at 10 %, 50 % and 90 %
 * of the measured capacity, through producer, Redis, one worker process and PostgreSQL. The error is the
 * stored first-byte time minus 200 ms. The target logs how long each answer really took, from the request's
 * arrival at the machine to the answer's write, so each check's error splits into the target's own
 * lateness and the worker's share (first byte minus what the target really took).
 *
 * Every level runs the worker as it ships (RESPONSE_CLOCK=kernel: answers timed by their arrival at the
 * machine). One more run at 50 % uses the event loop's clock (RESPONSE_CLOCK=event-loop), for comparison in
 * the same run: the difference is what a busy worker adds to timings taken in JavaScript.
 */
import type { ResponseClock } from '@better-uptime/config';
import { sampleMachineCpu } from './lib/machine-cpu.js';
import { type BenchContext, type Figure, type FigureResult, type Metric, below } from './lib/figure.js';
import { runScheduledLoad } from './lib/scheduled-load.js';
import { type BenchDatabase, createBenchDatabase } from './lib/services.js';
import type { ProbeSample } from './lib/probe.js';
import { median, percentiles, round } from './lib/stats.js';
import { type AnswerLog, type BenchTarget, startTargetProcess } from './lib/targets.js';
import { measuredCapacity } from './pipeline-throughput.js';

const TARGET_DELAY_MS = 200;
const INTERVAL_SECONDS = 30;
const REGION = 'usa';
/**
 * The target is the figure's reference clock ("answers after exactly 200 ms"), so it runs ahead of every
 * other process; its own lateness is still measured and reported apart.
 */
const TARGET_NICENESS = -15;
const LEVELS: ReadonlyArray<{ share: number; clock: ResponseClock; p99GoalMs?: number }> = [
  { share: 0.1, clock: 'kernel' },
  { share: 0.5, clock: 'kernel', p99GoalMs: 10 },
  { share: 0.5, clock: 'event-loop' },
  { share: 0.9, clock: 'kernel', p99GoalMs: 25 },
];

/** The measured window per level: enough for thousands of checks at 10 %, short enough for the suite. */
function windowSeconds(ctx: BenchContext): number {
  return ctx.quick ? 10 : 20;
}

/**
 * Enough check slots for the load with room to spare: each check holds a slot for at least 200 ms, so
 * twice the steady-state need (rate × 0.2 s).
 */
function concurrencyFor(checksPerSecond: number): number {
  return Math.max(200, Math.ceil((checksPerSecond * 0.4) / 50) * 50);
}

interface LevelResult {
  share: number;
  clock: ResponseClock;
  checksPerSecond: number;
  monitors: number;
  concurrency: number;
  checks: number;
  down: number;
  /** first_byte_ms − 200. */
  error: { p50: number | null; p99: number | null; p100: number | null };
  /** first_byte_ms − how long the target really took for the answer: the monitor's own error. */
  workerShare: { p1: number | null; p50: number | null; p99: number | null };
  targetLateP99Ms: number | null;
  workerLoopDelayP99Ms: number | null;
  workerCores: number | null;
  /** The worker's garbage collection over the window (from its 1 s probe samples). */
  workerGc: {
    scavengesPerSecond: number;
    scavengeMsPerSecond: number;
    markCompacts: number;
    maxPauseMs: number;
  };
  /** Busy share of the whole machine over the window (every process on both cores), 0 to 1. */
  machineBusy: number | null;
}

/** For each stored check, what the target really waited before answering it (same monitor, same slot). */
function heldFor(answers: AnswerLog, monitorIndex: ReadonlyMap<string, number>) {
  const byMonitor = new Map<number, Array<{ at: number; heldMs: number }>>();
  answers.urls.forEach((url, i) => {
    const m = Number(new URL(url, 'http://target').searchParams.get('m'));
    let list = byMonitor.get(m);
    if (!list) byMonitor.set(m, (list = []));
    list.push({ at: answers.at[i]!, heldMs: answers.heldMs[i]! });
  });
  return (monitorId: string, slot: number): number | null => {
    const list = byMonitor.get(monitorIndex.get(monitorId) ?? -1) ?? [];
    return list.find((a) => a.at >= slot && a.at < slot + INTERVAL_SECONDS * 1000)?.heldMs ?? null;
  };
}

async function runLevel(
  ctx: BenchContext,
  db: BenchDatabase,
  target: BenchTarget,
  share: number,
  clock: ResponseClock,
  capacity: number,
): Promise<LevelResult> {
  const checksPerSecond = capacity * share;
  const monitors = Math.round(checksPerSecond * INTERVAL_SECONDS);
  const concurrency = concurrencyFor(checksPerSecond);
  ctx.progress.step(
    `${share * 100} % of capacity: ${round(checksPerSecond)} checks/s, concurrency ${concurrency}, RESPONSE_CLOCK=${clock}`,
  );
  await db.pool.query('DELETE FROM monitors');
  await target.reset();
  const machine = sampleMachineCpu();
  const load = await runScheduledLoad(ctx, {
    db,
    monitors,
    intervalSeconds: INTERVAL_SECONDS,
    url: (i) => `${target.url}/delay/${TARGET_DELAY_MS}?m=${i}`,
    regions: [REGION],
    concurrency,
    windowSeconds: windowSeconds(ctx),
    responseClock: clock,
  }).finally(() => machine.stop());
  const { rows } = await db.pool.query<{
    monitor_id: string;
    slot: string;
    first_byte_ms: number | null;
    status: string;
  }>(
    `SELECT monitor_id, (EXTRACT(EPOCH FROM scheduled_at) * 1000)::bigint AS slot, first_byte_ms, status
     FROM check_results WHERE scheduled_at >= $1 AND scheduled_at < $2`,
    [new Date(load.from), new Date(load.to)],
  );
  const held = heldFor(
    await target.answers(TARGET_DELAY_MS),
    new Map(load.monitorIds.map((id, i) => [id, i])),
  );
  const errors: number[] = [];
  const workerShares: number[] = [];
  for (const row of rows) {
    if (row.first_byte_ms === null) continue;
    errors.push(row.first_byte_ms - TARGET_DELAY_MS);
    const heldMs = held(row.monitor_id, Number(row.slot));
    if (heldMs !== null) workerShares.push(row.first_byte_ms - heldMs);
  }
  const samples = load.workers[0]!.samplesSince(load.from, load.to);
  const level: LevelResult = {
    share,
    clock,
    checksPerSecond,
    monitors,
    concurrency,
    checks: rows.length,
    down: rows.filter((r) => r.status !== 'Up').length,
    error: percentiles(errors, [50, 99, 100]),
    workerShare: percentiles(workerShares, [1, 50, 99]),
    targetLateP99Ms: (await target.lateness(TARGET_DELAY_MS)).p99Ms,
    workerLoopDelayP99Ms: median(samples.map((s) => s.loopDelayP99Ms)),
    workerCores: median(samples.map((s) => s.cpuMs / s.wallMs)),
    workerGc: gcOver(samples),
    machineBusy: machine.busyBetween(load.from, load.to),
  };
  ctx.progress.step(
    `  worker GC: ${round(level.workerGc.scavengesPerSecond)} scavenges/s, ${round(level.workerGc.scavengeMsPerSecond)} ms/s in scavenges, ${level.workerGc.markCompacts} mark-compacts, longest pause ${round(level.workerGc.maxPauseMs)} ms`,
  );
  ctx.progress.step(
    `  machine ${level.machineBusy === null ? 'load unknown' : `${round(level.machineBusy * 100)} % busy (all cores, every process)`}`,
  );
  ctx.progress.step(
    `  first-byte error p50 ${level.error.p50} ms, p99 ${level.error.p99} ms (worker's share p99 ${round(level.workerShare.p99)} ms, target's own lateness p99 ${round(level.targetLateP99Ms)} ms) over ${level.checks} checks`,
  );
  return level;
}

function gcOver(samples: readonly ProbeSample[]): LevelResult['workerGc'] {
  const seconds = samples.reduce((sum, s) => sum + s.wallMs, 0) / 1000 || 1;
  const minorCount = samples.reduce((sum, s) => sum + (s.gc?.minorCount ?? 0), 0);
  const minorMs = samples.reduce((sum, s) => sum + (s.gc?.minorMs ?? 0), 0);
  return {
    scavengesPerSecond: minorCount / seconds,
    scavengeMsPerSecond: minorMs / seconds,
    markCompacts: samples.reduce((sum, s) => sum + (s.gc?.majorCount ?? 0), 0),
    maxPauseMs: Math.max(0, ...samples.map((s) => s.gc?.maxPauseMs ?? 0)),
  };
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const capacity = await measuredCapacity(ctx);
  const db = await createBenchDatabase('timing');
  ctx.defer(() => db.drop());
  const target = await startTargetProcess(ctx, [TARGET_DELAY_MS], { niceness: TARGET_NICENESS });
  const levels: LevelResult[] = [];
  for (const { share, clock } of LEVELS) levels.push(await runLevel(ctx, db, target, share, clock, capacity));
  const metrics: Metric[] = [];
  for (const level of levels) {
    const goal = LEVELS.find((l) => l.share === level.share && l.clock === level.clock)?.p99GoalMs;
    const where = `at ${level.share * 100} %${level.clock === 'kernel' ? '' : ` (${level.clock} clock, for comparison)`}`;
    metrics.push({ label: `first-byte − 200 ms, p50 ${where}`, value: round(level.error.p50), unit: 'ms' });
    metrics.push({ label: `first-byte − 200 ms, p99 ${where}`, value: round(level.error.p99), unit: 'ms' });
    // That error split in two: what the monitor got wrong, and the target's own lateness (reading the
    // request late or its timer firing late: real latency, which a correct monitor reports). The goal is
    // about the first: whether the response times a monitor stores are true.
    metrics.push({
      label: `measurement error (worker's share) p99 ${where}`,
      value: round(level.workerShare.p99),
      unit: 'ms',
      ...(goal === undefined ? {} : { goal: `< ${goal} ms`, met: below(level.workerShare.p99, goal) }),
    });
    // The other tail: a time measured too short would be as wrong as one too long.
    metrics.push({
      label: `measurement error (worker's share) p1 ${where}`,
      value: round(level.workerShare.p1),
      unit: 'ms',
    });
    metrics.push({
      label: `target's own lateness p99 ${where}`,
      value: round(level.targetLateP99Ms),
      unit: 'ms',
    });
  }
  return {
    metrics,
    notes: [
      `Target /delay/${TARGET_DELAY_MS} in its own process; capacity = ${round(capacity)} checks/s (figure 1's pipeline rate with a 20 ms target); monitors at ${INTERVAL_SECONDS} s, one region, \`better-uptime producer\` + \`better-uptime worker\` (WORKER_CONCURRENCY = 0.4 × rate, at least 200); a ${windowSeconds(ctx)} s window after 10 s of warm-up per level.`,
      `Error = stored first_byte_ms (whole ms, request sent to response headers) − ${TARGET_DELAY_MS}. Worker's share = first_byte_ms − how long the target really took for that answer, from the request's arrival at the machine (kernel receive time) to its write: under load the target reads late and its timer fires late, and that is real latency.`,
      ...levels.map(
        (l) =>
          `${l.share * 100} % (${l.clock} clock): ${round(l.checksPerSecond)} checks/s (${l.monitors} monitors, concurrency ${l.concurrency}), ${l.checks} checks stored of ${Math.round((l.monitors * windowSeconds(ctx)) / INTERVAL_SECONDS)} slots in the window (fewer: the worker fell behind, and the rest were still queued when the run stopped), ${l.down} down; error max ${round(l.error.p100)} ms; worker's share p1/p50/p99 ${round(l.workerShare.p1)}/${round(l.workerShare.p50)}/${round(l.workerShare.p99)} ms; target's own lateness p99 ${round(l.targetLateP99Ms)} ms; worker ${round(l.workerCores)} cores, event-loop delay p99 ${round(l.workerLoopDelayP99Ms)} ms; worker GC ${round(l.workerGc.scavengesPerSecond)} scavenges/s taking ${round(l.workerGc.scavengeMsPerSecond)} ms/s, ${l.workerGc.markCompacts} mark-compacts, longest pause ${round(l.workerGc.maxPauseMs)} ms; machine ${l.machineBusy === null ? '?' : round(l.machineBusy * 100)} % busy.`,
      ),
    ],
    details: levels,
  };
}

export const timingAccuracy: Figure = {
  name: 'timing-accuracy',
  title: 'Timing accuracy of a 200 ms target under load',
  run,
};
