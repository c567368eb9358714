import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Env, loadConfig } from '@better-uptime/config';
import {
  createTestDatabase,
  deleteRedisKeys,
  freePort,
  parsePrometheus,
  postgresAvailable,
  type PrometheusFamily,
  redisAvailable,
  redisTestPrefix,
  sampleTotal,
  samplesOf,
  seedMonitor,
  seedUser,
  startTarget,
  type TargetServer,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@better-uptime/testing';
import { type Role, type RunningSystem, startRoles } from '../src/roles.js';
import { ApiClient } from './api-client.js';

const TOKEN = 'metrics-token-for-the-tests';
const logger = createLogger('metrics-test', 'silent');

async function scrape(url: string, token?: string): Promise<Map<string, PrometheusFamily>> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await response.text());
}

/** Scrapes until `ready` holds (checks run on their own timers), or fails after the timeout. */
async function scrapeUntil(
  url: string,
  token: string | undefined,
  ready: (families: Map<string, PrometheusFamily>) => boolean,
  timeoutMs = 20_000,
): Promise<Map<string, PrometheusFamily>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const families = await scrape(url, token);
    if (ready(families) || Date.now() > until) return families;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const baseEnv = (): Env => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'metrics-test-secret-0123456789abcdef',
  SECRETS_KEY: 'a test key for channel secrets, 32 characters or more',
  HOST: '127.0.0.1',
  PORT: '0',
  ALLOW_PRIVATE_TARGETS: 'true',
  PRODUCER_TICK_MS: '200',
  SCHEDULE_LEAD_MS: '500',
});

