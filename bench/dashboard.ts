/**
 * The dashboard's first screen at scale: `GET /api/overview` (the first page of 50, as the dashboard asks
 * for it) at 10,000 and 100,000 monitors of one user, each with 30 slots of checks from two regions, a
 * state and a tag. Time to data (request sent to the whole body read, gzip accepted) and the body's bytes,
 * plain and gzipped; the first call after start (every window scan to do) and the following ones (scans
 * reused), for the default sort and for a filter, a search and each other sort. Then the tag filter as a
 * text[] with a GIN index (what the schema has) against a join table, in SQL.
 */
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '@better-uptime/config';
import type { ResultRow } from '@better-uptime/db';
import { recordResults } from '@better-uptime/incidents';
import { spawnApi } from './lib/api-child.js';
import type { BenchChild } from './lib/children.js';
import {
  type BenchContext,
  below,
  type Figure,
  type FigureResult,
  goalMet,
  type Metric,
} from './lib/figure.js';
import { insertMonitors, seedHistory } from './lib/load.js';
import { createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';

const REGIONS = ['usa', 'india'];
const INTERVAL_SECONDS = 180;
const SLOTS = 30;
/** Monitors up to this count get SLOTS slots of history; the rest two (see seedHistory below). */
const FULL_HISTORY = 10_000;
/** The size at which the open dashboards' streams are measured (issue 18: 50 dashboards on 10,000). */
const LIVE_SIZE = 10_000;
const TAGS = 20;
/** Calls per measured query after the first. */
const WARM_CALLS = 10;
/** Open dashboards in the live-updates measure, and the check interval their monitors are written at. */
const STREAMS = 50;
const LIVE_INTERVAL_SECONDS = 30;

interface Call {
  ms: number;
  plainBytes: number;
  gzipBytes: number;
  monitors: number;
}

/** One GET with node:http, whose body is the bytes on the wire (fetch would unzip them on its own). */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; encoding: string | undefined; body: Buffer }>((resolve, reject) => {
    const request = get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          encoding: response.headers['content-encoding'],
          body: Buffer.concat(chunks),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

async function call(url: string, headers: Record<string, string>): Promise<Call> {
  const started = performance.now();
  const response = await rawGet(url, { ...headers, 'accept-encoding': 'gzip' });
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`${url} answered ${response.status}: ${response.body.toString()}`);
  const zipped = response.encoding === 'gzip';
  const plain = zipped ? gunzipSync(response.body) : response.body;
  const body = JSON.parse(plain.toString('utf8')) as { monitors: unknown[] };
  return {
    ms,
    plainBytes: plain.length,
    gzipBytes: response.body.length,
    monitors: body.monitors.length,
  };
}

interface LiveRun {
  seconds: number;
  resultsPerSecond: number;
  /** CPU of the API process (user + system) over the run, % of one core. */
  apiCpuPercent: number;
  /** Bytes each stream received per second (median over the streams). */
  bytesPerSecondPerStream: number;
}

/**
 * STREAMS event streams open on the API while results of `monitorIds` are written through recordResults
 * (as workers write them) at one check per monitor and region every LIVE_INTERVAL_SECONDS; with `write`
 * false, the streams only idle (heartbeats).
 */
async function liveLoad(
  api: BenchChild,
  base: string,
  headers: Record<string, string>,
  db: Parameters<typeof recordResults>[0],
  monitorIds: readonly string[],
  seconds: number,
  write: boolean,
  query = '',
): Promise<LiveRun> {
  const received = new Array<number>(STREAMS).fill(0);
  const requests = await Promise.all(
    received.map(
      (_, i) =>
        new Promise<{ destroy(): void }>((resolve, reject) => {
          const request = get(`${base}/api/overview/events${query}`, { headers }, (response) => {
            if (response.statusCode !== 200) reject(new Error(`stream answered ${response.statusCode}`));
            response.once('data', () => resolve(request));
            response.on('data', (chunk: Buffer) => (received[i]! += chunk.length));
          });
          request.on('error', reject);
        }),
    ),
  );
  received.fill(0);
  const logger = createLogger('bench', 'silent');
  const perSecond = write ? (monitorIds.length * REGIONS.length) / LIVE_INTERVAL_SECONDS : 0;
  const tickMs = 250;
  const cpuBefore = await api.request<{ user: number; system: number }>('cpu');
  const started = performance.now();
  let written = 0;
  let next = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.round(((performance.now() - started) / 1000) * perSecond) - written;
    if (due > 0) {
      const slot = new Date(Math.floor(Date.now() / 1000) * 1000);
      const rows: ResultRow[] = [];
      for (let i = 0; i < due; i++, next++) {
        const monitorId = monitorIds[Math.floor(next / REGIONS.length) % monitorIds.length]!;
        rows.push({
          monitorId,
          region: REGIONS[next % REGIONS.length]!,
          // A distinct slot per round over the monitors.
          scheduledAt: new Date(slot.getTime() + Math.floor(next / (monitorIds.length * REGIONS.length))),
          checkedAt: slot,
          status: 'Up',
          responseTimeMs: 40 + (next % 160),
          statusCode: 200,
          reason: null,
          message: null,
          dnsMs: 1,
          connectMs: 3,
          tlsMs: 8,
          firstByteMs: 20,
          certExpiresAt: null,
        });
      }
      await recordResults(db, rows, { regions: REGIONS, logger });
      written += rows.length;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = await api.request<{ user: number; system: number }>('cpu');
  for (const request of requests) request.destroy();
  const cpuSeconds = (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1e6;
  return {
    seconds: elapsed,
    resultsPerSecond: written / elapsed,
    apiCpuPercent: (cpuSeconds / elapsed) * 100,
    bytesPerSecondPerStream: median(received.map((bytes) => bytes / elapsed))!,
  };
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const db = await createBenchDatabase('dashboard');
  ctx.defer(() => db.drop());
  const sizes = ctx.quick ? [1_000, 10_000] : [2_000, 10_000, 100_000];
  const metrics: Metric[] = [];
  const notes: string[] = [];
  const details: Record<string, unknown> = {};

  let userId = '';
  let have = 0;
  const everyId: string[] = [];
  for (const size of sizes) {
    // A fresh API process per size, so that its first call finds no scan to reuse.
    const api = spawnApi(ctx, db.url, REGIONS);
    const ready = await api.ready();
    const base = String(ready.url);
    const headers = { authorization: `Bearer ${String(ready.token)}` };
    // The monitors move to the user this process signed up (a new one each time).
    if (have > 0)
      await db.pool.query('UPDATE monitors SET user_id = $1 WHERE user_id = $2', [ready.userId, userId]);
    userId = String(ready.userId);

    ctx.progress.step(`${size} monitors: inserting ${size - have} monitors and their checks`);
    const ids = await insertMonitors(db.pool, {
      userId,
      count: size - have,
      url: (i) => `https://example.com/health/${have + i}`,
      intervalSeconds: INTERVAL_SECONDS,
      firstCheck: { kind: 'never' },
    });
    await seedHistory(db.pool, db.handle.db, {
      monitorIds: ids,
      regions: REGIONS,
      intervalSeconds: INTERVAL_SECONDS,
      // The monitors beyond FULL_HISTORY get the two newest slots only: a page reads 50 monitors'
      // history, so the rest matters for the ranking (states, the response sort), not its volume, and
      // 100,000 × 60 rows would take the load minutes on this machine.
      slots: have < FULL_HISTORY ? SLOTS : 2,
    });
    // States and tags as a real account has them: 1 % down, 2 % paused, the rest up; one tag of 20 each.
    await db.pool.query(
      `WITH n AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM monitors WHERE id = ANY($1::uuid[]))
       UPDATE monitors m SET tags = ARRAY['team-' || (n.n % ${TAGS})], paused = n.n % 50 = 1
       FROM n WHERE n.id = m.id`,
      [ids],
    );
    await db.pool.query(
      `UPDATE monitor_states s SET state = CASE WHEN m.paused THEN 'paused' WHEN hashtext(m.id::text) % 100 = 0
         THEN 'down' ELSE 'up' END
       FROM monitors m WHERE m.id = s.monitor_id AND m.id = ANY($1::uuid[])`,
      [ids],
    );
    await db.pool.query('VACUUM ANALYZE');
    have = size;
    everyId.push(...ids);

    const queries: Array<[string, string]> = [
      ['first page (sort=state)', ''],
      ['sort=name', '?sort=name'],
      ['sort=response', '?sort=response'],
      ['sort=uptime', '?sort=uptime'],
      ['tag=team-3', '?tag=team-3'],
      ['q=health/12', '?q=health/12'],
      ['status=down', '?status=down'],
    ];
    // The process's own first request (connections, compilation) is not the dashboard's: one call of an
    // empty search first, so that "first call" below is the first screen of these monitors (every 24 h
    // scan to do) on a running server.
    await call(`${base}/api/overview?q=nothing-matches-this`, headers);
    const results: Record<string, { first: Call; warm: number }> = {};
    for (const [label, query] of queries) {
      const url = `${base}/api/overview${query}`;
      const first = await call(url, headers);
      const warm: number[] = [];
      for (let i = 0; i < (ctx.quick ? 3 : WARM_CALLS); i++) warm.push((await call(url, headers)).ms);
      results[label] = { first, warm: median(warm)! };
      ctx.progress.step(
        `  ${size}: ${label}: first ${round(first.ms)} ms, then ${round(median(warm))} ms; ` +
          `${first.monitors} monitors, ${first.plainBytes} B (${first.gzipBytes} B gzipped)`,
      );
    }
    if (size === LIVE_SIZE) {
      const seconds = ctx.quick ? 5 : 20;
      ctx.progress.step(`  ${size}: ${STREAMS} event streams idle for ${seconds} s`);
      const idle = await liveLoad(api, base, headers, db.handle.db, everyId, seconds, false);
      ctx.progress.step(
        `  ${size}: ${STREAMS} event streams, checks every ${LIVE_INTERVAL_SECONDS} s, ${seconds} s`,
      );
      const busy = await liveLoad(api, base, headers, db.handle.db, everyId, seconds, true);
      // As the dashboard subscribes: to the monitors of the page it shows.
      const page = `?monitorIds=${everyId.slice(0, 50).join(',')}`;
      ctx.progress.step(`  ${size}: the same, each stream naming a page of 50 monitors`);
      const paged = await liveLoad(api, base, headers, db.handle.db, everyId, seconds, true, page);
      ctx.progress.step(
        `    idle: API ${round(idle.apiCpuPercent)} % CPU; with ${round(busy.resultsPerSecond)} results/s: API ` +
          `${round(busy.apiCpuPercent)} % CPU, ${round(busy.bytesPerSecondPerStream)} B/s per stream`,
      );
      metrics.push({
        label: `${size} monitors, ${STREAMS} open event streams: API CPU with checks every ${LIVE_INTERVAL_SECONDS} s`,
        value: round(busy.apiCpuPercent),
        unit: '% of a core',
        baseline: { label: 'streams idle', value: round(idle.apiCpuPercent) },
      });
      metrics.push({
        label: `${size} monitors: bytes per second per event stream, naming the page's 50 monitors`,
        value: round(paged.bytesPerSecondPerStream),
        unit: 'B/s',
        baseline: { label: 'every monitor', value: round(busy.bytesPerSecondPerStream) },
      });
      metrics.push({
        label: `${size} monitors, ${STREAMS} event streams naming a page: API CPU`,
        value: round(paged.apiCpuPercent),
        unit: '% of a core',
      });
      notes.push(
        `Live updates: ${STREAMS} GET /api/overview/events streams of the same user on one API process; ` +
          `results written by the bench process through recordResults (as a worker, NOTIFY in the same ` +
          `transaction) at ${round(busy.resultsPerSecond)} results/s (every monitor from both regions every ` +
          `${LIVE_INTERVAL_SECONDS} s) for ${round(busy.seconds)} s; each stream carries every check of the user's monitors.`,
      );
      details.live = { idle, busy, paged };
    }
    details[size] = results;
    const main = results['first page (sort=state)']!;
    const timeGoal = size >= 100_000 ? 1_000 : 300;
    metrics.push({
      label: `${size} monitors: first page, time to data (first call / following calls)`,
      value: round(main.first.ms),
      unit: 'ms',
      baseline: { label: 'following calls (median)', value: round(main.warm) },
      goal: `< ${timeGoal} ms`,
      met: goalMet(below(main.first.ms, timeGoal), below(main.warm, timeGoal)),
    });
    metrics.push({
      label: `${size} monitors: first page, bytes gzipped (plain)`,
      value: main.first.gzipBytes,
      unit: 'B',
      baseline: { label: 'plain', value: main.first.plainBytes },
      goal: '< 200 KB',
      met: below(main.first.gzipBytes, 200_000),
    });
    notes.push(
      `${size} monitors: ${queries
        .map(([label]) => `${label} ${round(results[label]!.first.ms)} / ${round(results[label]!.warm)} ms`)
        .join(', ')} (first call / median of the following).`,
    );
    await api.stop();
    // The next process signs up with the same address.
    await db.pool.query(`UPDATE users SET email = 'moved-' || id || '@example.test' WHERE id = $1`, [userId]);
  }

  // The tag filter's two designs at the largest size, in SQL: the array with a GIN index against a join table.
  await db.pool.query(`CREATE TABLE bench_monitor_tags (monitor_id uuid NOT NULL, tag text NOT NULL,
      PRIMARY KEY (tag, monitor_id))`);
  await db.pool.query(`INSERT INTO bench_monitor_tags SELECT id, unnest(tags) FROM monitors`);
  await db.pool.query('VACUUM ANALYZE');
  const timed = async (text: string) => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      await db.pool.query(text, [userId, 'team-3']);
      times.push(performance.now() - started);
    }
    return median(times)!;
  };
  const arrayMs = await timed(
    `SELECT count(*) FROM monitors m WHERE m.user_id = $1 AND m.tags @> ARRAY[$2]::text[]`,
  );
  const joinMs = await timed(
    `SELECT count(*) FROM monitors m WHERE m.user_id = $1
       AND EXISTS (SELECT 1 FROM bench_monitor_tags t WHERE t.tag = $2 AND t.monitor_id = m.id)`,
  );
  metrics.push({
    label: `${have} monitors: count of one tag's monitors, text[] + GIN`,
    value: round(arrayMs),
    unit: 'ms',
    baseline: { label: 'join table (tag, monitor_id)', value: round(joinMs) },
  });
  notes.push(
    `Each size: one user's monitors (http, every ${INTERVAL_SECONDS} s; the first ${FULL_HISTORY} with ${SLOTS} slots from ${REGIONS.join(' and ')} ` +
      `(${SLOTS * REGIONS.length} check rows each), the others with 2 slots), 1 % down, 2 % paused, one tag of ${TAGS} each; VACUUM ANALYZE. ` +
      `A fresh API process (NODE_ENV=production, LOG_LEVEL=warn) per size; time to data = fetch sent to the ` +
      `body read, gzip accepted, on 127.0.0.1. Uptime sort: no rollups seeded, so it ranks on an empty table.`,
  );
  return { metrics, notes, details };
}

export const dashboard: Figure = {
  name: 'dashboard',
  title: 'Dashboard first screen (paged overview) at 10,000 and 100,000 monitors',
  run,
};
