import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_REDACT_PATHS } from '@better-uptime/config';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { createTokenService } from '../src/auth/tokens.js';
import {
  cookieHeader,
  createMonitor,
  JWT_SECRET,
  signup,
  startTestApi,
  stopTestApi,
  testServer,
  type TestServer,
  type TestUser,
} from './helpers.js';

const PASSWORD = 'correct horse battery';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.skipIf(!postgresAvailable())('auth API (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi());
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/auth/me', headers });

  describe('signup', () => {
    it('creates the account, signs in, and returns the user without any secret', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { email: 'Ann@Example.COM', password: PASSWORD, name: '  Ann  ' },
      });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['csrfToken', 'token', 'user']);
      expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'email', 'id', 'name', 'updatedAt']);
      expect(body.user).toMatchObject({ email: 'ann@example.com', name: 'Ann' });
      expect(res.body).not.toContain(PASSWORD);
      expect(res.body).not.toContain('argon2');
      expect((await me({ authorization: `Bearer ${body.token}` })).json().user.id).toBe(body.user.id);
      // Stored as an Argon2id hash, never the password.
      const [row] = await queryRows<{ password_hash: string }>(
        testDb.handle.db,
        sql`SELECT password_hash FROM users WHERE id = ${body.user.id}`,
      );
      expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('sets an httpOnly session cookie and a readable CSRF cookie (SameSite=Lax, Path=/)', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { email: 'cookies@example.com', password: PASSWORD, name: 'C' },
      });
      const cookies = res.cookies as Array<Record<string, unknown>>;
      const session = cookies.find((c) => c.name === 'bu_session')!;
      const csrf = cookies.find((c) => c.name === 'bu_csrf')!;
      expect(session).toMatchObject({ value: res.json().token, httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(session.secure).toBeUndefined(); // COOKIE_SECURE is off in this config
      expect(csrf).toMatchObject({ value: res.json().csrfToken, sameSite: 'Lax', path: '/' });
      expect(csrf.httpOnly).toBeUndefined();
    });

    it('sets Secure cookies when config.cookieSecure is on', async () => {
      const secureApp = testServer(testDb.handle.db, { env: { COOKIE_SECURE: 'true' } });
      const res = await secureApp.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { email: 'secure@example.com', password: PASSWORD, name: 'S' },
      });
      expect(res.statusCode).toBe(201);
      for (const cookie of res.cookies as Array<Record<string, unknown>>) expect(cookie.secure).toBe(true);
      await secureApp.close();
    });

    it('answers 409 for an email that is taken in any letter case', async () => {
      await signup(app, 'taken@example.com');
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { email: 'TAKEN@example.com', password: PASSWORD, name: 'Other' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        error: { code: 'conflict', message: 'An account with this email already exists' },
      });
    });

    it('lets exactly one of 10 concurrent signups with one address (mixed case) succeed', async () => {
      const variants = ['race@example.com', 'RACE@example.com', 'Race@Example.com', 'race@EXAMPLE.COM'];
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          app.inject({
            method: 'POST',
            url: '/api/auth/signup',
            payload: { email: variants[i % variants.length], password: PASSWORD, name: `Racer ${i}` },
          }),
        ),
      );
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(409)]);
      const [count] = await queryRows<{ n: number }>(
        testDb.handle.db,
        sql`SELECT count(*)::int AS n FROM users WHERE lower(email) = 'race@example.com'`,
      );
      expect(count!.n).toBe(1);
    });

    it.each([
      [{ password: PASSWORD, name: 'N' }, 'body/email is required'],
      [{ email: 'x@example.com', name: 'N' }, 'body/password is required'],
      [{ email: 'x@example.com', password: PASSWORD }, 'body/name is required'],
      [{ email: 'not-an-email', password: PASSWORD, name: 'N' }, 'body/email must be an email address'],
      [
        { email: 'x@example.com', password: 'short', name: 'N' },
        'body/password must be at least 10 characters',
      ],
      [{ email: 'x@example.com', password: 'p'.repeat(257), name: 'N' }, 'body/password must be at most 256'],
      [{ email: 'x@example.com', password: PASSWORD, name: '' }, 'body/name must not be empty'],
      [{ email: 'x@example.com', password: PASSWORD, name: '   ' }, 'body/name must not be blank'],
      [{ email: 'x@example.com', password: 12345678, name: 'N' }, 'body/password must be a string'],
      [
        { email: 'x@example.com', password: PASSWORD, name: 'N', admin: true },
        'body/admin is not an allowed',
      ],
    ])('rejects %j with 400', async (payload, message) => {
      const res = await app.inject({ method: 'POST', url: '/api/auth/signup', payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
      expect(res.json().error.message).toContain(message);
      const [count] = await queryRows<{ n: number }>(
        testDb.handle.db,
        sql`SELECT count(*)::int AS n FROM users WHERE email = 'x@example.com'`,
      );
      expect(count!.n).toBe(0);
    });
  });

  describe('login', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await signup(app, 'login@example.com');
    });

    it('signs in with the right password, in any letter case of the email', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'LOGIN@example.com', password: PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().user.id).toBe(user.id);
      expect(res.json().token).not.toBe(user.token); // a session of its own
      expect(res.body).not.toContain(PASSWORD);
      expect((await me({ authorization: `Bearer ${res.json().token}` })).statusCode).toBe(200);
    });

    it('answers a wrong password and an unknown email with the same 401', async () => {
      const wrong = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'login@example.com', password: 'wrong password' },
      });
      const unknown = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'nobody@example.com', password: PASSWORD },
      });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ error: { code: 'unauthorized', message: 'Invalid email or password' } });
      expect(unknown.json()).toEqual(wrong.json());
      expect(wrong.cookies).toEqual([]);
    });

    it('spends comparable time on unknown emails (a dummy hash is verified)', async () => {
      const time = async (email: string) => {
        const start = performance.now();
        await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email, password: 'wrong pass' },
        });
        return performance.now() - start;
      };
      await time('nobody@example.com'); // warm-up: the dummy hash is made once
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time('login@example.com'));
        unknown.push(await time('nobody@example.com'));
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
      // Without the dummy hash an unknown email answers in ~1 ms against tens of ms.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    });

    it.each([
      [{ password: PASSWORD }, 'body/email is required'],
      [{ email: 'login@example.com' }, 'body/password is required'],
      [{ email: 'login@example.com', password: '' }, 'body/password must not be empty'],
      [{ email: 5, password: PASSWORD }, 'body/email must be a string'],
    ])('rejects %j with 400', async (payload, message) => {
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_error', message });
    });
  });

  describe('authentication of requests', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await signup(app);
    });
    const unauthorized = {
      error: {
        code: 'unauthorized',
        message: 'Authentication required: missing, invalid or expired credentials',
      },
    };
    const sidOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid;

    it('GET /api/auth/me returns the user for a Bearer token', async () => {
      const res = await me(user.bearer);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        user: {
          id: user.id,
          email: user.email,
          name: 'Test User',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      });
    });

    it.each([
      ['no credentials', {}],
      ['a non-Bearer scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['an empty Bearer', { authorization: 'Bearer ' }],
      ['a malformed token', { authorization: 'Bearer not.a.jwt' }],
      ['garbage', { authorization: 'Bearer ' + 'x'.repeat(500) }],
      ['a malformed cookie', { cookie: 'bu_session=abc' }],
    ])('401 for %s', async (_, headers) => {
      const res = await me(headers as Record<string, string>);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorized);
    });

    it('401 for a token with a tampered signature or payload', async () => {
      const [header, payload, signature] = user.token.split('.') as [string, string, string];
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      expect((await me({ authorization: `Bearer ${header}.${payload}.${flipped}` })).statusCode).toBe(401);
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const other = await signup(app);
      const forged = b64({ ...claims, sub: other.id });
      expect((await me({ authorization: `Bearer ${header}.${forged}.${signature}` })).statusCode).toBe(401);
    });

    it('401 for an "alg: none" token carrying genuine claims', async () => {
      const claims = JSON.parse(Buffer.from(user.token.split('.')[1]!, 'base64url').toString());
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      expect((await me({ authorization: `Bearer ${none}` })).json()).toEqual(unauthorized);
    });

    it('401 for a token signed with another secret', async () => {
      const claims = { userId: user.id, sessionId: sidOf(user.token) };
      const foreign = await createTokenService('another-secret-0123456789abcdefghijkl').sign(
        claims,
        new Date(Date.now() + 3_600_000),
      );
      expect((await me({ authorization: `Bearer ${foreign}` })).statusCode).toBe(401);
      // The same claims with the right secret do work, so it is the signature that was refused.
      const genuine = await createTokenService(JWT_SECRET).sign(claims, new Date(Date.now() + 3_600_000));
      expect((await me({ authorization: `Bearer ${genuine}` })).statusCode).toBe(200);
    });

    it('401 for an expired token', async () => {
      const expired = await createTokenService(JWT_SECRET).sign(
        { userId: user.id, sessionId: sidOf(user.token) },
        new Date(Date.now() - 1000),
      );
      expect((await me({ authorization: `Bearer ${expired}` })).json()).toEqual(unauthorized);
    });

    it('401 once the session has expired in the database, even if the JWT has not', async () => {
      const u = await signup(app);
      await testDb.handle.db.execute(
        sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${sidOf(u.token)}`,
      );
      expect((await me(u.bearer)).statusCode).toBe(401);
    });

    it('401 for a token whose session row is gone, or whose user was deleted', async () => {
      const a = await signup(app);
      await testDb.handle.db.execute(sql`DELETE FROM sessions WHERE id = ${sidOf(a.token)}`);
      expect((await me(a.bearer)).statusCode).toBe(401);
      const b = await signup(app);
      expect((await me(b.bearer)).statusCode).toBe(200);
      await testDb.handle.db.execute(sql`DELETE FROM users WHERE id = ${b.id}`);
      expect((await me(b.bearer)).statusCode).toBe(401);
    });

    it("401 for a genuine token that names another user's session", async () => {
      const other = await signup(app);
      const mixed = await createTokenService(JWT_SECRET).sign(
        { userId: user.id, sessionId: sidOf(other.token) },
        new Date(Date.now() + 3_600_000),
      );
      expect((await me({ authorization: `Bearer ${mixed}` })).statusCode).toBe(401);
    });

    it('a bad Authorization header is not rescued by a good cookie', async () => {
      const res = await me({ authorization: 'Bearer nope', cookie: user.cookie });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('logout', () => {
    it('revokes the session: the token stops working at once, other sessions do not', async () => {
      const user = await signup(app);
      const second = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: user.email, password: PASSWORD },
      });
      const res = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: user.bearer });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      const cleared = res.cookies as Array<{ name: string; value: string; maxAge?: number }>;
      expect(cleared.map((c) => c.name).sort()).toEqual(['bu_csrf', 'bu_session']);
      for (const c of cleared) expect(c.value).toBe('');
      expect((await me(user.bearer)).statusCode).toBe(401);
      expect((await me({ cookie: user.cookie })).statusCode).toBe(401);
      expect(
        (await app.inject({ method: 'POST', url: '/api/auth/logout', headers: user.bearer })).statusCode,
      ).toBe(401);
      expect((await me({ authorization: `Bearer ${second.json().token}` })).statusCode).toBe(200);
    });

    it('needs authentication', async () => {
      expect((await app.inject({ method: 'POST', url: '/api/auth/logout' })).statusCode).toBe(401);
    });
  });

  describe('cookie authentication and CSRF', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await signup(app);
    });
    const createByCookie = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/monitor',
        headers: { cookie: user.cookie, ...headers },
        payload: { url: 'https://example.com/' },
      });

    it('reads work with the session cookie alone', async () => {
      const res = await me({ cookie: user.cookie });
      expect(res.statusCode).toBe(200);
      expect(res.json().user.id).toBe(user.id);
      expect(
        (await app.inject({ method: 'GET', url: '/api/monitor', headers: { cookie: user.cookie } }))
          .statusCode,
      ).toBe(200);
    });

    it('a cookie-authenticated write without x-csrf-token is refused with 403 and changes nothing', async () => {
      const res = await createByCookie({});
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
      const list = await app.inject({ method: 'GET', url: '/api/monitor', headers: user.bearer });
      expect(list.json().monitors).toEqual([]);
    });

    it('refuses a wrong token, and the token of another session', async () => {
      expect((await createByCookie({ 'x-csrf-token': 'wrong' })).statusCode).toBe(403);
      const other = await signup(app);
      expect((await createByCookie({ 'x-csrf-token': other.csrfToken })).statusCode).toBe(403);
    });

    it('accepts the write with the matching x-csrf-token (the bu_csrf cookie value)', async () => {
      const res = await createByCookie({ 'x-csrf-token': user.csrfToken });
      expect(res.statusCode).toBe(201);
      const id = res.json().monitor.id;
      const put = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${id}`,
        headers: { cookie: user.cookie, 'x-csrf-token': user.csrfToken },
        payload: { paused: true },
      });
      expect(put.statusCode).toBe(200);
      const delNoCsrf = await app.inject({
        method: 'DELETE',
        url: `/api/monitor/${id}`,
        headers: { cookie: user.cookie },
      });
      expect(delNoCsrf.statusCode).toBe(403);
      const logoutNoCsrf = await app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { cookie: user.cookie },
      });
      expect(logoutNoCsrf.statusCode).toBe(403);
    });

    it('Bearer-authenticated writes need no CSRF token', async () => {
      const monitor = await createMonitor(app, user);
      const res = await app.inject({
        method: 'DELETE',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(res.statusCode).toBe(204);
    });

    it('login sets cookies that work like the token', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: user.email, password: PASSWORD },
      });
      expect((await me({ cookie: cookieHeader(res) })).json().user.id).toBe(user.id);
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with Retry-After after AUTH_RATE_LIMIT_PER_MINUTE attempts per address', async () => {
      const limited = testServer(testDb.handle.db, { env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
      const attempt = (remoteAddress: string) =>
        limited.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress,
          payload: { email: 'nobody@example.com', password: 'whatever1' },
        });
      for (let i = 0; i < 3; i++) expect((await attempt('10.0.0.1')).statusCode).toBe(401);
      const blocked = await attempt('10.0.0.1');
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(blocked.json()).toEqual({
        error: { code: 'rate_limited', message: 'Too many attempts; retry later' },
      });
      // Another address is not affected.
      expect((await attempt('10.0.0.2')).statusCode).toBe(401);
      // Signup has its own budget, limited the same way.
      const signupAttempt = () =>
        limited.inject({ method: 'POST', url: '/api/auth/signup', remoteAddress: '10.0.0.3', payload: {} });
      for (let i = 0; i < 3; i++) expect((await signupAttempt()).statusCode).toBe(400);
      expect((await signupAttempt()).statusCode).toBe(429);
      // Other routes are not rate limited.
      for (let i = 0; i < 5; i++) {
        const res = await limited.inject({ method: 'GET', url: '/api/auth/me', remoteAddress: '10.0.0.1' });
        expect(res.statusCode).toBe(401);
      }
      await limited.close();
    });
  });

  describe('logs', () => {
    it('never contain passwords, tokens, cookies or hashes', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const logger = pino(
        { level: 'trace', redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } },
        sink,
      );
      const logged = testServer(testDb.handle.db, { logger });
      const secretPassword = 'Sup3r-Secret-Passw0rd!';
      const signupRes = await logged.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { email: 'logs@example.com', password: secretPassword, name: 'Logs' },
      });
      const loginRes = await logged.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'logs@example.com', password: secretPassword },
      });
      const failed = await logged.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'logs@example.com', password: secretPassword + 'x' },
      });
      const { token, csrfToken } = loginRes.json();
      await logged.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: { authorization: `Bearer ${token}` },
      });
      await logged.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: { cookie: cookieHeader(loginRes) },
      });
      await logged.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { email: 'bad', password: secretPassword, name: 'x' },
      });
      await logged.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { authorization: `Bearer ${token}` },
      });
      await logged.close();
      expect(failed.statusCode).toBe(401);
      const [row] = await queryRows<{ password_hash: string }>(
        testDb.handle.db,
        sql`SELECT password_hash FROM users WHERE email = 'logs@example.com'`,
      );
      const text = lines.join('');
      expect(text).toContain('request completed'); // the requests were logged...
      for (const secret of [secretPassword, token, signupRes.json().token, csrfToken, row!.password_hash]) {
        expect(text).not.toContain(secret); // ...but none of their secrets
      }
      expect(text).not.toContain('"password"');
    });
  });
});
