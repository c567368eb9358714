import { type SQL, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { type Config, createLogger, loadConfig } from '@better-uptime/config';
import { type Database, queryRows, type ResultRow } from '@better-uptime/db';
import { recordResults } from '@better-uptime/incidents';
import { createTestDatabase, type TestDatabase } from '@better-uptime/testing';
import { buildServer, type ServerDeps } from '../src/server.js';

export const JWT_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
/** The key channel secrets are sealed with in API tests (SECRETS_KEY). */
export const SECRETS_KEY = 'api-test-secrets-key-0123456789abcdefghijklmnop';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    MONITOR_WRITES_PER_MINUTE: '100000',
    REGIONS: 'usa,india',
    DATA_DIR: '/nonexistent-data-dir',
    ...env,
  });
}

/** Dependencies to replace in a test server, and environment variables for its config. */
export type TestServerOverrides = Partial<ServerDeps> & { env?: Record<string, string> };

export function testServer(db: Database, overrides: TestServerOverrides = {}) {
  const { env, ...deps } = overrides;
  return buildServer({
    db,
    config: testConfig(env),
    jwtSecret: JWT_SECRET,
    secretsKeys: [SECRETS_KEY],
    ...deps,
  });
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

/**
 * Results as a worker writes them: stored with the region states, monitor states and incidents they
 * cause (recordResults), for the regions of testConfig.
 */
export async function recordChecks(db: Database, rows: readonly CheckRow[]): Promise<void> {
  await recordResults(
    db,
    rows.map((r) => {
      const scheduledAt = new Date(r.scheduledAt);
      return {
        monitorId: r.monitorId,
        region: r.region ?? 'usa',
        scheduledAt,
        checkedAt: new Date(scheduledAt.getTime() + 15),
        status: r.status ?? 'Up',
        responseTimeMs: r.responseTimeMs ?? 42,
        statusCode: r.statusCode === undefined ? 200 : r.statusCode,
        reason: (r.reason ?? null) as ResultRow['reason'],
        message: r.reason ? 'failed: ' + r.reason : null,
        dnsMs: 1,
        connectMs: 2,
        tlsMs: 3,
        firstByteMs: 30,
        certExpiresAt: null,
      };
    }),
    { regions: testConfig().regions, logger: createLogger('test', 'silent') },
  );
}

export const NOT_FOUND_MONITOR = { error: { code: 'not_found', message: 'Monitor not found' } };

/** The tables that can hold a user's rows: those with `user_id` or `monitor_id`, and users and monitors. */
async function ownerTables(db: Database): Promise<Array<{ name: string; columns: string[] }>> {
  return queryRows<{ name: string; columns: string[] }>(
    db,
    sql`SELECT c.relname AS name, array_agg(a.attname::text ORDER BY a.attname) AS columns
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND (a.attname IN ('user_id', 'monitor_id') OR (c.relname IN ('users', 'monitors') AND a.attname = 'id'))
        GROUP BY c.relname ORDER BY c.relname`,
  );
}

/** One SELECT of ("table", row as JSON text) over every owner table, for the user and the monitor ids. */
function ownedRowsQuery(tables: Array<{ name: string; columns: string[] }>, userId: string, monitorIds: SQL) {
  const selects = tables.map(({ name, columns }) => {
    const conditions = columns.map((column) =>
      column === 'user_id' || (name === 'users' && column === 'id')
        ? sql`${sql.identifier(column)} = ${userId}`
        : sql`${sql.identifier(column)} IN (${monitorIds})`,
    );
    return sql`SELECT ${name}::text AS "table", row_to_json(t)::text AS row FROM ${sql.identifier(name)} t
               WHERE ${sql.join(conditions, sql` OR `)}`;
  });
  return sql.join(selects, sql` UNION ALL `);
}

/**
 * Every row the user owns, table by table, as JSON text in a stable order: rows with the user's id in
 * `user_id` (or `id` of users), or one of `monitorIds` in `monitor_id` (or `id` of monitors). The tables
 * are found in the catalog, so a table added later is covered without changing this. Pass the monitor ids
 * taken earlier to find rows left behind by monitors that are gone; by default, the user's monitors now.
 */
export async function ownedRows(
  db: Database,
  userId: string,
  monitorIds?: readonly string[],
): Promise<Record<string, string[]>> {
  const tables = await ownerTables(db);
  const ids =
    monitorIds === undefined
      ? sql`SELECT id FROM monitors WHERE user_id = ${userId}`
      : sql`SELECT unnest(${sql.param([...monitorIds])}::uuid[])`;
  const rows = await queryRows<{ table: string; row: string }>(
    db,
    sql`${ownedRowsQuery(tables, userId, ids)} ORDER BY 1, 2`,
  );
  const owned: Record<string, string[]> = Object.fromEntries(tables.map((t) => [t.name, []]));
  for (const { table, row } of rows) owned[table]!.push(row);
  return owned;
}

/**
 * A digest of everything the user owns now (as ownedRows finds it), in one round trip: for suites that
 * check thousands of refused requests changed nothing. The tables are looked up once, when it is made.
 */
export async function ownedDigest(db: Database, userId: string): Promise<() => Promise<string>> {
  const query = ownedRowsQuery(
    await ownerTables(db),
    userId,
    sql`SELECT id FROM monitors WHERE user_id = ${userId}`,
  );
  return async () => {
    const [row] = await queryRows<{ digest: string | null }>(
      db,
      sql`SELECT md5(string_agg("table" || ' ' || row, E'\n' ORDER BY "table", row)) AS digest FROM (${query}) owned`,
    );
    return row?.digest ?? '';
  };
}
