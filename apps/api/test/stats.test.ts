import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Database,
  type DatabaseHandle,
  insertResults,
  newId,
  runMaintenance,
  statsQueries,
} from '@better-uptime/db';
import { maintenanceIntervals } from '@better-uptime/incidents';
import {
  databaseVariants,
  postgresAvailable,
  resultRow,
  seedMonitor,
  seedUser,
  type TestDatabase,
} from '@better-uptime/testing';
import type { ApiServer } from '../src/context.js';
import { installErrorHandlers } from '../src/errors.js';
import type { StatsJson } from '../src/schemas/stats.js';
import { registerDashboard } from '../src/static.js';
import {
  type CheckRow,
  createMonitor,
  insertChecks,
  NOT_FOUND_MONITOR,
  recordChecks,
  signup,
  startTestApi,
  stopTestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2031, 6, 1, 12, 0, 0);
const at = (msBeforeNow: number) => new Date(NOW - msBeforeNow);
const REGIONS = ['india', 'usa'];

/**
 * The known data set. usa: 100 checks, one a minute back from NOW (the one i minutes ago took i + 1 ms),
 * of which those 10 and 20 minutes ago were Down with a 500; then three older timeouts (Down, no status
 * code, 30 s). india: 50 and 40 minutes ago Up (42 ms), then 30, 20 and 10 minutes ago Down (connect).
 */
function knownChecks(monitorId: string): CheckRow[] {
  const rows: CheckRow[] = [];
  for (let i = 0; i < 100; i++) {
    const down = i === 10 || i === 20;
    rows.push({
      monitorId,
      region: 'usa',
      scheduledAt: at(i * MINUTE),
      responseTimeMs: i + 1,
      status: down ? 'Down' : 'Up',
      statusCode: down ? 500 : 200,
      reason: down ? 'http_status' : null,
    });
  }
  for (let i = 100; i < 103; i++) {
    rows.push({
      monitorId,
      region: 'usa',
      scheduledAt: at(i * MINUTE),
      responseTimeMs: 30_000,
      status: 'Down',
      statusCode: null,
      reason: 'timeout',
    });
  }
  [50, 40, 30, 20, 10].forEach((minutes, k) =>
    rows.push({
      monitorId,
      region: 'india',
      scheduledAt: at(minutes * MINUTE),
      status: k < 2 ? 'Up' : 'Down',
      statusCode: k < 2 ? 200 : null,
      reason: k < 2 ? null : 'connect',
    }),
  );
  return rows;
}

