import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '@better-uptime/config';
import { databaseVariants, resultRow, seedMonitor, seedUser } from '@better-uptime/testing';
import {
  type Database,
  type DatabaseHandle,
  ensureResultPartitions,
  insertResults,
  newId,
  partitionName,
  queryRows,
  runMaintenance,
} from '../src/index.js';
import { DAY_MS, DEFAULT_PARTITION, listResultPartitions, startOfUtcDay } from '../src/partitions.js';

const HOUR = 3_600_000;

async function partitionNames(db: Database): Promise<string[]> {
  return (await listResultPartitions(db)).map((p) => p.name);
}

async function partitionOf(db: Database, monitorId: string, at: number): Promise<string | undefined> {
  const [row] = await queryRows<{ part: string }>(
    db,
    sql`SELECT tableoid::regclass::text AS part FROM check_results
        WHERE monitor_id = ${monitorId} AND scheduled_at = ${new Date(at).toISOString()}::timestamptz`,
  );
  return row?.part;
}

/** A logger that records its messages, for asserting what maintenance reported. */
function recordingLogger(): { logger: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (...args: unknown[]) => {
      const message = args.find((a): a is string => typeof a === 'string') ?? '';
      lines.push({ level, message });
    };
  const logger = { info: at('info'), warn: at('warn'), debug: at('debug') } as unknown as Logger;
  return { logger, lines };
}

const days = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i * DAY_MS);

