import { and, desc, eq, getTableColumns, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseVariants, resultRow, seedMonitor, seedUser } from '@better-uptime/testing';
import {
  checkResults,
  type CheckResultRow,
  type Database,
  type DatabaseHandle,
  ensureResultPartitions,
  insertResults,
  monitorQueries,
  notificationQueries,
  monitors,
  type MonitorRow,
  newId,
  queryRows,
  resultQueries,
  sessionQueries,
} from '../src/index.js';

/**
 * The plain-row queries the API's hot routes use (listMonitorViews, listOwnChecks, findSessionUser) must
 * give exactly what the query-builder versions gave after `toISOString()`: same rows, order, pages and
 * keyset, timestamps as the same text even with microseconds in the database.
 */

interface PageOptions {
  limit: number;
  after?: resultQueries.CheckPosition | undefined;
  filter?: resultQueries.CheckFilter;
}

/**
 * The reference for listOwnChecks: the same page through drizzle's query builder (the API's former
 * implementation), with the position's microseconds kept as text.
 */
async function referenceChecks(db: Database, monitorId: string, { limit, after, filter = {} }: PageOptions) {
  const conditions: SQL[] = [eq(checkResults.monitorId, monitorId)];
  if (filter.from !== undefined)
    conditions.push(gte(checkResults.scheduledAt, sql`${filter.from}::timestamptz`));
  if (filter.to !== undefined) conditions.push(lte(checkResults.scheduledAt, sql`${filter.to}::timestamptz`));
  if (filter.region !== undefined) conditions.push(eq(checkResults.region, filter.region));
  if (filter.status !== undefined) conditions.push(eq(checkResults.status, filter.status));
  if (after !== undefined) {
    conditions.push(
      sql`(${checkResults.scheduledAt}, ${checkResults.region}) < (${after.scheduledAt}::timestamptz, ${after.region})`,
    );
  }
  const rows = await db
    .select({ ...getTableColumns(checkResults), positionAt: resultQueries.scheduledAtText })
    .from(checkResults)
    .where(and(...conditions))
    .orderBy(desc(checkResults.scheduledAt), desc(checkResults.region))
    .limit(limit);
  return rows.map(({ positionAt, ...row }) => ({
    ...row,
    position: { scheduledAt: positionAt, region: row.region },
  }));
}

/** The reference for listMonitorViews: the same page through drizzle's query builder, as the API had it. */
function referenceMonitors(
  db: Database,
  userId: string,
  { limit, beforeId }: { limit: number; beforeId?: string },
) {
  return db
    .select()
    .from(monitors)
    .where(
      beforeId === undefined
        ? eq(monitors.userId, userId)
        : and(eq(monitors.userId, userId), lt(monitors.id, beforeId)),
    )
    .orderBy(desc(monitors.id))
    .limit(limit);
}

/** What the API made of a MonitorRow before (present.ts monitorJson, minus nothing: all public fields). */
function monitorView(
  m: MonitorRow,
  notifications: notificationQueries.MonitorNotificationSettings = {
    channelIds: [],
    reminderIntervalMinutes: 0,
  },
): monitorQueries.MonitorListView {
  const { userId: _, nextCheckAt, createdAt, updatedAt, ...rest } = m;
  return {
    ...rest,
    ...notifications,
    nextCheckAt: nextCheckAt.toISOString(),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    // A monitor no check has judged yet: its state row is made with it (this test moves created_at later).
    state: m.paused ? 'paused' : 'pending',
    stateSince: expect.any(String) as string,
    openIncidentId: null,
  };
}

function checkView(c: CheckResultRow & { position: resultQueries.CheckPosition }): resultQueries.CheckView {
  return {
    monitorId: c.monitorId,
    kind: 'http',
    region: c.region,
    status: c.status,
    responseTimeMs: c.responseTimeMs,
    statusCode: c.statusCode,
    reason: c.reason,
    message: c.message,
    dnsMs: c.dnsMs,
    connectMs: c.connectMs,
    tlsMs: c.tlsMs,
    firstByteMs: c.firstByteMs,
    certExpiresAt: c.certExpiresAt?.toISOString() ?? null,
    details: c.details,
    scheduledAt: c.scheduledAt.toISOString(),
    checkedAt: c.checkedAt.toISOString(),
    position: c.position.scheduledAt,
  };
}