describe.each(databaseVariants())('dashboard aggregate queries on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let db: Database;
  let userId: string;
  let monitorId: string;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    db = handle.db;
    userId = await seedUser(db);
    monitorId = await seedMonitor(db, userId);
    await insertChecks(db, knownChecks(monitorId));
    // Another user's monitor, with results in the same slots, must never count.
    const other = await seedMonitor(db, await seedUser(db));
    await insertChecks(db, [{ monitorId: other, region: 'usa', scheduledAt: at(0), status: 'Down' }]);
  });
  afterAll(async () => {
    await drop?.();
  });

  it.skipIf(!variant.available)('uptime % and p50/p95/p99 per region on known data', async () => {
    const summaries = await statsQueries.regionSummaries(db, monitorId, { from: at(24 * HOUR), to: at(0) });
    expect(summaries.map((s) => s.region)).toEqual(['india', 'usa']);
    const usa = summaries[1]!;
    expect(usa.checks).toBe(103);
    expect(usa.up).toBe(98);
    expect(usa.uptimePercent).toBeCloseTo((98 / 103) * 100, 10);
    // percentile_cont over 1..100 (timeouts have no status code and are left out): position p × (n - 1).
    expect(usa.p50Ms).toBeCloseTo(50.5, 10);
    expect(usa.p95Ms).toBeCloseTo(95.05, 10);
    expect(usa.p99Ms).toBeCloseTo(99.01, 10);
    expect(usa.avgMs).toBeCloseTo(50.5, 10);
    const india = summaries[0]!;
    expect(india).toMatchObject({ checks: 5, up: 2, uptimePercent: 40, p50Ms: 42, p99Ms: 42 });
  });

  it.skipIf(!variant.available)(
    'bounds the window inclusively and sees nothing of other monitors',
    async () => {
      // [NOW - 30 min, NOW - 10 min]: usa minutes 10..30 (21 checks, 2 down), india 30, 20, 10.
      const summaries = await statsQueries.regionSummaries(db, monitorId, {
        from: at(30 * MINUTE),
        to: at(10 * MINUTE),
      });
      expect(summaries.map((s) => [s.region, s.checks, s.up])).toEqual([
        ['india', 3, 0],
        ['usa', 21, 19],
      ]);
      expect(summaries[0]!.p50Ms).toBeNull(); // no india check got a response
      const none = await statsQueries.regionSummaries(db, newId(), { from: at(24 * HOUR), to: at(0) });
      expect(none).toEqual([]);
    },
  );

  it.skipIf(!variant.available)(
    'cuts the window into epoch-aligned buckets with phases and down counts',
    async () => {
      const buckets = await statsQueries.responseSeries(db, monitorId, {
        from: at(HOUR),
        to: at(0),
        bucketSeconds: 600,
      });
      const usa = buckets.filter((b) => b.region === 'usa');
      // NOW is on a 10-minute boundary: minutes 60-51 | 50-41 | ... | 10-1 | 0 ago fall in 7 buckets.
      expect(usa.map((b) => b.at)).toEqual([60, 50, 40, 30, 20, 10, 0].map((m) => NOW - m * MINUTE));
      expect(usa.map((b) => b.checks)).toEqual([10, 10, 10, 10, 10, 10, 1]);
      expect(usa.map((b) => b.down)).toEqual([0, 0, 0, 0, 1, 1, 0]);
      // Bucket [NOW - 10 min, NOW): minutes 1..10, response times 2..11.
      expect(usa[5]).toMatchObject({
        avgMs: 6.5,
        maxMs: 11,
        dnsMs: 1,
        connectMs: 2,
        tlsMs: 3,
        firstByteMs: 30,
      });
      const india = buckets.filter((b) => b.region === 'india');
      expect(india.map((b) => [b.at, b.down, b.avgMs])).toEqual([
        [NOW - 50 * MINUTE, 0, 42],
        [NOW - 40 * MINUTE, 0, 42],
        [NOW - 30 * MINUTE, 1, null],
        [NOW - 20 * MINUTE, 1, null],
        [NOW - 10 * MINUTE, 1, null],
      ]);
    },
  );

  it.skipIf(!variant.available)(
    'region states: newest check, since when, 24 h uptime, hourly series',
    async () => {
      const states = await statsQueries.regionStates(db, userId, { regions: REGIONS, now: new Date(NOW) });
      expect(states.map((s) => [s.monitorId, s.region])).toEqual([
        [monitorId, 'india'],
        [monitorId, 'usa'],
      ]);
      const [india, usa] = states;
      expect(usa).toMatchObject({
        latest: { status: 'Up', scheduledAt: NOW, responseTimeMs: 1, statusCode: 200, reason: null },
        since: NOW - 9 * MINUTE, // the first check after the last Down (10 minutes ago)
        checks: 103,
        up: 98,
      });
      expect(india).toMatchObject({
        latest: { status: 'Down', scheduledAt: NOW - 10 * MINUTE, statusCode: null, reason: 'connect' },
        since: NOW - 30 * MINUTE,
        checks: 5,
        up: 2,
      });
      expect(usa!.hourlyResponseMs).toHaveLength(24);
      expect(usa!.hourlyResponseMs.slice(0, 22)).toEqual(new Array(22).fill(null));
      // The last hour holds minutes 0..60 ago (1..61 ms: NOW itself joins it), the one before minutes
      // 61..99 (62..100 ms; the timeouts have no response time worth averaging).
      expect(usa!.hourlyResponseMs.slice(22)).toEqual([81, 31]);
    },
  );

  it.skipIf(!variant.available)('"since" is looked for within the window only', async () => {
    const user = await seedUser(db);
    const longUp = await seedMonitor(db, user);
    const recovered = await seedMonitor(db, user);
    const young = await seedMonitor(db, user);
    const pending = await seedMonitor(db, user, { regions: ['usa'] });
    const down = { status: 'Down', statusCode: null, reason: 'dns' } as const;
    await insertChecks(db, [
      { monitorId: longUp, scheduledAt: at(30 * HOUR), ...down },
      { monitorId: longUp, scheduledAt: at(20 * HOUR) },
      { monitorId: longUp, scheduledAt: at(HOUR) },
      { monitorId: recovered, scheduledAt: at(30 * HOUR) },
      { monitorId: recovered, scheduledAt: at(10 * HOUR), ...down },
      { monitorId: recovered, scheduledAt: at(5 * HOUR) },
      { monitorId: recovered, scheduledAt: at(HOUR) },
      { monitorId: young, scheduledAt: at(2 * HOUR) },
      { monitorId: young, scheduledAt: at(HOUR) },
    ]);
    const states = await statsQueries.regionStates(db, user, { regions: ['usa'], now: new Date(NOW) });
    const byMonitor = new Map(states.map((s) => [s.monitorId, s]));
    // Up throughout the window, with older history: when it came up is not known (it would take an
    // unbounded scan to find), so it is not guessed.
    expect(byMonitor.get(longUp)).toMatchObject({ since: null, checks: 2, up: 2 });
    // Down 10 h ago, inside the window: up since the next check.
    expect(byMonitor.get(recovered)).toMatchObject({ since: NOW - 5 * HOUR, checks: 3, up: 2 });
    // All its history inside the window: up since its first check.
    expect(byMonitor.get(young)).toMatchObject({ since: NOW - 2 * HOUR, checks: 2 });
    expect(byMonitor.get(pending)).toMatchObject({ latest: null, since: null, checks: 0 });
    // A 48 h window sees longUp's last Down, 30 h ago.
    const long = await statsQueries.regionStates(db, user, {
      regions: ['usa'],
      now: new Date(NOW),
      windowMs: 48 * HOUR,
    });
    expect(long.find((s) => s.monitorId === longUp)).toMatchObject({ since: NOW - 20 * HOUR, checks: 3 });
    expect(long.find((s) => s.monitorId === longUp)!.hourlyResponseMs).toHaveLength(48);
  });

  it.skipIf(!variant.available)(
    'recent activity: one entry per slot with the worst region, oldest first',
    async () => {
      const activity = await statsQueries.recentActivity(db, userId, {
        regions: REGIONS,
        now: new Date(NOW),
        slots: 50,
      });
      expect([...activity.keys()]).toEqual([monitorId]);
      const { slots } = activity.get(monitorId)!;
      expect(slots).toHaveLength(50);
      expect(slots.at(-1)).toMatchObject({ scheduledAt: NOW, region: 'usa', status: 'Up', regions: 1 });
      const slot = (minutes: number) => slots.find((r) => r.scheduledAt === NOW - minutes * MINUTE);
      // 10 minutes ago both were down: either region, counted twice.
      expect(slot(10)).toMatchObject({ status: 'Down', regions: 2, downRegions: 2 });
      // 30 minutes ago usa was up and india down: india's result represents the slot.
      expect(slot(30)).toMatchObject({ status: 'Down', region: 'india', reason: 'connect', downRegions: 1 });
      // 40 minutes ago both were up: the slower one (india, 42 ms, over usa's 41 ms).
      expect(slot(40)).toMatchObject({ status: 'Up', region: 'india', responseTimeMs: 42, downRegions: 0 });
      const scheduled = slots.map((r) => r.scheduledAt);
      expect(scheduled).toEqual([...scheduled].sort((a, b) => a - b));
    },
  );

  it.skipIf(!variant.available)(
    'recent activity: newest check per region, and since when when the change is among the rows',
    async () => {
      const wide = await statsQueries.recentActivity(db, userId, {
        regions: REGIONS,
        now: new Date(NOW),
        slots: 50,
      });
      const regions = wide.get(monitorId)!.regions;
      expect(regions.get('usa')).toEqual({
        latest: { status: 'Up', scheduledAt: NOW, responseTimeMs: 1, statusCode: 200, reason: null },
        since: NOW - 9 * MINUTE,
      });
      expect(regions.get('india')).toMatchObject({ latest: { status: 'Down' }, since: NOW - 30 * MINUTE });
      // Five slots (ten rows) reach back only 9 minutes: usa was up all along, and that says nothing
      // about when it came up.
      const narrow = await statsQueries.recentActivity(db, userId, {
        regions: REGIONS,
        now: new Date(NOW),
        slots: 5,
      });
      expect(narrow.get(monitorId)!.slots).toHaveLength(5);
      expect(narrow.get(monitorId)!.regions.get('usa')).toMatchObject({ since: null });
      // Unless those rows are the whole history.
      const user = await seedUser(db);
      const young = await seedMonitor(db, user);
      await insertChecks(db, [
        { monitorId: young, scheduledAt: at(3 * MINUTE) },
        { monitorId: young, scheduledAt: at(2 * MINUTE) },
      ]);
      const fresh = await statsQueries.recentActivity(db, user, {
        regions: REGIONS,
        now: new Date(NOW),
        slots: 5,
      });
      expect(fresh.get(young)!.regions.get('usa')).toMatchObject({ since: NOW - 3 * MINUTE });
    },
  );
});

