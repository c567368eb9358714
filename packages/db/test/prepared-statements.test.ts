import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  databaseVariants,
  postgresAvailable,
  resultRow,
  seedMonitor,
  seedUser,
  type TestDatabase,
} from '@better-uptime/testing';
import {
  cachesPlans,
  type DatabaseHandle,
  ensureResultPartitions,
  insertResults,
  queryRows,
  resultQueries,
} from '../src/index.js';

/**
 * `queryRows(..., { prepared: true })`: a named statement on the server PostgreSQL (parsed once per
 * connection), the same rows as unnamed everywhere, the transaction's own connection inside one, and a
 * bounded number of statements however many texts callers pass.
 */

const squares = (n: number) => sql`SELECT g AS n, g * g AS square FROM generate_series(1, ${n}::int) AS g`;

for (const variant of databaseVariants()) {
  describe.skipIf(!variant.available)(`prepared queries on ${variant.name}`, () => {
    let database: Awaited<ReturnType<typeof variant.create>>;
    let handle: DatabaseHandle;

    beforeAll(async () => {
      database = await variant.create();
      handle = database.handle;
    });
    afterAll(() => database?.drop());

    it('says whether plans are cached: on the server, not in PGlite', () => {
      expect(cachesPlans(handle.db)).toBe(variant.name === 'postgres');
    });

    it('gives the same rows as the unnamed query, with each call its own values', async () => {
      for (const n of [3, 1, 5]) {
        const prepared = await queryRows<{ n: number; square: number }>(handle.db, squares(n), {
          prepared: true,
        });
        expect(prepared).toEqual(await queryRows(handle.db, squares(n)));
        expect(prepared.map((row) => Number(row.square))).toEqual(
          Array.from({ length: n }, (_, i) => (i + 1) ** 2),
        );
      }
    });

    it('runs inside a transaction on its connection, seeing what the transaction wrote', async () => {
      await queryRows(handle.db, sql`CREATE TABLE prepared_probe (id int PRIMARY KEY)`);
      const seen = await handle.db.transaction(async (tx) => {
        await queryRows(tx, sql`INSERT INTO prepared_probe VALUES (${7}::int)`);
        return queryRows<{ id: number }>(tx, sql`SELECT id FROM prepared_probe WHERE id = ${7}::int`, {
          prepared: true,
        });
      });
      expect(seen).toEqual([{ id: 7 }]);
    });

    it('reports a failing prepared query as the query error it is, and the next call still works', async () => {
      const failing = sql`SELECT 1 / ${0}::int AS x`;
      // Wrapped as drizzle wraps every failed query, with the server's error as its cause.
      const error = (await queryRows(handle.db, failing, { prepared: true }).catch(
        (e: unknown) => e,
      )) as Error;
      expect(error).toBeInstanceOf(Error);
      expect((error.cause as Error | undefined)?.message).toMatch(/division by zero/);
      await expect(queryRows(handle.db, squares(2), { prepared: true })).resolves.toHaveLength(2);
    });
  });
}

describe.skipIf(!postgresAvailable())('prepared statements on the PostgreSQL server', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    // One pooled connection, so the statements this test prepares are visible to its own queries.
    database = await createTestDatabase(1);
  });
  afterAll(() => database?.drop());

  const preparedOnConnection = () =>
    queryRows<{ name: string; statement: string }>(
      database.handle.db,
      sql`SELECT name, statement FROM pg_prepared_statements ORDER BY name`,
    );

  it('parses the statement once per connection and reuses it by name', async () => {
    for (let i = 0; i < 3; i++) await queryRows(database.handle.db, squares(4), { prepared: true });
    const statements = await preparedOnConnection();
    const ours = statements.filter((s) => s.statement.includes('generate_series(1, $1::int)'));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.name).toMatch(/^better_uptime_\d+$/);
  });

  it('keeps one generic plan for the default checks page, pruned when it runs, and none for filtered pages', async () => {
    const db = database.handle.db;
    const userId = await seedUser(db);
    const monitorId = await seedMonitor(db, userId, { paused: true });
    const now = Date.now();
    await ensureResultPartitions(db, { now, daysBehind: 3, daysAhead: 1 });
    const rows = [];
    for (let at = now - 3 * 86_400_000; at < now; at += 600_000) rows.push(resultRow(monitorId, at));
    expect(await insertResults(db, rows)).toBe(rows.length);
    const page = { limit: 20, cachedPlan: true };
    for (let i = 0; i < 8; i++) {
      const checks = await resultQueries.listOwnChecks(db, { userId, monitorId }, page);
      expect(checks).toHaveLength(20);
      expect(Date.parse(checks![0]!.scheduledAt)).toBe(rows.at(-1)!.scheduledAt.getTime());
    }
    await resultQueries.listOwnChecks(db, { userId, monitorId }, { ...page, filter: { region: 'usa' } });
    const statements = await queryRows<{ statement: string; generic_plans: number }>(
      db,
      sql`SELECT statement, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%check_results%'`,
    );
    // Five custom plans first, then PostgreSQL settles on the generic one: the LIMIT is a literal.
    expect(statements).toHaveLength(1);
    expect(statements[0]!.statement).toContain('now() - interval');
    expect(Number(statements[0]!.generic_plans)).toBeGreaterThanOrEqual(3);
  });

  // Last: it uses up this process's statement names.
  it('keeps the number of named statements bounded when callers pass ever new texts', async () => {
    for (let i = 0; i < 260; i++) {
      const [row] = await queryRows<{ k: number }>(
        database.handle.db,
        sql`SELECT ${sql.raw(String(i))}::int + ${1}::int AS k`,
        { prepared: true },
      );
      expect(Number(row!.k)).toBe(i + 1);
    }
    const statements = await preparedOnConnection();
    expect(statements.length).toBeGreaterThan(100);
    expect(statements.length).toBeLessThanOrEqual(200);
  });
});
