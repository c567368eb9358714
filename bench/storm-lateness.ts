/**
 * Checks on time during an alert storm. One system (the CLI's producer, whose notifier sends the storm's
 * messages, and one worker), three kinds of monitors at a 30 s interval: bystanders that stay up, group A
 * (1,000 monitors of 100 users without channels) and group B (1,000 monitors of 100 other users, each
 * user with three channels whose receivers are slow or never answer: a webhook and PagerDuty that hang
 * until the notifier's 10 s timeout, Slack that answers after 5 s). Ten monitors a user is below the
 * alert-storm threshold, so every incident is a message of its own: 3,000 messages to 300 channels, more
 * than the notifier's 50 slots can hold. In the same run, three windows of check lateness (check start
 * minus slot, of every stored result):
 *   quiet      every target up;
 *   outage A   group A down (retries every 10 s, incidents opened), and nobody to tell;
 *   storm B    group B down the same way (A recovered before), its 1,000 incidents told to 3 channels each.
 * Outage A is the baseline of storm B: the same outage load on the checks, without the notifications.
 */
import { startReceiverSink } from '@better-uptime/testing/receivers';
import { type BenchContext, type Figure, type FigureResult, below, ratio } from './lib/figure.js';
import { insertBenchUser, insertLinkedChannels, insertMonitors } from './lib/load.js';
import { PRODUCER_TICK_MS, startScheduledSystem, watchUntil } from './lib/scheduled-load.js';
import { createBenchDatabase, redisPrefix } from './lib/services.js';
import { percentiles, round } from './lib/stats.js';
import { startTargetProcess } from './lib/targets.js';
import { CONCURRENCY } from './pipeline-throughput.js';

const REGION = 'usa';
/** The notifier's default NOTIFY_TIMEOUT_MS: how long a hanging receiver holds each message. */
const NOTIFY_TIMEOUT_MS = 10_000;
const SLACK_DELAY_MS = 5_000;

interface Window {
  label: string;
  from: number;
  to: number;
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const group = ctx.quick ? 300 : 1_000;
  const bystanders = ctx.quick ? 600 : 2_000;
  const users = ctx.quick ? 30 : 100;
  const intervalSeconds = ctx.quick ? 20 : 30;
  const intervalMs = intervalSeconds * 1000;

  const db = await createBenchDatabase('storm');
  ctx.defer(() => db.drop());
  const target = await startTargetProcess(ctx, []);
  const sink = await startReceiverSink();
  ctx.defer(() => sink.close());
  sink.answer('/hook', 'hang');
  sink.answer('/pagerduty', 'hang');
  sink.answer('/slack', { status: 200, delayMs: SLACK_DELAY_MS });
  const keys = redisPrefix('storm');
  ctx.defer(() => keys.cleanup());

  ctx.progress.step(
    `inserting ${bystanders} bystanders and 2 × ${group} monitors of ${users} users each at ${intervalSeconds} s, 3 channels per user of group B`,
  );
  const firstSlotsFrom = Date.now() + 15_000;
  const spec = { intervalSeconds, firstCheck: { kind: 'slot' as const, from: firstSlotsFrom } };
  const bystanderIds = await insertMonitors(db.pool, {
    ...spec,
    userId: await insertBenchUser(db.pool, `bystander-${Date.now()}@example.test`),
    count: bystanders,
    url: (i) => `${target.url}/ok?m=${i}`,
  });
  // Groups A and B alike: each spread over `users` users (10 monitors each: below the grouping threshold,
  // so every incident is a message of its own); B's users have 3 channels each.
  const perUser = group / users;
  const stormIds: string[] = [];
  for (let u = 0; u < users; u++) {
    await insertMonitors(db.pool, {
      ...spec,
      userId: await insertBenchUser(db.pool, `quiet-${u}-${Date.now()}@example.test`),
      count: perUser,
      url: (i) => `${target.url}/outage-a?m=${u}-${i}`,
    });
    const stormUser = await insertBenchUser(db.pool, `storm-${u}-${Date.now()}@example.test`);
    const ids = await insertMonitors(db.pool, {
      ...spec,
      userId: stormUser,
      count: perUser,
      url: (i) => `${target.url}/outage-b?m=${u}-${i}`,
    });
    // Sealed as the API stores them, linked to every monitor of the user.
    await insertLinkedChannels(db, stormUser, ids, [
      { type: 'webhook', config: { url: `${sink.url}/hook` } },
      { type: 'slack', config: { url: `${sink.url}/slack` } },
      { type: 'pagerduty', config: { routingKey: 'B3NCHR0UT1NGKEY0123456789abcdefA' } },
    ]);
    stormIds.push(...ids);
  }

  const system = await startScheduledSystem(ctx, {
    databaseUrl: db.url,
    streamKey: `${keys.prefix}BetterUptime:Websites`,
    regions: [REGION],
    concurrency: CONCURRENCY,
    producerEnv: {
      PAGERDUTY_EVENTS_URL: `${sink.url}/pagerduty`,
      NOTIFY_TIMEOUT_MS: String(NOTIFY_TIMEOUT_MS),
    },
  });
  // Every monitor checked for an interval and some warm-up, then: quiet, A down, A recovers, B down.
  const quietFrom = firstSlotsFrom + intervalMs + 10_000;
  const outageA = quietFrom + intervalMs;
  const recoverA = outageA + 2 * intervalMs;
  const stormB = recoverA + intervalMs;
  const end = stormB + 2 * intervalMs;
  const windows: Window[] = [
    { label: 'quiet', from: quietFrom, to: outageA },
    { label: 'outage A (no channels)', from: outageA, to: recoverA },
    { label: 'storm B (3 slow channels each)', from: stormB, to: end },
  ];
  try {
    await target.startOutage(outageA, { path: '/outage-a', until: recoverA });
    await target.startOutage(stormB, { path: '/outage-b' });
    ctx.progress.step(`windows of ${intervalSeconds * 2} s from ${new Date(quietFrom).toISOString()}`);
    await ctx.progress.during(watchUntil(end + 5_000, system.children), () => system.status(end), 15_000);
  } finally {
    await system.stop();
    await keys.cleanup();
  }

