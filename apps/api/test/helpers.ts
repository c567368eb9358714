import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { type Config, loadConfig } from '@better-uptime/config';
import type { Database } from '@better-uptime/db';
import { createTestDatabase, type TestDatabase } from '@better-uptime/testing';
import { buildServer, type ServerDeps } from '../src/server.js';

export const JWT_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    REGIONS: 'usa,india',
    DATA_DIR: '/nonexistent-data-dir',
    ...env,
  });
}

/** Dependencies to replace in a test server, and environment variables for its config. */
export type TestServerOverrides = Partial<ServerDeps> & { env?: Record<string, string> };

export function testServer(db: Database, overrides: TestServerOverrides = {}) {
  const { env, ...deps } = overrides;
  return buildServer({ db, config: testConfig(env), jwtSecret: JWT_SECRET, ...deps });
}

export type TestServer = ReturnType<typeof testServer>;

/** What an API suite runs against: a fresh migrated PostgreSQL database and a ready server on it. */
export interface TestApi {
  testDb: TestDatabase;
  app: TestServer;
}

/** Opens a TestApi, for a suite's beforeAll; stopTestApi closes it. */
export async function startTestApi(overrides: TestServerOverrides = {}): Promise<TestApi> {
  const testDb = await createTestDatabase();
  try {
    const app = testServer(testDb.handle.db, overrides);
    await app.ready();
    return { testDb, app };
  } catch (error) {
    await testDb.drop();
    throw error;
  }
}

/** Closes the server, then drops its database; either is missing when the suite's start-up failed. */
export async function stopTestApi({ app, testDb }: Partial<TestApi>): Promise<void> {
  await app?.close();
  await testDb?.drop();
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
  csrfToken: string;
  /** The Cookie header value a browser would send. */
  cookie: string;
  bearer: { authorization: string };
}

let userCounter = 0;

export async function signup(
  app: TestServer,
  email = `user${++userCounter}-${Date.now()}@example.test`,
): Promise<TestUser> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { email, password: 'correct horse battery', name: 'Test User' },
  });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return {
    id: body.user.id,
    email,
    token: body.token,
    csrfToken: body.csrfToken,
    cookie: cookieHeader(res),
    bearer: { authorization: `Bearer ${body.token}` },
  };
}

/** The Cookie header for the cookies a response set. */
export function cookieHeader(res: LightMyRequestResponse): string {
  return (res.cookies as Array<{ name: string; value: string }>)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

export async function createMonitor(app: TestServer, user: TestUser, body: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/monitor',
    headers: user.bearer,
    payload: { url: 'https://example.com/health', ...body },
  });
  if (res.statusCode !== 201) throw new Error(`create monitor failed: ${res.statusCode} ${res.body}`);
  return res.json().monitor as Record<string, unknown> & { id: string };
}

export interface CheckRow {
  monitorId: string;
  region?: string;
  scheduledAt: string | Date;
  status?: 'Up' | 'Down';
  responseTimeMs?: number;
  statusCode?: number | null;
  reason?: string | null;
}

/** Results are written by workers; tests put them in directly. */
export async function insertChecks(db: Database, rows: readonly CheckRow[]): Promise<void> {
  for (const r of rows) {
    const at = typeof r.scheduledAt === 'string' ? r.scheduledAt : r.scheduledAt.toISOString();
    await db.execute(sql`INSERT INTO check_results
      (monitor_id, region, scheduled_at, checked_at, status, response_time_ms, status_code, reason, message,
       dns_ms, connect_ms, tls_ms, first_byte_ms)
      VALUES (${r.monitorId}, ${r.region ?? 'usa'}, ${at}::timestamptz, ${at}::timestamptz + interval '15 ms',
        ${r.status ?? 'Up'}, ${r.responseTimeMs ?? 42}, ${r.statusCode === undefined ? 200 : r.statusCode},
        ${r.reason ?? null}, ${r.reason ? 'failed: ' + r.reason : null}, 1, 2, 3, 30)`);
  }
}

export const NOT_FOUND_MONITOR = { error: { code: 'not_found', message: 'Monitor not found' } };
