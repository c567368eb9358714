import { sql } from 'drizzle-orm';
import { channelSecretBox, createLogger, type NotificationSettings } from '@better-uptime/config';
import { type Database, newId, notificationQueries, queryRows, type ResultRow } from '@better-uptime/db';
import { recordResults } from '@better-uptime/incidents';
import { resultRow, seedMonitor } from '@better-uptime/testing';
import { newChannelSecret, Notifier, sealChannel } from '../src/index.js';

export const logger = createLogger('test', 'silent');

/** The key the tests seal channel secrets with (SECRETS_KEY), and its box. */
export const SECRETS_KEY = 'notifications-test-secrets-key-0123456789abcdef';
export const secrets = channelSecretBox([SECRETS_KEY]);

/** Quick settings for tests: short timeouts and retries, receivers on 127.0.0.1. */
export function testSettings(
  receivers: { sinkUrl: string; smtpUrl?: string },
  overrides: Partial<NotificationSettings> = {},
): NotificationSettings {
  return {
    publicUrl: 'http://dashboard.test',
    smtpUrl: receivers.smtpUrl,
    smtpFrom: 'Better Uptime <alerts@uptime.test>',
    telegramApiUrl: `${receivers.sinkUrl}/telegram`,
    pagerdutyEventsUrl: `${receivers.sinkUrl}/pagerduty`,
    timeoutMs: 1_000,
    retryBaseMs: 100,
    giveUpAfterMs: 60_000,
    concurrency: 20,
    channelConcurrency: 2,
    pollMs: 50,
    ...overrides,
  };
}

export async function addChannel(
  db: Database,
  userId: string,
  type: string,
  config: Record<string, unknown>,
  name = type,
) {
  const secret = newChannelSecret();
  const stored = await notificationQueries.insertChannel(
    db,
    sealChannel({ id: newId(), userId, type, name, config, secret, isDefault: false }, secrets),
  );
  // What the test knows of it: the secrets in the clear, as the API answered them at creation.
  return { ...stored, config, secret };
}

export async function link(db: Database, monitorId: string, channelIds: readonly string[]) {
  for (const channelId of channelIds) {
    await db.execute(
      sql`INSERT INTO monitor_channels (monitor_id, channel_id) VALUES (${monitorId}, ${channelId})`,
    );
  }
}

const STEP = 10_000;

/** A monitor of the user checked from usa alone, whose checks the test writes as a worker would. */
export async function monitorWithChecks(db: Database, userId: string, name = 'Shop') {
  // Due tomorrow: only the test writes its results.
  const id = await seedMonitor(db, userId, {
    name,
    url: 'https://shop.example/health',
    regions: ['usa'],
    nextCheckAt: new Date(Date.now() + 86_400_000),
  });
  let slot = Date.now() + 1_000 - STEP;
  const record = (rows: ResultRow[]) => recordResults(db, rows, { regions: ['usa'], logger });
  const next = () => (slot += STEP);
  return {
    id,
    /** Two failed checks: the incident opens. */
    down: () =>
      record(
        [0, 1].map(() =>
          resultRow(id, next(), {
            status: 'Down',
            statusCode: 503,
            reason: 'http_status',
            message: 'HTTP 503',
          }),
        ),
      ),
    /** Two good checks: it resolves. */
    up: () => record([0, 1].map(() => resultRow(id, next()))),
  };
}

export interface DeliveryState {
  id: number;
  channelId: string;
  eventType: string;
  status: string;
  attempts: number;
}

export function deliveriesOf(db: Database, channelId: string) {
  return queryRows<DeliveryState>(
    db,
    sql`SELECT d.id::float8 AS id, d.channel_id AS "channelId", e.type AS "eventType", d.status, d.attempts
        FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.channel_id = ${channelId} ORDER BY d.id`,
  );
}

/** Waits until no delivery of these channels is pending. */
export async function settled(db: Database, channelIds: readonly string[], timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM deliveries
          WHERE status = 'pending' AND channel_id = ANY(${sql.param([...channelIds])}::uuid[])`,
    );
    if (row!.n === 0) return;
    if (Date.now() > until) throw new Error(`${row!.n} deliveries still pending`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a notifier with these settings until no delivery of the channels is pending; answers its counters. */
export async function notifyUntilSettled(
  db: Database,
  channelIds: readonly string[],
  settings: NotificationSettings,
): Promise<Notifier['counters']> {
  const notifier = new Notifier({ db, secrets, settings, allowPrivateTargets: true, logger });
  notifier.start();
  try {
    await settled(db, channelIds);
  } finally {
    await notifier.stop();
  }
  return notifier.counters;
}
