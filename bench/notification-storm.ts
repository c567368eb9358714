/**
 * Notification storm: 1,000 monitors of one user go down at once (their second failed check confirms them,
 * written as a worker's flushes of 500 results), each linked to the user's 3 channels (webhook, Slack,
 * email through a real SMTP server, all on 127.0.0.1). One notifier with the default settings sends them.
 * Measured: time from each incident's confirmation (its event) to its delivery, p50 and p99, and how many
 * messages went out for the 3,000 deliveries (grouping). Baseline: one monitor going down alone, the same
 * way, in the same run (its latency is the 2 s grouping hold plus sending).
 */
import { sql } from 'drizzle-orm';
import { channelSecretBox, createLogger, loadConfig } from '@better-uptime/config';
import { type Database, queryRows, type ResultRow } from '@better-uptime/db';
import { recordResults } from '@better-uptime/incidents';
import { Notifier } from '@better-uptime/notifications';
import { startReceiverSink, startSmtpSink } from '@better-uptime/testing/receivers';
import { type BenchContext, type Figure, type FigureResult, below } from './lib/figure.js';
import { insertBenchUser, insertLinkedChannels, insertMonitors } from './lib/load.js';
import { createBenchDatabase } from './lib/services.js';
import { BENCH_SECRETS_KEY } from './lib/system.js';
import { median, percentile, round } from './lib/stats.js';

const MONITORS = 1_000;
const FLUSH_ROWS = 500;
const logger = createLogger('bench-notify', 'warn');
const secrets = channelSecretBox([BENCH_SECRETS_KEY]);

interface Round {
  deliveries: number;
  messages: number;
  p50Ms: number | null;
  p99Ms: number | null;
  seconds: number;
}

async function stormRound(ctx: BenchContext, monitors: number): Promise<Round> {
  const db = await createBenchDatabase('notify');
  ctx.defer(() => db.drop());
  const sink = await startReceiverSink();
  ctx.defer(() => sink.close());
  const smtp = await startSmtpSink();
  ctx.defer(() => smtp.close());
  const userId = await insertBenchUser(db.pool);
  const monitorIds = await insertMonitors(db.pool, {
    userId,
    count: monitors,
    url: (i) => `https://site-${i}.example/health`,
    intervalSeconds: 180,
    regions: ['usa'],
    firstCheck: { kind: 'never' },
  });
  const database: Database = db.handle.db;
  const channels = [
    { type: 'webhook', config: { url: `${sink.url}/webhook` } },
    { type: 'slack', config: { url: `${sink.url}/slack` } },
    { type: 'email', config: { to: ['oncall@example.test'] } },
  ];
  await insertLinkedChannels(db, userId, monitorIds, channels);
  const config = loadConfig({
    SMTP_URL: smtp.url,
    ALLOW_PRIVATE_TARGETS: 'true',
    TELEGRAM_API_URL: sink.url,
    PAGERDUTY_EVENTS_URL: sink.url,
  });
  const notifier = new Notifier({
    db: database,
    settings: config.notifications,
    allowPrivateTargets: true,
    secrets,
    logger,
  });
  notifier.start();
  ctx.defer(() => notifier.stop());

  // Two failed checks per monitor, a worker's flushes of 500 rows each: the second confirms.
  const slot = Date.now() + 1_000;
  const started = performance.now();
  for (const step of [0, 1]) {
    const rows = monitorIds.map((id): ResultRow => ({
      monitorId: id,
      region: 'usa',
      scheduledAt: new Date(slot + step * 10_000),
      checkedAt: new Date(slot + step * 10_000 + 20),
      status: 'Down',
      responseTimeMs: 20,
      statusCode: 503,
      reason: 'http_status',
      message: 'HTTP 503',
      dnsMs: null,
      connectMs: null,
      tlsMs: null,
      firstByteMs: null,
      certExpiresAt: null,
    }));
    for (let i = 0; i < rows.length; i += FLUSH_ROWS) {
      await recordResults(database, rows.slice(i, i + FLUSH_ROWS), { regions: ['usa'], logger });
    }
  }
  const expected = monitors * channels.length;
  for (;;) {
    const [row] = await queryRows<{ n: number }>(
      database,
      sql`SELECT count(*)::int AS n FROM deliveries WHERE status <> 'pending'`,
    );
    if (row!.n >= expected) break;
    if (performance.now() - started > 120_000) throw new Error(`${row!.n} of ${expected} deliveries done`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await notifier.stop();
  const latencies = await queryRows<{ ms: number; status: string }>(
    database,
    sql`SELECT extract(epoch FROM d.delivered_at - e.created_at)::float8 * 1000 AS ms, d.status
        FROM deliveries d JOIN events e ON e.id = d.event_id`,
  );
  const failed = latencies.filter((l) => l.status !== 'delivered').length;
  if (failed > 0) throw new Error(`${failed} deliveries failed`);
  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
  return {
    deliveries: latencies.length,
    messages: sink.received.length + smtp.mails.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    seconds,
  };
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const storms: Round[] = [];
  const singles: Round[] = [];
  for (let n = 1; n <= ctx.runs; n++) {
    ctx.progress.step(`round ${n}/${ctx.runs}: one monitor down`);
    singles.push(await stormRound(ctx, 1));
    ctx.progress.step(`round ${n}/${ctx.runs}: ${MONITORS} monitors down at once, 3 channels each`);
    storms.push(await stormRound(ctx, MONITORS));
  }
  const p50 = median(storms.map((r) => r.p50Ms ?? NaN));
  const p99 = median(storms.map((r) => r.p99Ms ?? NaN));
  const single = median(singles.map((r) => r.p50Ms ?? NaN));
  const messages = median(storms.map((r) => r.messages));
  return {
    metrics: [
      {
        label: 'confirmation to delivery, p50',
        value: round(p50),
        unit: 'ms',
        baseline: { label: 'one monitor down alone', value: round(single) },
        goal: '< 10 s',
        met: below(p50, 10_000),
      },
      {
        label: 'confirmation to delivery, p99',
        value: round(p99),
        unit: 'ms',
        goal: '< 30 s',
        met: below(p99, 30_000),
      },
      {
        label: `messages sent for ${MONITORS * 3} deliveries`,
        value: messages,
        unit: 'messages',
        goal: '≤ 30 (grouped)',
        met: messages === null ? null : messages <= 30,
      },
    ],
    notes: [
      `${MONITORS} monitors of one user, each linked to a webhook, a Slack and an email channel (receivers and a real SMTP server on 127.0.0.1); their second failed check written as flushes of ${FLUSH_ROWS} results.`,
      'One notifier with the default settings (NOTIFY_CONCURRENCY 50, 2 per channel, 500 ms poll); state changes wait 2 s after their event so a burst is grouped.',
      `Storm rounds took ${storms.map((r) => round(r.seconds)).join(', ')} s from the first result written to the last delivery.`,
      'Checks being on time during the storm is not measured here: the notifier runs on its own timers and connections in the producer, apart from the workers.',
    ],
    details: { storms, singles },
  };
}

export const notificationStorm: Figure = {
  name: 'notification-storm',
  title: 'Notification storm: 1,000 monitors down at once, 3 channels each',
  run,
};
