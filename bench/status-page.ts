/**
 * Status page: a published page of 50 monitors in one section, with 90 days of daily rollups behind its
 * uptime bars, under autocannon at 50 connections: the server-rendered `GET /status/:slug` (HTML) and
 * `GET /api/public/status-pages/:slug` (JSON), against the bare route of the same server, in req/s, p99 and
 * the API process's CPU per request, rounds alternating. Both answers are cached for a few seconds (one
 * computation per interval), so this measures what many visitors cost, computations included.
 */
import { rollups } from '@better-uptime/db';
import { type BenchContext, type Figure, type FigureResult, type Metric } from './lib/figure.js';
import { CONNECTIONS, type LoadedRoute, loadRounds, type RouteRun, startBenchApi } from './lib/api-load.js';
import { insertMonitors } from './lib/load.js';
import { createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';

const MONITORS = 50;
const REGIONS = ['usa', 'india'];
const DAYS = 90;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const SLUG = 'bench-status';

/** Daily rollups for the DAYS days before today and hourly ones for today's past hours (1440 checks a day). */
async function seedRollups(db: Awaited<ReturnType<typeof createBenchDatabase>>, monitorIds: string[]) {
  const now = Date.now();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const rolledTo = Math.floor(now / HOUR_MS) * HOUR_MS;
  const insert = (period: 'day' | 'hour', from: number, to: number, checks: number) =>
    db.pool.query(
      `INSERT INTO check_rollups (monitor_id, region, period, starts_at, checks, up, responses, response_ms_sum,
         response_ms_max, dns_ms_sum, dns_count, connect_ms_sum, connect_count, tls_ms_sum, tls_count,
         first_byte_ms_sum, first_byte_count, histogram_buckets, histogram_counts)
       SELECT m.id, r.region, $5, p.at, $6::int, $6::int - (random() < 0.2)::int, $6::int, $6::int * 120, 199,
              $6::int, $6::int, $6::int * 6, $6::int, $6::int * 13, $6::int, $6::int * 90, $6::int,
              ARRAY[44, 60, 80]::int[], ARRAY[$6::int / 3, $6::int / 3, $6::int - 2 * ($6::int / 3)]::int[]
       FROM unnest($1::uuid[]) AS m(id)
       CROSS JOIN unnest($2::text[]) AS r(region)
       CROSS JOIN generate_series($3::timestamptz, $4::timestamptz, $7::interval) AS p(at)`,
      [
        monitorIds,
        REGIONS,
        new Date(from),
        new Date(to),
        period,
        checks,
        period === 'day' ? '1 day' : '1 hour',
      ],
    );
  await insert('day', today - DAYS * DAY_MS, today - DAY_MS, 1440);
  if (rolledTo > today) await insert('hour', today, rolledTo - HOUR_MS, 60);
  await rollups.setRolledTo(db.handle.db, rolledTo);
  await db.pool.query('VACUUM ANALYZE check_rollups');
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const db = await createBenchDatabase('status-page');
  ctx.defer(() => db.drop());
  const api = await startBenchApi(ctx, db, REGIONS);
  const monitorIds = await insertMonitors(db.pool, {
    userId: api.userId,
    count: MONITORS,
    url: (i) => `https://example.com/health/${i}`,
    intervalSeconds: 60,
    firstCheck: { kind: 'never' },
  });
  ctx.progress.step(`seeding ${DAYS} days of rollups for ${MONITORS} monitors`);
  await seedRollups(db, monitorIds);
  const created = await fetch(`${api.base}/api/status-pages`, {
    method: 'POST',
    headers: { ...api.headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      slug: SLUG,
      title: 'Bench status',
      description: 'Fifty services',
      sections: [
        {
          name: 'Services',
          monitors: monitorIds.map((monitorId, i) => ({ monitorId, displayName: `Service ${i}` })),
        },
      ],
    }),
  });
  if (created.status !== 201)
    throw new Error(`creating the status page answered ${created.status}: ${await created.text()}`);

  const gzip = { 'accept-encoding': 'gzip' };
  const routes: LoadedRoute[] = [
    { name: 'bare route', url: `${api.base}/bench/bare` },
    { name: 'GET /status/:slug (HTML)', url: `${api.base}/status/${SLUG}` },
    { name: 'GET /status/:slug (HTML, gzip)', url: `${api.base}/status/${SLUG}`, headers: gzip },
    { name: 'GET /api/public/status-pages/:slug (JSON)', url: `${api.base}/api/public/status-pages/${SLUG}` },
    {
      name: 'GET /api/public/status-pages/:slug (JSON, gzip)',
      url: `${api.base}/api/public/status-pages/${SLUG}`,
      headers: gzip,
    },
  ];
  // Each route answers once before it is measured (also the first computation of the cached page).
  const answerBytes = new Map<string, number>();
  for (const route of routes) {
    // Node's fetch asks for gzip unless told otherwise, and decodes it; the bytes sent are Content-Length.
    const response = await fetch(route.url, { headers: { 'accept-encoding': 'identity', ...route.headers } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${route.name} answered ${response.status}: ${body}`);
    if (route.name !== 'bare route' && !body.includes(`Service ${MONITORS - 1}`))
      throw new Error(`${route.name} does not show the ${MONITORS}th monitor`);
    answerBytes.set(route.name, Number(response.headers.get('content-length') ?? Buffer.byteLength(body)));
  }
  const seconds = ctx.quick ? 3 : 10;
  const runs = await loadRounds(ctx, api, routes, seconds, db.pool);
  const of = (name: string, pick: (r: RouteRun) => number) => median(runs.get(name)!.map(pick));
  const bareRuns = runs.get('bare route')!;
  const bareRps = of('bare route', (r) => r.requestsPerSecond);
  const bareCpu = of('bare route', (r) => r.cpuMsPerRequest);
  const metrics: Metric[] = [
    { label: 'bare route', value: round(bareRps), unit: 'req/s' },
    { label: 'bare route p99', value: round(of('bare route', (r) => r.p99Ms)), unit: 'ms' },
    { label: 'bare route API CPU per request', value: round(bareCpu), unit: 'ms' },
  ];
  for (const route of routes.slice(1)) {
    metrics.push(
      {
        label: `${route.name} req/s`,
        value: round(of(route.name, (r) => r.requestsPerSecond)),
        unit: 'req/s',
        baseline: { label: 'bare route', value: round(bareRps) },
        // Ratio per round (same moment of the machine), then the median.
        ratio: round(
          median(runs.get(route.name)!.map((r, i) => r.requestsPerSecond / bareRuns[i]!.requestsPerSecond)),
        ),
      },
      { label: `${route.name} p99`, value: round(of(route.name, (r) => r.p99Ms)), unit: 'ms' },
      {
        label: `${route.name} API CPU per request`,
        value: round(of(route.name, (r) => r.cpuMsPerRequest)),
        unit: 'ms',
        baseline: { label: 'bare route', value: round(bareCpu) },
        ratio: round(
          median(runs.get(route.name)!.map((r, i) => r.cpuMsPerRequest / bareRuns[i]!.cpuMsPerRequest)),
        ),
      },
    );
  }
  return {
    metrics,
    notes: [
      `API = buildServer in its own process (NODE_ENV=production, LOG_LEVEL=warn) with GET /bench/bare → {"ok":true}; autocannon in the benchmark process, ${CONNECTIONS} connections, ${seconds} s per route, ${ctx.runs} alternating round(s), medians; no login.`,
      `One published page, one section of ${MONITORS} monitors, ${DAYS} days of daily rollups (+ today's hourly ones) in ${REGIONS.length} regions; no raw check rows, so every monitor is pending.`,
      `Answer sizes: ${routes.map((r) => `${r.name} ${answerBytes.get(r.name)} B`).join(', ')}.`,
      `PostgreSQL CPU per request (median): ${routes
        .map((r) => `${r.name} ${of(r.name, (x) => x.postgresCpuMsPerRequest ?? NaN)?.toFixed(4) ?? '?'} ms`)
        .join(', ')}.`,
    ],
    details: Object.fromEntries(runs),
  };
}

export const statusPageFigure: Figure = {
  name: 'status-page',
  title: 'Public status page (50 monitors) against a bare route',
  run,
};
