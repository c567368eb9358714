import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseVariants, resultRow, seedMonitor, seedUser } from '@better-uptime/testing';
import {
  type Database,
  type DatabaseHandle,
  insertResults,
  queryRows,
  type ResultRow,
  ROLL_SETTLE_MS,
  rollRecent,
  rollups,
  runMaintenance,
  statsQueries,
} from '../src/index.js';
import { DAY_MS, startOfUtcDay } from '../src/partitions.js';

const HOUR = 3_600_000;
const { HISTOGRAM_RELATIVE_ERROR, addToHistogram, histogramPercentiles, windowFigures, coverWindow } =
  rollups;

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Checks every `stepMs` from each region: mostly up with log-normal times, some HTTP errors and timeouts. */
function history(monitorId: string, fromMs: number, toMs: number, stepMs: number, seed: number): ResultRow[] {
  const next = random(seed);
  const rows: ResultRow[] = [];
  for (let at = fromMs; at < toMs; at += stepMs) {
    for (const region of ['india', 'usa']) {
      const roll = next();
      const ms = Math.round(Math.exp(4 + 1.2 * (next() + next() + next() - 1.5)));
      if (roll < 0.03) {
        rows.push(
          resultRow(monitorId, at, {
            region,
            status: 'Down',
            statusCode: null,
            reason: 'timeout',
            responseTimeMs: 30_000,
          }),
        );
      } else if (roll < 0.06) {
        rows.push(
          resultRow(monitorId, at, {
            region,
            status: 'Down',
            statusCode: 503,
            reason: 'http_status',
            responseTimeMs: ms,
          }),
        );
      } else {
        rows.push(
          resultRow(monitorId, at, {
            region,
            responseTimeMs: ms,
            dnsMs: Math.floor(ms / 10),
            connectMs: Math.floor(ms / 5),
            tlsMs: region === 'usa' ? Math.floor(ms / 4) : null,
            firstByteMs: Math.floor(ms / 2),
          }),
        );
      }
    }
  }
  return rows;
}

async function insertAll(db: Database, rows: ResultRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 2_000) await insertResults(db, rows.slice(i, i + 2_000));
}

interface Counted {
  monitor_id: string;
  region: string;
  period: string;
  starts_at: string;
  checks: number;
  up: number;
}

/** Every rollup row as text, rolled_at left out: what "the same row" means. */
async function rollupRows(db: Database): Promise<string[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`SELECT monitor_id, region, period, starts_at::text, checks, up, responses, response_ms_sum::text,
               response_ms_max, dns_ms_sum::text, dns_count, connect_ms_sum::text, connect_count,
               tls_ms_sum::text, tls_count, first_byte_ms_sum::text, first_byte_count,
               histogram_buckets::text, histogram_counts::text
        FROM check_rollups ORDER BY monitor_id, period, starts_at, region`,
  );
  return rows.map((r) => JSON.stringify(r));
}

describe('the window cover', () => {
  it('uses raw rows at the edges, hours inside, and whole days only when asked', () => {
    const day = Date.UTC(2026, 0, 10);
    const from = day - 2.5 * HOUR;
    const to = day + 2 * DAY_MS + 30 * 60_000 + 3 * HOUR;
    const rolled = day + 2 * DAY_MS + 2 * HOUR;
    expect(coverWindow(from, to, rolled, true).map((p) => [p.source, p.fromMs, p.toMs])).toEqual([
      ['raw', from, day - 2 * HOUR],
      ['hour', day - 2 * HOUR, day],
      ['day', day, rolled], // the horizon's day from its row of the results before the horizon
      ['raw', rolled, to],
    ]);
    // A window ending before the horizon: whole days, then whole hours, then raw rows.
    const end = rolled - 3 * HOUR;
    expect(coverWindow(from, end, rolled, true).map((p) => [p.source, p.fromMs, p.toMs])).toEqual([
      ['raw', from, day - 2 * HOUR],
      ['hour', day - 2 * HOUR, day],
      ['day', day, day + DAY_MS],
      ['hour', day + DAY_MS, end],
      ['raw', end, end],
    ]);
    expect(coverWindow(from, to, rolled, false).map((p) => p.source)).toEqual(['raw', 'hour', 'raw']);
    // Rolled into the hour in progress: that hour's row (results before the horizon), raw from the horizon on.
    const inHour = to - 3 * 60_000;
    expect(
      coverWindow(from, to, inHour, false)
        .slice(-2)
        .map((p) => [p.source, p.fromMs, p.toMs]),
    ).toEqual([
      ['hour', day - 2 * HOUR, inHour],
      ['raw', inHour, to],
    ]);
    // A window ending before the horizon's hour reads whole hours only.
    expect(coverWindow(from, inHour - HOUR, inHour, false).slice(-1)[0]).toMatchObject({
      source: 'raw',
      fromMs: Math.floor((inHour - HOUR) / HOUR) * HOUR,
    });
    // A horizon whose hour starts before the window's first whole hour: all raw.
    expect(coverWindow(day + 10 * 60_000, day + 90 * 60_000, day + 30 * 60_000, false)).toHaveLength(1);
    expect(coverWindow(from, to, null, true)).toEqual([
      { source: 'raw', fromMs: from, toMs: to, inclusive: true },
    ]);
  });

  it('reads percentiles like percentile_cont, within the bucket error', () => {
    const histogram = new Map<number, number>();
    addToHistogram(histogram, [5, 10], [1, 1]);
    expect(histogramPercentiles(histogram, [0, 0.5, 1])).toEqual([5, 7.5, 10]);
    expect(histogramPercentiles(new Map(), [0.5])).toEqual([null]);
  });
});

