import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import {
  type CheckRow,
  createMonitor,
  recordChecks,
  signup,
  startTestApi,
  stopTestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';
import { sendRawJson } from './bad-input.js';

const STEP = 10_000;
const failed = { status: 'Down' as const, statusCode: 503, reason: 'http_status' };

describe.skipIf(!postgresAvailable())('incidents and maintenance API (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  let alice: TestUser;
  let mallory: TestUser;

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi());
    [alice, mallory] = [await signup(app), await signup(app)];
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who: TestUser, payload?: unknown) =>
    app.inject(
      payload === undefined
        ? { method, url, headers: who.bearer }
        : { method, url, headers: who.bearer, payload: payload as Record<string, unknown> },
    );

  /** A monitor of `who` checked from usa only, and its slots (a second after now, every STEP ms). */
  async function monitorWithOutage(who: TestUser, { resolve = false } = {}) {
    const monitor = await createMonitor(app, who, { regions: ['usa'] });
    const base = Date.now() + 1_000;
    const slot = (i: number) => new Date(base + i * STEP);
    const rows: CheckRow[] = [
      { monitorId: monitor.id, scheduledAt: slot(0) },
      { monitorId: monitor.id, scheduledAt: slot(1), ...failed },
      { monitorId: monitor.id, scheduledAt: slot(2), ...failed },
    ];
    if (resolve) {
      rows.push(
        { monitorId: monitor.id, scheduledAt: slot(3) },
        { monitorId: monitor.id, scheduledAt: slot(4) },
      );
    }
    for (const row of rows) await recordChecks(testDb.handle.db, [row]);
    return { monitor, slot };
  }

  describe('incidents', () => {
    it('shows the open incident on its monitor, lists it first, and gives its timeline', async () => {
      const past = await monitorWithOutage(alice, { resolve: true });
      const { monitor, slot } = await monitorWithOutage(alice);
      const got = (await call('GET', `/api/monitor/${monitor.id}`, alice)).json().monitor;
      expect(got).toMatchObject({ state: 'down', stateSince: slot(1).toISOString() });
      expect(got.openIncident).toMatchObject({
        id: got.openIncidentId,
        monitorId: monitor.id,
        status: 'open',
        startedAt: slot(1).toISOString(),
        resolvedAt: null,
        durationMs: null,
        acknowledgedAt: null,
        cause: {
          reason: 'http_status',
          statusCode: 503,
          regions: [{ region: 'usa', reason: 'http_status' }],
        },
      });
      const list = (await call('GET', '/api/incidents', alice)).json();
      expect(list.incidents.map((i: { status: string }) => i.status)).toEqual(['open', 'resolved']);
      expect(list.incidents[1]).toMatchObject({
        monitorId: past.monitor.id,
        resolution: 'recovered',
        durationMs: 2 * STEP,
        resolvedAt: past.slot(3).toISOString(),
      });
      const detail = (await call('GET', `/api/incidents/${got.openIncidentId}`, alice)).json();
      expect(detail.incident.id).toBe(got.openIncidentId);
      expect(detail.timeline).toEqual([
        expect.objectContaining({ region: 'usa', from: 'up', to: 'down', at: slot(1).toISOString() }),
        expect.objectContaining({ region: null, from: 'up', to: 'down', reason: 'http_status' }),
      ]);
    });

    it('filters by status and monitor, and pages with a cursor', async () => {
      const viewer = await signup(app);
      const monitors = [];
      for (let i = 0; i < 3; i++) monitors.push(await monitorWithOutage(viewer, { resolve: i > 0 }));
      const open = (await call('GET', '/api/incidents?status=open', viewer)).json();
      expect(open.incidents.map((i: { monitorId: string }) => i.monitorId)).toEqual([
        monitors[0]!.monitor.id,
      ]);
      const ofOne = (await call('GET', `/api/incidents?monitorId=${monitors[2]!.monitor.id}`, viewer)).json();
      expect(ofOne.incidents).toHaveLength(1);
      const first = (await call('GET', '/api/incidents?limit=2', viewer)).json();
      expect(first.incidents.map((i: { status: string }) => i.status)).toEqual(['open', 'resolved']);
      const second = (await call('GET', `/api/incidents?limit=2&cursor=${first.nextCursor}`, viewer)).json();
      expect(second.incidents).toHaveLength(1);
      expect(second.nextCursor).toBeNull();
      const ids = [...first.incidents, ...second.incidents].map((i: { id: string }) => i.id);
      expect(new Set(ids).size).toBe(3);
    });

    it('acknowledges once: who and when, kept on a second acknowledgement', async () => {
      const { monitor } = await monitorWithOutage(alice);
      const id = (await call('GET', `/api/monitor/${monitor.id}`, alice)).json().monitor.openIncidentId;
      const first = await call('POST', `/api/incidents/${id}/acknowledge`, alice);
      expect(first.statusCode).toBe(200);
      expect(first.json().incident).toMatchObject({
        acknowledgedBy: alice.id,
        acknowledgedAt: expect.any(String),
      });
      const again = await call('POST', `/api/incidents/${id}/acknowledge`, alice);
      expect(again.json().incident.acknowledgedAt).toBe(first.json().incident.acknowledgedAt);
    });

    it('answers another user’s incident exactly like a missing one, and changes nothing', async () => {
      const { monitor } = await monitorWithOutage(alice);
      const id = (await call('GET', `/api/monitor/${monitor.id}`, alice)).json().monitor.openIncidentId;
      for (const [method, url] of [
        ['GET', `/api/incidents/${id}`],
        ['POST', `/api/incidents/${id}/acknowledge`],
        ['GET', `/api/incidents/01a23809-30b1-7db3-93ad-a8def0f41bae`],
      ] as const) {
        const res = await call(method, url, mallory);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ error: { code: 'not_found', message: 'Incident not found' } });
      }
      expect((await call('GET', `/api/incidents?monitorId=${monitor.id}`, mallory)).json().incidents).toEqual(
        [],
      );
      expect((await call('GET', `/api/incidents/${id}`, alice)).json().incident.acknowledgedAt).toBeNull();
    });

    it('refuses bad ids, statuses and cursors with 400 naming the field', async () => {
      for (const [url, field] of [
        ['/api/incidents/not-a-uuid', 'params/id'],
        ['/api/incidents?status=closed', 'querystring/status'],
        ['/api/incidents?monitorId=123', 'querystring/monitorId'],
        ['/api/incidents?cursor=eyJ4IjoxfQ', 'querystring/cursor'],
        ['/api/incidents?limit=0', 'querystring/limit'],
      ] as const) {
        const res = await call('GET', url, alice);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error.message).toContain(field);
      }
      expect((await app.inject({ method: 'GET', url: '/api/incidents' })).statusCode).toBe(401);
    });

    it('pausing, editing how checks are judged, or deleting the monitor resolves its incident with why', async () => {
      const paused = await monitorWithOutage(alice);
      await call('PUT', `/api/monitor/${paused.monitor.id}`, alice, { paused: true });
      const settled = (await call('GET', `/api/monitor/${paused.monitor.id}`, alice)).json().monitor;
      expect(settled).toMatchObject({ state: 'paused', openIncidentId: null, openIncident: null });
      const [pausedIncident] = (
        await call('GET', `/api/incidents?monitorId=${paused.monitor.id}`, alice)
      ).json().incidents;
      expect(pausedIncident).toMatchObject({ status: 'resolved', resolution: 'paused' });
      // A rename changes nothing; a new threshold settles.
      const edited = await monitorWithOutage(alice);
      await call('PUT', `/api/monitor/${edited.monitor.id}`, alice, { name: 'renamed' });
      expect((await call('GET', `/api/monitor/${edited.monitor.id}`, alice)).json().monitor.state).toBe(
        'down',
      );
      await call('PUT', `/api/monitor/${edited.monitor.id}`, alice, { failureThreshold: 3 });
      expect((await call('GET', `/api/monitor/${edited.monitor.id}`, alice)).json().monitor).toMatchObject({
        state: 'pending',
        openIncidentId: null,
      });
      const deleted = await monitorWithOutage(alice);
      expect((await call('DELETE', `/api/monitor/${deleted.monitor.id}`, alice)).statusCode).toBe(204);
      const events = await queryRows<{ type: string; resolution: string }>(
        testDb.handle.db,
        sql`SELECT type, payload->'incident'->>'resolution' AS resolution FROM events
            WHERE monitor_id = ${deleted.monitor.id} ORDER BY id`,
      );
      expect(events).toEqual([
        { type: 'incident.opened', resolution: null },
        { type: 'incident.resolved', resolution: 'monitor_deleted' },
      ]);
      const leftovers = await queryRows<{ n: number }>(
        testDb.handle.db,
        sql`SELECT (SELECT count(*) FROM monitor_states WHERE monitor_id = ${deleted.monitor.id})
                 + (SELECT count(*) FROM region_states WHERE monitor_id = ${deleted.monitor.id})
                 + (SELECT count(*) FROM incidents WHERE monitor_id = ${deleted.monitor.id})
                 + (SELECT count(*) FROM state_changes WHERE monitor_id = ${deleted.monitor.id}) AS n`,
      );
      expect(Number(leftovers[0]!.n)).toBe(0);
    });
  });

  describe('alert settings on monitors', () => {
    it('stores them, with a majority as the default quorum', async () => {
      const monitor = await createMonitor(app, alice, {
        failureThreshold: 3,
        recoveryThreshold: 1,
        regionQuorum: 2,
        retryIntervalSeconds: 15,
      });
      expect(monitor).toMatchObject({
        failureThreshold: 3,
        recoveryThreshold: 1,
        regionQuorum: 2,
        retryIntervalSeconds: 15,
      });
      const reset = await call('PUT', `/api/monitor/${monitor.id}`, alice, { regionQuorum: null });
      expect(reset.json().monitor.regionQuorum).toBeNull();
    });

    it.each([
      [{ failureThreshold: 0 }, 'body/failureThreshold'],
      [{ failureThreshold: 11 }, 'body/failureThreshold'],
      [{ recoveryThreshold: 2.5 }, 'body/recoveryThreshold'],
      [{ regionQuorum: 0 }, 'body/regionQuorum'],
      [{ regionQuorum: 3 }, 'body/regionQuorum'],
      [{ regions: ['usa'], regionQuorum: 2 }, 'body/regionQuorum'],
      [{ retryIntervalSeconds: 4 }, 'body/retryIntervalSeconds'],
      [{ intervalSeconds: 30, retryIntervalSeconds: 60 }, 'body/retryIntervalSeconds'],
      [{ retryIntervalSeconds: '10' }, 'body/retryIntervalSeconds'],
    ])('refuses %j with 400 naming %s, creating nothing', async (body, field) => {
      const before = (await call('GET', '/api/monitor', alice)).json().monitors.length;
      const res = await call('POST', '/api/monitor', alice, { url: 'https://example.com/', ...body });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(field);
      expect((await call('GET', '/api/monitor', alice)).json().monitors).toHaveLength(before);
    });

    it('checks an update against the settings it keeps', async () => {
      const monitor = await createMonitor(app, alice, { regionQuorum: 2 });
      const res = await call('PUT', `/api/monitor/${monitor.id}`, alice, { regions: ['india'] });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('body/regionQuorum');
      const slower = await call('PUT', `/api/monitor/${monitor.id}`, alice, {
        intervalSeconds: 30,
        retryIntervalSeconds: 31,
      });
      expect(slower.statusCode).toBe(400);
      expect((await call('GET', `/api/monitor/${monitor.id}`, alice)).json().monitor.regions).toEqual([]);
    });
  });

  describe('maintenance windows', () => {
    let monitorId: string;
    beforeAll(async () => {
      monitorId = (await createMonitor(app, alice)).id;
    });

    it('creates, lists, reads, replaces and deletes a weekly window', async () => {
      const created = await call('POST', '/api/maintenance', alice, {
        name: 'Sunday upgrades',
        monitorIds: [monitorId],
        weekly: { days: ['sun', 'wed'], time: '02:30', durationMinutes: 90 },
        timeZone: 'Europe/Berlin',
      });
      expect(created.statusCode).toBe(201);
      const window = created.json().window;
      expect(window).toMatchObject({
        name: 'Sunday upgrades',
        monitorIds: [monitorId],
        startsAt: null,
        endsAt: null,
        weekly: { days: ['wed', 'sun'], time: '02:30', durationMinutes: 90 },
        timeZone: 'Europe/Berlin',
        active: expect.any(Boolean),
        next: { startsAt: expect.any(String), endsAt: expect.any(String) },
      });
      const next = window.next;
      expect(Date.parse(next.endsAt) - Date.parse(next.startsAt)).toBe(90 * 60_000);
      expect(
        (await call('GET', '/api/maintenance', alice)).json().windows.map((w: { id: string }) => w.id),
      ).toContain(window.id);
      const replaced = await call('PUT', `/api/maintenance/${window.id}`, alice, {
        name: 'one night',
        monitorIds: [monitorId],
        startsAt: '2031-01-01T00:00:00Z',
        endsAt: '2031-01-01T04:00:00Z',
      });
      expect(replaced.json().window).toMatchObject({ name: 'one night', weekly: null, active: false });
      expect((await call('GET', `/api/maintenance/${window.id}`, alice)).json().window.name).toBe(
        'one night',
      );
      expect((await call('DELETE', `/api/maintenance/${window.id}`, alice)).statusCode).toBe(204);
      expect((await call('GET', `/api/maintenance/${window.id}`, alice)).statusCode).toBe(404);
    });

    it('shows its monitors as in maintenance while it is in effect', async () => {
      const now = Date.now();
      await call('POST', '/api/maintenance', alice, {
        name: 'now',
        monitorIds: [monitorId],
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      });
      const overview = (await call('GET', '/api/overview', alice)).json();
      expect(overview.monitors.find((m: { id: string }) => m.id === monitorId).status).toBe('maintenance');
      expect(overview.counts.maintenance).toBeGreaterThanOrEqual(1);
      // The same at once on the monitor's own routes, before any check has run inside the window.
      expect((await call('GET', `/api/monitor/${monitorId}`, alice)).json().monitor.state).toBe(
        'maintenance',
      );
      const listed = (await call('GET', '/api/monitor', alice)).json().monitors;
      expect(listed.find((m: { id: string }) => m.id === monitorId).state).toBe('maintenance');
    });

    it.each([
      [
        { timeZone: 'Mars/Olympus', weekly: { days: ['mon'], time: '01:00', durationMinutes: 5 } },
        'body/timeZone',
      ],
      [{ startsAt: '2031-01-02T00:00:00Z', endsAt: '2031-01-01T00:00:00Z' }, 'body/endsAt'],
      [{ startsAt: '2031-01-02T00:00:00Z' }, 'body/endsAt'],
      [{ endsAt: '2031-01-02T00:00:00Z' }, 'body/startsAt'],
      [{ weekly: { days: ['someday'], time: '01:00', durationMinutes: 5 } }, 'body/weekly/days/0'],
      [{ weekly: { days: ['mon'], time: '25:00', durationMinutes: 5 } }, 'body/weekly/time'],
      [{ weekly: { days: ['mon'], time: '01:00', durationMinutes: 0 } }, 'body/weekly/durationMinutes'],
      [{ startsAt: 'yesterday', endsAt: '2031-01-01T00:00:00Z' }, 'body/startsAt'],
    ])('refuses %j with 400 naming %s', async (fields, field) => {
      const res = await call('POST', '/api/maintenance', alice, {
        name: 'bad',
        monitorIds: [monitorId],
        ...fields,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(field);
    });

    it('refuses unknown and other users’ monitors, and hides windows from other users', async () => {
      const window = { name: 'w', startsAt: '2031-01-01T00:00:00Z', endsAt: '2031-01-01T01:00:00Z' };
      const unknown = await call('POST', '/api/maintenance', alice, {
        ...window,
        monitorIds: [monitorId, '01a23809-30b1-7db3-93ad-a8def0f41bae'],
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error.message).toContain('body/monitorIds/1');
      const theirs = await call('POST', '/api/maintenance', mallory, { ...window, monitorIds: [monitorId] });
      expect(theirs.statusCode).toBe(400);
      expect(theirs.json().error.message).toContain('body/monitorIds/0');
      const own = (
        await call('POST', '/api/maintenance', alice, { ...window, monitorIds: [monitorId] })
      ).json().window;
      for (const [method, payload] of [
        ['GET', undefined],
        ['PUT', { ...window, monitorIds: [monitorId] }],
        ['DELETE', undefined],
      ] as const) {
        expect((await call(method, `/api/maintenance/${own.id}`, mallory, payload)).statusCode).toBe(404);
      }
      expect((await call('GET', '/api/maintenance', mallory)).json().windows).toEqual([]);
      expect((await call('GET', `/api/maintenance/${own.id}`, alice)).json().window.name).toBe('w');
    });

    it('refuses malformed JSON and a huge body', async () => {
      const malformed = await sendRawJson(app, 'POST', '/api/maintenance', alice, '{"name": ');
      expect(malformed.statusCode).toBe(400);
      const huge = await call('POST', '/api/maintenance', alice, {
        name: 'x'.repeat(100_000),
        monitorIds: [],
      });
      expect(huge.statusCode).toBe(413);
    });
  });
});
