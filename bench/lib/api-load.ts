/**
 * The API under autocannon, shared by the figures that measure HTTP routes: the API process (see
 * api-process.ts) on a bench database, and one route's run with the CPU it cost the API process and the
 * PostgreSQL backends per answered request.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type pg from 'pg';
import { spawnApi } from './api-child.js';
import type { BenchChild } from './children.js';
import type { BenchContext } from './figure.js';
import type { BenchDatabase } from './services.js';

export const CONNECTIONS = 50;

export interface BenchApi {
  child: BenchChild;
  /** http://127.0.0.1:<port> */
  base: string;
  /** A signed-up user's Bearer header. */
  headers: Record<string, string>;
  userId: string;
}

/** Starts the API process on the bench database (stopped by the figure's clean-up). */
export async function startBenchApi(
  ctx: BenchContext,
  db: BenchDatabase,
  regions: string[],
): Promise<BenchApi> {
  const child = spawnApi(ctx, db.url, regions);
  const ready = await child.ready();
  return {
    child,
    base: String(ready.url),
    headers: { authorization: `Bearer ${String(ready.token)}` },
    userId: String(ready.userId),
  };
}

export interface RouteRun {
  requestsPerSecond: number;
  p99Ms: number;
  /** CPU time (user + system) of the API process per answered request, in ms. */
  cpuMsPerRequest: number;
  /** CPU time of the PostgreSQL backends serving this database per answered request, in ms (Linux only). */
  postgresCpuMsPerRequest: number | null;
  non2xx: number;
  errors: number;
}

type CpuUsage = { user: number; system: number };

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (ms) so far of each PostgreSQL backend connected to the bench database, read from /proc (so
 * only where the server runs on this machine); null where that is not possible.
 */
async function postgresCpuMs(pool: pg.Pool): Promise<Map<number, number> | null> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const times = new Map<number, number>();
  try {
    for (const { pid } of rows) {
      // Fields after the parenthesised command: state is the 3rd, utime the 14th, stime the 15th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
    }
  } catch {
    return null;
  }
  return times;
}

/** autocannon at CONNECTIONS connections for `seconds` against one route of the API process. */
export async function loadRoute(
  api: BenchApi,
  url: string,
  headers: Record<string, string>,
  seconds: number,
  pool: pg.Pool,
): Promise<RouteRun> {
  const cpu = () => api.child.request<CpuUsage>('cpu');
  const before = await cpu();
  const postgresBefore = await postgresCpuMs(pool);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  const after = await cpu();
  const postgresAfter = await postgresCpuMs(pool);
  const cpuUs = after.user - before.user + (after.system - before.system);
  let postgresMs: number | null = null;
  if (postgresBefore && postgresAfter) {
    postgresMs = 0;
    for (const [pid, ms] of postgresAfter) postgresMs += ms - (postgresBefore.get(pid) ?? 0);
  }
  const requests = Math.max(result.requests.total, 1);
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    cpuMsPerRequest: cpuUs / 1000 / requests,
    postgresCpuMsPerRequest: postgresMs === null ? null : postgresMs / requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export interface LoadedRoute {
  name: string;
  url: string;
  headers?: Record<string, string>;
}

/**
 * `ctx.runs` rounds over the routes in turn (so each round compares them at the same moment of the
 * machine), each route for `seconds`; any non-2xx answer or error fails the figure. Runs by route name.
 */
export async function loadRounds(
  ctx: BenchContext,
  api: BenchApi,
  routes: readonly LoadedRoute[],
  seconds: number,
  pool: pg.Pool,
): Promise<Map<string, RouteRun[]>> {
  const runs = new Map<string, RouteRun[]>(routes.map((r) => [r.name, []]));
  for (let n = 1; n <= ctx.runs; n++) {
    for (const route of routes) {
      ctx.progress.step(`round ${n}/${ctx.runs}: ${route.name}, ${CONNECTIONS} connections for ${seconds} s`);
      const result = await loadRoute(api, route.url, route.headers ?? {}, seconds, pool);
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${route.name}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
      ctx.progress.step(
        `  ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms, ` +
          `CPU per request: API ${result.cpuMsPerRequest.toFixed(3)} ms, ` +
          `PostgreSQL ${result.postgresCpuMsPerRequest?.toFixed(3) ?? '?'} ms`,
      );
      runs.get(route.name)!.push(result);
    }
  }
  return runs;
}
