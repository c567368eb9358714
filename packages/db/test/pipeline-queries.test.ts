import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseVariants, resultRow, seedMonitor, seedUser } from '@better-uptime/testing';
import {
  claimDueMonitors,
  type DatabaseHandle,
  type DueMonitor,
  insertResults,
  insertResultsOneByOne,
  queryRows,
  republishAbandonedClaims,
  type ResultRow,
} from '../src/index.js';

/** The row these tests start from: a timeout, whose nulls and connect phase insertResults must keep. */
const timedOutRow = (monitorId: string, scheduledAt: Date, overrides: Partial<ResultRow> = {}) =>
  resultRow(monitorId, scheduledAt, {
    status: 'Down',
    responseTimeMs: 123,
    statusCode: null,
    reason: 'timeout',
    message: 'no answer within 1000 ms',
    connectMs: 3,
    ...overrides,
  });

describe.each(databaseVariants())('pipeline queries on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let userId: string;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    userId = await seedUser(handle.db);
  });
  afterAll(async () => drop?.());

  describe.skipIf(!variant.available)('insertResults', () => {
    it('stores every field, including nulls, and is idempotent per slot', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, userId);
      const at = new Date('2026-11-29T10:00:00.000Z');
      const up = timedOutRow(monitorId, at, {
        status: 'Up',
        reason: null,
        message: null,
        statusCode: 200,
        dnsMs: 1,
        tlsMs: 7,
        firstByteMs: 40,
        certExpiresAt: new Date('2027-01-01T00:00:00.000Z'),
      });
      expect(await insertResults(db, [up, timedOutRow(monitorId, at, { region: 'india' })])).toBe(2);
      // Re-delivery of the same slots: nothing new.
      expect(await insertResults(db, [up, timedOutRow(monitorId, at, { region: 'india' })])).toBe(0);
      const rows = await queryRows<Record<string, unknown>>(
        db,
        sql`SELECT region, status, status_code, reason, message, dns_ms, tls_ms, first_byte_ms, cert_expires_at
            FROM check_results WHERE monitor_id = ${monitorId} ORDER BY region`,
      );
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        region: 'india',
        status: 'Down',
        reason: 'timeout',
        status_code: null,
      });
      expect(rows[1]).toMatchObject({
        region: 'usa',
        status: 'Up',
        status_code: 200,
        reason: null,
        tls_ms: 7,
      });
      expect(new Date(rows[1]!.cert_expires_at as string).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    });

    it('skips rows of a deleted monitor without failing the batch', async () => {
      const db = handle.db;
      const kept = await seedMonitor(db, userId);
      const gone = await seedMonitor(db, userId);
      await db.execute(sql`DELETE FROM monitors WHERE id = ${gone}`);
      const at = new Date();
      expect(await insertResults(db, [timedOutRow(kept, at), timedOutRow(gone, at)])).toBe(1);
    });

    it('one by one: stores the good rows and names the bad one', async () => {
      const db = handle.db;
      const monitorId = await seedMonitor(db, userId);
      const at = new Date();
      const bad = timedOutRow(monitorId, new Date(at.getTime() + 1), { responseTimeMs: 2 ** 40 }); // out of int range
      await expect(insertResults(db, [timedOutRow(monitorId, at), bad])).rejects.toThrow();
      expect(await insertResultsOneByOne(db, [timedOutRow(monitorId, at), bad])).toEqual([
        'stored',
        'rejected',
      ]);
    });
  });

  describe.skipIf(!variant.available)('claimDueMonitors', () => {
    it('publishes due monitors once, advances by whole intervals and skips missed slots', async () => {
      const db = handle.db;
      await db.execute(sql`UPDATE monitors SET paused = true`);
      const now = Date.parse('2026-11-29T12:00:00.000Z');
      const onTime = await seedMonitor(db, userId, { nextCheckAt: new Date(now - 500), intervalSeconds: 60 });
      const farBehind = await seedMonitor(db, userId, {
        nextCheckAt: new Date(now - 3_600_500),
        intervalSeconds: 60,
      });
      const future = await seedMonitor(db, userId, {
        nextCheckAt: new Date(now + 60_000),
        intervalSeconds: 60,
      });
      await seedMonitor(db, userId, { nextCheckAt: new Date(now - 1000), intervalSeconds: 60, paused: true });

      const published: DueMonitor[] = [];
      const claimed = await claimDueMonitors(db, now + 3000, 500, async (due) => {
        published.push(...due);
      });
      expect(claimed).toBe(2);
      const slots = new Map(published.map((d) => [d.id, d.slotAt]));
      expect(slots.get(onTime)).toBe(now - 500);
      // 60 missed slots skipped: only the latest slot before the horizon is published.
      expect(slots.get(farBehind)).toBe(now - 500);
      expect(slots.has(future)).toBe(false);

      const next = await queryRows<{ id: string; next_check_at: string }>(
        db,
        sql`SELECT id, next_check_at FROM monitors WHERE id IN (${onTime}, ${farBehind})`,
      );
      for (const row of next) expect(new Date(row.next_check_at).getTime()).toBe(now - 500 + 60_000);

      // Nothing is due again until the next slot.
      expect(await claimDueMonitors(db, now + 3000, 500, async () => undefined)).toBe(0);
    });

    it('rolls back when publishing fails, leaving the slot due', async () => {
      const db = handle.db;
      await db.execute(sql`UPDATE monitors SET paused = true`);
      const now = Date.parse('2026-11-29T13:00:00.000Z');
      const id = await seedMonitor(db, userId, { nextCheckAt: new Date(now - 100), intervalSeconds: 60 });
      await expect(
        claimDueMonitors(db, now, 500, async () => {
          throw new Error('queue down');
        }),
      ).rejects.toThrow('queue down');
      const published: string[] = [];
      await claimDueMonitors(db, now, 500, async (due) => {
        published.push(...due.map((d) => d.id));
      });
      expect(published).toEqual([id]);
    });

    it('holds no row lock while publishing: an edit of a claimed monitor does not wait for the queue', async () => {
      const db = handle.db;
      await db.execute(sql`UPDATE monitors SET paused = true`);
      const now = Date.parse('2026-11-29T14:00:00.000Z');
      const id = await seedMonitor(db, userId, { nextCheckAt: new Date(now - 100), intervalSeconds: 60 });
      const claimed = await claimDueMonitors(db, now, 500, async () => {
        // What the API does while the producer waits for Redis: it must not wait for the producer's locks.
        await db.transaction(async (tx) => {
          await tx.execute(sql`SET LOCAL lock_timeout = '500ms'`);
          await tx.execute(sql`UPDATE monitors SET name = 'edited' WHERE id = ${id}`);
        });
      });
      expect(claimed).toBe(1);
      const [row] = await queryRows<{ name: string }>(db, sql`SELECT name FROM monitors WHERE id = ${id}`);
      expect(row?.name).toBe('edited');
    });

    it('loses no slot when its scheduler dies between claim and publish: another publishes it', async () => {
      const db = handle.db;
      await db.execute(sql`UPDATE monitors SET paused = true`);
      await db.execute(sql`DELETE FROM scheduler_claims`);
      const now = Date.parse('2026-11-29T15:00:00.000Z');
      const kept = await seedMonitor(db, userId, { nextCheckAt: new Date(now - 100), intervalSeconds: 60 });
      const pausedSince = await seedMonitor(db, userId, {
        nextCheckAt: new Date(now - 100),
        intervalSeconds: 60,
      });
      // A scheduler that claimed and then never published (as if SIGKILLed in between).
      void claimDueMonitors(db, now, 500, () => new Promise(() => undefined));
      const claims = async () =>
        (await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM scheduler_claims`))[0]!.n;
      for (let i = 0; i < 100 && (await claims()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await claims()).toBe(1);
      // Its slots are no longer due: a normal claim does not see them.
      expect(await claimDueMonitors(db, now, 500, async () => undefined)).toBe(0);
      await db.execute(sql`UPDATE monitors SET paused = true WHERE id = ${pausedSince}`);

      // Not abandoned yet: left alone.
      const none: DueMonitor[] = [];
      expect(await republishAbandonedClaims(db, 60_000, async (due) => void none.push(...due))).toBe(0);
      expect(none).toEqual([]);
      // Abandoned: published with the slot claimed (a paused monitor left out), then gone.
      const published: DueMonitor[] = [];
      expect(await republishAbandonedClaims(db, 0, async (due) => void published.push(...due))).toBe(1);
      expect(published.map((d) => [d.id, d.slotAt])).toEqual([[kept, now - 100]]);
      expect(await claims()).toBe(0);
      expect(await republishAbandonedClaims(db, 0, async () => undefined)).toBe(0);
    });

    it('leaves no claim behind when it publishes, or when the publish fails', async () => {
      const db = handle.db;
      await db.execute(sql`UPDATE monitors SET paused = true`);
      await db.execute(sql`DELETE FROM scheduler_claims`);
      const now = Date.parse('2026-11-29T16:00:00.000Z');
      await seedMonitor(db, userId, { nextCheckAt: new Date(now - 100), intervalSeconds: 60 });
      await expect(
        claimDueMonitors(db, now, 500, async () => {
          throw new Error('queue down');
        }),
      ).rejects.toThrow('queue down');
      expect(await claimDueMonitors(db, now, 500, async () => undefined)).toBe(1);
      const [row] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM scheduler_claims`);
      expect(row!.n).toBe(0);
    });
  });
});
