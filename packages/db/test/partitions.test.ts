import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  postgresAvailable,
  seedMonitor,
  seedUser,
  type TestDatabase,
} from '@better-uptime/testing';
import { ensureResultPartitions, partitionName, queryRows, type Database } from '../src/index.js';

const DAY = 86_400_000;

async function partitionOf(db: Database, monitorId: string, at: Date): Promise<string | undefined> {
  const [row] = await queryRows<{ part: string }>(
    db,
    sql`SELECT tableoid::regclass::text AS part FROM check_results WHERE monitor_id = ${monitorId} AND scheduled_at = ${at.toISOString()}`,
  );
  return row?.part;
}

describe.skipIf(!postgresAvailable())('result partitions (PostgreSQL)', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => testDb?.drop());

  it('migration made daily partitions around today', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const rows = await queryRows<{ name: string }>(
      testDb.handle.db,
      sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'check_results'::regclass`,
    );
    const names = rows.map((r) => r.name);
    expect(names).toContain(partitionName(today));
    expect(names).toContain(partitionName(today + 3 * DAY));
    expect(names).toContain('check_results_default');
  });

  it('keeps a far-future result in the default partition and moves it when its day gets a partition', async () => {
    const db = testDb.handle.db;
    const monitorId = await seedMonitor(db, await seedUser(db));
    const future = new Date(Date.now() + 40 * DAY);
    await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
      VALUES (${monitorId}, 'usa', ${future.toISOString()}, now(), 'Up', 12)`);
    expect(await partitionOf(db, monitorId, future)).toBe('check_results_default');

    const created = await ensureResultPartitions(db, { now: future.getTime(), daysBehind: 0, daysAhead: 0 });
    expect(created).toEqual([partitionName(Math.floor(future.getTime() / DAY) * DAY)]);
    expect(await partitionOf(db, monitorId, future)).toBe(created[0]);
    // A second run has nothing to do.
    expect(await ensureResultPartitions(db, { now: future.getTime(), daysBehind: 0, daysAhead: 0 })).toEqual(
      [],
    );
  });

  it('deleting a monitor deletes its results', async () => {
    const db = testDb.handle.db;
    const monitorId = await seedMonitor(db, await seedUser(db));
    await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
      VALUES (${monitorId}, 'usa', now(), now(), 'Up', 5)`);
    await db.execute(sql`DELETE FROM monitors WHERE id = ${monitorId}`);
    const rows = await queryRows(db, sql`SELECT 1 FROM check_results WHERE monitor_id = ${monitorId}`);
    expect(rows).toHaveLength(0);
  });

  it('the primary key makes a repeated slot a no-op with ON CONFLICT DO NOTHING', async () => {
    const db = testDb.handle.db;
    const monitorId = await seedMonitor(db, await seedUser(db));
    const at = new Date().toISOString();
    for (let i = 0; i < 2; i++) {
      await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
        VALUES (${monitorId}, 'usa', ${at}, now(), 'Up', 5) ON CONFLICT DO NOTHING`);
    }
    const rows = await queryRows(db, sql`SELECT 1 FROM check_results WHERE monitor_id = ${monitorId}`);
    expect(rows).toHaveLength(1);
  });
});
