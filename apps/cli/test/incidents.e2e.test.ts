import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '@better-uptime/checker';
import { createLogger } from '@better-uptime/config';
import { type Database, queryRows } from '@better-uptime/db';
import { createRedisTaskQueue, type RedisTaskQueue } from '@better-uptime/redis-stream';
import { Scheduler } from '@better-uptime/scheduler';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  seedMonitor,
  seedUser,
  startTarget,
  type TargetServer,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@better-uptime/testing';
import { databaseResultStore, startRegionWorker, Worker } from '@better-uptime/worker';
import { type CliProcess, spawnCli } from './processes.js';

const logger = createLogger('incidents-e2e', 'silent');
const REGIONS = ['usa', 'india'];

interface IncidentRow {
  id: string;
  status: string;
  started: number;
  confirmed: number;
  resolved: number | null;
}

async function incidentsOf(db: Database, monitorIds: string[]): Promise<IncidentRow[]> {
  return queryRows<IncidentRow>(
    db,
    sql`SELECT id, status, (extract(epoch FROM started_at) * 1000)::float8 AS started,
          (extract(epoch FROM confirmed_at) * 1000)::float8 AS confirmed,
          CASE WHEN resolved_at IS NULL THEN NULL ELSE (extract(epoch FROM resolved_at) * 1000)::float8 END AS resolved
        FROM incidents WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[]) ORDER BY id`,
  );
}

/** Every stored result of these monitors, oldest slot first. */
async function resultsOf(db: Database, monitorIds: string[]) {
  return queryRows<{ monitor_id: string; region: string; slot: number; status: 'Up' | 'Down' }>(
    db,
    sql`SELECT monitor_id, region, (extract(epoch FROM scheduled_at) * 1000)::float8 AS slot, status::text AS status
        FROM check_results WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[]) ORDER BY scheduled_at, region`,
  );
}

