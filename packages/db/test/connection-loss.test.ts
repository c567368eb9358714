import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '@better-uptime/db';
import {
  createTestDatabase,
  postgresAvailable,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
} from '@better-uptime/testing';

/**
 * A PostgreSQL connection that dies while the application holds it between statements (inside a
 * transaction) must fail that transaction, not the process: node-postgres emits 'error' on such a client,
 * and an 'error' event without a listener ends a Node process. A worker did exactly that when the
 * network to its database was cut, losing the tasks it held until they were reclaimed.
 */
describe.skipIf(!postgresAvailable())('losing a connection held between statements', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let handle: DatabaseHandle;
  const poolErrors: Error[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase(1);
    proxy = await startTcpProxy(Number(new URL(testDb.url).port || 5432));
    const proxied = new URL(testDb.url);
    proxied.port = String(proxy.port);
    handle = await openDatabase({
      databaseUrl: proxied.href,
      poolSize: 2,
      onPoolError: (error) => poolErrors.push(error),
    });
  });
  afterAll(async () => {
    await handle?.close();
    await proxy?.close();
    await testDb?.drop();
  });

  const one = async () => (await queryRows<{ one: number }>(handle.db, sql`SELECT 1 AS one`))[0]!.one;

  it('fails the transaction, keeps the process, and works again once the database is back', async () => {
    expect(await one()).toBe(1);
    const transaction = handle.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT 1`);
      // The connection is cut while this transaction holds it and runs nothing.
      await proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await tx.execute(sql`SELECT 2`);
    });
    await expect(transaction).rejects.toThrow();
    await proxy.restore();
    expect(await one()).toBe(1);
  });

  it('reports an idle connection’s failure without the connection object attached', async () => {
    poolErrors.length = 0;
    expect(await one()).toBe(1);
    await proxy.cut();
    await expect.poll(() => poolErrors.length).toBeGreaterThan(0);
    await proxy.restore();
    expect(poolErrors[0]!.message).toMatch(/terminated/i);
    expect('client' in poolErrors[0]!).toBe(false);
    expect(await one()).toBe(1);
  });
});
