import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  type Database,
  insertResults,
  maintenanceWindowQueries,
  newId,
  queryRows,
  type ResultRow,
  ROLL_SETTLE_MS,
  rollups,
  runMaintenance,
  statsQueries,
} from '@better-uptime/db';
import { databaseVariants, resultRow, seedMonitor, seedUser } from '@better-uptime/testing';
import { maintenanceIntervals } from '../src/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Degraded and maintenance figures of the rollups against the raw rows, with real maintenance windows: a
 * daily one at 10:00 in Asia/Kolkata (UTC+05:30, so 04:30-05:30 UTC, across an hour boundary) and a one-off
 * one. The expected figures are counted here from the raw rows and the windows' UTC times worked out by hand,
 * not by the code under test.
 */
describe.each(databaseVariants())('rollup degraded and maintenance figures on $name', (variant) => {
  it.skipIf(!variant.available)(
    'equal what the raw rows give, and uptime leaves maintenance out',
    async () => {
      const { handle, drop } = await variant.create();
      try {
        await checkAgainstRawRows(handle.db);
      } finally {
        await drop();
      }
    },
    // PGlite on a busy machine: a few thousand rows written, rolled and read back.
    120_000,
  );
});

async function checkAgainstRawRows(db: Database): Promise<void> {
  const userId = await seedUser(db);
  const monitorId = await seedMonitor(db, userId);
  const other = await seedMonitor(db, userId);
  const today = Math.floor(Date.now() / DAY) * DAY;
  const now = today + 13 * HOUR + 20 * MINUTE;
  const start = today - 2 * DAY - 3 * HOUR + 7 * MINUTE;

  await maintenanceWindowQueries.insertWindow(db, {
    id: newId(),
    userId,
    name: 'nightly deploy',
    startsAt: null,
    endsAt: null,
    weeklyDays: [1, 2, 3, 4, 5, 6, 7],
    weeklyTime: '10:00',
    durationMinutes: 60,
    timeZone: 'Asia/Kolkata',
    monitorIds: [monitorId],
  });
  const oneOff = {
    from: today - DAY + 20 * HOUR + 10 * MINUTE,
    to: today - DAY + 21 * HOUR + 40 * MINUTE,
  };
  await maintenanceWindowQueries.insertWindow(db, {
    id: newId(),
    userId,
    name: 'migration',
    startsAt: oneOff.from,
    endsAt: oneOff.to,
    weeklyDays: null,
    weeklyTime: null,
    durationMinutes: null,
    timeZone: 'UTC',
    monitorIds: [monitorId],
  });
  const inMaintenance = (id: string, at: number) => {
    if (id !== monitorId) return false;
    const ofDay = at - Math.floor(at / DAY) * DAY;
    return (ofDay >= 4.5 * HOUR && ofDay < 5.5 * HOUR) || (at >= oneOff.from && at < oneOff.to);
  };

  // Every 6 minutes from two regions: down every 7th slot, degraded every 5th up one.
  const rows: ResultRow[] = [];
  let n = 0;
  for (let at = start; at <= now; at += 6 * MINUTE) {
    for (const id of [monitorId, other]) {
      for (const region of ['india', 'usa']) {
        n++;
        const down = n % 7 === 0;
        rows.push(
          resultRow(id, at, {
            region,
            status: down ? 'Down' : 'Up',
            statusCode: down ? 503 : 200,
            reason: down ? 'http_status' : null,
            responseTimeMs: 40 + (n % 50),
            details: !down && n % 5 === 0 ? { degraded: true } : null,
          }),
        );
      }
    }
  }
  for (let i = 0; i < rows.length; i += 2_000) await insertResults(db, rows.slice(i, i + 2_000));

  const intervalsOf = (fromMs: number, toMs: number) => maintenanceIntervals(db, 'every', fromMs, toMs);
  await runMaintenance(db, { retentionDays: 30, now, maintenanceIntervals: intervalsOf });
  const rolledTo = now - ROLL_SETTLE_MS;
  expect(await rollups.rolledTo(db)).toBe(rolledTo);

  type Counts = {
    checks: number;
    up: number;
    degraded: number;
    maintenanceChecks: number;
    maintenanceUp: number;
  };
  const count = (selected: ResultRow[]): Counts => {
    const c = { checks: 0, up: 0, degraded: 0, maintenanceChecks: 0, maintenanceUp: 0 };
    for (const r of selected) {
      const up = r.status === 'Up';
      const maintenance = inMaintenance(r.monitorId, r.scheduledAt.getTime());
      c.checks++;
      if (up) c.up++;
      if (up && r.details?.degraded === true) c.degraded++;
      if (maintenance) c.maintenanceChecks++;
      if (maintenance && up) c.maintenanceUp++;
    }
    return c;
  };
  const groupCounts = (selected: ResultRow[], key: (r: ResultRow) => string) => {
    const groups = new Map<string, ResultRow[]>();
    for (const r of selected) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
    return new Map([...groups].map(([k, g]) => [k, count(g)]));
  };
  const rolled = rows.filter((r) => r.scheduledAt.getTime() < rolledTo);

  // Every hourly and daily row, and the regionless days.
  for (const [period, ms] of [
    ['hour', HOUR],
    ['day', DAY],
  ] as const) {
    const expected = groupCounts(
      rolled,
      (r) => `${r.monitorId} ${r.region} ${Math.floor(r.scheduledAt.getTime() / ms) * ms}`,
    );
    const actual = await queryRows<Counts & { key: string }>(
      db,
      sql`SELECT monitor_id || ' ' || region || ' ' || (extract(epoch FROM starts_at) * 1000)::bigint AS key,
                   checks, up, degraded, maintenance_checks AS "maintenanceChecks", maintenance_up AS "maintenanceUp"
            FROM check_rollups WHERE period = ${period}`,
    );
    expect(new Map(actual.map(({ key, ...c }) => [key, c]))).toEqual(expected);
  }
  const expectedDays = groupCounts(
    rolled,
    (r) => `${r.monitorId} ${Math.floor(r.scheduledAt.getTime() / DAY) * DAY}`,
  );
  const days = await queryRows<Counts & { key: string }>(
    db,
    sql`SELECT monitor_id || ' ' || (extract(epoch FROM starts_at) * 1000)::bigint AS key, checks, up, degraded,
                 maintenance_checks AS "maintenanceChecks", maintenance_up AS "maintenanceUp" FROM uptime_days`,
  );
  expect(new Map(days.map(({ key, ...c }) => [key, c]))).toEqual(expectedDays);
  // The windows really were counted: both, on both days.
  expect(count(rolled).maintenanceChecks).toBe(
    rolled.filter((r) => inMaintenance(r.monitorId, r.scheduledAt.getTime())).length,
  );
  // Three daily windows and the one-off: about (3 × 10 + 15) slots × 2 regions.
  expect(count(rolled).maintenanceChecks).toBeGreaterThan(80);

  // Reads over windows that start and end off the hour: rollups inside, raw rows (classified the same way)
  // at the edges, the hour in progress from its row up to the horizon.
  const from = start + 17 * MINUTE;
  const maintenance = await maintenanceIntervals(db, [monitorId, other], from, now);
  const inWindow = rows.filter((r) => r.scheduledAt.getTime() >= from && r.scheduledAt.getTime() <= now);
  const figures = await rollups.windowFigures(db, [monitorId, other], {
    fromMs: from,
    toMs: now,
    periodSeconds: 86_400,
    maintenance,
    withHistogram: false,
  });
  const summed = new Map<string, Counts>();
  for (const f of figures) {
    const key = `${f.monitorId} ${f.region}`;
    const c = summed.get(key) ?? {
      checks: 0,
      up: 0,
      degraded: 0,
      maintenanceChecks: 0,
      maintenanceUp: 0,
    };
    c.checks += f.checks;
    c.up += f.up;
    c.degraded += f.degraded;
    c.maintenanceChecks += f.maintenanceChecks;
    c.maintenanceUp += f.maintenanceUp;
    summed.set(key, c);
  }
  expect(summed).toEqual(groupCounts(inWindow, (r) => `${r.monitorId} ${r.region}`));

  const bars = await rollups.dailyUptime(db, [monitorId, other], { days: 3, nowMs: now, maintenance });
  const barsExpected = groupCounts(
    rows.filter((r) => r.scheduledAt.getTime() >= today - 2 * DAY && r.scheduledAt.getTime() <= now),
    (r) => `${r.monitorId} ${Math.floor(r.scheduledAt.getTime() / DAY) * DAY}`,
  );
  expect(new Map(bars.map(({ monitorId: id, day, ...c }) => [`${id} ${day}`, c]))).toEqual(
    new Map([...barsExpected].map(([k, { degraded: _, ...c }]) => [k, c])),
  );

  // Uptime leaves maintenance out: the stats of a long window over the rollups.
  const { summaries } = await statsQueries.windowStats(
    db,
    monitorId,
    { from: new Date(from), to: new Date(now), bucketSeconds: 86_400, rolledUp: true },
    maintenance,
  );
  for (const s of summaries) {
    const c = count(inWindow.filter((r) => r.monitorId === monitorId && r.region === s.region));
    expect(s).toMatchObject(c);
    expect(s.uptimePercent).toBeCloseTo(
      ((c.up - c.maintenanceUp) / (c.checks - c.maintenanceChecks)) * 100,
      9,
    );
    expect(s.uptimePercent).not.toBeCloseTo((c.up / c.checks) * 100, 6);
  }
}
