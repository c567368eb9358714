import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCsrf } from '../src/auth/csrf.js';
import { resolveJwtSecret } from '../src/auth/secret.js';
import { createTokenService } from '../src/auth/tokens.js';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import { checkMonitorUrl } from '@better-uptime/checker';
import { isDateTime } from '../src/validation.js';

describe('monitor URL rules', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['HTTP://EXAMPLE.com:80/a b'.replace(' ', '%20'), 'http://example.com/a%20b'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
    ['http://[2001:db8::1]:8080/', 'http://[2001:db8::1]:8080/'],
    ['http://0x7f.1/', 'http://127.0.0.1/'],
    ['https://example.com./', 'https://example.com./'],
    ['https://single-label/', 'https://single-label/'],
  ])('accepts %s as %s', (raw, href) => {
    const result = checkMonitorUrl(raw);
    expect(result.ok && result.url.href).toBe(href);
  });

  it.each([
    ['javascript:alert(1)', 'must use http or https'],
    ['data:text/html,hi', 'must use http or https'],
    ['ws://example.com', 'must use http or https'],
    ['https://a:b@example.com', 'must not contain credentials'],
    ['https://:b@example.com', 'must not contain credentials'],
    ['https://example.com/\t', 'must not contain spaces'],
    ['https://exa\u0000mple.com', 'must not contain spaces'],
    ['https://', 'must be an absolute'],
    ['//example.com', 'must be an absolute'],
    ['https://exa%20mple.com', 'must be an absolute'],
    ['https://a.-b.com', 'must have a valid host'],
    ['https://example.123', 'must be an absolute'],
    [`https://${'a.'.repeat(127)}com`, 'must have a valid host'],
    [`https://example.com/${'ü'.repeat(400)}`, 'at most 2048 characters once normalised'],
  ])('rejects %s', (raw, problem) => {
    const result = checkMonitorUrl(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(problem);
  });
});

describe('cursors', () => {
  it('round-trip and reject anything else', () => {
    const cursor = encodeCursor({ t: '2030-01-01T00:00:00.000001Z', r: 'usa' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['t', 'r'], () => true)).toEqual({
      t: '2030-01-01T00:00:00.000001Z',
      r: 'usa',
    });
    for (const bad of ['', 'e30', encodeCursor({ t: 'x' }), encodeCursor({ t: 'x', r: 'y', z: 'w' })]) {
      expect(() => decodeCursor(bad, ['t', 'r'], () => true)).toThrow(
        'querystring/cursor is not a valid cursor',
      );
    }
    const numeric = Buffer.from('{"t":1,"r":"usa"}').toString('base64url');
    expect(() => decodeCursor(numeric, ['t', 'r'], () => true)).toThrow();
    expect(() => decodeCursor(cursor, ['t', 'r'], () => false)).toThrow();
  });
});

describe('date-times', () => {
  it.each([
    ['2030-01-31T12:00:00Z', true],
    ['2030-01-31T12:00:00.123456+05:30', true],
    ['2028-02-29T00:00:00z', true],
    ['2030-02-29T00:00:00Z', false],
    ['2030-01-31T24:00:00Z', false],
    ['2030-01-31 12:00:00Z', false],
    ['2030-01-31T12:00:00', false],
    ['2030-13-01T00:00:00Z', false],
  ])('%s -> %s', (value, valid) => {
    expect(isDateTime(value)).toBe(valid);
  });
});

describe('tokens and CSRF', () => {
  const secret = 'unit-test-secret-0123456789abcdefghij';
  const claims = {
    userId: '01900000-0000-7000-8000-000000000001',
    sessionId: '01900000-0000-7000-8000-000000000002',
  };

  it('round-trips genuine claims and refuses non-UUID subjects', async () => {
    const tokens = createTokenService(secret);
    const token = await tokens.sign(claims, new Date(Date.now() + 60_000));
    expect(await tokens.verify(token)).toEqual(claims);
    const odd = await tokens.sign({ ...claims, userId: "1' OR 1=1" }, new Date(Date.now() + 60_000));
    expect(await tokens.verify(odd)).toBeNull();
    expect(await tokens.verify('')).toBeNull();
  });

  it('remembers a verified token only until it expires, and never a forged one', async () => {
    let clock = Date.UTC(2031, 0, 10, 12);
    const tokens = createTokenService(secret, () => clock);
    const expiresAt = new Date(clock + 60_000);
    const token = await tokens.sign(claims, expiresAt);
    expect(await tokens.verify(token)).toEqual(claims);
    expect(await tokens.verify(token)).toEqual(claims); // from memory
    // Same payload, another signature: still refused although its twin is remembered.
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await tokens.verify(forged)).toBeNull();
    // Expiry as jose has it: valid up to the last millisecond before `exp`, refused from `exp` on.
    clock = expiresAt.getTime() - 1;
    expect(await tokens.verify(token)).toEqual(claims);
    clock = expiresAt.getTime();
    expect(await tokens.verify(token)).toBeNull();
    expect(await tokens.verify(token)).toBeNull();
    // A fresh service (no memory) agrees.
    expect(await createTokenService(secret, () => clock).verify(token)).toBeNull();
  });

  it('CSRF tokens are per session and per secret', () => {
    const csrf = createCsrf(secret);
    const token = csrf.tokenFor(claims.sessionId);
    expect(csrf.matches(claims.sessionId, token)).toBe(true);
    expect(csrf.matches(claims.userId, token)).toBe(false);
    expect(csrf.matches(claims.sessionId, undefined)).toBe(false);
    expect(csrf.matches(claims.sessionId, token.slice(1))).toBe(false);
    expect(createCsrf(secret + 'x').matches(claims.sessionId, token)).toBe(false);
  });
});

describe('JWT secret resolution', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uses JWT_SECRET when set, and writes nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bu-secret-'));
    const secret = await resolveJwtSecret({
      jwtSecret: 'configured-secret-0123456789',
      dataDir: dir,
      nodeEnv: 'development',
    });
    expect(secret).toBe('configured-secret-0123456789');
    await expect(stat(join(dir, 'jwt-secret'))).rejects.toThrow();
  });

  it('otherwise generates one, keeps it in <dataDir>/jwt-secret with mode 0600, and reuses it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bu-secret-'));
    const dataDir = join(dir, 'nested', 'data');
    const first = await resolveJwtSecret({ jwtSecret: undefined, dataDir, nodeEnv: 'development' });
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, 'jwt-secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first);
    expect(await resolveJwtSecret({ jwtSecret: undefined, dataDir, nodeEnv: 'development' })).toBe(first);
    // Concurrent first starts agree on one secret.
    const other = join(dir, 'race');
    const many = await Promise.all(
      Array.from({ length: 5 }, () =>
        resolveJwtSecret({ jwtSecret: undefined, dataDir: other, nodeEnv: 'test' }),
      ),
    );
    expect(new Set(many).size).toBe(1);
  });

  it('refuses a short stored secret, and production without JWT_SECRET', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bu-secret-'));
    await writeFile(join(dir, 'jwt-secret'), 'short\n');
    await expect(
      resolveJwtSecret({ jwtSecret: undefined, dataDir: dir, nodeEnv: 'development' }),
    ).rejects.toThrow('shorter than 32');
    await expect(
      resolveJwtSecret({ jwtSecret: undefined, dataDir: dir, nodeEnv: 'production' }),
    ).rejects.toThrow();
  });
});
