import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, signupPolicy } from '@better-uptime/config';
import { queryRows } from '@better-uptime/db';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { commonPasswords } from '../src/auth/password-policy.js';
import { startTestApi, stopTestApi, type TestApi, testServer } from './helpers.js';

const GOOD = 'violet tram at noon';

describe('the common password list', () => {
  it('holds the 10,000 most common passwords, lower-cased', async () => {
    const list = await commonPasswords();
    expect(list.size).toBe(10_000);
    for (const p of ['password', '123456', 'qwerty', 'iloveyou', 'password1', '1234567890', 'qwertyuiop']) {
      expect(list.has(p), p).toBe(true);
    }
    expect(list.has(GOOD)).toBe(false);
  });
});

describe('SIGNUP', () => {
  it('is validated, and defaults to first-user for start and open otherwise', () => {
    expect(() => loadConfig({ SIGNUP: 'sometimes' })).toThrow(
      /SIGNUP must be one of open, first-user, closed/,
    );
    expect(signupPolicy(loadConfig({}), true)).toBe('first-user');
    expect(signupPolicy(loadConfig({}), false)).toBe('open');
    expect(signupPolicy(loadConfig({ SIGNUP: 'open' }), true)).toBe('open');
    expect(signupPolicy(loadConfig({ SIGNUP: 'closed' }), false)).toBe('closed');
  });
});

describe.skipIf(!postgresAvailable())('accounts (PostgreSQL)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => stopTestApi(api ?? {}));

  const signupAs = (email: string, password: string, app = api.app) =>
    app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email, password, name: 'N' } });
  const countUsers = async (db = api.testDb.handle.db) =>
    Number((await queryRows<{ n: string }>(db, sql`SELECT count(*) AS n FROM users`))[0]!.n);

  describe('password policy (NIST SP 800-63B)', () => {
    it.each([
      ['aaaaaaaa', 'body/password must be at least 10 characters'],
      ['password', 'body/password must be at least 10 characters'],
      ['1234567890', 'body/password is one of the most common passwords'],
      ['Qwertyuiop', 'body/password is one of the most common passwords'],
      ['PASSWORD123', 'body/password is one of the most common passwords'],
      ['dave@example.com', 'body/password must not contain the email address'],
      ['my dave@example.com!', 'body/password must not contain the email address'],
      ['xx-DAVE-2024-yy', 'body/password must not contain the email address'],
    ])('refuses %j', async (password, message) => {
      const before = await countUsers();
      const res = await signupAs('dave@example.com', password);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
      expect(res.json().error.message).toContain(message);
      expect(await countUsers()).toBe(before);
    });

    it('accepts a long uncommon passphrase, also of 10 characters exactly', async () => {
      expect((await signupAs('erin@example.com', GOOD)).statusCode).toBe(201);
      expect((await signupAs('fred@example.com', 'k7#vQ9!mZp')).statusCode).toBe(201);
    });

    it('login does not apply the rules (older accounts may have shorter passwords): a short wrong one is 401, not 400', async () => {
      const login = await api.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'nobody@example.com', password: 'short' },
      });
      expect(login.statusCode).toBe(401);
    });
  });

  describe('email addresses', () => {
    it('a trailing dot or letter case does not make a second account', async () => {
      expect((await signupAs('alice@example.com', GOOD)).statusCode).toBe(201);
      for (const email of ['alice@example.com.', 'Alice@Example.COM.', 'alice@example.com..']) {
        const res = await signupAs(email, GOOD);
        expect(res.statusCode, email).toBe(409);
      }
      const rows = await queryRows<{ email: string }>(
        api.testDb.handle.db,
        sql`SELECT email FROM users WHERE email LIKE 'alice@%'`,
      );
      expect(rows).toEqual([{ email: 'alice@example.com' }]);
      const login = await api.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'ALICE@example.com.', password: GOOD },
      });
      expect(login.statusCode).toBe(200);
      expect(login.json().user.email).toBe('alice@example.com');
    });

    it('signup stores the normalised address', async () => {
      const res = await signupAs('Bob@Example.ORG.', GOOD);
      expect(res.statusCode).toBe(201);
      expect(res.json().user.email).toBe('bob@example.org');
    });
  });
});

describe.skipIf(!postgresAvailable())('sign-up policies (PostgreSQL)', () => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(() => testDb?.drop());

  const signupAs = (app: ReturnType<typeof testServer>, email: string) =>
    app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email, password: GOOD, name: 'N' } });

  const signupState = async (app: ReturnType<typeof testServer>) =>
    (await app.inject({ method: 'GET', url: '/api/auth/signup' })).json();

  it('closed: nobody signs up (403), login still works', async () => {
    const closed = testServer(testDb.handle.db, { env: { SIGNUP: 'closed' } });
    expect(await signupState(closed)).toEqual({ open: false, firstAccount: true });
    const res = await signupAs(closed, 'first@example.com');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: { code: 'forbidden', message: 'Sign-up is closed on this instance' },
    });
    await closed.close();
  });

  it('first-user: of 8 concurrent first signups exactly one succeeds, then sign-up is closed', async () => {
    const app = testServer(testDb.handle.db, { env: { SIGNUP: 'first-user' } });
    // A new install: the sign-in page opens on sign-up.
    expect(await signupState(app)).toEqual({ open: true, firstAccount: true });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signupAs(app, `owner${i}@example.com`)),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 403)).toHaveLength(7);
    const later = await signupAs(app, 'late@example.com');
    expect(later.statusCode).toBe(403);
    expect(later.json().error.message).toMatch(/already has its account/);
    expect(await signupState(app)).toEqual({ open: false, firstAccount: false });
    const rows = await queryRows(testDb.handle.db, sql`SELECT id FROM users`);
    expect(rows).toHaveLength(1);
    await app.close();
    // The same instance with SIGNUP=open lets others in.
    const open = testServer(testDb.handle.db, { env: { SIGNUP: 'open' } });
    expect(await signupState(open)).toEqual({ open: true, firstAccount: false });
    expect((await signupAs(open, 'second@example.com')).statusCode).toBe(201);
    await open.close();
  });
});
