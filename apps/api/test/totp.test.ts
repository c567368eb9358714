import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import { createLogger, createSecretBox, totpSecretBox } from '@better-uptime/config';
import { resealTotpSeeds } from '../src/auth/second-factor.js';
import { base32Decode, base32Encode, newTotpSecret, totpCode, totpStep } from '../src/auth/totp.js';
import {
  JWT_SECRET,
  SECRETS_KEY,
  signup,
  startTestApi,
  stopTestApi,
  testServer,
  type TestApi,
  type TestServer,
} from './helpers.js';
import { sendRawJson } from './bad-input.js';

const PASSWORD = 'correct horse battery';

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC test vectors (SHA-1, last 6 digits)', () => {
    const secret = base32Encode(Buffer.from('12345678901234567890'));
    expect(secret).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode(secret).toString()).toBe('12345678901234567890');
    expect(totpCode(secret, totpStep(59_000))).toBe('287082');
    expect(totpCode(secret, totpStep(1_111_111_109_000))).toBe('081804');
    expect(totpCode(secret, totpStep(2_000_000_000_000))).toBe('279037');
  });
});

describe.skipIf(!postgresAvailable())('two-factor authentication (PostgreSQL)', () => {
  let api: TestApi;
  let app: TestServer;
  let clock = 1_800_000_000_000;

  beforeAll(async () => {
    api = await startTestApi({ now: () => clock });
    app = api.app;
  });
  afterAll(() => stopTestApi(api ?? {}));

  const login = (email: string, code?: string, password = PASSWORD) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: code === undefined ? { email, password } : { email, password, code },
    });

  it('enrols, then asks every login for a code, each code once; recovery codes work once; disabling needs both factors', async () => {
    const user = await signup(app);
    const post = (url: string, payload?: object, headers: Record<string, string> = user.bearer) =>
      app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

    expect((await app.inject({ method: 'GET', url: '/api/auth/totp', headers: user.bearer })).json()).toEqual(
      {
        enabled: false,
        pending: false,
        recoveryCodesLeft: 0,
      },
    );
    const setup = await post('/api/auth/totp/setup');
    expect(setup.statusCode).toBe(200);
    const { secret, otpauthUrl } = setup.json() as { secret: string; otpauthUrl: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toBe(
      `otpauth://totp/${encodeURIComponent(`Better Uptime:${user.email}`)}?secret=${secret}&issuer=Better+Uptime&algorithm=SHA1&digits=6&period=30`,
    );
    // Stored sealed, never as the secret itself.
    const [row] = await queryRows<{ s: string }>(
      api.testDb.handle.db,
      sql`SELECT totp_secret AS s FROM users WHERE id = ${user.id}`,
    );
    expect(row!.s).toMatch(/^v1\./);
    expect(row!.s).not.toContain(secret);
    // Not on until confirmed: login needs no code yet.
    expect((await login(user.email)).statusCode).toBe(200);

    const wrong = await post('/api/auth/totp/enable', { code: '000000' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toBe('body/code is not the current code of the authenticator app');
    const badShape = await post('/api/auth/totp/enable', { code: '12345' });
    expect(badShape.json().error.message).toBe('body/code must be the 6-digit code of the authenticator app');
    const enabled = await post('/api/auth/totp/enable', { code: totpCode(secret, totpStep(clock)) });
    expect(enabled.statusCode).toBe(200);
    const recoveryCodes = enabled.json().recoveryCodes as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await post('/api/auth/totp/setup')).statusCode).toBe(409);

    const noCode = await login(user.email);
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().error.code).toBe('second_factor_required');
    expect(noCode.body).not.toContain('token');
    // The code that enabled it cannot be replayed; the next step's code works, once.
    expect((await login(user.email, totpCode(secret, totpStep(clock)))).statusCode).toBe(401);
    clock += 30_000;
    const current = totpCode(secret, totpStep(clock));
    expect((await login(user.email, current)).statusCode).toBe(200);
    expect((await login(user.email, current)).statusCode).toBe(401);
    // A wrong password with a right code is still a 401 without a hint.
    clock += 30_000;
    const wrongPassword = await login(
      user.email,
      totpCode(secret, totpStep(clock)),
      'not the password at all',
    );
    expect(wrongPassword.json().error.code).toBe('unauthorized');

    const recovery = recoveryCodes[0]!;
    expect((await login(user.email, recovery.toUpperCase())).statusCode).toBe(200);
    expect((await login(user.email, recovery)).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/auth/totp', headers: user.bearer })).json()).toEqual(
      {
        enabled: true,
        pending: false,
        recoveryCodesLeft: 9,
      },
    );

    clock += 30_000;
    const code = totpCode(secret, totpStep(clock));
    const badPassword = await post('/api/auth/totp/disable', { password: 'wrong wrong wrong', code });
    expect(badPassword.statusCode).toBe(400);
    expect(badPassword.json().error.message).toBe('body/password is not the current password');
    const badCode = await post('/api/auth/totp/disable', { password: PASSWORD, code: '123456' });
    expect(badCode.statusCode).toBe(400);
    const off = await post('/api/auth/totp/disable', { password: PASSWORD, code: recoveryCodes[1]! });
    expect(off.statusCode).toBe(204);
    expect((await login(user.email)).statusCode).toBe(200);
  });

  it('keeps seeds under SECRETS_KEY: one sealed under the JWT secret before is re-sealed at start, and a new JWT_SECRET leaves 2FA working', async () => {
    const db = api.testDb.handle.db;
    const user = await signup(app);
    const seed = newTotpSecret();
    // As an earlier version stored it: sealed under a key derived from the JWT secret.
    await db.execute(
      sql`UPDATE users SET totp_secret = ${createSecretBox(JWT_SECRET).seal(seed)}, totp_enabled_at = now()
          WHERE id = ${user.id}`,
    );
    const unreadable = await signup(app);
    await db.execute(
      sql`UPDATE users SET totp_secret = ${createSecretBox('a key nobody has any more 0123456789').seal(seed)},
          totp_enabled_at = now() WHERE id = ${unreadable.id}`,
    );
    clock += 30_000;
    expect((await login(user.email, totpCode(seed, totpStep(clock)))).statusCode).toBe(200);

    const box = totpSecretBox([SECRETS_KEY], JWT_SECRET);
    const logger = createLogger('test', 'silent');
    expect(await resealTotpSeeds(db, box, logger)).toEqual({ resealed: 1, unreadable: 1 });
    expect(await resealTotpSeeds(db, box, logger)).toEqual({ resealed: 0, unreadable: 1 });
    const [row] = await queryRows<{ s: string }>(
      db,
      sql`SELECT totp_secret AS s FROM users WHERE id = ${user.id}`,
    );
    expect(totpSecretBox([SECRETS_KEY]).open(row!.s)).toBe(seed);
    expect(createSecretBox(JWT_SECRET).open(row!.s)).toBeUndefined();

    // JWT_SECRET replaced (every session ends): the second factor still works.
    const renewed = testServer(db, {
      jwtSecret: 'a-new-jwt-secret-0123456789abcdefghijklmnopqrstuv',
      now: () => clock,
    });
    try {
      clock += 30_000;
      const answer = await renewed.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: user.email, password: PASSWORD, code: totpCode(seed, totpStep(clock)) },
      });
      expect(answer.statusCode).toBe(200);
    } finally {
      await renewed.close();
    }
  });

  it('API keys cannot enrol or disable; bad input is a 400', async () => {
    const user = await signup(app);
    const key = await app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: user.bearer,
      payload: { name: 'k', scope: 'write' },
    });
    const withKey = { authorization: `Bearer ${key.json().key}` };
    expect(
      (await app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: withKey })).statusCode,
    ).toBe(403);
    const malformed = await sendRawJson(app, 'POST', '/api/auth/totp/enable', user, '{"code": ');
    expect(malformed.statusCode).toBe(400);
    const noSetup = await app.inject({
      method: 'POST',
      url: '/api/auth/totp/enable',
      headers: user.bearer,
      payload: { code: '123456' },
    });
    expect(noSetup.statusCode).toBe(400);
    expect(noSetup.json().error.message).toMatch(/^body\/code has no enrolment to confirm/);
    const typed = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: user.email, password: PASSWORD, code: 123456 },
    });
    expect(typed.statusCode).toBe(400);
  });
});
