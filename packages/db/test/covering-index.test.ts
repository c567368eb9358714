import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { databaseVariants, seedMonitor, seedUser } from '@better-uptime/testing';
import { type Database, queryRows, statsQueries } from '../src/index.js';

const DAY = 86_400_000;

/** Every scan node of a plan (EXPLAIN FORMAT JSON), with the relation it reads. */
function scans(plan: unknown, found: { type: string; relation: string }[] = []) {
  const node = plan as { 'Node Type'?: string; 'Relation Name'?: string; Plans?: unknown[] };
  if (node['Node Type']?.includes('Scan') && node['Relation Name']) {
    found.push({ type: node['Node Type'], relation: node['Relation Name'] });
  }
  for (const child of node.Plans ?? []) scans(child, found);
  return found;
}

/**
 * The plan the query gets when sequential and bitmap scans are ruled out, on a vacuumed table. If the
 * covering index lacked a column the query reads, the plan would be a plain index scan (a heap visit per
 * row) instead of an index-only scan. (enable_indexscan must stay on: it also governs index-only scans.)
 */
async function planWithoutHeapScans(db: Database, query: SQL) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    await tx.execute(sql`SET LOCAL enable_bitmapscan = off`);
    const [row] = await queryRows<{ 'QUERY PLAN': unknown }>(
      tx as unknown as Database,
      sql`EXPLAIN (FORMAT JSON) ${query}`,
    );
    const plan = row!['QUERY PLAN'];
    const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: unknown }[];
    return scans(parsed[0]!.Plan);
  });
}

for (const variant of databaseVariants()) {
  describe.skipIf(!variant.available)(`dashboard aggregates read the index alone (${variant.name})`, () => {
    it('uptime summary and response series over 30 days are index-only scans of check_results', async () => {
      const { handle, drop } = await variant.create();
      try {
        const db = handle.db;
        const userId = await seedUser(db);
        const monitorId = await seedMonitor(db, userId);
        const neighbourId = await seedMonitor(db, userId);
        const now = Date.now();
        // Two days of one-minute checks from two regions, interleaved with another monitor's, as a worker
        // writes them: enough rows for the planner to weigh the index against the table as it would in use.
        await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status,
          response_time_ms, status_code, dns_ms, connect_ms, tls_ms, first_byte_ms)
          SELECT m, r, t, t, 'Up', 20, 200, 1, 2, 3, 14
          FROM generate_series(now() - interval '2 days', now(), interval '1 minute') t
          CROSS JOIN unnest(ARRAY['usa', 'india']) r
          CROSS JOIN unnest(ARRAY[${monitorId}::uuid, ${neighbourId}::uuid]) m`);
        await db.execute(sql`VACUUM ANALYZE check_results`);
        const range = { from: new Date(now - 30 * DAY), to: new Date(now), bucketSeconds: 4 * 3_600 };

        for (const query of [
          statsQueries.regionSummariesQuery(monitorId, range),
          statsQueries.responseSeriesQuery(monitorId, range),
        ]) {
          const found = (await planWithoutHeapScans(db, query)).filter((scan) =>
            scan.relation.startsWith('check_results'),
          );
          expect(found.length).toBeGreaterThan(0);
          expect(new Set(found.map((scan) => scan.type))).toEqual(new Set(['Index Only Scan']));
        }

        // And the queries still answer from those rows.
        const summaries = await statsQueries.regionSummaries(db, monitorId, range);
        expect(summaries.map((s) => s.region)).toEqual(['india', 'usa']);
        expect(summaries[1]).toMatchObject({ region: 'usa', uptimePercent: 100, p50Ms: 20 });
        expect(summaries[1]!.checks).toBeGreaterThanOrEqual(2 * 24 * 60);
        const series = await statsQueries.responseSeries(db, monitorId, range);
        expect(series.length).toBeGreaterThanOrEqual(2 * 12);
        expect(series[0]).toMatchObject({ region: 'india', down: 0, avgMs: 20, firstByteMs: 14 });
      } finally {
        await drop();
      }
    });
  });
}
