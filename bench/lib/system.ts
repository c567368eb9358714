/**
 * The system under test, started exactly as an operator would start it: the CLI's `worker`, `producer`
 * and `start` commands (apps/cli/src/main.ts), configured by environment variables, each in its own
 * process. Progress is read from the outside (Redis consumer groups, PostgreSQL rows), never from inside
 * the process being measured.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ResponseClock } from '@better-uptime/config';
import { freePort } from '@better-uptime/testing';
import { type BenchChild, CLI_ENTRY, REPO_ROOT, spawnChild, withTimeout } from './children.js';
import { REDIS_URL, type RedisClient } from './services.js';

/**
 * Which build of the CLI runs: `source` (TypeScript through tsx, what `npm start` / `npm run worker` run)
 * or `dist` (the production bundle `npm run build` writes, what the Docker image and PM2 run).
 */
export type CliBuild = 'source' | 'dist';

export const DIST_CLI = join(REPO_ROOT, 'dist', 'better-uptime.mjs');

/** When the production bundle was built, or null when there is none. */
export function distBuiltAt(): Date | null {
  try {
    return statSync(DIST_CLI).mtime;
  } catch {
    return null;
  }
}

export interface ServiceSettings {
  /** Default `source`. */
  build?: CliBuild;
  databaseUrl?: string;
  streamKey?: string;
  regions: readonly string[];
  /** Extra variables (WORKER_CONCURRENCY, PRODUCER_TICK_MS, PORT, DATA_DIR...). */
  env?: Record<string, string>;
  cpuProfileDir?: string | undefined;
}

const JWT_SECRET = randomBytes(36).toString('base64');
/** The key channel secrets are sealed with (SECRETS_KEY), shared by every process of a figure. */
export const BENCH_SECRETS_KEY = randomBytes(36).toString('base64');
/** BENCH_NODE_FLAGS="--trace-gc ...": extra node flags for the processes under test (investigations). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Production settings, pointed at the benchmark's database, stream and local targets. */
function serviceEnv(settings: ServiceSettings): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET,
    SECRETS_KEY: BENCH_SECRETS_KEY,
    LOG_LEVEL: 'info',
    REGIONS: settings.regions.join(','),
    // The targets are on 127.0.0.1, which the SSRF guard refuses unless told.
    ALLOW_PRIVATE_TARGETS: 'true',
    ...(settings.databaseUrl ? { DATABASE_URL: settings.databaseUrl } : {}),
    ...(settings.streamKey ? { REDIS_URL, STREAM_KEY: settings.streamKey } : {}),
    ...settings.env,
  };
}

function spawnCli(
  label: string,
  command: string,
  settings: ServiceSettings,
  env: Record<string, string>,
  shippedNodeFlags: readonly string[] = [],
): BenchChild {
  const dist = settings.build === 'dist';
  return spawnChild({
    label,
    entry: dist ? DIST_CLI : CLI_ENTRY,
    args: [command],
    env: serviceEnv({ ...settings, env: { ...env, ...settings.env } }),
    cpuProfileDir: settings.cpuProfileDir,
    nodeFlags: [...shippedNodeFlags, ...NODE_FLAGS],
    runtime: dist ? 'plain' : 'tsx',
  });
}

/** `better-uptime worker` for one region. */
export function startWorker(
  settings: ServiceSettings & { region: string; concurrency: number; responseClock?: ResponseClock },
): BenchChild {
  return spawnCli(`worker-${settings.region}`, 'worker', settings, {
    REGION: settings.region,
    WORKER_CONCURRENCY: String(settings.concurrency),
    ...(settings.responseClock ? { RESPONSE_CLOCK: settings.responseClock } : {}),
  });
}

/** `better-uptime api` on 127.0.0.1:`port` (with the stream, so remote probes can connect). */
export function startApiService(settings: ServiceSettings & { port: number }): BenchChild {
  return spawnCli('api', 'api', settings, { HOST: '127.0.0.1', PORT: String(settings.port) });
}

/** `better-uptime probe` connected to `server` with `token`. */
export function startProbeProcess(
  settings: ServiceSettings & { server: string; token: string; concurrency: number },
): BenchChild {
  return spawnCli('probe', 'probe', settings, {
    PROBE_SERVER: settings.server,
    PROBE_TOKEN: settings.token,
    WORKER_CONCURRENCY: String(settings.concurrency),
  });
}