describe.each(databaseVariants())('API read queries on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
  });
  afterAll(async () => drop?.());

  describe.skipIf(!variant.available)('listMonitorViews', () => {
    it('gives the query builder’s rows, pages and order, with toISOString text even for microseconds', async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      const otherId = await seedUser(db);
      await seedMonitor(db, otherId);
      for (let i = 0; i < 7; i++) {
        await seedMonitor(db, userId, {
          name: `m${i} "quoted" é`,
          settings: {
            url: `http://127.0.0.1/${i}`,
            keyword: i % 2 ? null : `kw${i}`,
            keywordMode: i % 3 ? 'present' : 'absent',
            method: i % 2 ? 'HEAD' : 'GET',
            expectedStatus: ['200-299', '304'],
            followRedirects: i !== 4,
          },
          regions: i % 2 ? [] : ['usa', 'india'],
          paused: i === 3,
        });
      }
      // Microseconds, which a Date drops (truncating) and so must the text; and a pre-1970 instant.
      await db.execute(sql`UPDATE monitors SET
          next_check_at = '2031-01-10 23:59:59.999999+00', created_at = '1969-12-31 23:59:59.9995+00',
          updated_at = '2031-01-10 12:00:00.000001+05'
        WHERE user_id = ${userId} AND name LIKE 'm2%'`);

      const all = await referenceMonitors(db, userId, { limit: 100 });
      expect(all).toHaveLength(7);
      // Channels and a reminder on some: the list reads them in its one query, as the single answer does.
      const channelIds = [newId(), newId()].sort();
      for (const id of channelIds) {
        await db.execute(sql`INSERT INTO channels (id, user_id, type, name, config, secret)
          VALUES (${id}, ${userId}, 'email', 'c', '{"to":["a@example.test"]}', 'v1.x')`);
      }
      await notificationQueries.setMonitorChannels(db, userId, all[1]!.id, channelIds);
      await notificationQueries.setMonitorChannels(db, userId, all[4]!.id, [channelIds[1]!]);
      await notificationQueries.setMonitorReminder(db, all[1]!.id, 30);
      const notifications = new Map(
        await Promise.all(
          all.map(
            async (m) => [m.id, await notificationQueries.monitorNotificationSettings(db, m.id)] as const,
          ),
        ),
      );
      expect(notifications.get(all[1]!.id)).toEqual({ channelIds, reminderIntervalMinutes: 30 });
      const view = (m: MonitorRow) => monitorView(m, notifications.get(m.id));
      expect(await monitorQueries.listMonitorViews(db, userId, { limit: 100 })).toEqual(all.map(view));
      const edited = (await monitorQueries.listMonitorViews(db, userId, { limit: 100 })).find((m) =>
        m.name.startsWith('m2'),
      );
      expect(edited).toMatchObject({
        nextCheckAt: '2031-01-10T23:59:59.999Z',
        createdAt: '1969-12-31T23:59:59.999Z',
        updatedAt: '2031-01-10T07:00:00.000Z',
      });

      // Pages by keyset, as the route asks for them (one row more than the page).
      const pages: monitorQueries.MonitorListView[] = [];
      let beforeId: string | undefined;
      for (;;) {
        const page = await monitorQueries.listMonitorViews(db, userId, { limit: 3, beforeId });
        expect(page).toEqual((await referenceMonitors(db, userId, { limit: 3, beforeId })).map(view));
        pages.push(...page);
        if (page.length < 3) break;
        beforeId = page[page.length - 1]!.id;
      }
      expect(pages).toEqual(all.map(view));
      expect(await monitorQueries.listMonitorViews(db, newId(), { limit: 10 })).toEqual([]);
    });
  });

  describe.skipIf(!variant.available)('listOwnChecks', () => {
    let userId: string;
    let monitorId: string;
    const base = Date.UTC(2031, 0, 10, 12);

    beforeAll(async () => {
      const db = handle.db;
      userId = await seedUser(db);
      monitorId = await seedMonitor(db, userId, { paused: true });
      const rows = [];
      for (let slot = 0; slot < 6; slot++) {
        for (const region of ['usa', 'india', 'eu-west']) {
          const down = (slot + region.length) % 3 === 0;
          rows.push(
            resultRow(monitorId, base + slot * 60_000, {
              region,
              status: down ? 'Down' : 'Up',
              statusCode: down ? null : 200,
              reason: down ? 'timeout' : null,
              message: down ? 'no answer "in time"' : null,
              dnsMs: down ? null : slot,
              connectMs: slot + 1,
              tlsMs: down ? null : 3,
              firstByteMs: down ? null : 40,
              certExpiresAt: down ? null : new Date(Date.UTC(2031, 5, 1, 0, 0, slot)),
              details: down
                ? null
                : { degraded: slot % 2 === 0, certificate: { names: ['a.test', `"${slot}"`] } },
            }),
          );
        }
      }
      expect(await insertResults(db, rows)).toBe(18);
      // Microseconds in the keys and timestamps: the keyset keeps them, the answer truncates them.
      await db.execute(sql`UPDATE check_results
          SET scheduled_at = scheduled_at + interval '0.123456 second',
            checked_at = scheduled_at + interval '0.999999 second',
            cert_expires_at = cert_expires_at + interval '0.0005 second'
          WHERE monitor_id = ${monitorId} AND scheduled_at = ${new Date(base + 60_000).toISOString()}::timestamptz`);
    });

    const cases: Array<[string, Omit<PageOptions, 'limit'>]> = [
      ['no filter', {}],
      ['a region', { filter: { region: 'india' } }],
      ['a status', { filter: { status: 'Down' } }],
      [
        'inclusive bounds',
        {
          filter: {
            from: new Date(base + 60_000).toISOString(),
            to: new Date(base + 4 * 60_000).toISOString(),
          },
        },
      ],
      ['a keyset position with microseconds', { after: { scheduledAt: '', region: 'india' } }],
      ['nothing matching', { filter: { region: 'mars' } }],
    ];

    it.each(cases)('gives the query builder’s rows, order and positions: %s', async (_, options) => {
      const db = handle.db;
      if (options.after) {
        const [row] = await queryRows<{ at: string }>(
          db,
          sql`SELECT to_char(scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
              FROM check_results WHERE monitor_id = ${monitorId} AND scheduled_at > ${new Date(base + 60_000).toISOString()}::timestamptz
                AND scheduled_at < ${new Date(base + 120_000).toISOString()}::timestamptz LIMIT 1`,
        );
        expect(row?.at).toMatch(/\.123456Z$/);
        options = { ...options, after: { scheduledAt: row!.at, region: options.after.region } };
      }
      for (const limit of [1, 4, 100]) {
        const expected = (await referenceChecks(db, monitorId, { limit, ...options })).map(checkView);
        // The cached plan (where the page qualifies for it) answers the same page.
        for (const cachedPlan of [false, true]) {
          const page = { limit, ...options, cachedPlan };
          expect(await resultQueries.listOwnChecks(db, { userId, monitorId }, page)).toEqual(expected);
        }
      }
    });

    it('keeps microseconds in the position and truncates them in the timestamps', async () => {
      const rows = await resultQueries.listOwnChecks(handle.db, { userId, monitorId }, { limit: 100 });
      const slot = rows!.filter((r) => r.position.endsWith('.123456Z'));
      expect(slot.map((r) => r.region)).toEqual(['usa', 'india', 'eu-west']);
      for (const row of slot) {
        expect(row.scheduledAt).toBe(row.position.replace('.123456Z', '.123Z'));
        // SET reads the old row: checked_at is the old slot + 0.999999 s.
        expect(row.checkedAt).toMatch(/:00\.999Z$/);
        if (row.certExpiresAt !== null) expect(row.certExpiresAt).toMatch(/\.000Z$/);
      }
    });

    it('walks every row once with the position of each page’s last row', async () => {
      const db = handle.db;
      const seen: string[] = [];
      let after: resultQueries.CheckPosition | undefined;
      for (;;) {
        const page = (await resultQueries.listOwnChecks(db, { userId, monitorId }, { limit: 4, after }))!;
        seen.push(...page.map((r) => `${r.position} ${r.region}`));
        if (page.length < 4) break;
        const last = page[page.length - 1]!;
        after = { scheduledAt: last.position, region: last.region };
      }
      expect(seen).toHaveLength(18);
      expect(new Set(seen).size).toBe(18);
    });

    it('pages across the one-day first look exactly like the unbounded query', async () => {
      const db = handle.db;
      const recent = await seedMonitor(db, userId, { paused: true });
      const now = Date.now();
      // Every 5 hours for 3 days back from an hour ahead (slots may run ahead of this clock), two regions.
      const rows = [];
      for (let at = now + 3_600_000; at > now - 3 * 86_400_000; at -= 5 * 3_600_000) {
        for (const region of ['usa', 'india']) rows.push(resultRow(recent, at, { region }));
      }
      await ensureResultPartitions(db, { now, daysBehind: 4, daysAhead: 1 });
      expect(await insertResults(db, rows)).toBe(rows.length);
      const owner = { userId, monitorId: recent };
      for (const options of [
        {},
        { filter: { to: new Date(now - 86_400_000).toISOString() } },
        { filter: { from: new Date(now - 30 * 3_600_000).toISOString() } },
        { filter: { region: 'usa' } },
      ]) {
        for (const [limit, cachedPlan] of [
          [3, false],
          [3, true],
          [10, false],
          [100, true],
        ] as const) {
          const seen: string[] = [];
          let after: resultQueries.CheckPosition | undefined;
          for (;;) {
            const page = (await resultQueries.listOwnChecks(db, owner, {
              limit,
              after,
              ...options,
              cachedPlan,
            }))!;
            const expected = await referenceChecks(db, recent, { limit, after, ...options });
            expect(page).toEqual(expected.map(checkView));
            seen.push(...page.map((r) => `${r.position} ${r.region}`));
            if (page.length < limit) break;
            const last = page[page.length - 1]!;
            after = { scheduledAt: last.position, region: last.region };
          }
          expect(new Set(seen).size).toBe(seen.length);
          if (Object.keys(options).length === 0) expect(seen).toHaveLength(rows.length);
        }
      }
    });

    it('is null for another user’s monitor and for a missing one, [] for an own monitor without checks', async () => {
      const db = handle.db;
      const stranger = await seedUser(db);
      expect(
        await resultQueries.listOwnChecks(db, { userId: stranger, monitorId }, { limit: 10 }),
      ).toBeNull();
      expect(await resultQueries.listOwnChecks(db, { userId, monitorId: newId() }, { limit: 10 })).toBeNull();
      expect(
        await resultQueries.listOwnChecks(
          db,
          { userId: stranger, monitorId },
          { limit: 10, cachedPlan: true },
        ),
      ).toBeNull();
      const empty = await seedMonitor(db, stranger, { paused: true });
      expect(
        await resultQueries.listOwnChecks(db, { userId: stranger, monitorId: empty }, { limit: 10 }),
      ).toEqual([]);
      expect(await resultQueries.listOwnChecks(db, { userId, monitorId: empty }, { limit: 10 })).toBeNull();
    });
  });

  describe.skipIf(!variant.available)('findSessionUser', () => {
    it('gives the public fields of a live session’s user, and null for anything else', async () => {
      const db = handle.db;
      const userId = await seedUser(db, { name: 'Ada', email: `${newId()}@Example.test` });
      const otherId = await seedUser(db);
      await db.execute(
        sql`UPDATE users SET created_at = '2031-01-10 12:00:00.123999+00' WHERE id = ${userId}`,
      );
      const now = new Date(Date.UTC(2031, 0, 10, 12));
      const sessionId = newId();
      await sessionQueries.createSession(db, {
        id: sessionId,
        userId,
        expiresAt: new Date(now.getTime() + 1000),
      });

      const user = await sessionQueries.findSessionUser(db, { sessionId, userId, now });
      const [row] = await queryRows<{ email: string; updated: string }>(
        db,
        sql`SELECT email, updated_at::text AS updated FROM users WHERE id = ${userId}`,
      );
      expect(user).toEqual({
        id: userId,
        email: row!.email,
        name: 'Ada',
        createdAt: '2031-01-10T12:00:00.123Z',
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(Date.parse(user!.updatedAt)).toBe(new Date(row!.updated).getTime());
      expect(user).not.toHaveProperty('passwordHash');

      // Wrong owner, unknown session, expired (expiry is exclusive), revoked.
      expect(await sessionQueries.findSessionUser(db, { sessionId, userId: otherId, now })).toBeNull();
      expect(await sessionQueries.findSessionUser(db, { sessionId: newId(), userId, now })).toBeNull();
      const expiry = new Date(now.getTime() + 1000);
      expect(await sessionQueries.findSessionUser(db, { sessionId, userId, now: expiry })).toBeNull();
      expect(await sessionQueries.revokeSession(db, sessionId, now)).toBe(true);
      expect(await sessionQueries.findSessionUser(db, { sessionId, userId, now })).toBeNull();
    });
  });
});