describe('/metrics of `better-uptime start` (one process, PGlite, in-process queue)', () => {
  let dataDir: string;
  let target: TargetServer;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bu-metrics-'));
    target = await startTarget();
  });
  afterAll(async () => {
    await system?.stop();
    await target?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('counts checks as they run, with every role in one registry, behind the token', async () => {
    const config = {
      ...loadConfig({ ...baseEnv(), DATA_DIR: dataDir, METRICS_TOKEN: TOKEN, METRICS_PER_MONITOR: 'true' }),
      regions: ['local'],
    };
    system = await startRoles(['api', 'producer', 'worker'], config, logger, ['local']);
    const url = `${system.api!.address}/metrics`;

    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-of-length' } })).status).toBe(
      401,
    );
    expect((await fetch(url, { headers: { authorization: TOKEN } })).status).toBe(401);
    let families = await scrape(url, TOKEN);
    const before = sampleTotal(families, 'better_uptime_checks_total');
    expect(before).toBe(0);
    expect(sampleTotal(families, 'better_uptime_open_incidents')).toBe(0);

    const api = new ApiClient(system.api!.address);
    await api.signup('metrics@example.com');
    const up = await api.createMonitor({ url: `${target.url}/ok`, name: 'Shop', recoveryThreshold: 1 });
    await api.createMonitor({ url: `${target.url}/status/503`, name: 'Broken', failureThreshold: 1 });
    const written = (f: Map<string, PrometheusFamily>) =>
      sampleTotal(f, 'better_uptime_result_write_batch_rows_sum', { region: 'local' });
    families = await scrapeUntil(
      url,
      TOKEN,
      (f) =>
        written(f) >= 2 &&
        sampleTotal(f, 'better_uptime_open_incidents') === 1 &&
        samplesOf(f, 'better_uptime_monitor_up').length === 2,
    );

    // The failing monitor is checked again at its retry cadence, so counts are compared, not pinned.
    const total = sampleTotal(families, 'better_uptime_checks_total');
    const checks = { kind: 'http', region: 'local' };
    const ups = sampleTotal(families, 'better_uptime_checks_total', {
      ...checks,
      outcome: 'up',
      reason: 'none',
    });
    const downs = sampleTotal(families, 'better_uptime_checks_total', {
      ...checks,
      outcome: 'down',
      reason: 'http_status',
    });
    expect(ups).toBeGreaterThanOrEqual(1);
    expect(downs).toBeGreaterThanOrEqual(1);
    expect(ups + downs).toBe(total);
    // Every finished check observed its total and (a fresh connection each) its connect phase.
    expect(sampleTotal(families, 'better_uptime_check_phase_seconds_count', { phase: 'total' })).toBe(total);
    expect(sampleTotal(families, 'better_uptime_check_phase_seconds_count', { phase: 'connect' })).toBe(
      total,
    );
    expect(samplesOf(families, 'better_uptime_check_phase_seconds_count', { phase: 'tls' })).toEqual([]);
    expect(
      sampleTotal(families, 'better_uptime_schedule_lateness_seconds_count', { region: 'local' }),
    ).toBeGreaterThanOrEqual(total);
    expect(written(families)).toBeLessThanOrEqual(total);
    expect(
      sampleTotal(families, 'better_uptime_result_write_seconds_count', { outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(samplesOf(families, 'better_uptime_queue_pending', { region: 'local' })).toHaveLength(1);
    expect(sampleTotal(families, 'better_uptime_queue_stream_length')).toBeGreaterThanOrEqual(2);
    expect(sampleTotal(families, 'better_uptime_open_incidents')).toBe(1);
    expect(samplesOf(families, 'better_uptime_monitor_up')).toEqual(
      expect.arrayContaining([
        { labels: { monitor_id: up.id, monitor_name: 'Shop' }, value: '1' },
        expect.objectContaining({ labels: expect.objectContaining({ monitor_name: 'Broken' }), value: '0' }),
      ]),
    );
    expect(
      samplesOf(families, 'better_uptime_monitor_response_time_seconds', { monitor_id: up.id }),
    ).toHaveLength(1);
    // PGlite has no pool.
    expect(samplesOf(families, 'better_uptime_db_pool_connections')).toEqual([]);

    // The counters move with further checks: a third monitor's first check is one more up (at least: the
    // others' own slots may come meanwhile).
    const third = await api.createMonitor({ url: `${target.url}/ok`, name: 'Third', recoveryThreshold: 1 });
    const upsNow = (f: Map<string, PrometheusFamily>) =>
      sampleTotal(f, 'better_uptime_checks_total', { outcome: 'up' });
    families = await scrapeUntil(
      url,
      TOKEN,
      (f) =>
        upsNow(f) > ups && samplesOf(f, 'better_uptime_monitor_up', { monitor_id: third.id }).length === 1,
    );
    expect(upsNow(families)).toBeGreaterThanOrEqual(ups + 1);
    expect(
      sampleTotal(families, 'better_uptime_monitor_up', { monitor_id: third.id, monitor_name: 'Third' }),
    ).toBe(1);

    await system.stop();
    system = undefined;
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000);
});

describe.skipIf(!postgresAvailable() || !redisAvailable())(
  '/metrics of separate services (PostgreSQL, Redis Streams, METRICS_PORT)',
  () => {
    let database: TestDatabase;
    let target: TargetServer;
    const prefix = redisTestPrefix();
    const systems: RunningSystem[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(2);
      target = await startTarget();
    });
    afterAll(async () => {
      await Promise.all(systems.map((s) => s.stop().catch(() => undefined)));
      await target?.close();
      await database?.drop();
      await deleteRedisKeys(prefix);
    });

    async function service(role: Role, env: Env, regions: string[] = []): Promise<RunningSystem> {
      const config = loadConfig({
        ...baseEnv(),
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        STREAM_KEY: `${prefix}stream`,
        REGIONS: 'usa,india',
        ...env,
      });
      const system = await startRoles([role], config, logger, regions);
      systems.push(system);
      return system;
    }

    it('serves each process its own series on METRICS_PORT, and the API its database figures', async () => {
      const userId = await seedUser(database.handle.db);
      await seedMonitor(database.handle.db, userId, { url: `${target.url}/ok`, name: 'Seeded' });
      const [producerPort, workerPort] = [await freePort(), await freePort()];
      await service('producer', { METRICS_PORT: String(producerPort) });
      const worker = await service('worker', { METRICS_PORT: String(workerPort), REGION: 'usa' }, ['usa']);
      const api = await service('api', {});
      expect(worker.metricsServer?.address).toBe(`http://127.0.0.1:${workerPort}`);

      const workerUrl = `http://127.0.0.1:${workerPort}/metrics`;
      const fromWorker = await scrapeUntil(
        workerUrl,
        undefined,
        (f) => sampleTotal(f, 'better_uptime_checks_total', { region: 'usa' }) >= 1,
      );
      expect(
        sampleTotal(fromWorker, 'better_uptime_checks_total', { kind: 'http', region: 'usa', outcome: 'up' }),
      ).toBe(1);
      expect(samplesOf(fromWorker, 'better_uptime_queue_pending').map((s) => s.labels?.region)).toEqual([
        'usa',
      ]);
      expect(
        samplesOf(fromWorker, 'better_uptime_queue_oldest_pending_age_seconds', { region: 'usa' }),
      ).toHaveLength(1);
      expect(sampleTotal(fromWorker, 'better_uptime_db_pool_connections', { pool: 'main' })).toBeGreaterThan(
        0,
      );
      expect(samplesOf(fromWorker, 'better_uptime_db_pool_idle_connections', { pool: 'main' })).toHaveLength(
        1,
      );
      expect(samplesOf(fromWorker, 'better_uptime_db_pool_waiting_clients', { pool: 'main' })).toHaveLength(
        1,
      );
      // Database-wide figures come with the API, not with every worker.
      expect(fromWorker.has('better_uptime_open_incidents')).toBe(false);

      const fromProducer = await scrape(`http://127.0.0.1:${producerPort}/metrics`);
      // The producer watches every region's consumer group; india has no worker and so nothing pending.
      expect(
        samplesOf(fromProducer, 'better_uptime_queue_pending')
          .map((s) => s.labels?.region)
          .sort(),
      ).toEqual(['india', 'usa']);
      expect(sampleTotal(fromProducer, 'better_uptime_queue_stream_length')).toBeGreaterThanOrEqual(1);
      expect(sampleTotal(fromProducer, 'better_uptime_checks_total')).toBe(0);

      // The API: on its own port, no token set, so open; per-monitor gauges off by default.
      const fromApi = await scrape(`${api.api!.address}/metrics`);
      expect(samplesOf(fromApi, 'better_uptime_open_incidents')).toHaveLength(1);
      expect(fromApi.has('better_uptime_monitor_up')).toBe(false);
      expect(fromApi.has('better_uptime_monitor_response_time_seconds')).toBe(false);

      // Stopping the process (what SIGTERM does) closes its metrics server.
      await worker.stop();
      systems.splice(systems.indexOf(worker), 1);
      await expect(fetch(workerUrl)).rejects.toThrow();
    }, 90_000);
  },
);