describe.each(databaseVariants())('rollups on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  const now = startOfUtcDay(Date.now()) + 13 * HOUR + 20 * 60_000;
  const horizon = Math.floor(now / HOUR) * HOUR;
  /** Where a maintenance run at `now` rolls to: the hour in progress too, up to a settle margin. */
  const rolledUpTo = now - ROLL_SETTLE_MS;

  beforeEach(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
  });
  afterEach(async () => drop?.());

  it.skipIf(!variant.available)(
    'equal what the raw rows give: counts exactly, percentiles within the stated error',
    async () => {
      const { db } = handle;
      const userId = await seedUser(db);
      const monitors = [await seedMonitor(db, userId), await seedMonitor(db, userId)];
      const start = horizon - 3 * DAY_MS - 5 * HOUR + 7 * 60_000;
      for (const [i, id] of monitors.entries()) await insertAll(db, history(id, start, now, 180_000, i + 1));

      const report = await runMaintenance(db, { retentionDays: 30, now });
      expect(report.hoursRolled).toBeGreaterThan(0);

      // Every hourly and daily row against the raw rows of its hour or day.
      for (const [period, seconds] of [
        ['hour', 3600],
        ['day', 86_400],
      ] as const) {
        const expected = await queryRows<Counted>(
          db,
          sql`SELECT monitor_id, region, ${period} AS period,
                     to_timestamp(floor(extract(epoch FROM scheduled_at) / ${seconds}) * ${seconds})::text AS starts_at,
                     count(*)::int AS checks, (count(*) FILTER (WHERE status = 'Up'))::int AS up
              FROM check_results WHERE scheduled_at < ${new Date(rolledUpTo).toISOString()}::timestamptz
              GROUP BY 1, 2, 4 ORDER BY 1, 4, 2`,
        );
        const actual = await queryRows<Counted>(
          db,
          sql`SELECT monitor_id, region, period, starts_at::text, checks, up FROM check_rollups
              WHERE period = ${period} ORDER BY monitor_id, starts_at, region`,
        );
        expect(actual).toEqual(expected);
      }

      // Daily uptime bars (all regions together) against the raw rows of each day, today's partial day included.
      const bars = await rollups.dailyUptime(db, monitors, { days: 90, nowMs: now, maintenance: [] });
      const rawDays = await queryRows<{ monitorId: string; day: number; checks: number; up: number }>(
        db,
        sql`SELECT monitor_id AS "monitorId", (floor(extract(epoch FROM scheduled_at) / 86400) * 86400000)::float8 AS day,
                   count(*)::int AS checks, (count(*) FILTER (WHERE status = 'Up'))::int AS up
            FROM check_results WHERE scheduled_at <= ${new Date(now).toISOString()}::timestamptz
            GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      expect(bars).toEqual(
        rawDays.map((d) => ({ ...d, day: Number(d.day), maintenanceChecks: 0, maintenanceUp: 0 })),
      );
      expect(bars.length).toBe(2 * 4);

      // A window over days: rollups inside, raw rows at the edges, against the raw percentile_cont.
      const from = new Date(now - 3 * DAY_MS);
      const to = new Date(now);
      for (const monitorId of monitors) {
        const raw = await statsQueries.regionSummaries(db, monitorId, { from, to });
        const figures = await windowFigures(db, [monitorId], {
          fromMs: from.getTime(),
          toMs: to.getTime(),
          periodSeconds: 86_400,
          maintenance: [],
        });
        for (const summary of raw) {
          const mine = figures.filter((f) => f.region === summary.region);
          const histogram = new Map<number, number>();
          for (const f of mine) addToHistogram(histogram, f.histogramBuckets, f.histogramCounts);
          expect(mine.reduce((n, f) => n + f.checks, 0)).toBe(summary.checks);
          expect(mine.reduce((n, f) => n + f.up, 0)).toBe(summary.up);
          const responses = mine.reduce((n, f) => n + f.responses, 0);
          expect(mine.reduce((n, f) => n + f.responseMsSum, 0) / responses).toBeCloseTo(summary.avgMs!, 6);
          const [p50, p95, p99] = histogramPercentiles(histogram, [0.5, 0.95, 0.99]);
          for (const [got, want] of [
            [p50, summary.p50Ms],
            [p95, summary.p95Ms],
            [p99, summary.p99Ms],
          ] as const) {
            expect(Math.abs(got! - want!) / want!).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR + 1e-9);
          }
        }
      }
    },
  );

  it.skipIf(!variant.available)(
    'are idempotent, pick up late results of a closed hour, and outlive the raw retention',
    async () => {
      const { db } = handle;
      const userId = await seedUser(db);
      const monitorId = await seedMonitor(db, userId);
      const start = horizon - 10 * HOUR;
      await insertAll(db, history(monitorId, start, horizon, 600_000, 7));
      await runMaintenance(db, { retentionDays: 30, now });
      const first = await rollupRows(db);
      expect(first.length).toBeGreaterThan(0);
      await runMaintenance(db, { retentionDays: 30, now: now + 60_000 });
      expect(await rollupRows(db)).toEqual(first);

      // A late result two hours back (a slot no one reported yet): its hour and day count it at the next run.
      const lateSlot = horizon - 2 * HOUR + 1_000;
      await insertResults(db, [
        resultRow(monitorId, lateSlot, { region: 'europe', status: 'Down', statusCode: 500 }),
      ]);
      await runMaintenance(db, { retentionDays: 30, now: now + 120_000 });
      const late = await queryRows<{ period: string; checks: number; up: number; buckets: number[] }>(
        db,
        sql`SELECT period, checks, up, histogram_buckets AS buckets FROM check_rollups
            WHERE monitor_id = ${monitorId} AND region = 'europe' ORDER BY period`,
      );
      expect(late).toEqual([
        { period: 'day', checks: 1, up: 0, buckets: [12] },
        { period: 'hour', checks: 1, up: 0, buckets: [12] },
      ]);

      // Raw rows gone (the monitor's checks cleaned up): the rollups stay until their own retention.
      await db.execute(sql`DELETE FROM check_results WHERE monitor_id = ${monitorId}`);
      await runMaintenance(db, { retentionDays: 30, now: now + 180_000 });
      expect((await rollupRows(db)).length).toBe(first.length + 2);
      const purged = await runMaintenance(db, {
        retentionDays: 30,
        rollupRetentionDays: 1,
        now: now + DAY_MS,
      });
      expect(purged.rollupsPurged).toBeGreaterThan(0);
      const [left] = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM check_rollups WHERE starts_at < ${new Date(now).toISOString()}::timestamptz`,
      );
      expect(left?.n).toBe(0);
      await expect(runMaintenance(db, { retentionDays: 30, rollupRetentionDays: 0, now })).rejects.toThrow(
        /rollupRetentionDays/,
      );
    },
  );

  it.skipIf(!variant.available)(
    'roll the hour in progress between maintenance runs, up to the settle margin',
    async () => {
      const { db } = handle;
      const monitorId = await seedMonitor(db, await seedUser(db));
      const noMaintenance = async () => [];
      // Before the first maintenance run there is nothing to continue from.
      expect(await rollRecent(db, { now, maintenanceIntervals: noMaintenance })).toBe(0);
      await insertResults(db, [resultRow(monitorId, horizon + 60_000)]);
      await runMaintenance(db, { retentionDays: 30, now });
      expect(await rollups.rolledTo(db)).toBe(now - ROLL_SETTLE_MS);

      // A result in the hour in progress after the horizon: read raw until the next roll, then from its row.
      const later = now + 10 * 60_000;
      await insertResults(db, [resultRow(monitorId, now - 60_000, { status: 'Down', statusCode: 500 })]);
      expect(await rollRecent(db, { now: later, maintenanceIntervals: noMaintenance })).toBe(1);
      expect(await rollups.rolledTo(db)).toBe(later - ROLL_SETTLE_MS);
      const hour = await queryRows<{ checks: number; up: number }>(
        db,
        sql`SELECT checks, up FROM check_rollups WHERE monitor_id = ${monitorId} AND period = 'hour'`,
      );
      expect(hour).toEqual([{ checks: 2, up: 1 }]);
      // Nothing new to roll within the settle margin.
      expect(await rollRecent(db, { now: later + 60_000, maintenanceIntervals: noMaintenance })).toBe(1);
      expect(await rollRecent(db, { now: later, maintenanceIntervals: noMaintenance })).toBe(0);
    },
  );
});
