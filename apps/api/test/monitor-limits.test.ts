import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { databaseVariants } from '@better-uptime/testing';
import { createMonitor, signup, testServer, type TestServer, type TestUser } from './helpers.js';

/** Issue 17: the per-user monitor quota, the timeout that fits its interval, the per-user write limit. */
describe.each(databaseVariants())('monitor limits on $name', (variant) => {
  let app: TestServer;
  let drop: () => Promise<void>;
  let count: (userId: string) => Promise<number>;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    if (!variant.available) return;
    const created = await variant.create();
    drop = created.drop;
    const db = created.handle.db;
    app = serverWith({ MAX_MONITORS_PER_USER: '5' });
    count = async (userId) =>
      (
        await queryRows<{ n: number }>(
          db,
          sql`SELECT count(*)::int AS n FROM monitors WHERE user_id = ${userId}`,
        )
      )[0]!.n;

    function serverWith(env: Record<string, string>): TestServer {
      const server = testServer(db, { env });
      servers.push(server);
      return server;
    }
    limitedServer = serverWith;
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await drop?.();
  });
  let limitedServer: (env: Record<string, string>) => TestServer;

  const post = (server: TestServer, user: TestUser, payload: Record<string, unknown>) =>
    server.inject({ method: 'POST', url: '/api/monitor', headers: user.bearer, payload });

  describe.skipIf(!variant.available)('', () => {
    it('refuses a monitor beyond MAX_MONITORS_PER_USER with 403 quota_exceeded, even to concurrent creates', async () => {
      const user = await signup(app);
      const other = await signup(app);
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => post(app, user, { url: `https://example.com/${i}` })),
      );
      const codes = answers.map((res) => res.statusCode).sort();
      expect(codes).toEqual([...Array(5).fill(201), ...Array(7).fill(403)]);
      const refused = answers.find((res) => res.statusCode === 403)!.json();
      expect(refused).toEqual({
        error: { code: 'quota_exceeded', message: expect.stringContaining('MAX_MONITORS_PER_USER') },
      });
      expect(await count(user.id)).toBe(5);
      // Another user's quota is their own; a delete makes room again.
      await createMonitor(app, other);
      const first = answers.find((res) => res.statusCode === 201)!.json().monitor.id as string;
      expect(
        (await app.inject({ method: 'DELETE', url: `/api/monitor/${first}`, headers: user.bearer }))
          .statusCode,
      ).toBe(204);
      expect((await post(app, user, { url: 'https://example.com/again' })).statusCode).toBe(201);
    });

    it('takes MAX_MONITORS_PER_USER=0 as no limit', async () => {
      const unlimited = limitedServer({ MAX_MONITORS_PER_USER: '0' });
      const user = await signup(unlimited);
      for (let i = 0; i < 7; i++) await createMonitor(unlimited, user);
      expect(await count(user.id)).toBe(7);
    });

    it('keeps the timeout 5 s inside the interval, naming the field that breaks it', async () => {
      const user = await signup(app);
      const tooLong = await post(app, user, {
        url: 'https://example.com',
        intervalSeconds: 30,
        timeoutMs: 25_001,
      });
      expect(tooLong.statusCode).toBe(400);
      expect(tooLong.json().error.message).toMatch(/^body\/timeoutMs must be at most 25000/);
      // Unset, the timeout defaults to what the interval allows.
      const short = await createMonitor(app, user, { intervalSeconds: 30 });
      expect(short.timeoutMs).toBe(25_000);
      const long = await createMonitor(app, user, { intervalSeconds: 60, timeoutMs: 55_000 });

      const put = (id: string, payload: Record<string, unknown>) =>
        app.inject({ method: 'PUT', url: `/api/monitor/${id}`, headers: user.bearer, payload });
      const shorter = await put(long.id, { intervalSeconds: 45 });
      expect(shorter.statusCode).toBe(400);
      expect(shorter.json().error.message).toMatch(/^body\/intervalSeconds must be at least 60/);
      const raised = await put(short.id, { timeoutMs: 26_000 });
      expect(raised.statusCode).toBe(400);
      expect(raised.json().error.message).toMatch(/^body\/timeoutMs must be at most 25000/);
      // Both at once, consistently: accepted.
      const both = await put(long.id, { intervalSeconds: 45, timeoutMs: 40_000 });
      expect(both.statusCode).toBe(200);
      expect(both.json().monitor).toMatchObject({ intervalSeconds: 45, timeoutMs: 40_000 });
    });

    it('rate-limits monitor writes per user with 429 and Retry-After', async () => {
      const limited = limitedServer({ MONITOR_WRITES_PER_MINUTE: '3', MAX_MONITORS_PER_USER: '0' });
      const user = await signup(limited);
      const other = await signup(limited);
      const monitor = await createMonitor(limited, user);
      const rename = (name: string) =>
        limited.inject({
          method: 'PUT',
          url: `/api/monitor/${monitor.id}`,
          headers: user.bearer,
          payload: { name },
        });
      expect((await rename('a')).statusCode).toBe(200);
      expect((await rename('b')).statusCode).toBe(200);
      const refused = await rename('c');
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      // Creates and deletes count too; reads do not; another user is not affected.
      expect((await post(limited, user, { url: 'https://example.com' })).statusCode).toBe(429);
      expect(
        (await limited.inject({ method: 'DELETE', url: `/api/monitor/${monitor.id}`, headers: user.bearer }))
          .statusCode,
      ).toBe(429);
      expect(
        (
          await limited.inject({ method: 'GET', url: `/api/monitor/${monitor.id}`, headers: user.bearer })
        ).json().monitor.name,
      ).toBe('b');
      expect((await post(limited, other, { url: 'https://example.com' })).statusCode).toBe(201);
    });
  });
});
