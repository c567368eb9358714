import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@better-uptime/config';
import {
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@better-uptime/testing';
import type { RedisClient } from '../src/rate-limit.js';
import { signup, startTestApi, stopTestApi, testServer, type TestServer } from './helpers.js';

const PASSWORD = 'correct horse battery';

describe('TRUST_PROXY', () => {
  const read = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;

  it('takes true/false, a hop count, or a list of proxy addresses and CIDR ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(read('true')).toBe(true);
    expect(read('false')).toBe(false);
    expect(read('0')).toBe(false);
    expect(read('1')).toBe(1);
    expect(read('2')).toBe(2);
    expect(read('10.0.0.0/8, 192.168.1.5,fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    expect(read('loopback,uniquelocal')).toEqual(['loopback', 'uniquelocal']);
  });

  it.each(['maybe', '10.0.0.0/33', '10.0.0/8', '1.2.3.4,', 'fd00::/129', '33', '-1'])(
    'refuses %j',
    (value) => {
      expect(() => read(value)).toThrow(ConfigError);
      expect(() => read(value)).toThrow(/^TRUST_PROXY must be/);
    },
  );
});

describe.skipIf(!postgresAvailable())('rate limits key on the right address (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi());
    await signup(app, 'victim@example.com');
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const login = (
    server: TestServer,
    headers: Record<string, string>,
    remoteAddress: string,
    email = 'x@example.com',
  ) =>
    server.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress,
      headers,
      payload: { email, password: 'not the password' },
    });

  it('TRUST_PROXY=1: rotating X-Forwarded-For does not escape the limit; another client behind the proxy has its own', async () => {
    const server = testServer(testDb.handle.db, {
      env: { TRUST_PROXY: '1', AUTH_RATE_LIMIT_PER_MINUTE: '3' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await login(server, { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` }, '10.0.0.1');
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const other = await login(server, { 'x-forwarded-for': '203.0.113.10' }, '10.0.0.1');
    expect(other.statusCode).toBe(401);
    await server.close();
  });

  it('TRUST_PROXY=<CIDR list>: the right-most address outside the list is the client', async () => {
    const server = testServer(testDb.handle.db, {
      env: { TRUST_PROXY: '10.0.0.0/8', AUTH_RATE_LIMIT_PER_MINUTE: '2' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await login(
        server,
        { 'x-forwarded-for': `192.0.2.${i}, 198.51.100.7, 10.1.2.3` },
        '10.0.0.1',
      );
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
    // A request straight from an untrusted address is keyed on that address, whatever it forwards.
    const direct = await login(server, { 'x-forwarded-for': '198.51.100.8' }, '203.0.113.50');
    expect(direct.statusCode).toBe(401);
    await server.close();
  });

  it('TRUST_PROXY=true: the left-most (client-written) address is not what limits count', async () => {
    const server = testServer(testDb.handle.db, {
      env: { TRUST_PROXY: 'true', AUTH_RATE_LIMIT_PER_MINUTE: '2' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await login(server, { 'x-forwarded-for': `192.0.2.${i}, 198.51.100.7` }, '10.0.0.1');
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
    await server.close();
  });

  it('limits sign-in attempts per account from any number of addresses, in any spelling of the email', async () => {
    const server = testServer(testDb.handle.db, { env: { AUTH_ACCOUNT_RATE_LIMIT_PER_HOUR: '3' } });
    const spellings = [
      'victim@example.com',
      'VICTIM@example.com',
      'victim@example.com.',
      'Victim@Example.com',
    ];
    const statuses: number[] = [];
    for (let i = 0; i < spellings.length; i++) {
      const res = await login(server, {}, `198.51.100.${i + 20}`, spellings[i]);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(3000);
        expect(res.json()).toEqual({
          error: { code: 'rate_limited', message: 'Too many sign-in attempts for this account; retry later' },
        });
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Even the right password waits; other accounts are not affected.
    const right = await server.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '198.51.100.99',
      payload: { email: 'victim@example.com', password: PASSWORD },
    });
    expect(right.statusCode).toBe(429);
    expect((await login(server, {}, '198.51.100.30', 'someone-else@example.com')).statusCode).toBe(401);
    await server.close();
  });
});

describe.skipIf(!postgresAvailable() || !redisAvailable())(
  'rate limits shared through Redis (PostgreSQL, Redis)',
  () => {
    let testDb: TestDatabase;
    let app: TestServer;
    let redis: RedisClient;
    const namespace = `${redisTestPrefix()}rate-limit:`;

    beforeAll(async () => {
      ({ testDb, app } = await startTestApi());
      redis = createClient({ url: TEST_REDIS_URL });
      await redis.connect();
    });
    afterAll(async () => {
      if (redis?.isOpen) {
        const keys = await redis.keys(`${namespace}*`);
        if (keys.length > 0) await redis.del(keys);
        await redis.close();
      }
      await stopTestApi({ app, testDb });
    });

    it('two API processes share one address’s and one account’s counters', async () => {
      const env = { AUTH_RATE_LIMIT_PER_MINUTE: '4', AUTH_ACCOUNT_RATE_LIMIT_PER_HOUR: '100' };
      const servers = [0, 1].map(() =>
        testServer(testDb.handle.db, { env, rateLimitRedis: { client: redis, namespace } }),
      );
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await servers[i % 2]!.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: '198.51.100.200',
          payload: { email: `shared${i}@example.com`, password: 'not the password' },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      expect((await redis.keys(`${namespace}*`)).length).toBeGreaterThan(0);

      const accountEnv = { AUTH_RATE_LIMIT_PER_MINUTE: '1000', AUTH_ACCOUNT_RATE_LIMIT_PER_HOUR: '2' };
      const pair = [0, 1].map(() =>
        testServer(testDb.handle.db, { env: accountEnv, rateLimitRedis: { client: redis, namespace } }),
      );
      const perAccount: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await pair[i % 2]!.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: `198.51.100.${i + 210}`,
          payload: { email: 'target@example.com', password: 'not the password' },
        });
        perAccount.push(res.statusCode);
      }
      expect(perAccount).toEqual([401, 401, 429]);
      // No email address in Redis: accounts are keyed by a hash.
      expect((await redis.keys(`${namespace}*`)).join(' ')).not.toContain('@');
      await Promise.all([...servers, ...pair].map((s) => s.close()));
    });

    it('while Redis does not answer, each process still counts on its own', async () => {
      const dead = createClient({
        url: 'redis://127.0.0.1:1',
        disableOfflineQueue: true,
        socket: { reconnectStrategy: false },
      });
      dead.on('error', () => undefined);
      await dead.connect().catch(() => undefined);
      const server = testServer(testDb.handle.db, {
        env: { AUTH_RATE_LIMIT_PER_MINUTE: '2' },
        rateLimitRedis: { client: dead, namespace },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await server.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: '198.51.100.250',
          payload: { email: 'down@example.com', password: 'not the password' },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([401, 401, 429]);
      await server.close();
    });
  },
);
