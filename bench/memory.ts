/**
 * Figure 6, memory: the worker's resident memory at full concurrency (a pipeline run at the throughput
 * figure's load), and single-process mode (`npm start`: API, producer and worker on PGlite with the
 * in-process queue) with 1,000 monitors running. Peak RSS as the kernel counts it (VmHWM) and RSS at the
 * end of the run, for the production bundle (what `npm start`, Docker and PM2 run; built fresh here, as
 * `npm start` does) and, without a goal, for the TypeScript sources through tsx (`npm run dev`, `npm run worker`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchChild } from './lib/children.js';
import { type BenchContext, type Figure, type FigureResult, type Metric, below } from './lib/figure.js';
import { createBenchDatabase } from './lib/services.js';
import { round } from './lib/stats.js';
import { type CliBuild, distBuiltAt, npmStartNodeFlags, sleep, startSingleProcess } from './lib/system.js';
import { type BenchTarget, startTargetProcess } from './lib/targets.js';
import { preparePipeline, runPipeline } from './pipeline-throughput.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;
const LIMIT_MB = 200;
const MONITORS = 1_000;
const INTERVAL_SECONDS = 30;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** The child processes of `pid` (all its threads'), from /proc; empty where /proc is missing. */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The kernel's peak resident memory (VmHWM) of a process, or null when it is gone. */
function peakRssOf(pid: number): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/**
 * Waits until the API answers. Meanwhile samples the peak memory of the process's own children (the
 * short-lived PGlite initdb child of a first start), every 50 ms: the last sample before a child exits is
 * (nearly) its peak. Returns the largest, or null when there was no child.
 */
async function waitForHealth(url: string, child: BenchChild, timeoutMs = 60_000): Promise<number | null> {
  const until = Date.now() + timeoutMs;
  const childPeaks = new Map<number, number>();
  const sampler = setInterval(() => {
    for (const pid of childPids(child.pid)) {
      const peak = peakRssOf(pid);
      if (peak !== null) childPeaks.set(pid, Math.max(peak, childPeaks.get(pid) ?? 0));
    }
  }, 50);
  try {
    await waitForHealthy(url, child, until, timeoutMs);
  } finally {
    clearInterval(sampler);
  }
  return childPeaks.size === 0 ? null : Math.max(...childPeaks.values());
}

