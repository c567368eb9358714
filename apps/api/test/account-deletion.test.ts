import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultPartitions, queryRows } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import { totpCode, totpStep } from '../src/auth/totp.js';
import {
  createMonitor,
  insertChecks,
  ownedRows,
  recordChecks,
  signup,
  startTestApi,
  stopTestApi,
  type TestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';

const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;

describe.skipIf(!postgresAvailable())('account deletion (PostgreSQL)', () => {
  let api: TestApi;
  let app: TestServer;
  const clock = Date.UTC(2031, 4, 14, 12);

  beforeAll(async () => {
    api = await startTestApi({ now: () => clock });
    app = api.app;
    await ensureResultPartitions(api.testDb.handle.db, { now: clock, daysBehind: 3 });
  });
  afterAll(() => stopTestApi(api ?? {}));

  const remove = (headers: Record<string, string>, payload?: object) =>
    app.inject({
      method: 'DELETE',
      url: '/api/auth/account',
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
  const login = (email: string, code?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: code === undefined ? { email, password: PASSWORD } : { email, password: PASSWORD, code },
    });
  const keyOf = async (user: TestUser, scope: 'read' | 'write') =>
    (
      await app.inject({
        method: 'POST',
        url: '/api/keys',
        headers: user.bearer,
        payload: { name: scope, scope },
      })
    ).json().key as string;

  /** An account with something in every table: monitors, results in several partitions, incidents, events, windows, keys. */
  async function populatedAccount(): Promise<{ user: TestUser; monitorIds: string[] }> {
    const user = await signup(app);
    const monitorIds: string[] = [];
    for (let i = 0; i < 2; i++) monitorIds.push((await createMonitor(app, user, { regions: ['usa'] })).id);
    const [first, second] = monitorIds as [string, string];
    await insertChecks(api.testDb.handle.db, [
      { monitorId: first, scheduledAt: new Date(clock - 2 * DAY) },
      { monitorId: first, scheduledAt: new Date(clock - DAY) },
      { monitorId: second, scheduledAt: '2044-02-29T00:00:00Z' }, // no partition: the default one
    ]);
    // An outage opens an incident and writes events and state changes; a recovery resolves it.
    for (let i = 0; i < 5; i++) {
      const down = i === 1 || i === 2;
      await recordChecks(api.testDb.handle.db, [
        {
          monitorId: second,
          scheduledAt: new Date(clock + i * 10_000),
          ...(down ? { status: 'Down' as const, statusCode: 503, reason: 'http_status' } : {}),
        },
      ]);
    }
    const window = await app.inject({
      method: 'POST',
      url: '/api/maintenance',
      headers: user.bearer,
      payload: {
        name: 'upgrade',
        monitorIds,
        startsAt: new Date(clock + DAY).toISOString(),
        endsAt: new Date(clock + DAY + 3_600_000).toISOString(),
      },
    });
    expect(window.statusCode).toBe(201);
    await keyOf(user, 'write');
    expect((await login(user.email)).statusCode).toBe(200); // a second session
    return { user, monitorIds };
  }

  const nonEmpty = (owned: Record<string, string[]>) =>
    Object.entries(owned)
      .filter(([, rows]) => rows.length > 0)
      .map(([table]) => table);

  it('deletes the account and everything it owns, and leaves other accounts alone', async () => {
    const { user, monitorIds } = await populatedAccount();
    const other = await populatedAccount();
    const db = api.testDb.handle.db;
    expect(nonEmpty(await ownedRows(db, user.id))).toEqual([
      'api_keys',
      'check_results',
      'events',
      'incidents',
      'maintenance_window_monitors',
      'maintenance_windows',
      'monitor_states',
      'monitors',
      'region_states',
      'sessions',
      'state_changes',
      'users',
    ]);
    const othersBefore = await ownedRows(db, other.user.id);
    const loginTokens = (await login(user.email)).json().token as string;

    const res = await remove(user.bearer, { password: PASSWORD });
    expect(res.statusCode, res.body).toBe(204);
    // The dashboard's cookies are cleared.
    expect(res.cookies.map((c) => [c.name, c.value])).toEqual([
      ['bu_session', ''],
      ['bu_csrf', ''],
    ]);

    expect(nonEmpty(await ownedRows(db, user.id, monitorIds))).toEqual([]);
    const partitionsHolding = await queryRows<{ partition: string }>(
      db,
      sql`SELECT DISTINCT tableoid::regclass::text AS partition FROM check_results
          WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[])`,
    );
    expect(partitionsHolding).toEqual([]);
    expect(await ownedRows(db, other.user.id)).toEqual(othersBefore);

    // Its tokens are dead, it cannot log in, and the address is free again.
    for (const token of [user.token, loginTokens]) {
      const me = await app.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.statusCode).toBe(401);
    }
    expect((await login(user.email)).statusCode).toBe(401);
    expect((await signup(app, user.email)).id).not.toBe(user.id);
  });

  it('finishes while workers keep storing results of its monitors, leaving none behind', async () => {
    const { user, monitorIds } = await populatedAccount();
    const db = api.testDb.handle.db;
    let writing = true;
    let slot = clock + DAY;
    const writer = (async () => {
      let stored = 0;
      while (writing) {
        slot += 10_000;
        // As a worker flushes: results of every monitor at once, failures among them (state changes).
        await recordChecks(
          db,
          monitorIds.map((monitorId, i) => ({
            monitorId,
            scheduledAt: new Date(slot),
            ...(i === 0 && (slot / 10_000) % 3 === 0 ? { status: 'Down' as const, reason: 'timeout' } : {}),
          })),
        );
        stored++;
      }
      return stored;
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await remove(user.bearer, { password: PASSWORD });
    writing = false;
    expect(await writer).toBeGreaterThan(0);
    expect(res.statusCode, res.body).toBe(204);
    expect(nonEmpty(await ownedRows(db, user.id, monitorIds))).toEqual([]);
  });

  it('revokes its API keys at once', async () => {
    const user = await signup(app);
    const key = await keyOf(user, 'read');
    expect((await remove(user.bearer, { password: PASSWORD })).statusCode).toBe(204);
    const res = await app.inject({
      method: 'GET',
      url: '/api/monitor',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.statusCode).toBe(401);
  });

  it('refuses, changing nothing, without the right password, code and a signed-in session', async () => {
    const { user, monitorIds } = await populatedAccount();
    const db = api.testDb.handle.db;
    const post = (url: string, payload?: object) =>
      app.inject({ method: 'POST', url, headers: user.bearer, ...(payload ? { payload } : {}) });
    const { secret } = (await post('/api/auth/totp/setup')).json() as { secret: string };
    const enabled = await post('/api/auth/totp/enable', { code: totpCode(secret, totpStep(clock)) });
    const [recovery] = enabled.json().recoveryCodes as string[];
    const writeKey = await keyOf(user, 'write');
    const readKey = await keyOf(user, 'read');
    // An API key's use is recorded when it authenticates, before the route refuses it: recorded first.
    await remove({ authorization: `Bearer ${writeKey}` }, { password: PASSWORD });
    const before = await ownedRows(db, user.id);

    const refusals: Array<[string, Record<string, string>, unknown, number, string]> = [
      ['no credentials', {}, { password: PASSWORD }, 401, 'unauthorized'],
      ['a write API key', { authorization: `Bearer ${writeKey}` }, { password: PASSWORD }, 403, 'forbidden'],
      ['a read API key', { authorization: `Bearer ${readKey}` }, { password: PASSWORD }, 403, 'forbidden'],
      [
        'the cookie without the CSRF header',
        { cookie: user.cookie },
        { password: PASSWORD },
        403,
        'forbidden',
      ],
      ['no body', user.bearer, undefined, 400, 'validation_error'],
      ['a wrong password', user.bearer, { password: 'not my password' }, 400, 'validation_error'],
      ['no code with 2FA on', user.bearer, { password: PASSWORD }, 400, 'validation_error'],
      ['a wrong code', user.bearer, { password: PASSWORD, code: '000000' }, 400, 'validation_error'],
      ['an unknown field', user.bearer, { password: PASSWORD, force: true }, 400, 'validation_error'],
      ['a password of the wrong type', user.bearer, { password: 12345678901 }, 400, 'validation_error'],
    ];
    for (const [why, headers, payload, status, code] of refusals) {
      const res = await remove(headers, payload as object | undefined);
      expect(res.statusCode, `${why}: ${res.body}`).toBe(status);
      expect(res.json().error.code, why).toBe(code);
    }
    expect((await remove(user.bearer, { password: PASSWORD })).json().error.message).toBe(
      'body/code is required: two-factor authentication is on',
    );
    expect((await remove(user.bearer, { password: 'wrong one!', code: recovery })).json().error.message).toBe(
      'body/password is not the current password',
    );
    expect(await ownedRows(db, user.id)).toEqual(before);

    // The password with a recovery code (not spent above: the password is checked first) does.
    const done = await remove(user.bearer, { password: PASSWORD, code: recovery! });
    expect(done.statusCode, done.body).toBe(204);
    expect(nonEmpty(await ownedRows(db, user.id, monitorIds))).toEqual([]);
  });

  it('works from the dashboard’s cookie with its CSRF header', async () => {
    const user = await signup(app);
    const res = await remove({ cookie: user.cookie, 'x-csrf-token': user.csrfToken }, { password: PASSWORD });
    expect(res.statusCode).toBe(204);
    expect(await ownedRows(api.testDb.handle.db, user.id)).toMatchObject({ users: [], sessions: [] });
  });
});