  const lateness = async (window: Window, ids?: readonly string[]) => {
    const { rows } = await db.pool.query<{ late_ms: number }>(
      `SELECT (EXTRACT(EPOCH FROM checked_at - scheduled_at) * 1000)::float8 AS late_ms FROM check_results
       WHERE scheduled_at >= $1 AND scheduled_at < $2 ${ids ? 'AND monitor_id = ANY($3::uuid[])' : ''}`,
      [new Date(window.from), new Date(window.to), ...(ids ? [ids] : [])],
    );
    return {
      checks: rows.length,
      ...percentiles(
        rows.map((r) => r.late_ms),
        [50, 99, 100],
      ),
    };
  };
  const all = await Promise.all(windows.map((w) => lateness(w)));
  const bystanding = await Promise.all(windows.map((w) => lateness(w, bystanderIds)));
  const { rows: incidents } = await db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM incidents WHERE monitor_id = ANY($1::uuid[])`,
    [stormIds],
  );
  const { rows: deliveries } = await db.pool.query<{ n: string; attempts: string; delivered: string }>(
    `SELECT count(*) AS n, COALESCE(sum(d.attempts), 0) AS attempts,
            count(*) FILTER (WHERE d.status = 'delivered') AS delivered
     FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.monitor_id = ANY($1::uuid[])`,
    [stormIds],
  );
  const requests = (path: string) => sink.received.filter((r) => r.path === path).length;
  const [quiet, outage, storm] = all as [Awaited<ReturnType<typeof lateness>>, ...typeof all];
  const goalMs = 1_000 + PRODUCER_TICK_MS;
  return {
    metrics: [
      { label: 'lateness p50, quiet', value: round(quiet.p50), unit: 'ms' },
      { label: 'lateness p99, quiet', value: round(quiet.p99), unit: 'ms' },
      { label: 'lateness p50, outage A (no channels)', value: round(outage!.p50), unit: 'ms' },
      { label: 'lateness p99, outage A (no channels)', value: round(outage!.p99), unit: 'ms' },
      { label: 'lateness p50, storm B', value: round(storm!.p50), unit: 'ms' },
      {
        label: 'lateness p99, storm B',
        value: round(storm!.p99),
        unit: 'ms',
        baseline: { label: 'outage A, the same outage without notifications', value: round(outage!.p99) },
        ratio: round(ratio(storm!.p99, outage!.p99)),
        goal: `< ${goalMs} ms (1 s + producer tick), as without the storm`,
        met: below(storm!.p99, goalMs),
      },
      {
        label: 'bystanders’ lateness p99, storm B',
        value: round(bystanding[2]!.p99),
        unit: 'ms',
        baseline: { label: 'bystanders, quiet', value: round(bystanding[0]!.p99) },
        ratio: round(ratio(bystanding[2]!.p99, bystanding[0]!.p99)),
      },
      {
        label: 'storm B incidents opened',
        value: Number(incidents[0]?.n ?? 0),
        unit: 'incidents',
        goal: `${group}`,
        met: Number(incidents[0]?.n ?? 0) === group,
      },
    ],
    notes: [
      `${bystanders} bystanders + ${group} (group A) + ${group} (group B; each group ${users} users of ${group / users} monitors) http monitors at ${intervalSeconds} s, one region, through \`better-uptime producer\` (with its notifier) and one \`better-uptime worker\` (WORKER_CONCURRENCY=${CONCURRENCY}); the target in its own process, the receivers in the benchmark's.`,
      `Windows of ${2 * intervalSeconds} s (quiet: ${intervalSeconds} s) by scheduled time; lateness = checked_at − scheduled_at of every stored result: ${windows.map((w, i) => `${w.label} ${all[i]!.checks} checks, max ${round(all[i]!.p100)} ms`).join('; ')}.`,
      `Group B's channels (3 per user, ${3 * users} in all): webhook and PagerDuty receivers that never answer (NOTIFY_TIMEOUT_MS=${NOTIFY_TIMEOUT_MS}), Slack answering after ${SLACK_DELAY_MS / 1000} s; default NOTIFY_CONCURRENCY 50, 2 per channel. ${deliveries[0]?.n ?? 0} deliveries, ${deliveries[0]?.attempts ?? 0} attempts, ${deliveries[0]?.delivered ?? 0} delivered by the end; requests received: webhook ${requests('/hook')}, PagerDuty ${requests('/pagerduty')}, Slack ${requests('/slack')}.`,
      `Bystanders' lateness p99 by window: ${windows.map((w, i) => `${w.label} ${round(bystanding[i]!.p99)} ms`).join(', ')}.`,
    ],
    details: { windows, all, bystanding, deliveries: deliveries[0], incidents: incidents[0] },
  };
}

export const stormLateness: Figure = {
  name: 'storm-lateness',
  title: 'Checks on time during an alert storm with slow and hanging receivers',
  run,
};
