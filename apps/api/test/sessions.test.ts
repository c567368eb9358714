import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import { signup, startTestApi, stopTestApi, type TestApi, type TestServer } from './helpers.js';
import { expectRefusedPayloads, sendRawJson } from './bad-input.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'plum kettle at dusk';

describe.skipIf(!postgresAvailable())('sessions and password change (PostgreSQL)', () => {
  let api: TestApi;
  let app: TestServer;

  beforeAll(async () => {
    api = await startTestApi();
    app = api.app;
  });
  afterAll(() => stopTestApi(api ?? {}));

  const login = async (email: string, password = PASSWORD, agent = 'test-agent/1.0') => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'user-agent': agent },
      payload: { email, password },
    });
    expect(res.statusCode, res.body).toBe(200);
    return { authorization: `Bearer ${res.json().token}` };
  };
  const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/auth/me', headers });
  const sessionIdOf = (headers: { authorization: string }) =>
    JSON.parse(Buffer.from(headers.authorization.split('.')[1]!, 'base64url').toString()).sid as string;

  it('lists the live sessions with their client and which one is current', async () => {
    const user = await signup(app);
    const laptop = await login(user.email, PASSWORD, 'Laptop\u0007 Browser');
    const phone = await login(user.email, PASSWORD, 'Phone');
    await app.inject({ method: 'POST', url: '/api/auth/logout', headers: phone });
    const res = await app.inject({ method: 'GET', url: '/api/auth/sessions', headers: laptop });
    expect(res.statusCode).toBe(200);
    const sessions = res.json().sessions as Array<{ id: string; userAgent: string | null; current: boolean }>;
    expect(sessions).toHaveLength(2); // the signup's and the laptop's; the phone logged out
    expect(sessions.find((s) => s.current)).toMatchObject({
      id: sessionIdOf(laptop),
      userAgent: 'Laptop Browser',
    });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(Object.keys(sessions[0]!).sort()).toEqual([
      'createdAt',
      'current',
      'expiresAt',
      'id',
      'userAgent',
    ]);
    // Nobody else's sessions show.
    const other = await signup(app);
    const theirs = await app.inject({ method: 'GET', url: '/api/auth/sessions', headers: other.bearer });
    expect(theirs.json().sessions.map((s: { id: string }) => s.id)).not.toContain(sessionIdOf(laptop));
  });

  it('revokes one session; another user’s session or a bad id is a 404/400 and changes nothing', async () => {
    const user = await signup(app);
    const first = await login(user.email);
    const second = await login(user.email);
    const other = await signup(app);
    const notYours = await app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${sessionIdOf(second)}`,
      headers: other.bearer,
    });
    expect(notYours.statusCode).toBe(404);
    expect((await me(second)).statusCode).toBe(200);
    const bad = await app.inject({ method: 'DELETE', url: '/api/auth/sessions/nope', headers: first });
    expect(bad.statusCode).toBe(400);
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${sessionIdOf(second)}`,
      headers: first,
    });
    expect(revoked.statusCode).toBe(204);
    expect((await me(second)).statusCode).toBe(401);
    expect((await me(first)).statusCode).toBe(200);
    const again = await app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${sessionIdOf(second)}`,
      headers: first,
    });
    expect(again.statusCode).toBe(404);
  });

  it('changing the password revokes every other session, keeps this one, and the old password stops working', async () => {
    const user = await signup(app);
    const here = await login(user.email);
    const elsewhere = await login(user.email);
    const res = await app.inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: here,
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(204);
    expect((await me(here)).statusCode).toBe(200);
    expect((await me(elsewhere)).statusCode).toBe(401);
    expect((await me(user.bearer)).statusCode).toBe(401);
    const old = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
    await login(user.email, NEW_PASSWORD);
  });

  it('refuses a wrong current password, a weak new one, bad input, and API keys; nothing changes', async () => {
    const user = await signup(app);
    const hashBefore = async () =>
      (
        await queryRows<{ h: string }>(
          api.testDb.handle.db,
          sql`SELECT password_hash AS h FROM users WHERE id = ${user.id}`,
        )
      )[0]!.h;
    const before = await hashBefore();
    const cases: Array<[unknown, string]> = [
      [
        { currentPassword: 'wrong password', newPassword: NEW_PASSWORD },
        'body/currentPassword is not the current password',
      ],
      [
        { currentPassword: PASSWORD, newPassword: 'short' },
        'body/newPassword must be at least 10 characters',
      ],
      [
        { currentPassword: PASSWORD, newPassword: 'qwertyuiop' },
        'body/newPassword is one of the most common',
      ],
      [
        { currentPassword: PASSWORD, newPassword: `x${user.email}` },
        'body/newPassword must not contain the email',
      ],
      [{ currentPassword: PASSWORD, newPassword: 12345678901 }, 'body/newPassword must be a string'],
      [
        { currentPassword: PASSWORD, newPassword: 'a\u0000bcdefghijk' },
        'body/newPassword must not contain NUL',
      ],
      [{ currentPassword: PASSWORD }, 'body/newPassword is required'],
    ];
    await expectRefusedPayloads(app, 'PUT', '/api/auth/password', user, cases);
    const malformed = await sendRawJson(app, 'PUT', '/api/auth/password', user, '{"currentPassword": ');
    expect(malformed.statusCode).toBe(400);
    const key = await app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: user.bearer,
      payload: { name: 'k', scope: 'write' },
    });
    const withKey = { authorization: `Bearer ${key.json().key}` };
    const byKey = await app.inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: withKey,
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(byKey.statusCode).toBe(403);
    const revokeByKey = await app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${sessionIdOf(user.bearer)}`,
      headers: withKey,
    });
    expect(revokeByKey.statusCode).toBe(403);
    expect((await me(user.bearer)).statusCode).toBe(200);
    expect(await hashBefore()).toBe(before);
  });

  it('a cookie-authenticated change needs the CSRF token', async () => {
    const user = await signup(app);
    const res = await app.inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: { cookie: user.cookie },
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(res.statusCode).toBe(403);
  });
});
