/**
 * The benchmark runner: `npm run bench [-- [--quick] [--runs N] [--cpu-prof] [figure ...]]`.
 *
 * Runs the named figures (all by default) one after another against the local PostgreSQL and Redis, with
 * its own target servers on 127.0.0.1, printing progress as it goes, and writes a JSON file and a markdown
 * table to bench-results/. Each figure cleans up after itself (databases dropped, Redis keys deleted,
 * processes stopped), also when it fails or the run is interrupted.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { figureNames, loadFigure } from './figures.js';
import type { BenchContext, SharedMeasurements } from './lib/figure.js';
import { Progress } from './lib/progress.js';
import { type FigureOutcome, machineInfo, RESULTS_DIR, type RunRecord, writeResults } from './lib/results.js';
import { assertServersAnswer, POSTGRES_URL, REDIS_URL } from './lib/services.js';

const HELP = `Usage: npm run bench -- [options] [figure ...]

Figures (all when none is named): ${figureNames().join(', ')}

Options:
  --quick        A short smoke run: small sizes, short durations (figures are not comparable).
  --runs N       Measured rounds per figure, reported as medians (default 3; --quick: 1).
  --capacity N   Checks/s to scale the scheduled-load figures to, instead of measuring it (the
                 pipeline-throughput figure's result when it runs first, else one short run).
  --cpu-prof     Write V8 CPU profiles of the processes under test to bench-results/profiles/.
  --list         Print the figure names and exit.
  -h, --help     This text.

Needs PostgreSQL (BENCH_DATABASE_URL, default ${POSTGRES_URL}) and Redis (BENCH_REDIS_URL,
default ${REDIS_URL}); each figure makes a database and a key prefix of its own and removes them.
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    capacity: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (values.list) {
  process.stdout.write(`${figureNames().join('\n')}\n`);
  process.exit(0);
}
const names = positionals.length > 0 ? positionals : figureNames();
const unknown = names.filter((name) => !figureNames().includes(name));
if (unknown.length > 0) {
  console.error(`Unknown figure(s): ${unknown.join(', ')}. Known: ${figureNames().join(', ')}`);
  process.exit(2);
}
const runs = values.runs === undefined ? (values.quick ? 1 : 3) : Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  console.error('--runs must be an integer from 1 to 20');
  process.exit(2);
}

const capacity = values.capacity === undefined ? undefined : Number(values.capacity);
if (capacity !== undefined && !(capacity > 0)) {
  console.error('--capacity must be a positive number of checks/s');
  process.exit(2);
}

const progress = new Progress();
const shared: SharedMeasurements = capacity ? { capacity: { checksPerSecond: capacity, given: true } } : {};
/** Clean-ups of the figure in progress, run last-in first-out. */
let cleanups: Array<() => unknown> = [];

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.warn(`[bench] clean-up failed: ${(error as Error).message}`);
    }
  }
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.warn('\n[bench] interrupted: cleaning up (Ctrl-C again to leave at once)');
  void runCleanups().finally(() => process.exit(130));
});

const record: RunRecord = {
  startedAt: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick: values.quick,
  runs,
  machine: machineInfo(),
  figures: [],
};

await assertServersAnswer();
progress.step(`running ${names.join(', ')}${values.quick ? ' (quick)' : ''}, ${runs} round(s) each`);
for (const name of names) {
  progress.setFigure(name);
  const started = Date.now();
  const ctx: BenchContext = {
    quick: values.quick,
    runs,
    progress,
    cpuProfileDir: values['cpu-prof'] ? join(RESULTS_DIR, 'profiles') : undefined,
    defer: (cleanup) => cleanups.push(cleanup),
    shared,
  };
  const outcome: FigureOutcome = { name, title: name, seconds: 0 };
  try {
    const figure = await loadFigure(name);
    outcome.title = figure.title;
    progress.step(figure.title);
    outcome.result = await figure.run(ctx);
    for (const metric of outcome.result.metrics) {
      const verdict = metric.met === undefined ? '' : metric.met ? ' [met]' : ' [MISSED]';
      progress.step(
        `=> ${metric.label}: ${metric.value ?? '–'} ${metric.unit}${metric.ratio != null ? ` (ratio ${metric.ratio})` : ''}${verdict}`,
      );
    }
  } catch (error) {
    outcome.error = (error as Error).stack ?? String(error);
    progress.step(`FAILED: ${(error as Error).message}`);
  } finally {
    await runCleanups();
    cleanups = [];
    outcome.seconds = (Date.now() - started) / 1000;
    record.figures.push(outcome);
    // Written after every figure, so a run cut short still leaves what it measured.
    writeResults(record);
  }
}
progress.setFigure('');
const paths = writeResults(record);
progress.step(`results: ${paths.markdown} and ${paths.json}`);
process.exit(record.figures.some((f) => f.error) ? 1 : 0);
