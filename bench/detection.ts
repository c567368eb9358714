/**
 * Figure 8, outage detection: 10,000 monitors at a 60 s interval with the default alert settings
 * (failureThreshold 2, retryIntervalSeconds 10), checked from one region through the CLI's producer and
 * worker. A tenth of them point at a target path that starts answering 503 at an instant the figure
 * chooses, all at once. Measured: the time from that instant to each incident's confirmation (its
 * confirmed_at, written in the transaction of the check that confirmed it), against the bound the
 * incidents issue promises, interval + (failureThreshold - 1) × retry interval + a few seconds; whether
 * each incident starts at the monitor's first failed slot; that no healthy monitor opens one; and how
 * punctual the healthy monitors' checks stay while the retries of the failing ones run.
 */
import { readFileSync } from 'node:fs';
import { type BenchContext, type Figure, type FigureResult, below, goalMet } from './lib/figure.js';
import { insertBenchUser, insertMonitors } from './lib/load.js';
import { startScheduledSystem, watchUntil } from './lib/scheduled-load.js';
import { createBenchDatabase, redisPrefix } from './lib/services.js';
import { percentiles, round } from './lib/stats.js';
import { sleep } from './lib/system.js';
import { startTargetProcess } from './lib/targets.js';
import { CONCURRENCY } from './pipeline-throughput.js';

const REGION = 'usa';
/** The monitors' column defaults (packages/db schema): the figure measures what a user gets unasked. */
const FAILURE_THRESHOLD = 2;
const RETRY_INTERVAL_SECONDS = 10;
/** "A few seconds" of the bound: publishing lead, the check itself, the batched write. */
const SLACK_SECONDS = 5;
/** Every tenth monitor's target goes down. */
const DOWN_EVERY = 10;

/** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const monitors = ctx.quick ? 2_000 : 10_000;
  const intervalSeconds = ctx.quick ? 20 : 60;
  const boundSeconds = intervalSeconds + (FAILURE_THRESHOLD - 1) * RETRY_INTERVAL_SECONDS + SLACK_SECONDS;
  const boundMs = boundSeconds * 1000;

  const db = await createBenchDatabase('detection');
  ctx.defer(() => db.drop());
  const target = await startTargetProcess(ctx, []);
  const keys = redisPrefix('detection');
  ctx.defer(() => keys.cleanup());
  const userId = await insertBenchUser(db.pool, `detection-${Date.now()}@example.test`);
  const isDown = (i: number) => i % DOWN_EVERY === 0;
  ctx.progress.step(
    `inserting ${monitors} monitors at a ${intervalSeconds} s interval, ${monitors / DOWN_EVERY} of them on the failing path`,
  );
  // Long enough for the processes to start before the first slots come due.
  const firstSlotsFrom = Date.now() + 10_000;
  const ids = await insertMonitors(db.pool, {
    userId,
    count: monitors,
    url: (i) => `${target.url}/${isDown(i) ? 'outage' : 'ok'}?m=${i}`,
    intervalSeconds,
    firstCheck: { kind: 'slot', from: firstSlotsFrom },
  });
  const downIds = ids.filter((_, i) => isDown(i));
  const healthyIds = ids.filter((_, i) => !isDown(i));

  const system = await startScheduledSystem(ctx, {
    databaseUrl: db.url,
    streamKey: `${keys.prefix}BetterUptime:Websites`,
    regions: [REGION],
    concurrency: CONCURRENCY,
  });
  // Every monitor has been checked (and is up) a whole interval and some warm-up after its first slot.
  const outageAt = firstSlotsFrom + intervalSeconds * 1000 + 15_000;
  let beforeOutage: Record<string, number> = {};
  let loadAtOutage = '';
  let confirmedWithin: number | null = null;
  try {
    await target.startOutage(outageAt);
    ctx.progress.step(
      `outage at ${new Date(outageAt).toISOString()} (in ${Math.round((outageAt - Date.now()) / 1000)} s); bound ${boundSeconds} s`,
    );
    await ctx.progress.during(
      watchUntil(outageAt - 1_000, system.children),
      () => system.status(outageAt),
      15_000,
    );
    const { rows: states } = await db.pool.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM monitor_states GROUP BY state`,
    );
    beforeOutage = Object.fromEntries(states.map((s) => [s.state, Number(s.n)]));
    await watchUntil(outageAt, system.children);
    loadAtOutage = loadAverage();

    // Until every failing monitor has its incident and the healthy monitors' slots of the interval after
    // the outage are stored; at most well past the bound (then the missing ones count as missed).
    const settledBy = outageAt + Math.max(boundMs, intervalSeconds * 1000 + 5_000);
    const giveUpAt = outageAt + boundMs + 30_000;
    const waitForIncidents = async () => {
      for (;;) {
        for (const child of system.children) {
          if (!child.running) throw new Error(`${child.options.label} exited\n${child.outputTail()}`);
        }
        const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM incidents`);
        const now = Date.now();
        if (Number(rows[0]?.n ?? 0) >= downIds.length && confirmedWithin === null)
          confirmedWithin = now - outageAt;
        if ((confirmedWithin !== null && now >= settledBy) || now >= giveUpAt) return;
        await sleep(500);
      }
    };
    await ctx.progress.during(
      waitForIncidents(),
      async () => {
        const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM incidents`);
        return `${rows[0]?.n ?? 0} of ${downIds.length} incidents confirmed, ${Math.round((Date.now() - outageAt) / 1000)} s after the outage`;
      },
      5_000,
    );
  } finally {
    await system.stop();
    await keys.cleanup();
  }

  // Per failing monitor: its incident, and its first failed slot (the first stored Down after the outage).
  const { rows: incidents } = await db.pool.query<{
    monitor_id: string;
    confirm_ms: number;
    start_ms: number;
    first_failed_ms: number | null;
  }>(
    `SELECT i.monitor_id,
            (EXTRACT(EPOCH FROM i.confirmed_at) * 1000)::float8 AS confirm_ms,
            (EXTRACT(EPOCH FROM i.started_at) * 1000)::float8 AS start_ms,
            (SELECT (EXTRACT(EPOCH FROM min(r.scheduled_at)) * 1000)::float8 FROM check_results r
              WHERE r.monitor_id = i.monitor_id AND r.status = 'Down') AS first_failed_ms
     FROM incidents i`,
  );
  const down = new Set(downIds);
  const confirmed = incidents.filter((i) => down.has(i.monitor_id));
  const falseIncidents = incidents.length - confirmed.length;
  const perMonitor = new Map<string, number>();
  for (const i of confirmed) perMonitor.set(i.monitor_id, (perMonitor.get(i.monitor_id) ?? 0) + 1);
  const missing = downIds.length - perMonitor.size;
  const duplicates = confirmed.length - perMonitor.size;
  const delays = confirmed.map((i) => i.confirm_ms - outageAt);
  const overBound = delays.filter((d) => d > boundMs).length + missing;
  const delay = percentiles(delays, [50, 99, 100]);
  const wrongStart = confirmed.filter(
    (i) => i.first_failed_ms === null || Math.abs(i.start_ms - i.first_failed_ms) > 0.5,
  ).length;
  const firstFailure = percentiles(
    confirmed.map((i) => i.start_ms - outageAt),
    [0, 50, 100],
  );
  const startToConfirm = percentiles(
    confirmed.map((i) => i.confirm_ms - i.start_ms),
    [50, 99, 100],
  );

  // The healthy monitors' checks in the interval after the outage: one slot each.
  const { rows: late } = await db.pool.query<{ late_ms: number; status: string }>(
    `SELECT (EXTRACT(EPOCH FROM checked_at - scheduled_at) * 1000)::float8 AS late_ms, status
     FROM check_results
     WHERE monitor_id = ANY($1::uuid[]) AND scheduled_at >= $2 AND scheduled_at < $3`,
    [healthyIds, new Date(outageAt), new Date(outageAt + intervalSeconds * 1000)],
  );
  const lateness = percentiles(
    late.map((r) => r.late_ms),
    [50, 99, 100],
  );
  const healthyDown = late.filter((r) => r.status !== 'Up').length;
  const { rows: retries } = await db.pool.query<{ late_ms: number }>(
    `SELECT (EXTRACT(EPOCH FROM checked_at - scheduled_at) * 1000)::float8 AS late_ms
     FROM check_results WHERE monitor_id = ANY($1::uuid[]) AND scheduled_at >= $2`,
    [downIds, new Date(outageAt)],
  );
  const retryLateness = percentiles(
    retries.map((r) => r.late_ms),
    [50, 99],
  );

  return {
    metrics: [
      {
        label: 'outage → incident confirmed, p50',
        value: round((delay.p50 ?? 0) / 1000),
        unit: 's',
      },
      {
        label: 'outage → incident confirmed, p99',
        value: round((delay.p99 ?? 0) / 1000),
        unit: 's',
        goal: `< ${boundSeconds} s (interval + (threshold − 1) × retry + ${SLACK_SECONDS} s)`,
        met: below(delay.p99, boundMs),
      },
      {
        label: 'outage → incident confirmed, max',
        value: round((delay.p100 ?? 0) / 1000),
        unit: 's',
        goal: `< ${boundSeconds} s`,
        met: below(delay.p100, boundMs),
      },
      {
        label: `incidents over the bound or missing (of ${downIds.length})`,
        value: overBound,
        unit: 'incidents',
        goal: '0',
        met: goalMet(overBound === 0),
      },
      {
        label: `false incidents (of ${healthyIds.length} healthy monitors)`,
        value: falseIncidents,
        unit: 'incidents',
        goal: '0',
        met: goalMet(falseIncidents === 0),
      },
      {
        label: 'incidents not starting at the first failed slot',
        value: wrongStart,
        unit: 'incidents',
        goal: '0',
        met: goalMet(wrongStart === 0),
      },
      {
        label: 'healthy monitors’ check lateness p50',
        value: round(lateness.p50),
        unit: 'ms',
      },
      {
        label: 'healthy monitors’ check lateness p99',
        value: round(lateness.p99),
        unit: 'ms',
        goal: '< 2000 ms (1 s + producer tick, as figure 2)',
        met: below(lateness.p99, 2_000),
      },
      {
        label: 'healthy monitors’ slots stored in the interval after the outage',
        value: late.length,
        unit: 'results',
        baseline: { label: 'healthy monitors (one slot each)', value: healthyIds.length },
        ratio: round(late.length / healthyIds.length),
        goal: '1',
        met: goalMet(late.length === healthyIds.length),
      },
    ],
    notes: [
      `${monitors} monitors at ${intervalSeconds} s from one region (${REGION}) with the default failureThreshold ${FAILURE_THRESHOLD}, recoveryThreshold 2 and retryIntervalSeconds ${RETRY_INTERVAL_SECONDS}; every ${DOWN_EVERY}th (${downIds.length}) checks a target path that answers 503 from the outage instant on, the others /ok. One \`better-uptime producer\` (1 s tick, 3 s lead) and one \`better-uptime worker\` (WORKER_CONCURRENCY=${CONCURRENCY}); target in its own process.`,
      `Monitor states a second before the outage: ${JSON.stringify(beforeOutage)}. Load average (1/5/15 min) at the outage: ${loadAtOutage}.`,
      `Confirmation delay = incidents.confirmed_at − outage instant; bound ${boundSeconds} s = ${intervalSeconds} + (${FAILURE_THRESHOLD} − 1) × ${RETRY_INTERVAL_SECONDS} + ${SLACK_SECONDS}. All ${downIds.length} confirmed within ${confirmedWithin === null ? '– (not all)' : `${round(confirmedWithin / 1000)} s`}; ${duplicates} duplicate incident(s).`,
      `First failed slot − outage: min ${round((firstFailure.p0 ?? 0) / 1000)} s, p50 ${round((firstFailure.p50 ?? 0) / 1000)} s, max ${round((firstFailure.p100 ?? 0) / 1000)} s (uniform over the interval, by phase); first failed slot → confirmed: p50 ${round((startToConfirm.p50 ?? 0) / 1000)} s, p99 ${round((startToConfirm.p99 ?? 0) / 1000)} s, max ${round((startToConfirm.p100 ?? 0) / 1000)} s (one retry interval, the check and the write).`,
      `Healthy lateness: checked_at − scheduled_at of the ${late.length} healthy slots in [outage, outage + ${intervalSeconds} s) (max ${round(lateness.p100)} ms, ${healthyDown} not Up). The failing monitors' ${retries.length} checks after the outage (grid and retry slots): lateness p50 ${round(retryLateness.p50)} ms, p99 ${round(retryLateness.p99)} ms.`,
    ],
    details: {
      monitors,
      intervalSeconds,
      boundSeconds,
      outageAt,
      beforeOutage,
      loadAtOutage,
      delayMs: delay,
      overBound,
      missing,
      duplicates,
      falseIncidents,
      wrongStart,
      firstFailureMs: firstFailure,
      startToConfirmMs: startToConfirm,
      lateness,
      retryLateness,
      healthyStored: late.length,
    },
  };
}

export const detection: Figure = {
  name: 'detection',
  title: 'Outage detection: 1,000 of 10,000 targets down at once',
  run,
};
