/**
 * Child process entry: the raw limit of the check engine on this machine. `concurrency` loops each run
 * runCheck back to back against one URL for a fixed time, with the request a worker would build; no queue,
 * no database. Same process shape as the worker (one node process), same concurrency, so the pipeline's
 * figure divided by this one is what the pipeline costs. `runKind` does the same with any kind's prober
 * (`probe`, as the worker calls it) and settings.
 */
import { type CheckOutcome, type CheckRequest, probe, runCheck } from '@better-uptime/checker';
import { serveParent } from './children.js';
import { percentiles } from './stats.js';

export interface RawRunResult {
  checks: number;
  down: number;
  /** Checks completed per second between 10 % and 90 % of the run's time (the steady state). */
  checksPerSecond: number;
  firstByteP50Ms: number | null;
  firstByteP99Ms: number | null;
}

async function run({ url, concurrency, durationMs }: Record<string, unknown>): Promise<RawRunResult> {
  const request: CheckRequest = {
    url: String(url),
    method: 'GET',
    timeoutMs: 30_000,
    expectedStatus: ['200-299'],
    keyword: null,
    keywordMode: 'present',
    followRedirects: true,
    allowPrivateTargets: true,
  };
  return measure(() => runCheck(request), Number(concurrency), Number(durationMs));
}

async function runKind({ kind, settings, ca, concurrency, durationMs }: Record<string, unknown>) {
  const options = { timeoutMs: 10_000, allowPrivateTargets: true, ...(ca ? { ca: String(ca) } : {}) };
  const check = () => probe(String(kind), settings as Record<string, unknown>, options);
  return measure(check, Number(concurrency), Number(durationMs));
}

/** `concurrency` loops running `check` back to back for `duration` ms. */
async function measure(
  check: () => Promise<CheckOutcome>,
  concurrency: number,
  duration: number,
): Promise<RawRunResult> {
  const started = performance.now();
  const until = started + duration;
  const windowFrom = started + duration * 0.1;
  const windowTo = started + duration * 0.9;
  let checks = 0;
  let down = 0;
  let inWindow = 0;
  const firstByte: number[] = [];
  const loop = async () => {
    while (performance.now() < until) {
      const outcome = await check();
      const done = performance.now();
      checks++;
      if (outcome.status === 'Down') down++;
      if (done >= windowFrom && done < windowTo) inWindow++;
      if (outcome.timings.firstByteMs !== null) firstByte.push(outcome.timings.firstByteMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const { p50, p99 } = percentiles(firstByte, [50, 99]);
  return {
    checks,
    down,
    // Checks slower than the middle of the run (a ping under heavy load) leave it empty: then all of it.
    checksPerSecond: inWindow > 0 ? inWindow / ((windowTo - windowFrom) / 1000) : checks / (duration / 1000),
    firstByteP50Ms: p50,
    firstByteP99Ms: p99,
  };
}

serveParent({ run, runKind });
