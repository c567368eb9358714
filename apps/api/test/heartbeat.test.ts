import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loggerOptions } from '@better-uptime/config';
import { type DatabaseHandle, queryRows } from '@better-uptime/db';
import { judgeDueHeartbeats } from '@better-uptime/scheduler';
import { databaseVariants } from '@better-uptime/testing';
import { createMonitor, signup, testServer, type TestServer, type TestUser } from './helpers.js';

const logger = createLogger('test', 'silent');
const T0 = Date.UTC(2031, 2, 1, 12, 0, 0);

/**
 * Heartbeat (push) monitors end to end on each database: the API makes the push URL and takes pushes, the
 * producer's judgement (judgeDueHeartbeats, on a pinned clock) turns each slot into a result, and a missed
 * heartbeat opens an incident through the same states and incidents as any check.
 */
describe.each(databaseVariants())('heartbeat monitors on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let app: TestServer;
  let user: TestUser;
  let clock = T0;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    app = testServer(handle.db, {
      now: () => clock,
      env: { PUSH_RATE_LIMIT_PER_MINUTE: '1000', PUBLIC_URL: 'https://uptime.example.test' },
    });
    await app.ready();
    user = await signup(app);
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const createHeartbeat = async (body: object = {}, who: TestUser = user) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/monitor',
      headers: who.bearer,
      payload: { kind: 'heartbeat', ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().monitor as Record<string, unknown> & { id: string; pushUrl: string };
  };
  const push = (token: string, query = '', method: 'GET' | 'POST' = 'GET', extra: object = {}) =>
    app.inject({ method, url: `/api/push/${token}${query}`, ...extra });
  const tokenOf = (pushUrl: string) => pushUrl.slice(pushUrl.lastIndexOf('/') + 1);
  const monitorOf = async (id: string) =>
    (await app.inject({ method: 'GET', url: `/api/monitor/${id}`, headers: user.bearer })).json().monitor;
  const nextSlot = async (id: string) => new Date((await monitorOf(id)).nextCheckAt as string).getTime();
  const results = (id: string) =>
    queryRows<{
      region: string;
      status: string;
      reason: string | null;
      message: string | null;
      slot: number;
    }>(
      handle.db,
      sql`SELECT region, status::text, reason, message, (extract(epoch FROM scheduled_at) * 1000)::float8 AS slot
          FROM check_results WHERE monitor_id = ${id} ORDER BY scheduled_at`,
    );
  const incidentsOf = async (id: string) =>
    (
      (await app.inject({ method: 'GET', url: '/api/incidents', headers: user.bearer })).json()
        .incidents as Array<{
        monitorId: string;
        status: string;
        startedAt: string;
        resolvedAt: string | null;
      }>
    ).filter((i) => i.monitorId === id);
  /** Moves the clock to the monitor's next slot and judges what is due then. */
  const judgeNextSlot = async (id: string) => {
    clock = await nextSlot(id);
    return judgeDueHeartbeats(handle.db, clock, { logger });
  };

  it.skipIf(!variant.available)(
    'gives a new heartbeat monitor a push URL, whole once and masked afterwards',
    async () => {
      const monitor = await createHeartbeat({ intervalSeconds: 60 });
      expect(monitor).toMatchObject({
        kind: 'heartbeat',
        name: 'Heartbeat',
        target: 'push URL',
        graceSeconds: 60,
        regions: [],
        lastPush: null,
      });
      expect(monitor.pushUrl).toMatch(/^https:\/\/uptime\.example\.test\/api\/push\/hb_[A-Za-z0-9_-]{32}$/);
      const token = tokenOf(monitor.pushUrl as string);
      const shown = await monitorOf(monitor.id);
      expect(shown.pushUrl).toBe(`https://uptime.example.test/api/push/…${token.slice(-4)}`);
      const listed = await app.inject({ method: 'GET', url: '/api/monitor', headers: user.bearer });
      expect(listed.body).not.toContain(token);
      expect(shown).toMatchObject({ kind: 'heartbeat', graceSeconds: 60, lastPush: null });
      // Other kinds have no push fields.
      const http = await createMonitor(app, user, {});
      expect(http).not.toHaveProperty('pushUrl');
    },
  );

  it.skipIf(!variant.available)(
    'on-time pushes keep it up, a missed one opens an incident, a late push resolves it',
    async () => {
      clock = T0;
      const monitor = await createHeartbeat({
        intervalSeconds: 30,
        graceSeconds: 10,
        retryIntervalSeconds: 10,
      });
      const token = tokenOf(monitor.pushUrl as string);
      // Nothing pushed yet and the first window reaches back before the monitor existed: no verdict.
      await judgeNextSlot(monitor.id);
      expect(await results(monitor.id)).toEqual([]);

      // On time: a push before each slot.
      for (let i = 0; i < 3; i++) {
        const slot = await nextSlot(monitor.id);
        clock = slot - 5_000;
        expect((await push(token)).json()).toEqual({ ok: true, paused: false });
        await judgeNextSlot(monitor.id);
      }
      const lastPushAt = clock - 5_000;
      expect((await results(monitor.id)).map((r) => [r.region, r.status])).toEqual([
        ['push', 'Up'],
        ['push', 'Up'],
        ['push', 'Up'],
      ]);
      expect((await monitorOf(monitor.id)).state).toBe('up');
      const overview = await app.inject({ method: 'GET', url: '/api/overview', headers: user.bearer });
      const listed = (overview.json().monitors as Array<{ id: string; regions: unknown[] }>).find(
        (m) => m.id === monitor.id,
      );
      expect(listed?.regions).toEqual([expect.objectContaining({ region: 'push', status: 'Up', checks: 3 })]);
      const latest = await app.inject({
        method: 'GET',
        url: `/api/results/${monitor.id}/latest`,
        headers: user.bearer,
      });
      expect(latest.json().latest).toEqual([
        expect.objectContaining({ kind: 'heartbeat', location: 'push', status: 'Up' }),
      ]);
      expect((await monitorOf(monitor.id)).lastPush).toEqual({
        at: new Date(lastPushAt).toISOString(),
        status: 'up',
        message: null,
      });

      // Missed: slots stay up until interval + grace have passed, then fail; two failures open an incident.
      while ((await incidentsOf(monitor.id)).length === 0) await judgeNextSlot(monitor.id);
      const all = await results(monitor.id);
      const downs = all.filter((r) => r.status === 'Down');
      expect(downs).toHaveLength(2);
      expect(downs[0]).toMatchObject({ reason: 'no_heartbeat', region: 'push' });
      expect(downs[0]!.slot).toBeGreaterThan(lastPushAt + 40_000);
      const lastUp = all.filter((r) => r.status === 'Up').at(-1)!;
      expect(lastUp.slot).toBeLessThanOrEqual(lastPushAt + 40_000);
      const [incident] = await incidentsOf(monitor.id);
      expect(incident).toMatchObject({ status: 'open', startedAt: new Date(downs[0]!.slot).toISOString() });
      expect((await monitorOf(monitor.id)).state).toBe('down');

      // A late push: the next slots (at the retry cadence) are up, and recovery resolves the incident.
      clock += 1_000;
      expect((await push(token, '', 'POST')).statusCode).toBe(200);
      await judgeNextSlot(monitor.id);
      await judgeNextSlot(monitor.id);
      const [resolved] = await incidentsOf(monitor.id);
      expect(resolved).toMatchObject({ status: 'resolved' });
      expect((await monitorOf(monitor.id)).state).toBe('up');

      // Every slot judged once, in order.
      const slots = (await results(monitor.id)).map((r) => r.slot);
      expect(slots).toEqual([...slots].sort((a, b) => a - b));
      expect(new Set(slots).size).toBe(slots.length);
      expect(await judgeDueHeartbeats(handle.db, clock, { logger })).toBe(0);
    },
  );

  it.skipIf(!variant.available)('a push saying down makes its slot down with its message', async () => {
    clock = T0 + 3_600_000;
    const monitor = await createHeartbeat({
      intervalSeconds: 30,
      graceSeconds: 0,
      failureThreshold: 1,
    });
    const token = tokenOf(monitor.pushUrl as string);
    clock = (await nextSlot(monitor.id)) - 1_000;
    expect((await push(token, '?status=down&message=disk%20full')).statusCode).toBe(200);
    await judgeNextSlot(monitor.id);
    expect(await results(monitor.id)).toEqual([
      expect.objectContaining({ status: 'Down', reason: 'reported_down', message: 'disk full' }),
    ]);
    expect((await monitorOf(monitor.id)).lastPush).toMatchObject({ status: 'down', message: 'disk full' });
    expect(await incidentsOf(monitor.id)).toEqual([expect.objectContaining({ status: 'open' })]);
  });

  it.skipIf(!variant.available)('answers bad input, unknown tokens and odd bodies clearly', async () => {
    const monitor = await createHeartbeat();
    const token = tokenOf(monitor.pushUrl as string);
    const unknown = `hb_${'A'.repeat(32)}`;
    for (const bad of [unknown, 'nope', `${token}x`, token.slice(0, -1), 'a'.repeat(300), '%2e%2e']) {
      const res = await push(bad);
      expect(res.statusCode, bad).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    for (const query of ['?status=maybe', `?message=${'m'.repeat(501)}`, '?other=1', '?message=a%00b']) {
      const res = await push(token, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
    }
    // Bodies are never read: form, malformed JSON, none at all.
    const bodies = [
      { payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { payload: '{"status":', headers: { 'content-type': 'application/json' } },
      { payload: 'hello', headers: { 'content-type': 'text/plain' } },
      {},
    ];
    for (const body of bodies) expect((await push(token, '', 'POST', body)).statusCode).toBe(200);
    const huge = await push(token, '', 'POST', {
      payload: 'x'.repeat(100_000),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');

    // Settings of the kind are checked like any other.
    const create = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/monitor', headers: user.bearer, payload });
    expect((await create({ kind: 'heartbeat', graceSeconds: -1 })).json().error.message).toMatch(
      /graceSeconds/,
    );
    expect((await create({ kind: 'heartbeat', graceSeconds: 'soon' })).statusCode).toBe(400);
    const regions = await create({ kind: 'heartbeat', regions: ['usa'] });
    expect(regions.statusCode).toBe(400);
    expect(regions.json().error.message).toMatch(/^body\/regions must be empty/);
  });

  it.skipIf(!variant.available)(
    'regenerates the URL (the old one stops), follows kind changes, pauses and deletes',
    async () => {
      const monitor = await createHeartbeat();
      const old = tokenOf(monitor.pushUrl as string);
      const regen = (id: string, who = user) =>
        app.inject({ method: 'POST', url: `/api/monitor/${id}/push-token`, headers: who.bearer });

      const other = await signup(app);
      expect((await regen(monitor.id, other)).statusCode).toBe(404);
      expect((await push(old)).statusCode).toBe(200);
      const fresh = await regen(monitor.id);
      expect(fresh.statusCode).toBe(200);
      const token = tokenOf(fresh.json().pushUrl);
      expect(token).not.toBe(old);
      expect((await push(old)).statusCode).toBe(404);
      expect((await push(token)).statusCode).toBe(200);

      const http = await createMonitor(app, user, {});
      expect((await regen(http.id)).statusCode).toBe(409);
      const put = (id: string, payload: object) =>
        app.inject({ method: 'PUT', url: `/api/monitor/${id}`, headers: user.bearer, payload });
      const made = await put(http.id, { kind: 'heartbeat', graceSeconds: 5 });
      expect(made.statusCode).toBe(200);
      expect(made.json().monitor.pushUrl).toMatch(/\/api\/push\/hb_[A-Za-z0-9_-]{32}$/);
      const madeToken = tokenOf(made.json().monitor.pushUrl);
      expect((await push(madeToken)).statusCode).toBe(200);
      const renamed = await put(http.id, { name: 'renamed' });
      expect(renamed.json().monitor.pushUrl).toContain('…');
      const back = await put(http.id, { kind: 'http', url: 'https://example.com/' });
      expect(back.json().monitor).not.toHaveProperty('pushUrl');
      expect((await push(madeToken)).statusCode).toBe(404);

      // Paused: the push is kept (last seen stays true) and says so; no slot of it is judged.
      expect((await put(monitor.id, { paused: true })).statusCode).toBe(200);
      const paused = await push(token, '?message=while%20paused');
      expect(paused.json()).toEqual({ ok: true, paused: true });
      expect((await monitorOf(monitor.id)).lastPush.message).toBe('while paused');
      clock += 86_400_000;
      await judgeDueHeartbeats(handle.db, clock, { logger });
      expect(await results(monitor.id)).toEqual([]);
      // Resumed a day later: the push from before is too old, and pushes are expected afresh from now, so
      // the first slot after resuming gives no verdict instead of a down.
      expect((await put(monitor.id, { paused: false })).statusCode).toBe(200);
      await judgeNextSlot(monitor.id);
      expect(await results(monitor.id)).toEqual([]);
      expect((await monitorOf(monitor.id)).state).toBe('pending');

      const deleted = await app.inject({
        method: 'DELETE',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(deleted.statusCode).toBe(204);
      expect((await push(token)).statusCode).toBe(404);
      const [row] = await queryRows<{ n: number }>(
        handle.db,
        sql`SELECT count(*)::int AS n FROM heartbeats WHERE monitor_id = ${monitor.id}`,
      );
      expect(row!.n).toBe(0);
    },
  );
});

/**
 * A server of its own on PGlite (`overrides`: its settings or logger) with a user and a heartbeat monitor:
 * `fn` gets the server and the path of the monitor's push URL.
 */
async function withHeartbeatServer(
  overrides: Parameters<typeof testServer>[1],
  fn: (app: TestServer, pushPath: string) => Promise<void>,
): Promise<void> {
  const { handle, drop } = await databaseVariants()
    .find((v) => v.name === 'pglite')!
    .create();
  const app = testServer(handle.db, overrides);
  try {
    const user = await signup(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/monitor',
      headers: user.bearer,
      payload: { kind: 'heartbeat' },
    });
    await fn(app, new URL(res.json().monitor.pushUrl as string).pathname);
  } finally {
    await app.close();
    await drop();
  }
}

describe('push URLs on their own servers (PGlite)', () => {
  it('limits pushes per URL and answers 429 with Retry-After', async () => {
    await withHeartbeatServer({ env: { PUSH_RATE_LIMIT_PER_MINUTE: '3' } }, async (app, url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await app.inject({ method: 'GET', url });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.json().error.code).toBe('rate_limited');
    });
  });

  it('never writes a push token to a log line, not even in a request URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    await withHeartbeatServer({ logger: pino(loggerOptions('test', 'trace'), sink) }, async (app, url) => {
      expect((await app.inject({ method: 'POST', url: `${url}?message=hi` })).statusCode).toBe(200);
      const token = url.slice(url.lastIndexOf('/') + 1);
      const text = lines.join('');
      expect(text).toContain('/api/push/');
      expect(text).not.toContain(token.slice(3));
    });
  });
});
