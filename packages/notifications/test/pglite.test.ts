import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, migrateDatabase, openMemoryDatabase } from '@better-uptime/db';
import { type ReceiverSink, seedUser, startReceiverSink } from '@better-uptime/testing';
import {
  addChannel,
  deliveriesOf,
  link,
  monitorWithChecks,
  notifyUntilSettled,
  testSettings,
} from './helpers.js';

/** The embedded database runs the same outbox, claims and attempts as PostgreSQL. */
describe('notifications on embedded PGlite', () => {
  let handle: DatabaseHandle;
  let sink: ReceiverSink;

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    await migrateDatabase(handle);
    sink = await startReceiverSink();
  });
  afterAll(async () => {
    await sink?.close();
    await handle?.close();
  });

  it('fans out, claims, retries and records deliveries', async () => {
    const db = handle.db;
    const userId = await seedUser(db);
    sink.answer('/embedded', { status: 502 }, { status: 204 });
    const channel = await addChannel(db, userId, 'webhook', { url: `${sink.url}/embedded` });
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [channel.id]);
    await monitor.down();
    await monitor.up();
    const counters = await notifyUntilSettled(db, [channel.id], testSettings({ sinkUrl: sink.url }));
    expect((await deliveriesOf(db, channel.id)).map((d) => [d.eventType, d.status, d.attempts])).toEqual([
      ['incident.opened', 'delivered', 2],
      ['incident.resolved', 'delivered', 1],
    ]);
    expect(counters).toMatchObject({ messages: 3, delivered: 2, retried: 1, failed: 0 });
  });
});
