import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseVariants } from '@better-uptime/testing';
import {
  createMonitor,
  recordChecks,
  signup,
  testServer,
  type TestServer,
  type TestUser,
} from './helpers.js';

const NOW = Date.UTC(2031, 6, 1, 12, 0, 0);
const MINUTE = 60_000;
const at = (msBeforeNow: number) => new Date(NOW - msBeforeNow);
const down = { status: 'Down' as const, statusCode: 503, reason: 'http_status' };

interface Entry {
  id: string;
  name: string;
  status: string;
  tags: string[];
}

/** The paged overview and tags, on both databases: the same SQL must page, filter and sort the same. */
describe.each(databaseVariants())('overview pages and tags ($name)', (variant) => {
  let drop: () => Promise<void>;
  let app: TestServer;
  let user: TestUser;
  let stranger: TestUser;
  let database: Parameters<typeof recordChecks>[0];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (!variant.available) return;
    const testDb = await variant.create();
    drop = testDb.drop;
    database = testDb.handle.db;
    app = testServer(testDb.handle.db, { now: () => NOW });
    await app.ready();
    [user, stranger] = [await signup(app), await signup(app)];
    const monitors: Array<[string, Record<string, unknown>]> = [
      ['Alpha', { tags: ['prod', ' web ', 'prod'], url: 'https://alpha.example/' }],
      ['beta', { tags: ['Prod'], url: 'https://beta.example/100%_done' }],
      ['Gamma', { tags: ['staging'], url: 'https://gamma.example/' }],
      ['delta', { paused: true, url: 'https://delta.example/' }],
      ['epsilon', { tags: ['prod'], url: 'https://epsilon.example/' }],
      ['zeta', { regions: ['usa'], url: 'https://zeta.example/' }],
      ['eta', { regions: ['usa'], url: 'https://eta.example/' }],
    ];
    for (const [name, body] of monitors) ids[name] = (await createMonitor(app, user, { name, ...body })).id;
    await createMonitor(app, stranger, { name: 'Alpha of another', tags: ['prod'] });
    const db = testDb.handle.db;
    // Alpha down (both regions failed twice), Gamma up and slow, epsilon up and fast, zeta and eta up
    // (one region), beta and delta without checks (pending, paused).
    for (const region of ['usa', 'india']) {
      await recordChecks(db, [
        { monitorId: ids.Alpha!, region, scheduledAt: at(2 * MINUTE), ...down },
        { monitorId: ids.Alpha!, region, scheduledAt: at(MINUTE), ...down },
        { monitorId: ids.Gamma!, region, scheduledAt: at(2 * MINUTE), responseTimeMs: 900 },
        { monitorId: ids.Gamma!, region, scheduledAt: at(MINUTE), responseTimeMs: 800 },
        { monitorId: ids.epsilon!, region, scheduledAt: at(2 * MINUTE), responseTimeMs: 20 },
        { monitorId: ids.epsilon!, region, scheduledAt: at(MINUTE), responseTimeMs: 10 },
      ]);
    }
    for (const name of ['zeta', 'eta']) {
      await recordChecks(db, [
        { monitorId: ids[name]!, scheduledAt: at(2 * MINUTE), responseTimeMs: 300 },
        { monitorId: ids[name]!, scheduledAt: at(MINUTE), responseTimeMs: 300 },
      ]);
    }
    // Hourly rollups for the uptime sort: epsilon 50 %, Gamma 90 %.
    await db.execute(sql`INSERT INTO check_rollups (monitor_id, region, period, starts_at, checks, up, responses,
        response_ms_sum, dns_ms_sum, dns_count, connect_ms_sum, connect_count, tls_ms_sum, tls_count,
        first_byte_ms_sum, first_byte_count, histogram_buckets, histogram_counts)
      VALUES (${ids.epsilon}, 'usa', 'hour', ${at(60 * MINUTE).toISOString()}::timestamptz, 10, 5, 10, 100, 0, 0, 0, 0, 0, 0, 0, 0, '{}', '{}'),
             (${ids.Gamma}, 'usa', 'hour', ${at(60 * MINUTE).toISOString()}::timestamptz, 10, 9, 10, 100, 0, 0, 0, 0, 0, 0, 0, 0, '{}', '{}')`);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const get = (url: string, who: TestUser | null = user) =>
    app.inject({ method: 'GET', url, headers: who ? who.bearer : {} });
  const names = async (url: string) => (await get(url)).json().monitors.map((m: Entry) => m.name);

  /** Every page of a query, following nextCursor. */
  async function allPages(query: string): Promise<{ pages: number; names: string[] }> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/overview?${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.monitors.map((m: Entry) => m.name));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    return { pages, names: seen };
  }

  it.runIf(variant.available)(
    'stores tags trimmed, once each, case kept; shows them everywhere',
    async () => {
      const created = (await get(`/api/monitor/${ids.Alpha}`)).json().monitor;
      expect(created.tags).toEqual(['prod', 'web']);
      const list = (await get('/api/monitor')).json().monitors;
      expect(list.find((m: Entry) => m.id === ids.beta).tags).toEqual(['Prod']);
      const changed = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${ids.eta}`,
        headers: user.bearer,
        payload: { tags: ['edge: eu/1', 'edge: eu/1 '] },
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.json().monitor.tags).toEqual(['edge: eu/1']);
      const untouched = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${ids.eta}`,
        headers: user.bearer,
        payload: { name: 'eta' },
      });
      expect(untouched.json().monitor.tags).toEqual(['edge: eu/1']);
      const overview = (await get('/api/overview')).json();
      expect(overview.monitors.find((m: Entry) => m.id === ids.Alpha).tags).toEqual(['prod', 'web']);
    },
  );

  it.runIf(variant.available)(
    'refuses tags that are blank, too long, too many or of other characters',
    async () => {
      const cases: Array<[unknown, string]> = [
        [['   '], 'body/tags/0 must not be blank'],
        [[''], 'body/tags/0 must not be empty'],
        [['x'.repeat(33)], 'body/tags/0 must be at most 32 characters'],
        [['ok', 'semi;colon'], 'body/tags/1 must be letters, digits, spaces or - _ . : /'],
        [Array.from({ length: 11 }, (_, i) => `t${i}`), 'body/tags must have at most 10 items'],
        ['prod', 'body/tags must be an array'],
        [[5], 'body/tags/0 must be a string'],
      ];
      for (const [tags, message] of cases) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/monitor',
          headers: user.bearer,
          payload: { url: 'https://x.example/', tags },
        });
        expect(res.statusCode, JSON.stringify(tags)).toBe(400);
        expect(res.json().error.message).toBe(message);
      }
      const edit = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${ids.beta}`,
        headers: user.bearer,
        payload: { tags: ['a|b'] },
      });
      expect(edit.statusCode).toBe(400);
      expect((await get(`/api/monitor/${ids.beta}`)).json().monitor.tags).toEqual(['Prod']);
      // Letters of any script are letters.
      const unicode = await createMonitor(app, stranger, { tags: ['Zürich', '東京'] });
      expect(unicode.tags).toEqual(['Zürich', '東京']);
    },
  );

  it.runIf(variant.available)(
    'sorts by state by default (down, pending, up, paused), then name',
    async () => {
      const body = (await get('/api/overview')).json();
      expect(body.monitors.map((m: Entry) => [m.name, m.status])).toEqual([
        ['Alpha', 'down'],
        ['beta', 'pending'],
        ['epsilon', 'up'],
        ['eta', 'up'],
        ['Gamma', 'up'],
        ['zeta', 'up'],
        ['delta', 'paused'],
      ]);
      expect(body.counts).toEqual({ up: 4, down: 1, pending: 1, paused: 1, maintenance: 0, total: 7 });
      expect(body.nextCursor).toBeNull();
    },
  );

  it.runIf(variant.available)('pages by cursor: each monitor once, in order, for every sort', async () => {
    for (const sort of ['state', 'name', 'response', 'uptime']) {
      const whole = await names(`/api/overview?sort=${sort}&limit=500`);
      expect(whole).toHaveLength(7);
      for (const limit of [1, 2, 3]) {
        const { pages, names: paged } = await allPages(`sort=${sort}&limit=${limit}`);
        expect(paged, `${sort} by ${limit}`).toEqual(whole);
        expect(pages).toBe(Math.ceil(7 / limit));
      }
    }
    expect(await names('/api/overview?sort=name')).toEqual([
      'Alpha',
      'beta',
      'delta',
      'epsilon',
      'eta',
      'Gamma',
      'zeta',
    ]);
  });

  it.runIf(variant.available)(
    'sorts by newest response (slowest first) and by uptime (lowest first)',
    async () => {
      // Gamma 800 ms, eta and zeta 300, epsilon 10, Alpha's failed checks 42; beta and delta never checked.
      expect(await names('/api/overview?sort=response')).toEqual([
        'Gamma',
        'eta',
        'zeta',
        'Alpha',
        'epsilon',
        'beta',
        'delta',
      ]);
      // Rolled-up uptime: epsilon 50 %, Gamma 90 %; the others have no rollups yet and come last, by name.
      expect((await names('/api/overview?sort=uptime')).slice(0, 3)).toEqual(['epsilon', 'Gamma', 'Alpha']);
    },
  );

  it.runIf(variant.available)(
    'filters by search, state and tag; counts ignore the state filter',
    async () => {
      expect(await names('/api/overview?q=ALP')).toEqual(['Alpha']);
      // The target matches too, and % and _ are themselves.
      expect(await names('/api/overview?q=100%25_d')).toEqual(['beta']);
      expect(await names('/api/overview?q=%25')).toEqual(['beta']);
      expect(await names('/api/overview?q=gamma.example')).toEqual(['Gamma']);
      const ups = (await get('/api/overview?status=up&limit=2')).json();
      expect(ups.monitors.map((m: Entry) => m.name)).toEqual(['epsilon', 'eta']);
      expect(ups.counts).toEqual({ up: 4, down: 1, pending: 1, paused: 1, maintenance: 0, total: 7 });
      expect(ups.nextCursor).not.toBeNull();
      const tagged = (await get('/api/overview?tag=prod')).json();
      expect(tagged.monitors.map((m: Entry) => m.name)).toEqual(['Alpha', 'epsilon']);
      expect(tagged.counts).toEqual({ up: 1, down: 1, pending: 0, paused: 0, maintenance: 0, total: 2 });
      expect(tagged.tags).toEqual(['edge: eu/1', 'Prod', 'prod', 'staging', 'web']);
      expect(await names('/api/overview?tag=Prod')).toEqual(['beta']);
      expect(await names('/api/overview?tag=prod&q=eps&status=up')).toEqual(['epsilon']);
      expect(await names('/api/overview?tag=nothing')).toEqual([]);
      expect(await names('/api/overview?status=maintenance')).toEqual([]);
    },
  );

  it.runIf(variant.available)('shows only the caller’s monitors and tags', async () => {
    const theirs = (await get('/api/overview?q=Alpha', stranger)).json();
    expect(theirs.monitors.map((m: Entry) => m.name)).toEqual(['Alpha of another']);
    expect(theirs.tags).toEqual(['prod', 'Zürich', '東京']);
    const tags = (await get('/api/tags', stranger)).json();
    expect(tags).toEqual({
      tags: [
        { name: 'prod', monitors: 1 },
        { name: 'Zürich', monitors: 1 },
        { name: '東京', monitors: 1 },
      ],
    });
    expect((await get('/api/tags')).json().tags).toEqual([
      { name: 'edge: eu/1', monitors: 1 },
      { name: 'Prod', monitors: 1 },
      { name: 'prod', monitors: 2 },
      { name: 'staging', monitors: 1 },
      { name: 'web', monitors: 1 },
    ]);
    // A cursor of the user's pages leads nowhere in the stranger's.
    const cursor = (await get('/api/overview?limit=1')).json().nextCursor;
    const foreign = (await get(`/api/overview?limit=1&cursor=${cursor}`, stranger)).json();
    expect(foreign.monitors.every((m: Entry) => m.name === 'Alpha of another')).toBe(true);
    expect((await get('/api/tags', null)).statusCode).toBe(401);
  });

  it.runIf(variant.available)(
    'leaves checks in planned maintenance out of the 24 h uptime, as the stats and status pages do',
    async () => {
      const planner = await signup(app);
      const { id } = await createMonitor(app, planner, { name: 'planned', regions: ['usa'] });
      // Down during a planned window (4 and 3 minutes ago), up since; and one down check outside it.
      await recordChecks(database, [
        { monitorId: id, region: 'usa', scheduledAt: at(5 * MINUTE) },
        { monitorId: id, region: 'usa', scheduledAt: at(4 * MINUTE), ...down },
        { monitorId: id, region: 'usa', scheduledAt: at(3 * MINUTE), ...down },
        { monitorId: id, region: 'usa', scheduledAt: at(2 * MINUTE), ...down },
        { monitorId: id, region: 'usa', scheduledAt: at(MINUTE) },
      ]);
      const window = await app.inject({
        method: 'POST',
        url: '/api/maintenance',
        headers: planner.bearer,
        payload: {
          name: 'migration',
          monitorIds: [id],
          startsAt: at(4 * MINUTE + 1_000).toISOString(),
          endsAt: at(3 * MINUTE - 1_000).toISOString(),
        },
      });
      expect(window.statusCode).toBe(201);
      const [monitor] = (await get('/api/overview', planner)).json().monitors;
      // 3 checks outside the window, 2 of them up.
      expect(monitor.uptimePercent).toBeCloseTo((2 / 3) * 100, 3);
      expect(monitor.regions).toMatchObject([{ region: 'usa', checks: 5 }]);
      expect(monitor.regions[0].uptimePercent).toBeCloseTo((2 / 3) * 100, 3);
    },
  );

  it.runIf(variant.available)('lists every invalid field in details, in words', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/monitor',
      headers: user.bearer,
      payload: { url: 'https://x.example/', intervalSeconds: 5, timeoutMs: 70_000, name: '', tags: 'prod' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 'validation_error',
        message: 'body/name must not be empty',
        details: [
          { field: 'name', message: 'must not be empty' },
          { field: 'intervalSeconds', message: 'must be at least 10' },
          { field: 'timeoutMs', message: 'must be at most 60000' },
          { field: 'tags', message: 'must be an array' },
        ],
      },
    });
    // A rule of our own past the schema names its field too.
    const tag = await app.inject({
      method: 'POST',
      url: '/api/monitor',
      headers: user.bearer,
      payload: { url: 'https://x.example/', tags: ['ok', 'a;b'] },
    });
    expect(tag.json().error.details).toEqual([
      { field: 'tags/1', message: 'must be letters, digits, spaces or - _ . : /' },
    ]);
    const query = await get('/api/overview?limit=0&sort=age');
    expect(query.json().error.details).toEqual([
      { field: 'limit', message: 'must be at least 1' },
      { field: 'sort', message: 'must be one of: state, name, response, uptime' },
    ]);
  });

  it.runIf(variant.available)('refuses bad parameters with a 400 naming them', async () => {
    const cursor = (await get('/api/overview?limit=1')).json().nextCursor as string;
    const forged = Buffer.from(JSON.stringify({ s: 'state', k: 'x', n: 'a', id: ids.Alpha })).toString(
      'base64url',
    );
    const cases: Array<[string, string]> = [
      ['limit=0', 'querystring/limit must be at least 1'],
      ['limit=501', 'querystring/limit must be at most 500'],
      ['limit=ten', 'querystring/limit must be an integer'],
      ['status=broken', 'querystring/status must be one of: down, pending, maintenance, up, paused'],
      ['sort=age', 'querystring/sort must be one of: state, name, response, uptime'],
      ['cursor=%21%21', 'querystring/cursor is not a valid cursor'],
      [`cursor=${forged}`, 'querystring/cursor is not a valid cursor'],
      // A cursor belongs to its sort.
      [`sort=name&cursor=${cursor}`, 'querystring/cursor is not a valid cursor'],
      [`q=${'x'.repeat(201)}`, 'querystring/q must be at most 200 characters'],
      ['tag=%20', 'querystring/tag must not be blank'],
    ];
    for (const [query, message] of cases) {
      const res = await get(`/api/overview?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.message).toBe(message);
    }
  });
});