async function statesOf(db: Database, monitorIds: string[]) {
  return queryRows<{ monitor_id: string; state: string }>(
    db,
    sql`SELECT monitor_id, state FROM monitor_states WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[])`,
  );
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Answers 500 to every `every`-th request of its path and 200 to the rest: failures never two in a row. */
function failingEvery(every: number) {
  let hits = 0;
  return (_request: IncomingMessage, response: ServerResponse) => {
    hits += 1;
    response.writeHead(hits % every === 0 ? 500 : 200, { 'content-type': 'text/plain' }).end('flaky');
  };
}

/** A local port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Confirmed outages from the running pipeline: the producer publishing slots (and retry slots), workers of
 * two regions on Redis Streams checking local targets and writing results with the states they cause to
 * PostgreSQL. Intervals of a second or a few, set in the database, keep it short; the API allows 30 s.
 */
describe.skipIf(!postgresAvailable() || !redisAvailable())(
  'incidents from the running pipeline',
  { timeout: 120_000 },
  () => {
    let testDb: TestDatabase;
    let db: Database;
    let target: TargetServer;
    let queue: RedisTaskQueue;
    let prefix: string;
    let userId: string;
    let deadPort: number;
    const stops: Array<() => Promise<unknown>> = [];

    beforeAll(async () => {
      testDb = await createTestDatabase();
      db = testDb.handle.db;
      target = await startTarget();
      prefix = redisTestPrefix();
      deadPort = await closedPort();
      queue = await createRedisTaskQueue({
        url: TEST_REDIS_URL,
        streamKey: `${prefix}BetterUptime:Websites`,
      });
      userId = await seedUser(db);
      const config = {
        workerConcurrency: 100,
        maxDeliveries: 5,
        allowPrivateTargets: true,
        reclaimIdleMs: 2_000,
        reclaimIntervalMs: 500,
        responseClock: 'event-loop' as const,
        regions: REGIONS,
      };
      const usa = await startRegionWorker({ region: 'usa', db, queue, config, logger });
      stops.push(() => usa.stop());
      // India checks /quorum from where that target is unreachable: its checks are refused connections.
      const india = new Worker({
        region: 'india',
        consumer: 'india-e2e',
        queue,
        store: databaseResultStore(db, { regions: REGIONS, logger }),
        probe: (kind, settings, options) =>
          probe(
            kind,
            String(settings.url).includes('/quorum')
              ? { ...settings, url: `http://127.0.0.1:${deadPort}/quorum` }
              : settings,
            options,
          ),
        logger,
        concurrency: 100,
        maxDeliveries: 5,
        allowPrivateTargets: true,
        readBlockMs: 200,
        resultBatchDelayMs: 50,
      });
      await india.start();
      stops.push(() => india.stop());
      const scheduler = new Scheduler({ db, queue, logger, tickMs: 100, leadMs: 500 });
      scheduler.start();
      stops.push(() => scheduler.stop());
    }, 60_000);

    afterAll(async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await queue?.close();
      await target?.close();
      await testDb?.drop();
      if (prefix) await deleteRedisKeys(prefix);
    });

    it('a target failing every 7th check (never two in a row) opens no incident over hundreds of checks', async () => {
      const ids = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          target.override(`/flaky/${i}`, failingEvery(7));
          return seedMonitor(db, userId, {
            url: `${target.url}/flaky/${i}`,
            regions: ['usa'],
            intervalSeconds: 1,
            retryIntervalSeconds: 1,
            timeoutMs: 900,
          });
        }),
      );
      await waitUntil(async () => (await resultsOf(db, ids)).length >= 300, 60_000, '300 results');
      const results = await resultsOf(db, ids);
      const downs = results.filter((r) => r.status === 'Down').length;
      expect(downs).toBeGreaterThanOrEqual(30);
      expect(await incidentsOf(db, ids)).toEqual([]);
      expect((await statesOf(db, ids)).map((s) => s.state)).toEqual(new Array(10).fill('up'));
      await db.execute(sql`UPDATE monitors SET paused = true WHERE id = ANY(${sql.param(ids)}::uuid[])`);
    });

    it('a hard outage opens one incident from its first failed slot, confirmed within the bound; recovery resolves it', async () => {
      const interval = 5;
      const retry = 1;
      target.override('/outage', { status: 200, body: 'fine' });
      const id = await seedMonitor(db, userId, {
        url: `${target.url}/outage`,
        regions: ['usa'],
        intervalSeconds: interval,
        retryIntervalSeconds: retry,
        timeoutMs: 900,
      });
      await waitUntil(async () => (await statesOf(db, [id]))[0]?.state === 'up', 15_000, 'the monitor up');
      const outageAt = Date.now();
      target.override('/outage', { status: 503, body: 'down for maintenance' });
      await waitUntil(async () => (await incidentsOf(db, [id])).length > 0, 20_000, 'the incident');
      const [incident] = await incidentsOf(db, [id]);
      const firstFailed = (await resultsOf(db, [id])).find((r) => r.status === 'Down')!;
      expect(incident!.started).toBe(firstFailed.slot);
      expect(incident!.started).toBeGreaterThanOrEqual(outageAt - 1_000);
      // interval + (failureThreshold - 1) x retry interval + a few seconds.
      expect(incident!.confirmed - outageAt).toBeLessThanOrEqual((interval + retry + 3) * 1000);
      expect((await statesOf(db, [id]))[0]!.state).toBe('down');

      const recoveryAt = Date.now();
      target.override('/outage', { status: 200, body: 'fine' });
      await waitUntil(
        async () => (await incidentsOf(db, [id]))[0]!.status === 'resolved',
        20_000,
        'recovery',
      );
      const [resolved] = await incidentsOf(db, [id]);
      const firstGood = (await resultsOf(db, [id])).find(
        (r) => r.status === 'Up' && r.slot >= recoveryAt - 1_000,
      )!;
      expect(resolved!.resolved).toBe(firstGood.slot);
      expect(await incidentsOf(db, [id])).toHaveLength(1);
      await db.execute(sql`UPDATE monitors SET paused = true WHERE id = ${id}`);
    });

    it('two regions with a quorum of two: one region failing opens none, both failing open one', async () => {
      target.override('/quorum', { status: 200, body: 'fine from usa' });
      const id = await seedMonitor(db, userId, {
        url: `${target.url}/quorum`,
        regions: REGIONS,
        intervalSeconds: 1,
        retryIntervalSeconds: 1,
        timeoutMs: 900,
      });
      await waitUntil(
        async () => (await resultsOf(db, [id])).filter((r) => r.region === 'india').length >= 10,
        30_000,
        'ten checks from india',
      );
      const results = await resultsOf(db, [id]);
      expect(results.filter((r) => r.region === 'india').every((r) => r.status === 'Down')).toBe(true);
      expect(await incidentsOf(db, [id])).toEqual([]);
      expect((await statesOf(db, [id]))[0]!.state).toBe('up');
      target.override('/quorum', { status: 500 });
      await waitUntil(async () => (await incidentsOf(db, [id])).length > 0, 15_000, 'the incident');
      const [incident] = await incidentsOf(db, [id]);
      // India has been down since its first check: the outage, as confirmed, began there.
      expect(incident!.started).toBe(results.find((r) => r.region === 'india')!.slot);
      await db.execute(sql`UPDATE monitors SET paused = true WHERE id = ${id}`);
    });
  },
);

