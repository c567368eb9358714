import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@better-uptime/config';
import {
  type Database,
  type DatabaseHandle,
  incidentQueries,
  maintenanceWindowQueries,
  newId,
  queryRows,
  type ResultRow,
} from '@better-uptime/db';
import { databaseVariants, resultRow, seedMonitor, seedUser } from '@better-uptime/testing';
import { recordResults, settleMonitorState } from '../src/index.js';

const logger = createLogger('test', 'silent');
const REGIONS = ['usa', 'india'];
const STEP = 10_000;

describe.each(databaseVariants())('recording results on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let db: Database;
  let userId: string;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    db = handle.db;
    userId = await seedUser(db);
  });
  afterAll(async () => {
    await drop?.();
  });

  /** A monitor created now; its slots start a second later, every STEP ms. */
  async function monitor(fields: Parameters<typeof seedMonitor>[2] = {}) {
    const id = await seedMonitor(db, userId, { regions: ['usa'], paused: false, ...fields });
    const base = Date.now() + 1_000;
    return { id, slot: (i: number) => base + i * STEP };
  }
  const up = (id: string, at: number, region = 'usa') => resultRow(id, at, { region });
  const down = (id: string, at: number, region = 'usa'): ResultRow =>
    resultRow(id, at, {
      region,
      status: 'Down',
      statusCode: 503,
      reason: 'http_status',
      message: 'HTTP 503',
    });
  const record = (rows: ResultRow[], now = Date.now()) =>
    recordResults(db, rows, { regions: REGIONS, logger, now: () => now });

  const incidentsOf = (monitorId: string) =>
    queryRows<{ status: string; started: number; resolved: number | null; resolution: string | null }>(
      db,
      sql`SELECT status, (extract(epoch FROM started_at) * 1000)::float8 AS started,
            CASE WHEN resolved_at IS NULL THEN NULL ELSE (extract(epoch FROM resolved_at) * 1000)::float8 END AS resolved,
            resolution
          FROM incidents WHERE monitor_id = ${monitorId} ORDER BY id`,
    );
  const eventsOf = (monitorId: string) =>
    queryRows<{ type: string; payload: { incident: { id: string; startedAt: string } } }>(
      db,
      sql`SELECT type, payload FROM events WHERE monitor_id = ${monitorId} ORDER BY id`,
    );
  const stateOf = async (monitorId: string) => (await incidentQueries.monitorStateOf(db, monitorId))!;

  it.skipIf(!variant.available)(
    'opens one incident at the threshold, dated by the first failed slot, and resolves it on recovery',
    async () => {
      const m = await monitor();
      expect(await record([up(m.id, m.slot(0))])).toBe(1);
      expect(await stateOf(m.id)).toMatchObject({ state: 'up', retrying: false, openIncidentId: null });
      await record([down(m.id, m.slot(1))]);
      // One failure: still up, but now checked at the retry cadence.
      expect(await stateOf(m.id)).toMatchObject({ state: 'up', retrying: true });
      await record([down(m.id, m.slot(2))]);
      const opened = await stateOf(m.id);
      expect(opened).toMatchObject({ state: 'down', since: m.slot(1), retrying: true });
      expect(await incidentsOf(m.id)).toEqual([
        { status: 'open', started: m.slot(1), resolved: null, resolution: null },
      ]);
      const [incident] = await incidentQueries.listIncidents(db, userId, { monitorId: m.id, limit: 10 });
      expect(incident!.cause).toMatchObject({
        reason: 'http_status',
        statusCode: 503,
        message: 'HTTP 503',
        regions: [{ region: 'usa', reason: 'http_status', since: new Date(m.slot(1)).toISOString() }],
      });
      await record([up(m.id, m.slot(3))]);
      expect((await stateOf(m.id)).state).toBe('down');
      await record([up(m.id, m.slot(4))]);
      expect(await stateOf(m.id)).toMatchObject({ state: 'up', since: m.slot(3), retrying: false });
      expect(await incidentsOf(m.id)).toEqual([
        { status: 'resolved', started: m.slot(1), resolved: m.slot(3), resolution: 'recovered' },
      ]);
      expect((await eventsOf(m.id)).map((e) => e.type)).toEqual(['incident.opened', 'incident.resolved']);
      const timeline = await incidentQueries.incidentTimeline(db, opened.openIncidentId!);
      expect(timeline.map((t) => [t.region, t.from, t.to, t.at])).toEqual([
        // A region's change is dated by the streak that caused it, the monitor's by the check that did.
        ['usa', 'up', 'down', m.slot(1)],
        [null, 'up', 'down', m.slot(2)],
        ['usa', 'down', 'up', m.slot(3)],
        [null, 'down', 'up', m.slot(4)],
      ]);
    },
  );

  it.skipIf(!variant.available)(
    'does nothing twice: a redelivered batch stores and changes nothing',
    async () => {
      const m = await monitor();
      const rows = [up(m.id, m.slot(0)), down(m.id, m.slot(1)), down(m.id, m.slot(2))];
      expect(await record(rows)).toBe(3);
      expect(await record(rows)).toBe(0);
      expect(await record([rows[2]!])).toBe(0);
      expect(await incidentsOf(m.id)).toHaveLength(1);
      expect(await eventsOf(m.id)).toHaveLength(1);
    },
  );

  it.skipIf(!variant.available)(
    'results arriving out of order give the same incident, starting at the first failed slot',
    async () => {
      const m = await monitor();
      await record([up(m.id, m.slot(0))]);
      // Slot 1's worker died; slots 2 and 3 were written first, slot 1 came back through the reclaimer.
      await record([down(m.id, m.slot(2))]);
      await record([down(m.id, m.slot(3))]);
      expect(await incidentsOf(m.id)).toMatchObject([{ status: 'open', started: m.slot(2) }]);
      await record([down(m.id, m.slot(1))]);
      expect(await incidentsOf(m.id)).toMatchObject([{ status: 'open', started: m.slot(1) }]);
      expect((await stateOf(m.id)).state).toBe('down');
      // A late good check never flips the newer down state.
      await record([up(m.id, m.slot(0) + 1)]);
      expect((await stateOf(m.id)).state).toBe('down');
      // The late failure alone (slot 2 still missing) completes the streak too.
      const n = await monitor();
      await record([up(n.id, n.slot(0)), down(n.id, n.slot(2))]);
      expect(await incidentsOf(n.id)).toEqual([]);
      await record([down(n.id, n.slot(1))]);
      expect(await incidentsOf(n.id)).toMatchObject([{ status: 'open', started: n.slot(1) }]);
    },
  );

  it.skipIf(!variant.available)('writers racing on one monitor open exactly one incident', async () => {
    const m = await monitor({ regions: REGIONS, regionQuorum: 1 });
    const rows = Array.from({ length: 6 }, (_, i) => [
      down(m.id, m.slot(i), 'usa'),
      down(m.id, m.slot(i), 'india'),
    ]).flat();
    // Each row in its own transaction, all at once: as many workers of two regions would write them.
    await Promise.all(rows.map((row) => record([row])));
    expect(await incidentsOf(m.id)).toHaveLength(1);
    expect((await eventsOf(m.id)).map((e) => e.type)).toEqual(['incident.opened']);
    expect((await stateOf(m.id)).state).toBe('down');
  });

  it.skipIf(!variant.available)('opens nothing while fewer regions than the quorum are down', async () => {
    const m = await monitor({ regions: REGIONS });
    for (let i = 0; i < 5; i++) await record([up(m.id, m.slot(i), 'india'), down(m.id, m.slot(i), 'usa')]);
    expect(await incidentsOf(m.id)).toEqual([]);
    expect(await stateOf(m.id)).toMatchObject({ state: 'up', retrying: true });
    await record([down(m.id, m.slot(5), 'india'), down(m.id, m.slot(5), 'usa')]);
    await record([down(m.id, m.slot(6), 'india')]);
    expect(await incidentsOf(m.id)).toMatchObject([{ status: 'open', started: m.slot(0) }]);
  });

  it.skipIf(!variant.available)(
    'opens no incident in a maintenance window, and opens it when the window ends with the target down',
    async () => {
      const m = await monitor();
      const windowEnd = m.slot(3) + 1_000;
      await maintenanceWindowQueries.insertWindow(db, {
        id: newId(),
        userId,
        name: 'upgrade',
        startsAt: m.slot(0) - 60_000,
        endsAt: windowEnd,
        weeklyDays: null,
        weeklyTime: null,
        durationMinutes: null,
        timeZone: 'UTC',
        monitorIds: [m.id],
      });
      for (let i = 0; i < 4; i++) await record([down(m.id, m.slot(i))], m.slot(i) + 500);
      expect(await incidentsOf(m.id)).toEqual([]);
      expect((await stateOf(m.id)).state).toBe('maintenance');
      await record([down(m.id, m.slot(4))], m.slot(4) + 500);
      expect(await incidentsOf(m.id)).toMatchObject([{ status: 'open', started: windowEnd }]);
      expect((await stateOf(m.id)).state).toBe('down');
    },
  );

  it.skipIf(!variant.available)(
    'settling (pause, edit, delete) resolves the open incident with why and leaves no state behind',
    async () => {
      const m = await monitor();
      await record([down(m.id, m.slot(0)), down(m.id, m.slot(1))]);
      const [row] = await queryRows<{ id: string; user_id: string; name: string; target: string }>(
        db,
        sql`SELECT id, user_id, name, target FROM monitors WHERE id = ${m.id}`,
      );
      const target = {
        id: row!.id,
        userId: row!.user_id,
        name: row!.name,
        target: row!.target,
        paused: true,
      };
      await db.execute(sql`UPDATE monitors SET paused = true WHERE id = ${m.id}`);
      const settledAt = m.slot(2);
      await db.transaction((tx) =>
        settleMonitorState(tx as unknown as Database, target, 'paused', settledAt),
      );
      expect(await incidentsOf(m.id)).toMatchObject([{ status: 'resolved', resolution: 'paused' }]);
      expect(await stateOf(m.id)).toMatchObject({ state: 'paused', retrying: false, openIncidentId: null });
      expect(await incidentQueries.regionStatesOf(db, [m.id])).toEqual([]);
      expect((await eventsOf(m.id)).map((e) => e.type)).toEqual(['incident.opened', 'incident.resolved']);
      // Results of a paused monitor are stored but judge nothing; after resuming, older slots never count.
      await record([down(m.id, m.slot(2)), down(m.id, m.slot(3))]);
      expect((await stateOf(m.id)).state).toBe('paused');
      await db.execute(sql`UPDATE monitors SET paused = false WHERE id = ${m.id}`);
      await db.transaction((tx) =>
        settleMonitorState(tx as unknown as Database, { ...target, paused: false }, 'resumed', m.slot(5)),
      );
      await record([down(m.id, m.slot(4)), down(m.id, m.slot(4) + 1)]);
      expect(await stateOf(m.id)).toMatchObject({ state: 'pending', openIncidentId: null });
      await record([up(m.id, m.slot(6))]);
      expect((await stateOf(m.id)).state).toBe('up');
    },
  );

  it.skipIf(!variant.available)(
    'brings the next check forward to the retry cadence when a monitor starts failing',
    async () => {
      const m = await monitor({ retryIntervalSeconds: 10, intervalSeconds: 300 });
      const far = new Date(m.slot(0) + 300_000).toISOString();
      await db.execute(sql`UPDATE monitors SET next_check_at = ${far}::timestamptz WHERE id = ${m.id}`);
      await record([down(m.id, m.slot(0))], m.slot(0) + 200);
      const [next] = await queryRows<{ at: number }>(
        db,
        sql`SELECT (extract(epoch FROM next_check_at) * 1000)::float8 AS at FROM monitors WHERE id = ${m.id}`,
      );
      expect(next!.at).toBe(m.slot(0) + 10_000);
    },
  );
});