describe.skipIf(!postgresAvailable())('dashboard endpoints (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  let user: TestUser;
  let stranger: TestUser;
  let monitorId: string;

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi({ now: () => NOW }));
    [user, stranger] = [await signup(app), await signup(app)];
    monitorId = (await createMonitor(app, user, { name: 'main' })).id;
    await createMonitor(app, user, { name: 'sleeping', paused: true });
    await createMonitor(app, user, { name: 'only usa', regions: ['usa'] });
    await recordChecks(testDb.handle.db, knownChecks(monitorId));
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const get = (url: string, who: TestUser | null = user, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...(who ? who.bearer : {}), ...headers } });

  describe('GET /api/overview', () => {
    it('lists every monitor with per-region state, counts, uptime and recent slots', async () => {
      const res = await get('/api/overview');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        generatedAt: new Date(NOW).toISOString(),
        windowHours: 24,
        counts: { up: 1, down: 0, paused: 1, pending: 1, maintenance: 0 },
      });
      // By state (pending, up, paused), then name.
      expect(body.monitors.map((m: { name: string }) => m.name)).toEqual(['only usa', 'main', 'sleeping']);
      expect(body).toMatchObject({ nextCursor: null, tags: [] });
      const main = body.monitors[1];
      // india is down (three failed checks in a row), but the default quorum of two regions is a majority,
      // both: no incident, and the monitor is up.
      expect(main).toMatchObject({
        id: monitorId,
        status: 'up',
        openIncidentId: null,
        paused: false,
        intervalSeconds: 180,
      });
      expect(main.uptimePercent).toBeCloseTo(Math.round((100 / 108) * 100 * 1e4) / 1e4, 10);
      expect(main.regions.map((r: { region: string }) => r.region)).toEqual(['india', 'usa']);
      expect(main.regions[1]).toEqual({
        region: 'usa',
        status: 'Up',
        lastCheckedAt: new Date(NOW).toISOString(),
        since: new Date(NOW - 9 * MINUTE).toISOString(),
        responseTimeMs: 1,
        statusCode: 200,
        reason: null,
        checks: 103,
        uptimePercent: 95.1456,
        hourlyResponseMs: [...new Array(22).fill(null), 81, 31],
      });
      expect(main.recent).toHaveLength(30);
      expect(main.recent.at(-1)).toEqual({
        scheduledAt: new Date(NOW).toISOString(),
        status: 'Up',
        region: 'usa',
        statusCode: 200,
        reason: null,
        responseTimeMs: 1,
        regions: 1,
        downRegions: 0,
      });
      const usaOnly = body.monitors[0];
      expect(usaOnly).toMatchObject({ status: 'pending', uptimePercent: null, recent: [] });
      expect(usaOnly.regions).toEqual([
        expect.objectContaining({ region: 'usa', status: null, since: null, checks: 0, uptimePercent: null }),
      ]);
    });

    it('counts a monitor down once a quorum of regions is down, with its incident and since when', async () => {
      const id = (await createMonitor(app, stranger, { name: 'flaky' })).id;
      await recordChecks(testDb.handle.db, [
        { monitorId: id, region: 'usa', scheduledAt: at(2 * MINUTE) },
        {
          monitorId: id,
          region: 'india',
          scheduledAt: at(2 * MINUTE),
          status: 'Down',
          statusCode: 503,
          reason: 'http_status',
        },
      ]);
      const before = (await get('/api/overview', stranger)).json();
      expect(before.counts).toEqual({ up: 1, down: 0, paused: 0, pending: 0, maintenance: 0, total: 1 });
      expect(before.monitors[0].recent).toEqual([
        expect.objectContaining({
          status: 'Down',
          region: 'india',
          statusCode: 503,
          regions: 2,
          downRegions: 1,
        }),
      ]);
      const down = { status: 'Down' as const, statusCode: 503, reason: 'http_status' };
      await recordChecks(testDb.handle.db, [
        { monitorId: id, region: 'usa', scheduledAt: at(MINUTE), ...down },
        { monitorId: id, region: 'india', scheduledAt: at(MINUTE), ...down },
        { monitorId: id, region: 'usa', scheduledAt: at(0), ...down },
        { monitorId: id, region: 'india', scheduledAt: at(0), ...down },
      ]);
      const after = (await get('/api/overview', stranger)).json();
      expect(after.counts).toEqual({ up: 0, down: 1, paused: 0, pending: 0, maintenance: 0, total: 1 });
      // The outage began with india's first failed check.
      expect(after.monitors[0]).toMatchObject({ status: 'down', stateSince: at(2 * MINUTE).toISOString() });
      expect(after.monitors[0].openIncidentId).toEqual(expect.any(String));
    });

    it('is fresh on every call: newest check, since and recent slots; the window scan follows', async () => {
      const watcher = await signup(app);
      const id = (await createMonitor(app, watcher, { regions: ['usa'] })).id;
      const overview = async () => (await get('/api/overview', watcher)).json();
      expect((await overview()).monitors[0]).toMatchObject({ status: 'pending', uptimePercent: null });
      await recordChecks(testDb.handle.db, [{ monitorId: id, scheduledAt: at(2 * MINUTE) }]);
      // The first check of a region makes the window scan run again, so uptime shows at once.
      const first = (await overview()).monitors[0];
      expect(first).toMatchObject({ status: 'up', uptimePercent: 100 });
      expect(first.regions[0].since).toBe(at(2 * MINUTE).toISOString());
      const failed = { status: 'Down' as const, statusCode: 503, reason: 'http_status' };
      await recordChecks(testDb.handle.db, [{ monitorId: id, scheduledAt: at(1.5 * MINUTE), ...failed }]);
      // One failed check is not an outage (failureThreshold 2), though the newest check shows it.
      const once = await overview();
      expect(once.counts).toMatchObject({ up: 1, down: 0 });
      expect(once.monitors[0].regions[0]).toMatchObject({
        status: 'Down',
        since: at(1.5 * MINUTE).toISOString(),
      });
      await recordChecks(testDb.handle.db, [{ monitorId: id, scheduledAt: at(MINUTE), ...failed }]);
      const second = await overview();
      expect(second.counts).toMatchObject({ up: 0, down: 1 });
      expect(second.monitors[0]).toMatchObject({
        status: 'down',
        stateSince: at(1.5 * MINUTE).toISOString(),
      });
      expect(second.monitors[0].regions[0]).toMatchObject({
        status: 'Down',
        since: at(1.5 * MINUTE).toISOString(),
        statusCode: 503,
        reason: 'http_status',
      });
      expect(second.monitors[0].recent.map((r: { status: string }) => r.status)).toEqual([
        'Up',
        'Down',
        'Down',
      ]);
    });

    it('shows only the caller’s monitors', async () => {
      const fresh = await signup(app);
      const body = (await get('/api/overview', fresh)).json();
      expect(body.monitors).toEqual([]);
      expect(body.counts).toEqual({ up: 0, down: 0, paused: 0, pending: 0, maintenance: 0, total: 0 });
      const names = (await get('/api/overview', stranger))
        .json()
        .monitors.map((m: { name: string }) => m.name);
      expect(names).toEqual(['flaky']);
    });

    it('needs authentication and refuses unknown parameters', async () => {
      const anonymous = await get('/api/overview', null);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.code).toBe('unauthorized');
      const extra = await get('/api/overview?since=5');
      expect(extra.statusCode).toBe(400);
      expect(extra.json()).toMatchObject({
        error: { code: 'validation_error', message: 'querystring/since is not an allowed property' },
      });
    });

    it('works with the cookie session, as the dashboard calls it', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/overview', headers: { cookie: user.cookie } });
      expect(res.statusCode).toBe(200);
    });

    it('gzips a large overview for clients that accept it', async () => {
      const many = await signup(app);
      for (let i = 0; i < 25; i++) await createMonitor(app, many, { name: `site ${i}` });
      const plain = await get('/api/overview', many);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const zipped = await get('/api/overview', many, { 'accept-encoding': 'gzip, deflate, br' });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toContain('accept-encoding');
      const unzipped = JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8'));
      expect(unzipped).toEqual(plain.json());
      expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
    });
  });

  describe('GET /api/results/:monitorId/stats', () => {
    it('summarises each region over the default 24 h window, with a 10-minute series', async () => {
      const res = await get(`/api/results/${monitorId}/stats`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        monitorId,
        window: '24h',
        from: new Date(NOW - 24 * HOUR).toISOString(),
        to: new Date(NOW).toISOString(),
        bucketSeconds: 600,
      });
      const [india, usa] = body.regions;
      expect(usa).toMatchObject({
        region: 'usa',
        checks: 103,
        up: 98,
        uptimePercent: 95.1456,
        avgMs: 50.5,
        p50Ms: 50.5,
        p99Ms: 99, // 99.01 to 0.1 ms
      });
      expect(usa.p95Ms).toBeGreaterThanOrEqual(95); // 95.05, rounded to 0.1 ms either way
      expect(usa.p95Ms).toBeLessThanOrEqual(95.1);
      expect(india).toMatchObject({ region: 'india', checks: 5, up: 2, uptimePercent: 40, p50Ms: 42 });
      expect(usa.series.at(-1)).toEqual({
        at: new Date(NOW).toISOString(),
        checks: 1,
        down: 0,
        avgMs: 1,
        maxMs: 1,
        dnsMs: 1,
        connectMs: 2,
        tlsMs: 3,
        firstByteMs: 30,
      });
      expect(usa.series.reduce((n: number, b: { checks: number }) => n + b.checks, 0)).toBe(103);
    });

    it('takes the window from the query: 1h counts only the last hour, in 1-minute buckets', async () => {
      const body = (await get(`/api/results/${monitorId}/stats?window=1h`)).json();
      expect(body.bucketSeconds).toBe(60);
      expect(body.regions.map((r: { checks: number }) => r.checks)).toEqual([5, 61]);
      for (const window of ['7d', '30d']) {
        const res = await get(`/api/results/${monitorId}/stats?window=${window}`);
        expect(res.statusCode).toBe(200);
        expect(res.json().regions[1].checks).toBe(103);
      }
    });

    it('reads windows beyond a day from the rollups: the same counts, uptime and averages', async () => {
      const before = new Map<string, StatsJson>();
      for (const window of ['7d', '30d', '90d']) {
        before.set(window, (await get(`/api/results/${monitorId}/stats?window=${window}`)).json());
      }
      const report = await runMaintenance(testDb.handle.db, { retentionDays: 3650, now: NOW });
      expect(report.hoursRolled).toBeGreaterThan(0);
      for (const window of ['7d', '30d', '90d']) {
        const raw = before.get(window)!;
        const rolled: StatsJson = (await get(`/api/results/${monitorId}/stats?window=${window}`)).json();
        expect(rolled.bucketSeconds).toBe(window === '90d' ? 86_400 : raw.bucketSeconds);
        for (const [i, region] of rolled.regions.entries()) {
          const exact = raw.regions[i]!;
          expect([region.region, region.checks, region.up, region.uptimePercent, region.avgMs]).toEqual([
            exact.region,
            exact.checks,
            exact.up,
            exact.uptimePercent,
            exact.avgMs,
          ]);
          for (const p of ['p50Ms', 'p95Ms', 'p99Ms'] as const) {
            expect(Math.abs(region[p]! - exact[p]!) / exact[p]!).toBeLessThanOrEqual(0.04);
          }
          expect(region.series.reduce((n, b) => n + b.checks, 0)).toBe(exact.checks);
          expect(Math.max(...region.series.map((b) => b.maxMs ?? 0))).toBe(
            Math.max(...exact.series.map((b) => b.maxMs ?? 0)),
          );
        }
      }
    });

    it('counts degraded checks and checks in planned maintenance; uptime leaves maintenance out', async () => {
      const id = (await createMonitor(app, user, { name: 'deployed', regions: ['usa'] })).id;
      const window = await app.inject({
        method: 'POST',
        url: '/api/maintenance',
        headers: user.bearer,
        payload: {
          name: 'deploy',
          monitorIds: [id],
          startsAt: at(40 * MINUTE).toISOString(),
          endsAt: at(20 * MINUTE).toISOString(),
        },
      });
      expect(window.statusCode).toBe(201);
      // One check a minute for an hour: down 25, 30 and 35 minutes ago (in the window) and 50 (outside);
      // degraded 5 and 6 minutes ago. The window [40, 20) minutes ago holds the checks 21..40 minutes ago.
      const rows = Array.from({ length: 60 }, (_, i) => {
        const down = [25, 30, 35, 50].includes(i);
        return resultRow(id, at(i * MINUTE), {
          status: down ? 'Down' : 'Up',
          statusCode: down ? 503 : 200,
          reason: down ? 'http_status' : null,
          details: i === 5 || i === 6 ? { degraded: true } : null,
        });
      });
      await insertResults(testDb.handle.db, rows);
      const expected = {
        region: 'usa',
        checks: 60,
        up: 56,
        degraded: 2,
        maintenanceChecks: 20,
        maintenanceUp: 17,
        uptimePercent: 97.5, // (56 − 17) / (60 − 20)
        degradedPercent: 3.3333,
      };
      // Up to a day: from the raw results, so at once.
      expect((await get(`/api/results/${id}/stats?window=24h`)).json().regions).toEqual([
        expect.objectContaining(expected),
      ]);
      // Rolled up again (the hour in progress too), the long windows read the same figures from the rollups.
      const windows = ['24h', '7d', '90d'];
      await runMaintenance(testDb.handle.db, {
        retentionDays: 3650,
        now: NOW,
        maintenanceIntervals: (fromMs, toMs) => maintenanceIntervals(testDb.handle.db, 'every', fromMs, toMs),
      });
      for (const w of windows) {
        expect((await get(`/api/results/${id}/stats?window=${w}`)).json().regions).toEqual([
          expect.objectContaining(expected),
        ]);
      }
    });

    it('lists the regions the monitor is checked from even without checks', async () => {
      const id = (await createMonitor(app, user, { regions: ['india'] })).id;
      const body = (await get(`/api/results/${id}/stats`)).json();
      expect(body.regions).toEqual([
        {
          region: 'india',
          checks: 0,
          up: 0,
          degraded: 0,
          maintenanceChecks: 0,
          maintenanceUp: 0,
          uptimePercent: null,
          degradedPercent: null,
          avgMs: null,
          p50Ms: null,
          p95Ms: null,
          p99Ms: null,
          series: [],
        },
      ]);
    });

    it('answers 400 for a malformed id or window, 404 for a missing or foreign monitor, 401 anonymous', async () => {
      const badWindow = await get(`/api/results/${monitorId}/stats?window=2h`);
      expect(badWindow.statusCode).toBe(400);
      expect(badWindow.json()).toMatchObject({
        error: {
          code: 'validation_error',
          message: 'querystring/window must be one of: 1h, 24h, 7d, 30d, 90d',
        },
      });
      const badId = await get('/api/results/not-a-uuid/stats');
      expect(badId.statusCode).toBe(400);
      expect(badId.json().error.message).toBe('params/monitorId must be a UUID');
      const extra = await get(`/api/results/${monitorId}/stats?from=2031-01-01T00:00:00Z`);
      expect(extra.statusCode).toBe(400);
      const foreign = await get(`/api/results/${monitorId}/stats`, stranger);
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json()).toEqual(NOT_FOUND_MONITOR);
      const missing = await get(`/api/results/${newId()}/stats`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual(NOT_FOUND_MONITOR);
      expect((await get(`/api/results/${monitorId}/stats`, null)).statusCode).toBe(401);
    });
  });

  it('GET /api/regions lists the configured regions, for the monitor form', async () => {
    const res = await get('/api/regions');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ regions: ['usa', 'india'] });
    expect((await get('/api/regions', null)).statusCode).toBe(401);
  });

  it('documents the endpoints in the OpenAPI description', async () => {
    const doc = (await get('/api/openapi.json')).json();
    const overview = doc.paths['/api/overview'].get;
    const stats = doc.paths['/api/results/{monitorId}/stats'].get;
    expect(doc.paths['/api/regions'].get.responses['200']).toBeDefined();
    for (const op of [overview, stats]) {
      expect(op.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    }
    expect(stats.parameters.find((p: { name: string }) => p.name === 'window').schema).toMatchObject({
      default: '24h',
    });
    expect(Object.keys(doc.paths).some((p) => p.includes('*'))).toBe(false); // the dashboard route is hidden
  });

  it('stays quick at 1,000 monitors: one overview request', async () => {
    const big = await signup(app);
    // 1,000 monitors with 30 slots from both regions each (60,000 results), written in SQL.
    await testDb.handle.db.execute(sql`
      INSERT INTO monitors (id, user_id, name, kind, settings, target)
      SELECT gen_random_uuid(), ${big.id}, 'site ' || n, 'http', jsonb_build_object('url', 'https://example.com/' || n),
             'https://example.com/' || n FROM generate_series(1, 1000) n`);
    await testDb.handle.db.execute(sql`
      INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms, status_code)
      SELECT m.id, r.region, ${new Date(NOW).toISOString()}::timestamptz - s * interval '3 minutes',
             ${new Date(NOW).toISOString()}::timestamptz - s * interval '3 minutes',
             CASE WHEN s % 7 = 0 THEN 'Down'::check_status ELSE 'Up'::check_status END, 20 + s, 200
      FROM monitors m, unnest(ARRAY['usa', 'india']) r(region), generate_series(0, 29) s
      WHERE m.user_id = ${big.id}`);
    // The dashboard's first screen: the first page of 50.
    const started = performance.now();
    const res = await get('/api/overview', big, { 'accept-encoding': 'gzip' });
    const elapsed = performance.now() - started;
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(gunzipSync(res.rawPayload).toString('utf8'));
    expect(body.monitors).toHaveLength(50);
    // Results written straight into the table, around the state writer: no verdict yet.
    expect(body.counts).toMatchObject({ pending: 1000, total: 1000 });
    expect(body.monitors[0].recent).toHaveLength(30);
    // Generous for a shared 2-core machine; BENCHMARKS.md has the figures at 10,000 and 100,000.
    expect(elapsed).toBeLessThan(5_000);
    const ids = new Set<string>(body.monitors.map((m: { id: string }) => m.id));
    for (let cursor = body.nextCursor; cursor !== null;) {
      const page = (await get(`/api/overview?limit=500&cursor=${cursor}`, big)).json();
      for (const m of page.monitors as Array<{ id: string }>) ids.add(m.id);
      cursor = page.nextCursor;
    }
    expect(ids.size).toBe(1000);
  });
});