/**
 * A worker SIGKILLed mid-outage: its pending slots are reclaimed by another worker of the region and run
 * after later slots were stored, so results arrive out of order; still one incident, with the right start.
 */
describe.skipIf(!postgresAvailable() || !redisAvailable())(
  'incidents when a worker dies mid-outage',
  { timeout: 120_000 },
  () => {
    let testDb: TestDatabase;
    let target: TargetServer;
    let prefix: string;
    const processes: CliProcess[] = [];

    beforeAll(async () => {
      testDb = await createTestDatabase();
      target = await startTarget();
      prefix = redisTestPrefix();
    });
    afterAll(async () => {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
      await target?.close();
      await testDb?.drop();
      if (prefix) await deleteRedisKeys(prefix);
    });

    it('gives one incident starting at the first failed slot, and one result per slot', async () => {
      const db = testDb.handle.db;
      const env = {
        NODE_ENV: 'development',
        DATABASE_URL: testDb.url,
        REDIS_URL: TEST_REDIS_URL,
        STREAM_KEY: `${prefix}BetterUptime:Websites`,
        REGIONS: 'usa',
        JWT_SECRET: 'an end-to-end test secret, long enough',
        SECRETS_KEY: 'a test key for channel secrets, 32 characters or more',
        ALLOW_PRIVATE_TARGETS: 'true',
        PRODUCER_TICK_MS: '200',
        SCHEDULE_LEAD_MS: '2000',
        RECLAIM_IDLE_MS: '2000',
        RECLAIM_INTERVAL_MS: '500',
        RESPONSE_CLOCK: 'event-loop',
      };
      const start = (command: string, extra: Record<string, string> = {}) => {
        const child = spawnCli(command, { ...env, ...extra });
        processes.push(child);
        return child;
      };
      const [victim, survivor] = [
        start('worker', { REGION: 'usa', LOG_LEVEL: 'info' }),
        start('worker', { REGION: 'usa', LOG_LEVEL: 'info' }),
      ];
      await Promise.all([
        victim.waitFor(/"msg":"worker started"/),
        survivor.waitFor(/"msg":"worker started"/),
      ]);
      target.override('/dies', { status: 200 });
      const userId = await seedUser(db);
      const ids = await Promise.all(
        Array.from({ length: 5 }, () =>
          seedMonitor(db, userId, {
            url: `${target.url}/dies`,
            regions: ['usa'],
            intervalSeconds: 2,
            retryIntervalSeconds: 1,
            timeoutMs: 900,
          }),
        ),
      );
      start('producer');
      await waitUntil(
        async () => (await statesOf(db, ids)).every((s) => s.state === 'up'),
        30_000,
        'every monitor up',
      );
      target.override('/dies', { status: 503 });
      // The first failures are stored; the victim holds later slots (published two seconds ahead) when it dies.
      await waitUntil(
        async () => (await resultsOf(db, ids)).some((r) => r.status === 'Down'),
        15_000,
        'a failed check',
      );
      await victim.stop('SIGKILL');
      await waitUntil(
        async () => (await incidentsOf(db, ids)).length === ids.length,
        30_000,
        'an incident per monitor',
      );
      // Let the reclaimer hand the victim's slots to the survivor and the late results land.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const incidents = await incidentsOf(db, ids);
      const results = await resultsOf(db, ids);
      for (const id of ids) {
        const own = results.filter((r) => r.monitor_id === id);
        const lastUp = Math.max(...own.filter((r) => r.status === 'Up').map((r) => r.slot));
        const firstFailed = Math.min(
          ...own.filter((r) => r.status === 'Down' && r.slot > lastUp).map((r) => r.slot),
        );
        const ofMonitor = await incidentsOf(db, [id]);
        expect(ofMonitor).toHaveLength(1);
        expect(ofMonitor[0]!.started).toBe(firstFailed);
        expect(new Set(own.map((r) => r.slot)).size).toBe(own.length);
      }
      expect(incidents.every((i) => i.status === 'open')).toBe(true);
    });
  },
);
