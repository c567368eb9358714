import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseVariants } from '@better-uptime/testing';
import { LIVE_RETRY_MS } from '../src/routes/overview-events.js';
import {
  createMonitor,
  recordChecks,
  signup,
  testServer,
  type TestServer,
  type TestUser,
} from './helpers.js';

const HEARTBEAT_MS = 300;

interface Stream {
  response: IncomingMessage;
  /** Everything received so far. */
  text(): string;
  /** Resolves once the received text satisfies `test`. */
  until(test: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  ended: Promise<void>;
  close(): void;
}

/** Opens the event stream over a real connection, as a browser's EventSource does. */
function openStream(base: string, headers: Record<string, string>, query = ''): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = get(`${base}/api/overview/events${query}`, { headers }, (response) => {
      let received = '';
      const waiters: Array<() => void> = [];
      let ended!: () => void;
      const endedPromise = new Promise<void>((r) => (ended = r));
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        received += chunk;
        for (const waiter of waiters.splice(0)) waiter();
      });
      response.on('end', ended);
      response.on('close', ended);
      resolve({
        response,
        text: () => received,
        until: (test, timeoutMs = 10_000) =>
          new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`timed out; received:\n${received}`)), timeoutMs);
            const check = () => {
              if (test(received)) {
                clearTimeout(timer);
                done(received);
              } else waiters.push(check);
            };
            check();
          }),
        ended: endedPromise,
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

/** The events of a stream's text, as {event, data}. */
function eventsOf(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) as Record<string, unknown> } : null;
    })
    .filter((e) => e !== null);
}