/** `better-uptime producer`. */
export function startProducer(settings: ServiceSettings & { tickMs: number; leadMs: number }): BenchChild {
  return spawnCli('producer', 'producer', settings, {
    PRODUCER_TICK_MS: String(settings.tickMs),
    SCHEDULE_LEAD_MS: String(settings.leadMs),
  });
}

/**
 * The node flags `npm start` runs the bundle with (package.json's "start" script: `node <flags>
 * dist/better-uptime.mjs start`), so that the figure measures the process exactly as it ships.
 */
export function npmStartNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (manifest.scripts?.start ?? '').split(/\s+/).filter(Boolean);
  const entry = words.indexOf('dist/better-uptime.mjs');
  if (words[0] !== 'node' || entry < 0) {
    throw new Error(
      'package.json: the "start" script is no longer `node [flags] dist/better-uptime.mjs start`',
    );
  }
  return words.slice(1, entry);
}

/** `better-uptime start`: API, producer and worker in one process (PGlite and the in-process queue by default). */
export function startSingleProcess(settings: ServiceSettings): BenchChild {
  return spawnCli('start', 'start', settings, {}, settings.build === 'dist' ? npmStartNodeFlags() : []);
}

export interface GroupProgress {
  /** Entries delivered to the group. */
  delivered: number;
  /** Delivered and not yet acknowledged. */
  pending: number;
  /** Delivered and acknowledged: done (stored, then acked). */
  acked: number;
}

/** A region's consumer group as Redis sees it. */
export async function groupProgress(
  redis: RedisClient,
  streamKey: string,
  group: string,
): Promise<GroupProgress> {
  const groups = (await redis.xInfoGroups(streamKey)) as unknown as Array<Record<string, unknown>>;
  const info = groups.find((g) => String(g.name) === group);
  const delivered = Number(info?.['entries-read'] ?? 0);
  const pending = Number(info?.pending ?? 0);
  return { delivered, pending, acked: delivered - pending };
}

/** Creates the group from the start of the stream (as the worker would), so progress counts from zero. */
export async function createGroup(redis: RedisClient, streamKey: string, group: string): Promise<void> {
  await redis.xGroupCreate(streamKey, group, '0', { MKSTREAM: true });
}

/** Resolves once `count` consumers of the group have read (a worker is up and reading). */
export async function waitForConsumers(
  redis: RedisClient,
  streamKey: string,
  group: string,
  count: number,
  children: readonly BenchChild[],
  timeoutMs = 60_000,
): Promise<void> {
  const poll = async () => {
    for (;;) {
      for (const child of children) {
        if (!child.running)
          throw new Error(`${child.options.label} exited while starting\n${child.outputTail()}`);
      }
      const consumers = await redis.xInfoConsumers(streamKey, group).catch(() => []);
      if (consumers.length >= count) return;
      await sleep(100);
    }
  };
  await withTimeout(poll(), timeoutMs, `${count} consumer(s) of ${group}`);
}

/** Resolves once the child has printed `pattern`; fails if it exits first or after `timeoutMs`. */
export async function waitForOutput(child: BenchChild, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(child.outputTail())) {
    if (!child.running) throw new Error(`${child.options.label} exited\n${child.outputTail()}`);
    if (Date.now() > until) throw new Error(`${child.options.label}: no ${pattern}\n${child.outputTail()}`);
    await sleep(100);
  }
}

/**
 * A remote probe as an operator runs one: `better-uptime api` on a free port of 127.0.0.1 and `better-uptime
 * probe` connected to it with `token`. Resolves once the API listens; the probe is the measured process.
 */
export async function startApiWithProbe(
  settings: ServiceSettings & { token: string; concurrency: number },
): Promise<{ api: BenchChild; probe: BenchChild }> {
  const port = await freePort();
  const api = startApiService({ ...settings, port });
  await waitForOutput(api, /API listening on/);
  const probe = startProbeProcess({ ...settings, server: `http://127.0.0.1:${port}` });
  return { api, probe };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
