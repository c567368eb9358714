import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, queryRows } from '@better-uptime/db';
import {
  createTestDatabase,
  postgresAvailable,
  type ReceiverSink,
  resultRow,
  seedUser,
  startReceiverSink,
  type TestDatabase,
} from '@better-uptime/testing';
import { recordResults } from '@better-uptime/incidents';
import { leaseMs, Notifier } from '../src/index.js';
import {
  addChannel,
  deliveriesOf,
  link,
  logger,
  monitorWithChecks,
  secrets,
  SECRETS_KEY,
  settled,
  testSettings,
} from './helpers.js';

const CHILD = new URL('./notifier-process.ts', import.meta.url).pathname;
const TSX_LOADER = ['--import', new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href];
const DAY = 86_400_000;

interface Hook {
  id: string;
  type: string;
}

describe.skipIf(!postgresAvailable())('delivery guarantees', () => {
  let testDb: TestDatabase;
  let db: Database;
  let sink: ReceiverSink;
  let userId: string;
  const notifiers: Notifier[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = testDb.handle.db;
    sink = await startReceiverSink();
  });
  beforeEach(async () => {
    userId = await seedUser(db);
  });
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.stop()));
  });
  afterAll(async () => {
    await sink?.close();
    await testDb?.drop();
  });

  function notifier(overrides: Parameters<typeof testSettings>[1] = {}) {
    const n = new Notifier({
      db,
      secrets,
      settings: testSettings({ sinkUrl: sink.url }, overrides),
      allowPrivateTargets: true,
      logger,
    });
    notifiers.push(n);
    return n;
  }

  const hooksAt = (path: string) => sink.received.filter((r) => r.path === path).map((r) => r.json as Hook);

  it('delivers each event once more after a notifier is SIGKILLed mid-send, and nothing is lost', async () => {
    // The first request hangs (the killed notifier's), later ones are answered.
    sink.answer('/killed', 'hang', { status: 200 });
    const channel = await addChannel(db, userId, 'webhook', { url: `${sink.url}/killed` });
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [channel.id]);
    await monitor.down();
    await monitor.up();

    const child = spawn(process.execPath, [...TSX_LOADER, CHILD], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: testDb.url,
        ALLOW_PRIVATE_TARGETS: 'true',
        SECRETS_KEY,
        LOG_LEVEL: 'silent',
        NOTIFY_TIMEOUT_MS: '1000',
        NOTIFY_POLL_MS: '50',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await sink.waitFor((r) => r.path === '/killed', 1, 30_000);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const [opened] = await deliveriesOf(db, channel.id);
    expect(opened).toMatchObject({ eventType: 'incident.opened', status: 'pending', attempts: 1 });

    // Another notifier takes the delivery once the dead one's lease runs out, then the resolve after it.
    notifier({ timeoutMs: 1_000 }).start();
    await settled(db, [channel.id], leaseMs({ timeoutMs: 1_000 }) + 20_000);
    expect((await deliveriesOf(db, channel.id)).map((d) => [d.eventType, d.status, d.attempts])).toEqual([
      ['incident.opened', 'delivered', 2],
      ['incident.resolved', 'delivered', 1],
    ]);
    const hooks = hooksAt('/killed');
    expect(hooks.map((h) => h.type)).toEqual(['incident.opened', 'incident.opened', 'incident.resolved']);
    // At least once: the receiver deduplicates the repeat on the event id.
    expect(hooks[0]!.id).toBe(hooks[1]!.id);
    expect(new Set(hooks.map((h) => h.id)).size).toBe(2);
  }, 60_000);

  it('two notifiers at once send every message exactly once between them', async () => {
    const channels = [
      await addChannel(db, userId, 'webhook', { url: `${sink.url}/pair-a` }),
      await addChannel(db, userId, 'webhook', { url: `${sink.url}/pair-b` }),
    ];
    for (let i = 0; i < 5; i++) {
      const monitor = await monitorWithChecks(db, userId, `pair ${i}`);
      await link(
        db,
        monitor.id,
        channels.map((c) => c.id),
      );
      await monitor.down();
      await monitor.up();
    }
    notifier().start();
    notifier().start();
    await settled(
      db,
      channels.map((c) => c.id),
    );
    for (const path of ['/pair-a', '/pair-b']) {
      const hooks = hooksAt(path);
      expect(hooks).toHaveLength(10);
      expect(new Set(hooks.map((h) => h.id)).size).toBe(10);
    }
  });

  it('reminds of an open, unacknowledged incident every interval, once however many notifiers look', async () => {
    const channel = await addChannel(db, userId, 'webhook', { url: `${sink.url}/remind` });
    const monitor = await monitorWithChecks(db, userId, 'Reminded');
    await link(db, monitor.id, [channel.id]);
    await db.execute(
      sql`INSERT INTO monitor_reminders (monitor_id, interval_minutes) VALUES (${monitor.id}, 5)`,
    );
    await monitor.down();
    const [a, b] = [notifier(), notifier()];
    expect(await a.scanReminders()).toBe(0); // opened just now
    const ageIncident = (minutes: number) =>
      db.execute(sql`UPDATE incidents SET confirmed_at = now() - make_interval(mins => ${minutes})
                     WHERE monitor_id = ${monitor.id}`);
    await ageIncident(6);
    expect((await Promise.all([a.scanReminders(), b.scanReminders()])).reduce((x, y) => x + y)).toBe(1);
    expect(await a.scanReminders()).toBe(0);
    await db.execute(sql`UPDATE incident_reminders SET sent_at = now() - interval '6 minutes'`);
    await db.execute(sql`UPDATE incidents SET acknowledged_at = now() WHERE monitor_id = ${monitor.id}`);
    expect(await a.scanReminders()).toBe(0); // acknowledged: someone is on it
    a.start();
    await settled(db, [channel.id]);
    expect(hooksAt('/remind').map((h) => h.type)).toEqual(['incident.opened', 'incident.reminder']);
  });

  it('warns of a certificate at 14, 7 and 1 days before expiry, once per threshold per certificate', async () => {
    const channel = await addChannel(db, userId, 'webhook', { url: `${sink.url}/cert` });
    const monitor = await monitorWithChecks(db, userId, 'TLS site');
    await link(db, monitor.id, [channel.id]);
    const n = notifier();
    let slot = Date.now() + 1_000;
    const seen = async (expiresIn: number) => {
      slot += 10_000;
      await recordResults(
        db,
        [resultRow(monitor.id, slot, { certExpiresAt: new Date(Date.now() + expiresIn) })],
        {
          regions: ['usa'],
          logger,
        },
      );
    };
    await seen(30 * DAY);
    expect(await n.scanCertificates()).toBe(0);
    await seen(5 * DAY); // past 14 and 7 at once: told once, at 7
    expect(await n.scanCertificates()).toBe(1);
    expect(await n.scanCertificates()).toBe(0);
    await seen(DAY / 2);
    expect(await n.scanCertificates()).toBe(1);
    await seen(90 * DAY); // renewed
    expect(await n.scanCertificates()).toBe(0);
    const events = await queryRows<{ payload: { certificate: { thresholdDays: number; daysLeft: number } } }>(
      db,
      sql`SELECT payload FROM events WHERE monitor_id = ${monitor.id} AND type = 'certificate.expiring' ORDER BY id`,
    );
    expect(events.map((e) => e.payload.certificate.thresholdDays)).toEqual([7, 1]);
    expect(events.map((e) => e.payload.certificate.daysLeft)).toEqual([4, 0]);
    n.start();
    await settled(db, [channel.id]);
    expect(hooksAt('/cert').map((h) => h.type)).toEqual(['certificate.expiring', 'certificate.expiring']);
  });
});
