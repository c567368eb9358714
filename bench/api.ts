/**
 * Figure 5, API: autocannon at 50 connections for 10 s against the authenticated monitor list (100
 * monitors) and a monitor's newest 100 checks (1 million rows in the table), against a bare route of the
 * same server (no authentication, no database), in req/s and p99 latency, rounds alternating. Each route is
 * also compared with a route sending its own answer's bytes from memory, which splits the gap into the
 * answer's size and the work of reading it.
 */
import {
  type BenchContext,
  type Figure,
  type FigureResult,
  type Metric,
  atLeast,
  below,
  goalMet,
} from './lib/figure.js';
import { CONNECTIONS, loadRounds, startBenchApi } from './lib/api-load.js';
import { insertMonitors, seedHistory } from './lib/load.js';
import { createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';

const MONITORS = 100;
const REGIONS = ['usa', 'india'];
/** 100 monitors × 2 regions × 5000 slots = 1 000 000 rows (a minute apart: about 3.5 days). */
const SLOTS = 5_000;
/** Names the same-size companion of a measured route. */
const SIZED_PREFIX = 'same bytes from memory as ';

async function run(ctx: BenchContext): Promise<FigureResult> {
  const db = await createBenchDatabase('api');
  ctx.defer(() => db.drop());
  const api = await startBenchApi(ctx, db, REGIONS);
  const { base, headers } = api;

  const monitorIds = await insertMonitors(db.pool, {
    userId: api.userId,
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

  // Each measured route has a companion that sends the same bytes from memory (no authentication, no
  // database): the part of the gap to the bare route that is the answer's size, not its reading.
  const routes: Array<{ name: string; url: string; headers: Record<string, string>; sizedAs?: string }> = [
    { name: 'bare route', url: `${base}/bench/bare`, headers: {} },
    { name: 'GET /api/monitor', url: `${base}/api/monitor`, headers, sizedAs: 'monitors' },
    { name: SIZED_PREFIX + 'GET /api/monitor', url: `${base}/bench/sized/monitors`, headers: {} },
    {
      name: 'GET /api/results/:id/checks',
      url: `${base}/api/results/${monitorIds[0]}/checks?limit=100`,
      headers,
      sizedAs: 'checks',
    },
    { name: SIZED_PREFIX + 'GET /api/results/:id/checks', url: `${base}/bench/sized/checks`, headers: {} },
  ];
  // Each route answers once before it is measured: a wrong token or id must fail here, not in the figure.
  const answerBytes = new Map<string, number>();
  for (const route of routes) {
    const response = await fetch(route.url, { headers: route.headers });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${route.name} answered ${response.status}: ${body}`);
    answerBytes.set(route.name, Buffer.byteLength(body));
    if (route.sizedAs !== undefined) await api.child.request('setSizedBody', { name: route.sizedAs, body });
  }
  const seconds = ctx.quick ? 3 : 10;
  const runs = await loadRounds(ctx, api, routes, seconds, db.pool);
  const summary = (name: string) => ({
    rps: median(runs.get(name)!.map((r) => r.requestsPerSecond)),
    p99: median(runs.get(name)!.map((r) => r.p99Ms)),
    cpuMs: median(runs.get(name)!.map((r) => r.cpuMsPerRequest)),
    postgresCpuMs: median(runs.get(name)!.flatMap((r) => r.postgresCpuMsPerRequest ?? [])),
  });
  const bare = summary('bare route');
  const bareRuns = runs.get('bare route')!;
  const metrics: Metric[] = [{ label: 'bare route', value: round(bare.rps), unit: 'req/s' }];
  for (const route of routes.filter((r) => r.sizedAs !== undefined)) {
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
    // Not a goal: how the route compares with sending its own answer's bytes from memory.
    const sizedName = SIZED_PREFIX + route.name;
    const sized = summary(sizedName);
    metrics.push({
      label: `${route.name} req/s against the same bytes from memory`,
      value: round(s.rps),
      unit: 'req/s',
      baseline: { label: sizedName, value: round(sized.rps) },
      ratio: round(
        median(
          runs
            .get(route.name)!
            .map((r, i) => r.requestsPerSecond / runs.get(sizedName)![i]!.requestsPerSecond),
        ),
      ),
    });
  }
  return {
    metrics,
    notes: [
      `API = buildServer (as \`better-uptime api\`, NODE_ENV=production, LOG_LEVEL=warn) in its own process with one extra route, GET /bench/bare → {"ok":true}; autocannon in the benchmark process, ${CONNECTIONS} connections, ${seconds} s per route, ${ctx.runs} alternating round(s), medians.`,
      `Authenticated with a Bearer token (JWT verify + session lookup per request). ${MONITORS} monitors; ${rows} check rows (${MONITORS} monitors × ${REGIONS.length} regions × ${slots} slots a minute apart), VACUUM ANALYZE after loading; the checks page is the first monitor's newest 100.`,
      `Bare route p99: ${round(bare.p99)} ms. Answer sizes: ${routes
        .map((r) => `${r.name} ${answerBytes.get(r.name)} B`)
        .join(', ')}.`,
      `Same-size routes (${routes
        .filter((r) => r.name.startsWith(SIZED_PREFIX))
        .map((r) => `${r.name}: ${round(summary(r.name).rps)} req/s, p99 ${round(summary(r.name).p99)} ms`)
        .join(
          '; ',
        )}): the measured route's answer, captured once and sent from memory without authentication or database. The gap between the bare route and these is the answer's size; the gap between these and the measured routes is authentication and the database.`,
      `CPU per request (user + system, median), API process / PostgreSQL backends: ${routes
        .map((r) => {
          const s = summary(r.name);
          return `${r.name} ${s.cpuMs!.toFixed(3)} / ${s.postgresCpuMs?.toFixed(3) ?? '?'} ms`;
        })
        .join(', ')}.`,
    ],
    details: Object.fromEntries(runs),
  };
}

export const apiFigure: Figure = {
  name: 'api',
  title: 'API throughput and latency against a bare route',
  run,
};
