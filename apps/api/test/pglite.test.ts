import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, migrateDatabase, openMemoryDatabase } from '@better-uptime/db';
import { createMonitor, insertChecks, ownedRows, signup, testServer, type TestServer } from './helpers.js';

/** The same routes and queries on embedded PGlite (the single-process default): no server needed. */
describe('API on PGlite', () => {
  let handle: DatabaseHandle;
  let app: TestServer;
  const NOW = Date.UTC(2031, 0, 10);

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    await migrateDatabase(handle);
    app = testServer(handle.db, { now: () => NOW });
  });
  afterAll(async () => {
    await app?.close();
    await handle?.close();
  });

  it('runs the whole flow: auth, monitors, results, cleanup, logout', async () => {
    const user = await signup(app, 'Pglite@Example.com');
    const taken = await app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: 'pglite@example.com', password: 'long enough', name: 'x' },
    });
    expect(taken.statusCode).toBe(409);

    const monitors = [];
    for (let i = 0; i < 3; i++) monitors.push(await createMonitor(app, user, { name: `m${i}` }));
    const page1 = await app.inject({ method: 'GET', url: '/api/monitor?limit=2', headers: user.bearer });
    const page2 = await app.inject({
      method: 'GET',
      url: `/api/monitor?limit=2&cursor=${page1.json().nextCursor}`,
      headers: user.bearer,
    });
    expect([...page1.json().monitors, ...page2.json().monitors].map((m: { name: string }) => m.name)).toEqual(
      ['m2', 'm1', 'm0'],
    );

    const id = monitors[0]!.id;
    const put = await app.inject({
      method: 'PUT',
      url: `/api/monitor/${id}`,
      headers: user.bearer,
      payload: { intervalSeconds: 60, regions: ['usa'] },
    });
    expect(put.json().monitor).toMatchObject({ intervalSeconds: 60, regions: ['usa'] });

    const DAY = 86_400_000;
    await insertChecks(handle.db, [
      { monitorId: id, region: 'usa', scheduledAt: new Date(NOW - 100 * DAY) },
      { monitorId: id, region: 'usa', scheduledAt: new Date(NOW - 60_000) },
      { monitorId: id, region: 'india', scheduledAt: new Date(NOW - 60_000), status: 'Down', reason: 'tls' },
      { monitorId: id, region: 'usa', scheduledAt: '2031-01-09T12:00:00.000001Z' },
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: LightMyRequestResponse = await app.inject({
        method: 'GET',
        url: `/api/results/${id}/checks?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        headers: user.bearer,
      });
      const checks = res.json().checks as Array<{ scheduledAt: string; location: string }>;
      seen.push(...checks.map((c) => `${c.scheduledAt} ${c.location}`));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);

    const latest = await app.inject({
      method: 'GET',
      url: `/api/results/${id}/latest`,
      headers: user.bearer,
    });
    expect(
      latest.json().latest.map((c: { location: string; status: string }) => [c.location, c.status]),
    ).toEqual([
      ['india', 'Down'],
      ['usa', 'Up'],
    ]);
    const cleanup = await app.inject({
      method: 'DELETE',
      url: `/api/results/${id}/cleanup?days=90`,
      headers: user.bearer,
    });
    expect(cleanup.json()).toEqual({ deleted: 1 });

    const del = await app.inject({ method: 'DELETE', url: `/api/monitor/${id}`, headers: user.bearer });
    expect(del.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/health' })).json()).toEqual({
      status: 'ok',
      database: 'up',
    });
    await app.inject({ method: 'POST', url: '/api/auth/logout', headers: user.bearer });
    expect((await app.inject({ method: 'GET', url: '/api/auth/me', headers: user.bearer })).statusCode).toBe(
      401,
    );
  });

  it('deletes an account with everything it owns', async () => {
    const user = await signup(app, 'leaving@example.com');
    const { id } = await createMonitor(app, user);
    await insertChecks(handle.db, [
      { monitorId: id, scheduledAt: new Date(NOW - 60_000) },
      { monitorId: id, scheduledAt: '2044-02-29T00:00:00Z' },
    ]);
    const res = await app.inject({
      method: 'DELETE',
      url: '/api/auth/account',
      headers: user.bearer,
      payload: { password: 'correct horse battery' },
    });
    expect(res.statusCode, res.body).toBe(204);
    expect(await ownedRows(handle.db, user.id, [id])).toMatchObject({
      users: [],
      monitors: [],
      check_results: [],
      sessions: [],
    });
  });
});
