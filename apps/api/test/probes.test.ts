import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, probeQueries, queryRows } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import { signup, startTestApi, stopTestApi, type TestApi, testConfig, type TestUser } from './helpers.js';

/**
 * The probes routes in-process: who may use them (the first account, ADMIN_EMAILS, nobody else), what a
 * created probe gives back and keeps (the token once, its hash only), bad input, and the instance's
 * regions following the probes. The connection itself is tested with real processes in
 * apps/cli/test/probes.e2e.test.ts.
 */
describe.skipIf(!postgresAvailable())('probes routes (PostgreSQL)', () => {
  let api: TestApi;
  let first: TestUser;
  let listed: TestUser;
  let someone: TestUser;

  const call = (
    user: TestUser | null,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) =>
    api.app.inject({
      method,
      url,
      headers: {
        ...(user?.bearer ?? {}),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined
        ? {}
        : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });

  beforeAll(async () => {
    api = await startTestApi({ config: testConfig({ ADMIN_EMAILS: 'Ops@Example.test' }) });
    first = await signup(api.app);
    someone = await signup(api.app);
    listed = await signup(api.app, 'ops@example.test');
  });
  afterAll(() => stopTestApi(api ?? {}));

  it('lets the first account and ADMIN_EMAILS manage probes, and no one else', async () => {
    const made = await call(first, 'POST', '/api/probes', { name: ' Office ', region: 'office' });
    expect(made.statusCode).toBe(201);
    const { probe, token } = made.json() as { probe: Record<string, unknown>; token: string };
    expect(token).toMatch(/^bu_probe_[A-Za-z0-9_-]{32}$/);
    expect(probe).toMatchObject({
      name: 'Office',
      region: 'office',
      tokenHint: token.slice(-4),
      connected: false,
      lastSeenAt: null,
      clockSkewed: false,
    });
    // Only the token's SHA-256 is kept.
    const [row] = await queryRows<{ token_hash: string }>(
      api.testDb.handle.db,
      sql`SELECT token_hash FROM probes WHERE id = ${probe.id as string}`,
    );
    expect(row!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));

    expect((await call(listed, 'GET', '/api/probes')).json().probes).toHaveLength(1);
    expect(JSON.stringify((await call(listed, 'GET', '/api/probes')).json())).not.toContain(token);
    for (const [method, url, body] of [
      ['GET', '/api/probes', undefined],
      ['POST', '/api/probes', { name: 'x', region: 'x' }],
      ['DELETE', `/api/probes/${probe.id as string}`, undefined],
    ] as const) {
      const refused = await call(someone, method, url, body);
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json().error.code).toBe('forbidden');
      expect((await call(null, method, url, body)).statusCode).toBe(401);
    }
    // The probe's token is no user credential.
    expect(
      (await api.app.inject({ url: '/api/probes', headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
    ).toBe(401);

    expect((await call(listed, 'DELETE', `/api/probes/${probe.id as string}`)).statusCode).toBe(204);
    expect((await call(first, 'GET', '/api/probes')).json().probes).toEqual([]);
  });

  it('makes a probe region a region of the instance until the last such probe is revoked', async () => {
    const regions = async () => (await call(someone, 'GET', '/api/regions')).json().regions as string[];
    expect(await regions()).toEqual(['usa', 'india']);
    const a = (await call(first, 'POST', '/api/probes', { name: 'A', region: 'edge' })).json().probe
      .id as string;
    const b = (await call(first, 'POST', '/api/probes', { name: 'B', region: 'edge' })).json().probe
      .id as string;
    // A configured region stays once.
    await call(first, 'POST', '/api/probes', { name: 'C', region: 'usa' });
    expect(await regions()).toEqual(['usa', 'india', 'edge']);
    await call(first, 'DELETE', `/api/probes/${a}`);
    expect(await regions()).toEqual(['usa', 'india', 'edge']);
    await call(first, 'DELETE', `/api/probes/${b}`);
    expect(await regions()).toEqual(['usa', 'india']);
  });

  it('lets any user check a monitor from a probe region, and names the known regions for an unknown one', async () => {
    const monitorCall = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
      call(someone, method, url, payload);
    const made = await call(first, 'POST', '/api/probes', { name: 'EU', region: 'eu-probe' });
    expect(made.statusCode).toBe(201);
    const created = await monitorCall('POST', '/api/monitor', {
      url: 'https://example.com/',
      regions: ['eu-probe'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const monitorId = created.json().monitor.id as string;
    expect(created.json().monitor.regions).toEqual(['eu-probe']);
    const moved = await monitorCall('PUT', `/api/monitor/${monitorId}`, { regions: ['usa', 'eu-probe'] });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().monitor.regions).toEqual(['usa', 'eu-probe']);

    // A probe created through another API process (here: straight into the database) counts at once.
    await probeQueries.createProbe(api.testDb.handle.db, {
      id: newId(),
      name: 'Elsewhere',
      region: 'far-away',
      tokenHash: 'f'.repeat(64),
      tokenHint: 'ffff',
      createdBy: first.id,
    });
    const far = await monitorCall('PUT', `/api/monitor/${monitorId}`, { regions: ['far-away'] });
    expect(far.statusCode, far.body).toBe(200);

    const count = async () =>
      (
        await queryRows<{ n: number }>(
          api.testDb.handle.db,
          sql`SELECT count(*)::int AS n FROM monitors WHERE user_id = ${someone.id}`,
        )
      )[0]!.n;
    const before = await count();
    const known = 'must be one of: usa, india, eu-probe, far-away';
    const unknown = await monitorCall('POST', '/api/monitor', {
      url: 'https://example.com/',
      regions: ['usa', 'mars', 'eu-probe', 'venus'],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toEqual({
      code: 'validation_error',
      message: `body/regions/1 ${known}`,
      details: [
        { field: 'regions/1', message: known },
        { field: 'regions/3', message: known },
      ],
    });
    for (const regions of [['EU'], ['eu probe'], ['e'.repeat(33)], [5], ['usa', 'usa'], 'usa']) {
      const res = await monitorCall('POST', '/api/monitor', { url: 'https://example.com/', regions });
      expect(res.statusCode, JSON.stringify(regions)).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
    }
    const unknownEdit = await monitorCall('PUT', `/api/monitor/${monitorId}`, { regions: ['mars'] });
    expect(unknownEdit.statusCode).toBe(400);
    expect(unknownEdit.json().error.details).toEqual([{ field: 'regions/0', message: known }]);
    expect(await count()).toBe(before);
    const kept = await call(someone, 'GET', `/api/monitor/${monitorId}`);
    expect(kept.json().monitor.regions).toEqual(['far-away']);
  });

  it('answers bad input with 400 and unknown probes with 404, changing nothing', async () => {
    const before = (await call(first, 'GET', '/api/probes')).json().probes;
    const bad: unknown[] = [
      '{"name": "x", "region": ',
      { name: 'x' },
      { region: 'edge' },
      { name: '', region: 'edge' },
      { name: '   ', region: 'edge' },
      { name: 'x', region: 'Edge' },
      { name: 'x', region: '-edge' },
      { name: 'x', region: 'e'.repeat(33) },
      { name: 'x'.repeat(101), region: 'edge' },
      { name: 1, region: 'edge' },
      { name: 'x', region: ['edge'] },
      { name: 'x', region: 'edge', extra: true },
      [],
      null,
    ];
    for (const body of bad) {
      const res = await call(first, 'POST', '/api/probes', body === null ? 'null' : body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toMatch(/validation_error|bad_request/);
    }
    expect((await call(first, 'DELETE', '/api/probes/not-a-uuid')).statusCode).toBe(400);
    expect((await call(first, 'DELETE', '/api/probes/00000000-0000-4000-8000-000000000000')).statusCode).toBe(
      404,
    );
    expect((await call(first, 'GET', '/api/probes')).json().probes).toEqual(before);
  });
});
