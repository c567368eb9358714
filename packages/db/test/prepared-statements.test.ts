import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  databaseVariants,
  postgresAvailable,
  type TestDatabase,
} from '@better-uptime/testing';
import { type DatabaseHandle, queryRows } from '../src/index.js';

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
