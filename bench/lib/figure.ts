/**
 * What a benchmark figure is, and what the runner gives it. A figure measures something and a baseline in
 * the same run, and reports metrics with their ratio and goal; the runner writes them to JSON and markdown.
 */
import type { Progress } from './progress.js';

export interface Figure {
  /** Command-line name: `npm run bench -- <name>`. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<FigureResult>;
}

export interface BenchContext {
  /** `--quick`: a short smoke run; figures shrink their sizes and durations. */
  quick: boolean;
  /** Measured rounds per figure (`--runs`); figures report the median over rounds. */
  runs: number;
  progress: Progress;
  /** With `--cpu-prof`: where the processes under test write V8 CPU profiles. */
  cpuProfileDir: string | undefined;
  /** Registers a clean-up (drop a database, stop a process) run when the figure ends, even on failure. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** Figures earlier in this run leave what later ones reuse (the measured capacity, the worker's RSS). */
  shared: SharedMeasurements;
}

export interface SharedMeasurements {
  /** Checks/s one worker process sustained through the whole pipeline (or given with --capacity). */
  capacity?: { checksPerSecond: number; given?: boolean };
  /** Peak RSS of the worker process at full concurrency. */
  workerPeakRssBytes?: number;
}

export interface Metric {
  /** What is measured, e.g. "pipeline checks/s". */
  label: string;
  value: number | null;
  unit: string;
  /** The same-run baseline this is compared against, when there is one. */
  baseline?: { label: string; value: number | null };
  /** value / baseline.value (or the figure's own definition, said in the label). */
  ratio?: number | null;
  /** The goal in words, e.g. "≥ 0.8 × raw and ≥ 1000/s". */
  goal?: string;
  met?: boolean | null;
}

export interface FigureResult {
  metrics: Metric[];
  /** What was run and how (sizes, concurrency, process layout), and what limits a missed goal. */
  notes: string[];
  /** Raw per-round data for the JSON file. */
  details?: unknown;
}

/** A ratio, or null when either side is missing. */
export function ratio(value: number | null | undefined, baseline: number | null | undefined): number | null {
  if (value === null || value === undefined || !baseline) return null;
  return value / baseline;
}

/** met when every condition holds; null when a value is missing. */
export function goalMet(...conditions: Array<boolean | null>): boolean | null {
  if (conditions.some((c) => c === null)) return null;
  return conditions.every(Boolean);
}

export function atLeast(value: number | null | undefined, bound: number): boolean | null {
  return value === null || value === undefined ? null : value >= bound;
}

export function below(value: number | null | undefined, bound: number): boolean | null {
  return value === null || value === undefined ? null : value < bound;
}
