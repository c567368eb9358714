import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseVariants, seedMonitor, seedUser } from '@better-uptime/testing';
import { type DatabaseHandle, newId, statusPageQueries, UNIQUE_VIOLATION, sqlState } from '../src/index.js';

const show = { uptimeBars: true, uptimePercent: true, incidents: true, maintenance: false };

describe.each(databaseVariants())('status page queries on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
  });
  afterEach(async () => drop?.());

  it.skipIf(!variant.available)(
    'store pages, find published ones by slug or domain, and read only the owner’s monitors',
    async () => {
      const { db } = handle;
      const owner = await seedUser(db);
      const other = await seedUser(db);
      const mine = await seedMonitor(db, owner);
      const theirs = await seedMonitor(db, other);
      const fields = {
        slug: 'acme',
        title: 'Acme',
        description: '',
        sections: [
          {
            name: 'All',
            monitors: [
              { monitorId: mine, displayName: 'API' },
              { monitorId: theirs, displayName: 'X' },
            ],
          },
        ],
        show,
        published: true,
        customDomain: 'status.acme.test',
      };
      const page = await statusPageQueries.insertStatusPage(db, { id: newId(), userId: owner, ...fields });
      expect(page.sections).toEqual(fields.sections);
      expect((await statusPageQueries.findPublishedPage(db, { slug: 'acme' }))?.id).toBe(page.id);
      expect((await statusPageQueries.findPublishedPage(db, { customDomain: 'STATUS.acme.test' }))?.id).toBe(
        page.id,
      );
      expect(await statusPageQueries.findPublishedPage(db, { slug: 'nope' })).toBeNull();
      await expect(
        statusPageQueries.insertStatusPage(db, { id: newId(), userId: other, ...fields, customDomain: null }),
      ).rejects.toSatisfy((error) => sqlState(error) === UNIQUE_VIOLATION);

      // Only the owner's monitors, whatever the page names.
      const states = await statusPageQueries.monitorStates(db, owner, [mine, theirs]);
      expect([...states.entries()]).toEqual([[mine, 'pending']]);

      const now = Date.now();
      const incident = (monitorId: string, userId: string, status: string, startedAgoMs: number) =>
        db.execute(sql`INSERT INTO incidents (id, monitor_id, user_id, status, started_at, confirmed_at, resolved_at, cause)
        VALUES (${newId()}, ${monitorId}, ${userId}, ${status}, ${new Date(now - startedAgoMs).toISOString()}::timestamptz,
                ${new Date(now - startedAgoMs).toISOString()}::timestamptz,
                ${status === 'resolved' ? new Date(now - startedAgoMs + 60_000).toISOString() : null}::timestamptz,
                '{"reason":"timeout"}'::jsonb)`);
      await incident(mine, owner, 'resolved', 20 * 86_400_000); // too old
      await incident(mine, owner, 'resolved', 2 * 86_400_000);
      await incident(mine, owner, 'open', 60_000);
      await incident(theirs, other, 'open', 60_000);
      const found = await statusPageQueries.pageIncidents(db, owner, [mine, theirs], now - 14 * 86_400_000);
      expect(found.map((i) => [i.monitorId, i.status, i.reason])).toEqual([
        [mine, 'open', 'timeout'],
        [mine, 'resolved', 'timeout'],
      ]);

      await statusPageQueries.replaceStatusPage(db, owner, page.id, { ...fields, published: false });
      expect(await statusPageQueries.findPublishedPage(db, { slug: 'acme' })).toBeNull();
      expect(await statusPageQueries.deleteStatusPage(db, other, page.id)).toBe(false);
      expect(await statusPageQueries.deleteStatusPage(db, owner, page.id)).toBe(true);
    },
  );
});
