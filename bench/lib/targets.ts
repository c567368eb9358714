/** The parent's side of the target process (target-process.ts) and of the raw checker process. */
import { fileURLToPath } from 'node:url';
import { type BenchChild, spawnChild } from './children.js';
import type { BenchContext } from './figure.js';
import type { RawRunResult } from './raw-checker-process.js';

const TARGET_ENTRY = fileURLToPath(new URL('./target-process.ts', import.meta.url));
const RAW_CHECKER_ENTRY = fileURLToPath(new URL('./raw-checker-process.ts', import.meta.url));

export interface HitLog {
  urls: string[];
  /** Arrival times, epoch ms. */
  at: number[];
}

export interface TargetLateness {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** The target's answers to one `/delay/<ms>` path: URL, when handled (epoch ms), how long really held. */
export interface AnswerLog {
  urls: string[];
  at: number[];
  heldMs: number[];
}

export interface BenchTarget {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  child: BenchChild;
  hits(prefix?: string): Promise<HitLog>;
  /** Forgets hits and lateness records. */
  reset(): Promise<void>;
  /** How late the target's own answers to `/delay/<delayMs>` left. */
  lateness(delayMs: number): Promise<TargetLateness>;
  answers(delayMs: number): Promise<AnswerLog>;
  /** `/outage` (or `path`) answers 503 from `at` (epoch ms) on, until `until` if given; 200 otherwise. */
  startOutage(at: number, options?: { path?: string; until?: number }): Promise<void>;
}

/** Starts the target server in its own process; stopped when the figure ends. */
export async function startTargetProcess(
  ctx: BenchContext,
  delaysMs: readonly number[],
  options: { niceness?: number } = {},
): Promise<BenchTarget> {
  const child = spawnChild({
    label: 'target',
    entry: TARGET_ENTRY,
    env: { BENCH_TARGET_DELAYS: delaysMs.join(',') },
    ...options,
  });
  ctx.defer(() => child.stop());
  const ready = await child.ready();
  return {
    url: String(ready.url),
    child,
    hits: (prefix = '/') => child.request<HitLog>('hits', { prefix }),
    reset: async () => {
      await child.request('reset');
    },
    lateness: (delayMs) => child.request<TargetLateness>('overshoot', { delayMs }),
    answers: (delayMs) => child.request<AnswerLog>('answers', { delayMs }),
    startOutage: async (at, options = {}) => {
      await child.request('outage', { at, ...options });
    },
  };
}

export interface RawChecker {
  child: BenchChild;
  run(options: { url: string; concurrency: number; durationMs: number }): Promise<RawRunResult>;
  /** Any kind's prober with its settings (`ca`: a PEM to trust), as the worker runs it. */
  runKind(options: {
    kind: string;
    settings: Record<string, unknown>;
    ca?: string;
    concurrency: number;
    durationMs: number;
  }): Promise<RawRunResult>;
}

/** Starts the raw check engine process (no queue, no database). */
export async function startRawChecker(ctx: BenchContext): Promise<RawChecker> {
  const child = spawnChild({
    label: 'raw-checker',
    entry: RAW_CHECKER_ENTRY,
    cpuProfileDir: ctx.cpuProfileDir,
  });
  ctx.defer(() => child.stop());
  await child.ready();
  return {
    child,
    run: (options) => child.request<RawRunResult>('run', options, options.durationMs + 60_000),
    runKind: (options) => child.request<RawRunResult>('runKind', options, options.durationMs + 60_000),
  };
}
