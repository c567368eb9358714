/**
 * Figure 5, API: autocannon at 50 connections for 10 s against the authenticated monitor list (100
 * monitors) and a monitor's newest 100 checks (1 million rows in the table), against a bare route of the
 * same server (no authentication, no database), in req/s and p99 latency, rounds alternating.
 */
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { spawnChild } from './lib/children.js';
import {
  type BenchContext,
  type Figure,
  type FigureResult,
  type Metric,
  atLeast,
  below,
  goalMet,
} from './lib/figure.js';
import { insertMonitors, seedHistory } from './lib/load.js';
import { createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';

const API_ENTRY = fileURLToPath(new URL('./lib/api-process.ts', import.meta.url));
const CONNECTIONS = 50;
const MONITORS = 100;
const REGIONS = ['usa', 'india'];
/** 100 monitors × 2 regions × 5000 slots = 1 000 000 rows (a minute apart: about 3.5 days). */
const SLOTS = 5_000;

interface RouteRun {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<RouteRun> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const db = await createBenchDatabase('api');
  ctx.defer(() => db.drop());
  const api = spawnChild({
    label: 'api',
    entry: API_ENTRY,
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      JWT_SECRET: randomBytes(36).toString('base64'),
      // Request logging off: one log line per request would be measured too, and the bare route pays it alike.
      LOG_LEVEL: 'warn',
      REGIONS: REGIONS.join(','),
    },
    cpuProfileDir: ctx.cpuProfileDir,
  });
  ctx.defer(() => api.stop());
  const ready = await api.ready();
  const base = String(ready.url);
  const headers = { authorization: `Bearer ${String(ready.token)}` };

  const monitorIds = await insertMonitors(db.pool, {
    userId: String(ready.userId),
    count: MONITORS,
    url: (i) => `https://example.com/health/${i}`,
    intervalSeconds: 60,
    firstCheck: { kind: 'never' },
  });
  const slots = ctx.quick ? 500 : SLOTS;
  ctx.progress.step(`writing ${MONITORS * REGIONS.length * slots} check rows`);
  const rows = await seedHistory(db.pool, db.handle.db, {
    monitorIds,
    regions: REGIONS,
    intervalSeconds: 60,
    slots,
  });
  await db.pool.query('VACUUM ANALYZE');

  const routes = [
    { name: 'bare route', url: `${base}/bench/bare`, headers: {} },
    { name: 'GET /api/monitor', url: `${base}/api/monitor`, headers },
    {
      name: 'GET /api/results/:id/checks',
      url: `${base}/api/results/${monitorIds[0]}/checks?limit=100`,
      headers,
    },
  ];
  // Each route answers once before it is measured: a wrong token or id must fail here, not in the figure.
  for (const route of routes) {
    const response = await fetch(route.url, { headers: route.headers });
    if (response.status !== 200)
      throw new Error(`${route.name} answered ${response.status}: ${await response.text()}`);
  }
  const seconds = ctx.quick ? 3 : 10;
  const runs = new Map<string, RouteRun[]>(routes.map((r) => [r.name, []]));
  for (let n = 1; n <= ctx.runs; n++) {
    for (const route of routes) {
      ctx.progress.step(`round ${n}/${ctx.runs}: ${route.name}, ${CONNECTIONS} connections for ${seconds} s`);
      const result = await load(route.url, route.headers, seconds);
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${route.name}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
      ctx.progress.step(`  ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms`);
      runs.get(route.name)!.push(result);
    }
  }
  const summary = (name: string) => ({
    rps: median(runs.get(name)!.map((r) => r.requestsPerSecond)),
    p99: median(runs.get(name)!.map((r) => r.p99Ms)),
  });
  const bare = summary('bare route');
  const bareRuns = runs.get('bare route')!;
  const metrics: Metric[] = [{ label: 'bare route', value: round(bare.rps), unit: 'req/s' }];
  for (const route of routes.slice(1)) {
    const s = summary(route.name);
    // Ratio per round (same moment of the machine), then the median.
    const ratioMedian = median(
      runs.get(route.name)!.map((r, i) => r.requestsPerSecond / bareRuns[i]!.requestsPerSecond),
    );
    metrics.push({
      label: `${route.name} req/s`,
      value: round(s.rps),
      unit: 'req/s',
      baseline: { label: 'bare route', value: round(bare.rps) },
      ratio: round(ratioMedian),
      goal: '≥ 0.5 × bare',
      met: atLeast(ratioMedian, 0.5),
    });
    metrics.push({
      label: `${route.name} p99`,
      value: round(s.p99),
      unit: 'ms',
      baseline: { label: 'bare route', value: round(bare.p99) },
      goal: '< 50 ms',
      met: goalMet(below(s.p99, 50)),
    });
  }
  return {
    metrics,
    notes: [
      `API = buildServer (as \`better-uptime api\`, NODE_ENV=production, LOG_LEVEL=warn) in its own process with one extra route, GET /bench/bare → {"ok":true}; autocannon in the benchmark process, ${CONNECTIONS} connections, ${seconds} s per route, ${ctx.runs} alternating round(s), medians.`,
      `Authenticated with a Bearer token (JWT verify + session lookup per request). ${MONITORS} monitors; ${rows} check rows (${MONITORS} monitors × ${REGIONS.length} regions × ${slots} slots a minute apart), VACUUM ANALYZE after loading; the checks page is the first monitor's newest 100.`,
      `Bare route p99: ${round(bare.p99)} ms.`,
    ],
    details: Object.fromEntries(runs),
  };
}

export const apiFigure: Figure = {
  name: 'api',
  title: 'API throughput and latency against a bare route',
  run,
};