describe.each(databaseVariants())('GET /api/overview/events ($name)', (variant) => {
  let drop: () => Promise<void>;
  let db: Parameters<typeof recordChecks>[0];
  let app: TestServer;
  let base: string;
  let user: TestUser;
  let stranger: TestUser;
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    if (!variant.available) return;
    const testDb = await variant.create();
    drop = testDb.drop;
    db = testDb.handle.db;
    app = testServer(db, { liveHeartbeatMs: HEARTBEAT_MS });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    [user, stranger] = [await signup(app), await signup(app)];
    mine = (await createMonitor(app, user, { name: 'mine' })).id;
    theirs = (await createMonitor(app, stranger, { name: 'theirs' })).id;
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it.runIf(variant.available)(
    'streams the caller’s new checks and state changes as they are committed',
    async () => {
      const stream = await openStream(base, user.bearer);
      expect(stream.response.statusCode).toBe(200);
      expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers['cache-control']).toContain('no-cache');
      await stream.until((t) => t.startsWith(`retry: ${LIVE_RETRY_MS}\n\n`));

      // Slots after the monitor was made: older ones no longer change its state.
      const at = Date.now();
      const down = { status: 'Down' as const, statusCode: 503, reason: 'http_status', responseTimeMs: 7 };
      await recordChecks(db, [
        { monitorId: theirs, region: 'usa', scheduledAt: new Date(at) },
        { monitorId: mine, region: 'usa', scheduledAt: new Date(at), responseTimeMs: 120 },
        { monitorId: mine, region: 'india', scheduledAt: new Date(at), responseTimeMs: 80 },
      ]);
      await stream.until((t) => eventsOf(t).filter((e) => e.event === 'check').length >= 2);
      const checks = eventsOf(stream.text()).filter((e) => e.event === 'check');
      expect(
        checks.map((e) => e.data).sort((a, b) => String(a.region).localeCompare(String(b.region))),
      ).toEqual([
        {
          monitorId: mine,
          region: 'india',
          status: 'Up',
          responseTimeMs: 80,
          checkedAt: new Date(at + 15).toISOString(),
        },
        {
          monitorId: mine,
          region: 'usa',
          status: 'Up',
          responseTimeMs: 120,
          checkedAt: new Date(at + 15).toISOString(),
        },
      ]);

      // Two failed checks in both regions: an incident, and the monitor is down.
      await recordChecks(db, [
        { monitorId: mine, region: 'usa', scheduledAt: new Date(at + 10_000), ...down },
        { monitorId: mine, region: 'india', scheduledAt: new Date(at + 10_000), ...down },
        { monitorId: mine, region: 'usa', scheduledAt: new Date(at + 20_000), ...down },
        { monitorId: mine, region: 'india', scheduledAt: new Date(at + 20_000), ...down },
      ]);
      await stream.until((t) => eventsOf(t).some((e) => e.event === 'state' && e.data.status === 'down'));
      const states = eventsOf(stream.text()).filter((e) => e.event === 'state');
      expect(states.at(-1)!.data).toEqual({
        monitorId: mine,
        status: 'down',
        since: new Date(at + 10_000).toISOString(),
      });
      // Nothing of the other user's monitor.
      expect(stream.text()).not.toContain(theirs);
      stream.close();
    },
  );

  it.runIf(variant.available)(
    'tells of a monitor made elsewhere, and of a pause and a restart, as state changes',
    async () => {
      const stream = await openStream(base, user.bearer);
      await stream.until((t) => t.startsWith('retry:'));
      const made = (await createMonitor(app, user, { name: 'made in another tab' })).id;
      await stream.until((t) => eventsOf(t).some((e) => e.event === 'state' && e.data.monitorId === made));
      const pause = (paused: boolean) =>
        app.inject({ method: 'PUT', url: `/api/monitor/${made}`, headers: user.bearer, payload: { paused } });
      expect((await pause(true)).statusCode).toBe(200);
      await stream.until((t) =>
        eventsOf(t).some((e) => e.data.monitorId === made && e.data.status === 'paused'),
      );
      expect((await pause(false)).statusCode).toBe(200);
      await stream.until(
        (t) =>
          eventsOf(t).filter((e) => e.data.monitorId === made && e.data.status === 'pending').length >= 2,
      );
      expect(
        eventsOf(stream.text())
          .filter((e) => e.event === 'state' && e.data.monitorId === made)
          .map((e) => e.data.status),
      ).toEqual(['pending', 'paused', 'pending']);
      // The other user hears nothing of it.
      const theirStream = await openStream(base, stranger.bearer);
      await theirStream.until((t) => t.startsWith('retry:'));
      expect((await pause(true)).statusCode).toBe(200);
      await stream.until((t) => eventsOf(t).filter((e) => e.data.status === 'paused').length >= 2);
      expect(theirStream.text()).not.toContain(made);
      theirStream.close();
      stream.close();
    },
  );

  it.runIf(variant.available)('sends only the monitors a page names, when it names them', async () => {
    const shown = (await createMonitor(app, user, { name: 'shown' })).id;
    const filtered = await openStream(base, user.bearer, `?monitorIds=${shown},${theirs}`);
    const whole = await openStream(base, user.bearer);
    await Promise.all([filtered, whole].map((s) => s.until((t) => t.startsWith('retry:'))));
    const at = Date.now() + 60_000;
    await recordChecks(db, [
      { monitorId: mine, region: 'usa', scheduledAt: new Date(at) },
      { monitorId: theirs, region: 'usa', scheduledAt: new Date(at) },
    ]);
    await whole.until((t) => t.includes(mine));
    await recordChecks(db, [{ monitorId: shown, region: 'usa', scheduledAt: new Date(at) }]);
    await filtered.until((t) => t.includes(shown));
    await whole.until((t) => t.includes(shown));
    // Its check (and its state, if that changed), nothing of the others.
    const ids = new Set(eventsOf(filtered.text()).map((e) => e.data.monitorId));
    expect([...ids]).toEqual([shown]);
    filtered.close();
    whole.close();
    for (const query of ['?monitorIds=nope', '?monitorIds=', '?other=1']) {
      const res = await app.inject({
        method: 'GET',
        url: `/api/overview/events${query}`,
        headers: user.bearer,
      });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
    }
  });

  it.runIf(variant.available)(
    'tells when a maintenance window starts and ends, for the monitors it covers (no transaction does)',
    async () => {
      const covered = (await createMonitor(app, user, { name: 'covered' })).id;
      const other = (await createMonitor(app, user, { name: 'not covered' })).id;
      // Theirs starts at the same time: never told to this user.
      const schedule = async (who: TestUser, monitorIds: string[], startsAt: number, endsAt: number) => {
        const res = await app.inject({
          method: 'POST',
          url: '/api/maintenance',
          headers: who.bearer,
          payload: {
            name: 'deploy',
            monitorIds,
            startsAt: new Date(startsAt).toISOString(),
            endsAt: new Date(endsAt).toISOString(),
          },
        });
        expect(res.statusCode).toBe(201);
      };
      const startsAt = Date.now() + 1_500;
      const endsAt = startsAt + 1_500;
      await schedule(user, [covered], startsAt, endsAt);
      await schedule(stranger, [theirs], startsAt, endsAt);
      const stream = await openStream(base, user.bearer, `?monitorIds=${covered},${other},${theirs}`);
      const whole = await openStream(base, user.bearer);
      const told = (t: string) => eventsOf(t).filter((e) => e.event === 'maintenance');
      await stream.until((t) => told(t).length >= 2, 10_000);
      expect(told(stream.text()).map((e) => e.data)).toEqual([
        { monitorId: covered, inMaintenance: true, at: expect.any(String) },
        { monitorId: covered, inMaintenance: false, at: expect.any(String) },
      ]);
      const [entered, left] = told(stream.text()).map((e) => Date.parse(String(e.data.at)));
      expect(entered).toBeGreaterThanOrEqual(startsAt);
      expect(entered! - startsAt).toBeLessThan(1_000);
      expect(left).toBeGreaterThanOrEqual(endsAt);
      await whole.until((t) => told(t).length >= 2, 5_000);
      expect(told(whole.text()).every((e) => e.data.monitorId === covered)).toBe(true);
      stream.close();
      whole.close();
    },
  );

  it.runIf(variant.available)('sends a heartbeat comment and serves the cookie session too', async () => {
    const stream = await openStream(base, { cookie: user.cookie });
    expect(stream.response.statusCode).toBe(200);
    await stream.until((t) => t.includes(': heartbeat\n\n'), 5 * HEARTBEAT_MS + 5_000);
    stream.close();
  });

  it.runIf(variant.available)('answers 401 without credentials, in the error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/overview/events' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
    const bad = await app.inject({
      method: 'GET',
      url: '/api/overview/events',
      headers: { authorization: 'Bearer nonsense' },
    });
    expect(bad.statusCode).toBe(401);
  });

  it.runIf(variant.available)('ends open streams when the server closes', async () => {
    const other = testServer(db, { liveHeartbeatMs: HEARTBEAT_MS });
    await other.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}`;
    const streams = await Promise.all([openStream(url, user.bearer), openStream(url, stranger.bearer)]);
    await Promise.all(streams.map((s) => s.until((t) => t.startsWith('retry:'))));
    const started = performance.now();
    await other.close();
    await Promise.all(streams.map((s) => s.ended));
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