describe.each(databaseVariants())('result maintenance on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let url: string | undefined;
  // Pinned to 13:00 UTC of the real day, so the migration's partitions (yesterday to 3 days ahead) line up.
  const now = startOfUtcDay(Date.now()) + 13 * HOUR;
  const today = startOfUtcDay(now);

  beforeEach(async () => {
    if (!variant.available) return;
    ({ handle, drop, url } = await variant.create());
  });
  afterEach(async () => drop?.());

  describe.skipIf(!variant.available)('partitions', () => {
    it('makes daily partitions from yesterday to daysAhead ahead, exactly one day each; a second run does nothing', async () => {
      const db = handle.db;
      const later = now + 30 * DAY_MS;
      const { logger, lines } = recordingLogger();
      const report = await runMaintenance(db, { now: later, retentionDays: 90, daysAhead: 3, logger });
      const expected = days(startOfUtcDay(later) - DAY_MS, 5);
      expect(report).toEqual({
        skipped: false,
        created: expected.map(partitionName),
        dropped: [],
        deferred: [],
        hoursRolled: 0,
        rollupsPurged: 0,
        movedFromDefault: 0,
        deletedFromDefault: 0,
        sessionsPurged: 0,
        eventsPurged: 0,
      });
      const byName = new Map((await listResultPartitions(db)).map((p) => [p.name, p]));
      for (const day of expected) {
        expect(byName.get(partitionName(day))).toEqual({
          name: partitionName(day),
          fromMs: day,
          toMs: day + DAY_MS,
        });
      }
      expect(
        lines.filter((l) => l.level === 'info' && l.message === 'result partition created'),
      ).toHaveLength(5);

      const again = await runMaintenance(db, { now: later, retentionDays: 90 });
      expect(again.created).toEqual([]);
      expect(again.dropped).toEqual([]);
    });

    it('drops whole partitions past retention with their rows; newer partitions and rows stay', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, await seedUser(db), { paused: true });
      await ensureResultPartitions(db, { now, daysBehind: 10, daysAhead: 3 });
      // One row at 12:00 of every day from 10 days ago to 3 days ahead.
      const noons = days(today - 10 * DAY_MS + 12 * HOUR, 14);
      expect(
        await insertResults(
          db,
          noons.map((at) => resultRow(monitorId, at)),
        ),
      ).toBe(14);

      const { logger, lines } = recordingLogger();
      const report = await runMaintenance(db, { now, retentionDays: 5, logger });
      // now − 5 days is 13:00 five days ago: the partitions ending at or before it go (days −10 … −6).
      const gone = days(today - 10 * DAY_MS, 5).map(partitionName);
      expect(report.dropped).toEqual(gone);
      expect(report.skipped).toBe(false);
      const left = await partitionNames(db);
      for (const name of gone) expect(left).not.toContain(name);
      for (const day of days(today - 5 * DAY_MS, 9)) expect(left).toContain(partitionName(day));
      expect(left).toContain(DEFAULT_PARTITION);

      const rows = await queryRows<{ at: string }>(
        db,
        sql`SELECT scheduled_at AS at FROM check_results WHERE monitor_id = ${monitorId} ORDER BY scheduled_at`,
      );
      // Day −5's partition ends after the cut-off, so it stays whole (its noon row is 1 h past retention).
      expect(rows.map((r) => new Date(r.at).getTime())).toEqual(noons.slice(5));
      expect(
        lines.filter((l) => l.level === 'info' && l.message === 'result partition past retention dropped'),
      ).toHaveLength(5);
    });

    it('never drops yesterday’s, today’s or a future partition, even with one day of retention', async () => {
      const db = handle.db;
      await ensureResultPartitions(db, { now, daysBehind: 3, daysAhead: 3 });
      const report = await runMaintenance(db, { now, retentionDays: 1 });
      expect(report.dropped).toEqual(days(today - 3 * DAY_MS, 2).map(partitionName));
      const left = await partitionNames(db);
      for (const day of days(today - DAY_MS, 5)) expect(left).toContain(partitionName(day));
    });

    it('refuses a retention below one day or not whole', async () => {
      for (const retentionDays of [0, -1, 1.5, Number.NaN]) {
        await expect(runMaintenance(handle.db, { now, retentionDays })).rejects.toThrow(RangeError);
      }
    });
  });

  describe.skipIf(!variant.available)('results without a partition', () => {
    it('stores results far in the past and future in the default partition, and moves them when their day gets one', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, await seedUser(db), { paused: true });
      const farPast = Date.parse('2019-03-01T10:00:00.000Z');
      const farFuture = now + 400 * DAY_MS;
      expect(await insertResults(db, [resultRow(monitorId, farPast), resultRow(monitorId, farFuture)])).toBe(
        2,
      );
      expect(await partitionOf(db, monitorId, farPast)).toBe(DEFAULT_PARTITION);
      expect(await partitionOf(db, monitorId, farFuture)).toBe(DEFAULT_PARTITION);

      // Within retention: maintenance keeps both.
      const kept = await runMaintenance(db, { now, retentionDays: 3650 });
      expect(kept.deletedFromDefault).toBe(0);
      expect(await partitionOf(db, monitorId, farPast)).toBe(DEFAULT_PARTITION);

      // The day before the far-future result, its partition is made ahead and the row moves into it.
      const moved = await runMaintenance(db, { now: farFuture - DAY_MS, retentionDays: 3650 });
      expect(moved.created).toContain(partitionName(startOfUtcDay(farFuture)));
      expect(moved.movedFromDefault).toBe(1);
      expect(await partitionOf(db, monitorId, farFuture)).toBe(partitionName(startOfUtcDay(farFuture)));
      expect(await partitionOf(db, monitorId, farPast)).toBe(DEFAULT_PARTITION);
    });

    it('deletes default-partition rows past retention in bounded batches, and keeps the rest', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, await seedUser(db), { paused: true });
      const old = days(Date.parse('2019-03-01T10:00:00.000Z'), 7);
      const recentButUnpartitioned = today - 20 * DAY_MS;
      await insertResults(
        db,
        [...old, recentButUnpartitioned].map((at) => resultRow(monitorId, at)),
      );

      const { logger, lines } = recordingLogger();
      const report = await runMaintenance(db, { now, retentionDays: 90, batchSize: 3, logger });
      expect(report.deletedFromDefault).toBe(7);
      const rows = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM check_results WHERE monitor_id = ${monitorId}`,
      );
      expect(rows[0]?.n).toBe(1);
      expect(await partitionOf(db, monitorId, recentButUnpartitioned)).toBe(DEFAULT_PARTITION);
      expect(
        lines.some((l) => l.message === 'results past retention deleted from the default partition'),
      ).toBe(true);
    });
  });

  describe.skipIf(!variant.available)('sessions', () => {
    it('deletes sessions a day after they expired or were revoked, in batches; live and recently ended ones stay', async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();
      const ended = [
        { expiresAt: at(-HOUR), revokedAt: null }, // expired an hour ago: kept
        { expiresAt: at(7 * DAY_MS), revokedAt: at(-HOUR) }, // revoked an hour ago: kept
        { expiresAt: at(7 * DAY_MS), revokedAt: at(-2 * DAY_MS) }, // revoked two days ago
        ...Array.from({ length: 5 }, () => ({ expiresAt: at(-2 * DAY_MS), revokedAt: null })), // expired
      ];
      for (const { expiresAt, revokedAt } of [{ expiresAt: at(7 * DAY_MS), revokedAt: null }, ...ended]) {
        await db.execute(sql`INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at)
          VALUES (${newId()}, ${userId}, ${at(-10 * DAY_MS)}::timestamptz, ${expiresAt}::timestamptz,
                  ${revokedAt}::timestamptz)`);
      }
      const { logger, lines } = recordingLogger();
      const report = await runMaintenance(db, { now, retentionDays: 90, batchSize: 2, logger });
      expect(report.sessionsPurged).toBe(6);
      const [left] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM sessions`);
      expect(left?.n).toBe(3);
      expect(lines.some((l) => l.message === 'ended sessions deleted')).toBe(true);
      expect((await runMaintenance(db, { now, retentionDays: 90 })).sessionsPurged).toBe(0);
    });
  });

  describe.skipIf(!variant.available)('events', () => {
    it('deletes outbox events older than the retention, in batches; newer ones stay', async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();
      for (const age of [91, 91, 91, 89, 1]) {
        await db.execute(sql`INSERT INTO events (id, user_id, type, payload, created_at)
          VALUES (${newId()}, ${userId}, 'incident.opened', '{}'::jsonb, ${at(-age * DAY_MS)}::timestamptz)`);
      }
      const { logger, lines } = recordingLogger();
      expect((await runMaintenance(db, { now, retentionDays: 90, batchSize: 2, logger })).eventsPurged).toBe(
        3,
      );
      const [left] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM events`);
      expect(left?.n).toBe(2);
      expect(lines.some((l) => l.message === 'events past retention deleted')).toBe(true);
    });
  });

  describe.skipIf(!variant.available)('concurrency', () => {
    it('several runs at once do not collide: each partition made and dropped once, nothing fails', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, await seedUser(db), { paused: true });
      await ensureResultPartitions(db, { now, daysBehind: 6, daysAhead: 0 });
      await insertResults(db, [resultRow(monitorId, today - 6 * DAY_MS + HOUR)]);
      const later = now + 10 * DAY_MS;
      const reports = await Promise.all(
        Array.from({ length: 3 }, () => runMaintenance(db, { now: later, retentionDays: 12 })),
      );

      const created = reports.flatMap((r) => r.created);
      const dropped = reports.flatMap((r) => r.dropped);
      expect([...created].sort()).toEqual(days(startOfUtcDay(later) - DAY_MS, 5).map(partitionName));
      // now − 12 days is 13:00 two days before the real today: the partitions of days −6 … −3 end by then.
      expect([...dropped].sort()).toEqual(days(today - 6 * DAY_MS, 4).map(partitionName));
      const left = await partitionNames(db);
      expect(new Set(left).size).toBe(left.length);
      for (const name of [...created]) expect(left).toContain(name);
      for (const name of dropped) expect(left).not.toContain(name);
      expect(await partitionOf(db, monitorId, today - 6 * DAY_MS + HOUR)).toBeUndefined();
    });
  });

  // Lock waits need a second session, which only the server has: registered for PostgreSQL alone.
  if (variant.name !== 'postgres') return;
  describe.skipIf(!variant.available)('locks (PostgreSQL)', () => {
    async function otherSession(): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }

    it('a run that finds the maintenance lock taken steps aside and changes nothing', async () => {
      const db = handle.db;
      const before = await partitionNames(db);
      const holder = await otherSession();
      try {
        await holder.query('SELECT pg_advisory_lock(727274101, 2)');
        const report = await runMaintenance(db, { now: now + 30 * DAY_MS, retentionDays: 1 });
        expect(report).toMatchObject({ skipped: true, created: [], dropped: [] });
        expect(await partitionNames(db)).toEqual(before);
      } finally {
        await holder.end();
      }
      expect((await runMaintenance(db, { now: now + 30 * DAY_MS, retentionDays: 1 })).skipped).toBe(false);
    });

    it('a drop waits at most lockTimeoutMs for the table, is deferred, and happens at the next run', async () => {
      const db = handle.db;
      await ensureResultPartitions(db, { now, daysBehind: 5, daysAhead: 0 });
      const oldest = partitionName(today - 5 * DAY_MS);
      const reader = await otherSession();
      try {
        // A long read holds ACCESS SHARE on the table: the DROP cannot get ACCESS EXCLUSIVE meanwhile.
        await reader.query('BEGIN');
        await reader.query('SELECT count(*) FROM check_results');
        const started = performance.now();
        const report = await runMaintenance(db, { now, retentionDays: 4, lockTimeoutMs: 200 });
        expect(performance.now() - started).toBeLessThan(2_000);
        expect(report.dropped).toEqual([]);
        expect(report.deferred[0]).toBe(oldest);
        expect(await partitionNames(db)).toContain(oldest);
      } finally {
        await reader.query('ROLLBACK');
        await reader.end();
      }
      const retried = await runMaintenance(db, { now, retentionDays: 4, lockTimeoutMs: 200 });
      expect(retried.dropped[0]).toBe(oldest);
      expect(retried.deferred).toEqual([]);
    });
  });
});
