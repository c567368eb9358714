import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, queryRows, resultQueries } from '@better-uptime/db';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { encodeCursor } from '../src/cursor.js';
import {
  createMonitor,
  insertChecks,
  NOT_FOUND_MONITOR,
  signup,
  startTestApi,
  stopTestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

interface CheckJson {
  id: string;
  location: string;
  scheduledAt: string;
  status: string;
}

describe.skipIf(!postgresAvailable())('results API (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  let user: TestUser;
  /** The server's clock, pinned: cleanup boundaries are computed from it. */
  const NOW = Date.UTC(2031, 5, 1, 12, 0, 0, 0);

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi({ now: () => NOW }));
    user = await signup(app);
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const get = (url: string, who: TestUser = user) => app.inject({ method: 'GET', url, headers: who.bearer });
  const countChecks = async (monitorId: string) =>
    (
      await queryRows<{ n: number }>(
        testDb.handle.db,
        sql`SELECT count(*)::int AS n FROM check_results WHERE monitor_id = ${monitorId}`,
      )
    )[0]!.n;

  /** Every page of a listing, following nextCursor. */
  async function allPages(url: string, limit: number): Promise<CheckJson[][]> {
    const pages: CheckJson[][] = [];
    let cursor: string | null = null;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const res = await get(`${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      pages.push(res.json().checks);
      cursor = res.json().nextCursor;
    } while (cursor && pages.length < 100);
    return pages;
  }

  describe('GET /api/results/:monitorId/checks', () => {
    let monitorId: string;
    const base = Date.UTC(2031, 4, 1, 0, 0, 0);
    beforeAll(async () => {
      monitorId = (await createMonitor(app, user)).id;
      // 12 slots, one minute apart, each checked from both regions; every third slot is Down in india.
      const rows = [];
      for (let i = 0; i < 12; i++) {
        const scheduledAt = new Date(base + i * MINUTE);
        rows.push({ monitorId, region: 'usa', scheduledAt });
        rows.push({
          monitorId,
          region: 'india',
          scheduledAt,
          status: i % 3 === 0 ? ('Down' as const) : ('Up' as const),
          statusCode: i % 3 === 0 ? null : 200,
          reason: i % 3 === 0 ? 'timeout' : null,
        });
      }
      await insertChecks(testDb.handle.db, rows);
    });

    it('returns checks newest first (same slot: region descending) with every field', async () => {
      const res = await get(`/api/results/${monitorId}/checks`);
      expect(res.statusCode).toBe(200);
      const { checks, nextCursor } = res.json();
      expect(nextCursor).toBeNull();
      expect(checks).toHaveLength(24);
      expect(checks.slice(0, 4).map((c: CheckJson) => [c.scheduledAt, c.location])).toEqual([
        [new Date(base + 11 * MINUTE).toISOString(), 'usa'],
        [new Date(base + 11 * MINUTE).toISOString(), 'india'],
        [new Date(base + 10 * MINUTE).toISOString(), 'usa'],
        [new Date(base + 10 * MINUTE).toISOString(), 'india'],
      ]);
      expect(checks[0]).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        monitorId,
        kind: 'http',
        location: 'usa',
        region: 'usa',
        status: 'Up',
        responseTimeMs: 42,
        statusCode: 200,
        reason: null,
        message: null,
        timings: { dnsMs: 1, connectMs: 2, tlsMs: 3, firstByteMs: 30 },
        certExpiresAt: null,
        details: null,
        scheduledAt: new Date(base + 11 * MINUTE).toISOString(),
        checkedAt: new Date(base + 11 * MINUTE + 15).toISOString(),
      });
      // The same check has the same id on every read.
      expect((await get(`/api/results/${monitorId}/checks?limit=1`)).json().checks[0].id).toBe(checks[0].id);
      const down = checks.find((c: CheckJson) => c.status === 'Down');
      expect(down).toMatchObject({
        location: 'india',
        statusCode: null,
        reason: 'timeout',
        message: 'failed: timeout',
      });
    });

    it.each([1, 3, 5, 7, 24, 1000])('pages of %i cover every check once, in order', async (limit) => {
      const pages = await allPages(`/api/results/${monitorId}/checks`, limit);
      const flat = pages.flat();
      expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
      expect(flat).toHaveLength(24);
      expect(new Set(flat.map((c) => `${c.scheduledAt}|${c.location}`)).size).toBe(24);
      // One id per check, the same on every page size.
      expect(new Set(flat.map((c) => c.id)).size).toBe(24);
      const all = (await get(`/api/results/${monitorId}/checks?limit=100`)).json().checks;
      expect(flat).toEqual(all);
    });

    it('filters by region and status, and pages within the filter', async () => {
      const usa = (await get(`/api/results/${monitorId}/checks?region=usa`)).json().checks;
      expect(usa).toHaveLength(12);
      expect(usa.every((c: CheckJson) => c.location === 'usa')).toBe(true);
      const down = (await get(`/api/results/${monitorId}/checks?status=Down`)).json().checks;
      expect(down.map((c: CheckJson) => c.scheduledAt)).toEqual(
        [9, 6, 3, 0].map((i) => new Date(base + i * MINUTE).toISOString()),
      );
      const upInIndia = (await allPages(`/api/results/${monitorId}/checks?region=india&status=Up`, 3)).flat();
      expect(upInIndia).toHaveLength(8);
      expect(upInIndia.every((c) => c.location === 'india' && c.status === 'Up')).toBe(true);
      expect((await get(`/api/results/${monitorId}/checks?region=europe`)).json().checks).toEqual([]);
    });

    it('from and to are inclusive bounds on the scheduled time', async () => {
      const from = new Date(base + 3 * MINUTE).toISOString();
      const to = new Date(base + 5 * MINUTE).toISOString();
      const res = await get(`/api/results/${monitorId}/checks?from=${from}&to=${to}&region=usa`);
      expect(res.json().checks.map((c: CheckJson) => c.scheduledAt)).toEqual([
        to,
        new Date(base + 4 * MINUTE).toISOString(),
        from,
      ]);
      // The same instant written with an offset.
      const offset = (
        await get(`/api/results/${monitorId}/checks?from=2031-05-01T02:11:00%2B02:00&region=usa`)
      ).json();
      expect(offset.checks.map((c: CheckJson) => c.scheduledAt)).toEqual([
        new Date(base + 11 * MINUTE).toISOString(),
      ]);
      const equal = (await get(`/api/results/${monitorId}/checks?from=${from}&to=${from}`)).json();
      expect(equal.checks).toHaveLength(2);
      const paged = (await allPages(`/api/results/${monitorId}/checks?from=${from}&to=${to}`, 4)).flat();
      expect(paged).toHaveLength(6);
    });

    it('keeps microsecond-precise slots apart when paging', async () => {
      const monitor = await createMonitor(app, user);
      const slots = [
        '2031-05-02T00:00:00.000001Z',
        '2031-05-02T00:00:00.000002Z',
        '2031-05-02T00:00:00.000003Z',
      ];
      await insertChecks(
        testDb.handle.db,
        slots.map((scheduledAt) => ({ monitorId: monitor.id, scheduledAt })),
      );
      const pages = await allPages(`/api/results/${monitor.id}/checks`, 1);
      expect(pages.map((p) => p.length)).toEqual([1, 1, 1]);
    });

    it.each([
      ['limit=0', 'querystring/limit must be at least 1'],
      ['limit=1001', 'querystring/limit must be at most 1000'],
      ['limit=ten', 'querystring/limit must be an integer'],
      ['from=yesterday', 'querystring/from must be an ISO 8601 date-time'],
      ['to=2031-02-30T00:00:00Z', 'querystring/to must be an ISO 8601 date-time'],
      ['from=2031-05-01', 'querystring/from must be an ISO 8601 date-time'],
      [
        'from=2031-05-02T00:00:00Z&to=2031-05-01T00:00:00Z',
        'querystring/from must not be after querystring/to',
      ],
      ['status=Unknown', 'querystring/status must be one of: Up, Down'],
      ['status=up', 'querystring/status must be one of: Up, Down'],
      ['region=US%20A', 'querystring/region must be a region name'],
      ['cursor=%%%', 'querystring/cursor is not a valid cursor'],
      ['cursor=bm90IGpzb24', 'querystring/cursor is not a valid cursor'],
      [`cursor=${encodeCursor({ id: newId() })}`, 'querystring/cursor is not a valid cursor'],
      [`cursor=${encodeCursor({ t: 'soon', r: 'usa' })}`, 'querystring/cursor is not a valid cursor'],
      [
        `cursor=${encodeCursor({ t: '2031-05-01T00:00:00Z', r: "usa' OR 1=1" })}`,
        'querystring/cursor is not a valid',
      ],
      ['page=2', 'querystring/page is not an allowed property'],
    ])('?%s -> 400', async (query, message) => {
      const res = await get(`/api/results/${monitorId}/checks?${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: { code: 'validation_error', message: expect.stringContaining(message) },
      });
    });

    it('answers 404 for a missing monitor and 400 for a malformed id', async () => {
      expect((await get(`/api/results/${newId()}/checks`)).json()).toEqual(NOT_FOUND_MONITOR);
      const bad = await get('/api/results/nope/checks');
      expect(bad.json()).toMatchObject({
        error: { code: 'validation_error', message: 'params/monitorId must be a UUID' },
      });
    });

    it('needs authentication', async () => {
      expect((await app.inject({ method: 'GET', url: `/api/results/${monitorId}/checks` })).statusCode).toBe(
        401,
      );
    });
  });

  describe('GET /api/results/:monitorId/latest', () => {
    it('returns the newest check of each region, by region name', async () => {
      const monitorId = (await createMonitor(app, user)).id;
      const t = Date.UTC(2031, 4, 3);
      await insertChecks(testDb.handle.db, [
        { monitorId, region: 'usa', scheduledAt: new Date(t) },
        { monitorId, region: 'usa', scheduledAt: new Date(t + 2 * MINUTE), status: 'Down', reason: 'dns' },
        { monitorId, region: 'india', scheduledAt: new Date(t + MINUTE) },
        { monitorId, region: 'india', scheduledAt: new Date(t - DAY) },
      ]);
      const res = await get(`/api/results/${monitorId}/latest`);
      expect(res.statusCode).toBe(200);
      expect(res.json().latest.map((c: CheckJson) => [c.location, c.scheduledAt, c.status])).toEqual([
        ['india', new Date(t + MINUTE).toISOString(), 'Up'],
        ['usa', new Date(t + 2 * MINUTE).toISOString(), 'Down'],
      ]);
    });

    it('is an empty list for a monitor without results', async () => {
      const monitorId = (await createMonitor(app, user)).id;
      expect((await get(`/api/results/${monitorId}/latest`)).json()).toEqual({ latest: [] });
    });

    it('answers 404 for a missing monitor', async () => {
      expect((await get(`/api/results/${newId()}/latest`)).json()).toEqual(NOT_FOUND_MONITOR);
    });
  });

  describe('DELETE /api/results/:monitorId/cleanup', () => {
    const cleanup = (monitorId: string, query = '', who: TestUser = user) =>
      app.inject({ method: 'DELETE', url: `/api/results/${monitorId}/cleanup${query}`, headers: who.bearer });

    it('deletes exactly the checks scheduled strictly before now - days; the boundary itself stays', async () => {
      const monitorId = (await createMonitor(app, user)).id;
      const otherId = (await createMonitor(app, user)).id;
      const cutoff = NOW - 90 * DAY;
      const at = (ms: number) => new Date(ms).toISOString();
      await insertChecks(testDb.handle.db, [
        { monitorId, scheduledAt: at(cutoff - 400 * DAY) }, // deleted
        { monitorId, scheduledAt: at(cutoff - 1), region: 'india' }, // deleted: 1 ms outside
        { monitorId, scheduledAt: '2031-03-03T11:59:59.999999Z' }, // deleted: 1 µs outside
        { monitorId, scheduledAt: at(cutoff) }, // kept: exactly at the boundary
        { monitorId, scheduledAt: at(cutoff + 1) }, // kept: 1 ms inside
        { monitorId, scheduledAt: at(NOW) }, // kept
        { monitorId: otherId, scheduledAt: at(cutoff - 10 * DAY) }, // another monitor: kept
      ]);
      expect(at(cutoff)).toBe('2031-03-03T12:00:00.000Z');

      const res = await cleanup(monitorId); // days defaults to 90
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ deleted: 3 });
      const left = await queryRows<{ at: string }>(
        testDb.handle.db,
        sql`SELECT to_char(scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
            FROM check_results WHERE monitor_id = ${monitorId} ORDER BY scheduled_at`,
      );
      expect(left.map((r) => r.at)).toEqual([at(cutoff), at(cutoff + 1), at(NOW)]);
      expect(await countChecks(otherId)).toBe(1);
      expect((await cleanup(monitorId)).json()).toEqual({ deleted: 0 });
    });

    it('honours days', async () => {
      const monitorId = (await createMonitor(app, user)).id;
      await insertChecks(
        testDb.handle.db,
        [0.5, 1.5, 2.5, 10].map((d) => ({ monitorId, scheduledAt: new Date(NOW - d * DAY) })),
      );
      expect((await cleanup(monitorId, '?days=3')).json()).toEqual({ deleted: 1 });
      expect((await cleanup(monitorId, '?days=1')).json()).toEqual({ deleted: 2 });
      expect(await countChecks(monitorId)).toBe(1);
    });

    it.each([
      ['?days=0', 'querystring/days must be at least 1'],
      ['?days=3651', 'querystring/days must be at most 3650'],
      ['?days=1.5', 'querystring/days must be an integer'],
      ['?days=-5', 'querystring/days must be at least 1'],
      ['?days=abc', 'querystring/days must be an integer'],
      ['?days=', 'querystring/days must be an integer'],
    ])('%s -> 400 and deletes nothing', async (query, message) => {
      const monitorId = (await createMonitor(app, user)).id;
      await insertChecks(testDb.handle.db, [{ monitorId, scheduledAt: new Date(NOW - 4000 * DAY) }]);
      const res = await cleanup(monitorId, query);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_error', message });
      expect(await countChecks(monitorId)).toBe(1);
    });

    it('works in bounded batches until nothing old is left', async () => {
      const monitorId = (await createMonitor(app, user)).id;
      await insertChecks(
        testDb.handle.db,
        Array.from({ length: 10 }, (_, i) => ({
          monitorId,
          scheduledAt: new Date(NOW - (100 + i) * DAY),
        })).concat([{ monitorId, scheduledAt: new Date(NOW) }]),
      );
      const deleted = await resultQueries.deleteChecksBefore(
        testDb.handle.db,
        monitorId,
        new Date(NOW - 90 * DAY),
        3,
      );
      expect(deleted).toBe(10);
      expect(await countChecks(monitorId)).toBe(1);
      // An exact multiple of the batch size ends too.
      await insertChecks(
        testDb.handle.db,
        Array.from({ length: 6 }, (_, i) => ({ monitorId, scheduledAt: new Date(NOW - (100 + i) * DAY) })),
      );
      expect(
        await resultQueries.deleteChecksBefore(testDb.handle.db, monitorId, new Date(NOW - 90 * DAY), 3),
      ).toBe(6);
    });

    it('answers 404 for a missing monitor', async () => {
      expect((await cleanup(newId())).json()).toEqual(NOT_FOUND_MONITOR);
    });
  });

  describe('tenant isolation', () => {
    it("another user's results answer exactly like a missing monitor, and stay unchanged", async () => {
      const alice = await signup(app);
      const bob = await signup(app);
      const monitorId = (await createMonitor(app, alice)).id;
      await insertChecks(testDb.handle.db, [
        { monitorId, scheduledAt: new Date(NOW - 200 * DAY) },
        { monitorId, scheduledAt: new Date(NOW - MINUTE) },
      ]);
      const missing = newId();
      for (const [method, path] of [
        ['GET', 'checks'],
        ['GET', 'checks?status=Up'],
        ['GET', 'latest'],
        ['DELETE', 'cleanup?days=1'],
        ['DELETE', 'cleanup'],
      ] as const) {
        const theirs = await app.inject({
          method,
          url: `/api/results/${monitorId}/${path}`,
          headers: bob.bearer,
        });
        const none = await app.inject({
          method,
          url: `/api/results/${missing}/${path}`,
          headers: bob.bearer,
        });
        expect(theirs.statusCode).toBe(404);
        expect(theirs.body).toBe(none.body);
        expect(theirs.json()).toEqual(NOT_FOUND_MONITOR);
      }
      expect(await countChecks(monitorId)).toBe(2);
      expect((await get(`/api/results/${monitorId}/checks`, alice)).json().checks).toHaveLength(2);
    });
  });
});