async function waitForHealthy(
  url: string,
  child: BenchChild,
  until: number,
  timeoutMs: number,
): Promise<void> {
  while (Date.now() < until) {
    if (!child.running)
      throw new Error(`${child.options.label} exited while starting\n${child.outputTail()}`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms\n${child.outputTail()}`);
}

async function api<T>(
  url: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface SingleProcessRun {
  build: CliBuild;
  /** Embedded PGlite (the default), or the PostgreSQL server through DATABASE_URL. */
  database: 'pglite' | 'postgres';
  peakBytes: number | null;
  /** RSS after the monitors have run their intervals (steady state). */
  endBytes: number | null;
  /** RSS right after start (database open and migrated, API listening), before any monitor. */
  startedBytes: number | null;
  /** Peak of the start's child processes (PGlite's initdb in a fresh data directory), sampled. */
  initChildPeakBytes: number | null;
  checksStored: number;
  seconds: number;
}

/**
 * `better-uptime start` in a fresh data directory: sign up and create the monitors through the API (each
 * pushed for an immediate check, as a user would see), let them run for a few intervals, read the memory.
 */
async function runSingleProcess(
  ctx: BenchContext,
  target: BenchTarget,
  build: CliBuild,
  database: SingleProcessRun['database'],
): Promise<SingleProcessRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bu-bench-start-'));
  ctx.defer(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = database === 'postgres' ? await createBenchDatabase('memory') : undefined;
  if (server) ctx.defer(() => server.drop());
  const child = startSingleProcess({
    build,
    ...(server ? { databaseUrl: server.url } : {}),
    regions: ['local'],
    // It creates its monitors through the API, faster than the per-user write limit allows.
    env: {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      MONITOR_WRITES_PER_MINUTE: '0',
    },
    cpuProfileDir: ctx.cpuProfileDir,
  });
  ctx.defer(() => child.stop());
  const initChildPeakBytes = await waitForHealth(url, child);
  const startedBytes = child.memory()?.currentBytes ?? null;
  const { token } = await api<{ token: string }>(url, '/api/auth/signup', {
    method: 'POST',
    body: { email: 'bench@example.test', password: 'correct horse battery staple', name: 'Bench' },
  });
  const monitors = ctx.quick ? 200 : MONITORS;
  const name = `single process (${build}, ${database})`;
  ctx.progress.step(`${name}: creating ${monitors} monitors through the API`);
  const ids: string[] = [];
  for (let i = 0; i < monitors; i++) {
    const { monitor } = await api<{ monitor: { id: string } }>(url, '/api/monitor', {
      method: 'POST',
      token,
      body: { url: `${target.url}/delay/20?m=${i}`, intervalSeconds: INTERVAL_SECONDS },
    });
    ids.push(monitor.id);
  }
  const seconds = ctx.quick ? 20 : 2 * INTERVAL_SECONDS;
  const started = Date.now();
  await ctx.progress.during(
    sleep(seconds * 1000),
    () =>
      `${name}: ${Math.round((child.memory()?.currentBytes ?? 0) / MB)} MB RSS, ${Math.round(seconds - (Date.now() - started) / 1000)} s left`,
    15_000,
  );
  const memory = child.memory();
  // Checks really ran: the first monitor has a result per interval (plus the pushed first check).
  const { checks } = await api<{ checks: unknown[] }>(url, `/api/results/${ids[0]}/checks?limit=100`, {
    token,
  });
  await child.stop();
  return {
    build,
    database,
    peakBytes: memory?.peakBytes ?? null,
    endBytes: memory?.currentBytes ?? null,
    startedBytes,
    initChildPeakBytes,
    checksStored: checks.length,
    seconds,
  };
}

/** The goal applies to the bundle, which is what operators run; the tsx figures are for developers. */
function memoryMetric(label: string, bytes: number | null | undefined, build: CliBuild): Metric {
  const mb = bytes ? bytes / MB : null;
  const value = round(mb);
  if (build === 'source') return { label, value, unit: 'MB' };
  return { label, value, unit: 'MB', goal: `< ${LIMIT_MB} MB`, met: below(mb, LIMIT_MB) };
}

/** `npm start` builds the bundle before running it; so does this figure, so that it measures the current code. */
function buildBundle(ctx: BenchContext): Date {
  ctx.progress.step('building the production bundle (node scripts/build.mjs, as npm start does)');
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const builtAt = distBuiltAt();
  if (built.status !== 0 || !builtAt) {
    throw new Error(`scripts/build.mjs failed (exit ${built.status}): ${built.stderr.trim().slice(-500)}`);
  }
  return builtAt;
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const builtAt = buildBundle(ctx);
  const builds: CliBuild[] = ['source', 'dist'];
  const notes: string[] = [];
  const metrics: Metric[] = [];

  // The worker at full concurrency: the throughput figure's run when it ran first, else one of its own.
  let setup: Awaited<ReturnType<typeof preparePipeline>> | undefined;
  for (const build of builds) {
    let peak = build === 'source' ? ctx.shared.workerPeakRssBytes : undefined;
    if (peak === undefined) {
      setup ??= await preparePipeline(ctx);
      ctx.progress.step(`worker (${build}) at full concurrency`);
      peak =
        (await runPipeline(ctx, setup, ctx.quick ? 8_000 : 40_000, build)).workerPeakRssBytes ?? undefined;
    } else notes.push('Worker (source): peak of the throughput figure’s worker processes in this run.');
    metrics.push(memoryMetric(`worker peak RSS at full concurrency (${build})`, peak, build));
  }

  const target = await startTargetProcess(ctx, [20]);
  const single: SingleProcessRun[] = [];
  // As shipped (PGlite) for each build; then on the PostgreSQL server, to show the process without PGlite.
  const variants = [
    ...builds.map((build) => ({ build, database: 'pglite' as const })),
    { build: builds.at(-1)!, database: 'postgres' as const },
  ];
  for (const { build, database } of variants) {
    const result = await runSingleProcess(ctx, target, build, database);
    single.push(result);
    const monitors = ctx.quick ? 200 : MONITORS;
    metrics.push(
      memoryMetric(
        `single process peak RSS, ${monitors} monitors (${build}, ${database})`,
        result.peakBytes,
        build,
      ),
      memoryMetric(
        `single process steady RSS, ${monitors} monitors, end of run (${build}, ${database})`,
        result.endBytes,
        build,
      ),
    );
    if (result.initChildPeakBytes !== null) {
      // Not a goal: the child lives only for the first start's initdb, then its memory is returned.
      metrics.push({
        label: `PGlite initdb child peak RSS, first start only (${build})`,
        value: round(result.initChildPeakBytes / MB),
        unit: 'MB',
      });
    }
  }
  notes.push(
    'Worker: `better-uptime worker` (WORKER_CONCURRENCY=200) working through a backlog against a 20 ms target, as in figure 1. RSS = the kernel’s peak resident set (VmHWM) of the one node process.',
    `Single process: \`better-uptime start\` (in-process queue, region "local"; PGlite in a fresh data directory, or DATABASE_URL to a fresh PostgreSQL database), monitors created through the API at a ${INTERVAL_SECONDS} s interval against a 20 ms target, then run for ${single[0]?.seconds ?? 0} s; ${single.map((s) => `${s.build}/${s.database}: ${Math.round((s.startedBytes ?? 0) / MB)} MB once started, ${Math.round((s.endBytes ?? 0) / MB)} MB at the end, ${s.checksStored} results of the first monitor`).join('; ')}.`,
    'A fresh PGlite data directory is initialised (initdb) by a short-lived child process of `start`; its peak is sampled from /proc every 50 ms and reported apart, as it is gone before the monitors run. The single process peak is that of the long-running process alone.',
    `dist = the production bundle (built ${builtAt.toISOString()} by scripts/build.mjs), what \`npm start\`, Docker and PM2 run, started in single-process mode with npm start's node flags (${npmStartNodeFlags().join(' ') || 'none'}) and PGLITE_LOW_MEMORY at its default (on); the goal applies to it. source = the TypeScript sources through tsx (\`npm run dev\`, \`npm run worker\`), for development; tsx's loader thread and transpiled sources add to it.`,
  );
  return { metrics, notes, details: single };
}

export const memory: Figure = {
  name: 'memory',
  title: 'Memory of the worker and of single-process mode',
  run,
};
