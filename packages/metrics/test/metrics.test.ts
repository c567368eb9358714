import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheus, sampleTotal, samplesOf } from '@better-uptime/testing';
import {
  answerMetrics,
  carriesToken,
  createMetrics,
  type FinishedCheck,
  type MetricsServer,
  startMetricsServer,
} from '../src/index.js';

const upCheck: FinishedCheck = {
  kind: 'http',
  region: 'usa',
  outcome: 'up',
  reason: null,
  totalMs: 120,
  dnsMs: null,
  connectMs: 10,
  tlsMs: null,
  firstByteMs: 80,
};

async function scrape(metrics = createMetrics()) {
  return parsePrometheus((await metrics.scrape()).body);
}

describe('metrics', () => {
  it('counts what the sink is told, in series a Prometheus parser reads', async () => {
    const metrics = createMetrics();
    metrics.checkFinished(upCheck);
    metrics.checkFinished(upCheck);
    metrics.checkFinished({
      ...upCheck,
      outcome: 'down',
      reason: 'timeout',
      connectMs: null,
      firstByteMs: null,
    });
    metrics.checkStarted('usa', 12);
    metrics.slotShed('usa', 'stale');
    metrics.deadLettered('usa', 'max_deliveries', 3);
    metrics.resultsWritten('usa', 40, 0.02, 'ok');
    metrics.notificationsSent('slack', 'delivered', 2);
    const families = await scrape(metrics);

    expect(sampleTotal(families, 'better_uptime_checks_total', { outcome: 'up', reason: 'none' })).toBe(2);
    expect(
      sampleTotal(families, 'better_uptime_checks_total', { kind: 'http', region: 'usa', reason: 'timeout' }),
    ).toBe(1);
    // A phase that did not happen (no DNS for an address, a down check's missing response) is not observed.
    expect(families.get('better_uptime_check_phase_seconds')?.type).toBe('HISTOGRAM');
    expect(samplesOf(families, 'better_uptime_check_phase_seconds_count', { phase: 'dns' })).toEqual([]);
    expect(sampleTotal(families, 'better_uptime_check_phase_seconds_count', { phase: 'connect' })).toBe(2);
    expect(sampleTotal(families, 'better_uptime_check_phase_seconds_count', { phase: 'total' })).toBe(3);
    expect(sampleTotal(families, 'better_uptime_check_phase_seconds_sum', { phase: 'ttfb' })).toBeCloseTo(
      0.16,
    );
    expect(
      sampleTotal(families, 'better_uptime_check_phase_seconds_bucket', { phase: 'ttfb', le: '0.1' }),
    ).toBe(2);
    expect(
      sampleTotal(families, 'better_uptime_check_phase_seconds_bucket', { phase: 'ttfb', le: '0.05' }),
    ).toBe(0);
    expect(sampleTotal(families, 'better_uptime_schedule_lateness_seconds_count', { region: 'usa' })).toBe(1);
    expect(sampleTotal(families, 'better_uptime_slots_shed_total', { cause: 'stale' })).toBe(1);
    expect(sampleTotal(families, 'better_uptime_dead_letters_total', { reason: 'max_deliveries' })).toBe(3);
    expect(sampleTotal(families, 'better_uptime_result_write_batch_rows_sum', { region: 'usa' })).toBe(40);
    expect(sampleTotal(families, 'better_uptime_result_write_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(
      sampleTotal(families, 'better_uptime_notifications_total', {
        channel_type: 'slack',
        outcome: 'delivered',
      }),
    ).toBe(2);
    // Node's process metrics come with the prefix.
    expect(families.has('better_uptime_process_cpu_user_seconds_total')).toBe(true);
    expect(families.has('better_uptime_nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('reads the queue, pools and database on each scrape', async () => {
    const metrics = createMetrics({ cacheMs: 0 });
    let pending = 4;
    metrics.watchQueue(['usa', 'india'], async (region) => ({
      length: 10,
      pending: region === 'usa' ? pending : 0,
      deadLetters: 2,
      oldestPendingAgeMs: region === 'usa' ? 1_500 : null,
    }));
    const pool = { totalCount: 5, idleCount: 3, waitingCount: 1 };
    metrics.watchPool('main', pool);
    metrics.watchPool('api', { totalCount: 2, idleCount: 2, waitingCount: 0 });
    let open = 1;
    metrics.watchOpenIncidents(async () => open);
    let families = await scrape(metrics);
    expect(sampleTotal(families, 'better_uptime_queue_stream_length')).toBe(10);
    expect(sampleTotal(families, 'better_uptime_queue_dead_letter_length')).toBe(2);
    expect(sampleTotal(families, 'better_uptime_queue_pending', { region: 'usa' })).toBe(4);
    expect(sampleTotal(families, 'better_uptime_queue_pending', { region: 'india' })).toBe(0);
    expect(sampleTotal(families, 'better_uptime_queue_oldest_pending_age_seconds', { region: 'usa' })).toBe(
      1.5,
    );
    expect(sampleTotal(families, 'better_uptime_db_pool_connections', { pool: 'main' })).toBe(5);
    expect(sampleTotal(families, 'better_uptime_db_pool_idle_connections', { pool: 'api' })).toBe(2);
    expect(sampleTotal(families, 'better_uptime_db_pool_waiting_clients', { pool: 'main' })).toBe(1);
    expect(sampleTotal(families, 'better_uptime_open_incidents')).toBe(1);
    expect(families.has('better_uptime_monitor_up')).toBe(false);

    pending = 7;
    open = 3;
    pool.waitingCount = 0;
    families = await scrape(metrics);
    expect(sampleTotal(families, 'better_uptime_queue_pending', { region: 'usa' })).toBe(7);
    expect(sampleTotal(families, 'better_uptime_open_incidents')).toBe(3);
    expect(sampleTotal(families, 'better_uptime_db_pool_waiting_clients', { pool: 'main' })).toBe(0);
  });

  it('caches database figures: many scrapes within the interval read once', async () => {
    const metrics = createMetrics({ cacheMs: 60_000 });
    let reads = 0;
    metrics.watchOpenIncidents(async () => ++reads);
    await Promise.all([scrape(metrics), scrape(metrics), scrape(metrics)]);
    expect(sampleTotal(await scrape(metrics), 'better_uptime_open_incidents')).toBe(1);
    expect(reads).toBe(1);
  });

  it('labels per-monitor gauges with id and name, leaving out what is neither up nor down', async () => {
    const metrics = createMetrics();
    metrics.watchMonitors(async () => [
      { id: 'a', name: 'Shop "EU"', up: true, responseTimeMs: 250 },
      { id: 'b', name: 'API', up: false, responseTimeMs: null },
    ]);
    const families = await scrape(metrics);
    expect(samplesOf(families, 'better_uptime_monitor_up')).toEqual([
      { labels: { monitor_id: 'a', monitor_name: 'Shop "EU"' }, value: '1' },
      { labels: { monitor_id: 'b', monitor_name: 'API' }, value: '0' },
    ]);
    expect(samplesOf(families, 'better_uptime_monitor_response_time_seconds')).toEqual([
      { labels: { monitor_id: 'a', monitor_name: 'Shop "EU"' }, value: '0.25' },
    ]);
  });

  it('leaves out a source that does not answer in time, without holding up the scrape', async () => {
    const metrics = createMetrics({ sourceTimeoutMs: 200, cacheMs: 0 });
    metrics.watchQueue(['usa'], () => new Promise(() => undefined));
    let down = false;
    metrics.watchOpenIncidents(async () => {
      if (down) throw new Error('database down');
      return 2;
    });
    expect(sampleTotal(await scrape(metrics), 'better_uptime_open_incidents')).toBe(2);
    down = true;
    const started = Date.now();
    const families = await scrape(metrics);
    expect(Date.now() - started).toBeLessThan(1_000);
    // Labelled series are left out; a single figure keeps its last reading (never a false zero).
    expect(samplesOf(families, 'better_uptime_queue_pending')).toEqual([]);
    expect(sampleTotal(families, 'better_uptime_open_incidents')).toBe(2);
    // The queue failed both scrapes, the database the second.
    expect(sampleTotal(families, 'better_uptime_metrics_source_failures_total', { source: 'queue' })).toBe(2);
    expect(
      sampleTotal(families, 'better_uptime_metrics_source_failures_total', { source: 'open_incidents' }),
    ).toBe(1);
  });
});

describe('the metrics token', () => {
  const token = 'a-token-of-enough-length';

  it.each([
    [undefined, false],
    ['', false],
    [token, false],
    [`Bearer ${token}x`, false],
    [`Bearer ${token.slice(1)}`, false],
    [`Basic ${token}`, false],
    [`Bearer ${token}`, true],
    [`bearer  ${token}`, true],
  ])('Authorization %j carries it: %s', (header, expected) => {
    expect(carriesToken(header, token)).toBe(expected);
  });

  it('answers 401 without it, the exposition with it, and needs none when unset', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const refused = await answerMetrics(metrics, token, 'Bearer wrong');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(refused.body).not.toContain('better_uptime_');
    const allowed = await answerMetrics(metrics, token, `Bearer ${token}`);
    expect(allowed.status).toBe(200);
    expect(allowed.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(parsePrometheus(allowed.body).has('better_uptime_checks_total')).toBe(true);
    expect((await answerMetrics(metrics, undefined, undefined)).status).toBe(200);
  });
});

describe('the metrics server (METRICS_PORT)', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics behind the token, 404 elsewhere, and closes with open connections', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.checkFinished(upCheck);
    server = await startMetricsServer({
      metrics,
      host: '127.0.0.1',
      port: 0,
      token: 'a-token-of-enough-length',
    });
    const get = (path: string, authorization?: string) =>
      fetch(`${server!.address}${path}`, { headers: authorization ? { authorization } : {} });
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'Bearer nope')).status).toBe(401);
    const answer = await get('/metrics', 'Bearer a-token-of-enough-length');
    expect(answer.status).toBe(200);
    expect(sampleTotal(parsePrometheus(await answer.text()), 'better_uptime_checks_total')).toBe(1);
    expect((await get('/elsewhere')).status).toBe(404);
    expect((await fetch(`${server.address}/metrics`, { method: 'POST' })).status).toBe(405);
    const started = Date.now();
    await server.close();
    server = undefined;
    // fetch kept its connection alive; closing does not wait for it.
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