describe('dashboard files', () => {
  let root: string;
  let app: ApiServer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bu-dashboard-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Better Uptime</title>');
    await writeFile(
      join(root, 'assets', 'index-abc123.js'),
      `console.log(${JSON.stringify('x'.repeat(4000))});`,
    );
    await writeFile(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = Fastify() as unknown as ApiServer;
    installErrorHandlers(app);
    registerDashboard(app, root);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await rm(root, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  it('serves index.html at / and at any dashboard path, revalidated, with a strict CSP', async () => {
    for (const url of ['/', '/login', '/monitors/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b?window=7d']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.body).toContain('<title>Better Uptime</title>');
    }
  });

  it('serves hashed assets for a year, gzipped when accepted, and answers 304 to a matching ETag', async () => {
    const res = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.rawPayload).toString()).toContain('console.log');
    const again = await get('/assets/index-abc123.js', { 'if-none-match': String(res.headers.etag) });
    expect(again.statusCode).toBe(304);
    const icon = await get('/favicon.svg');
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('leaves /api and /docs to the API, and never leaves its folder', async () => {
    for (const url of [
      '/api/nothing',
      '/api',
      '/docs/nothing',
      '/assets/missing.js',
      '/../package.json',
      '/assets/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd.txt',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('not_found');
    }
  });

  it('says how to build the dashboard when it is not built', async () => {
    const bare = Fastify() as unknown as ApiServer;
    registerDashboard(bare, join(root, 'missing'));
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    await bare.close();
  });
});
