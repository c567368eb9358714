import { sql } from 'drizzle-orm';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  startTarget,
  startTlsTarget,
  type TargetServer,
  TEST_REDIS_URL,
  type TestDatabase,
  type TlsTargetServer,
} from '@better-uptime/testing';
import { ApiClient } from './api-client.js';
import { type CliProcess, spawnCli } from './processes.js';

/**
 * The distributed pipeline as an operator runs it: API, producers and one worker per region as separate
 * processes on PostgreSQL and Redis, against local hostile targets.
 */
describe.skipIf(!postgresAvailable() || !redisAvailable())(
  'pipeline as separate services',
  { timeout: 90_000 },
  () => {
    let testDb: TestDatabase;
    let target: TargetServer;
    let tlsTarget: TlsTargetServer;
    let prefix: string;
    let env: Record<string, string>;
    let api: ApiClient;
    const processes: CliProcess[] = [];

    function start(command: string, extra: Record<string, string> = {}): CliProcess {
      const process = spawnCli(command, { ...env, ...extra });
      processes.push(process);
      return process;
    }

    const workersByRegion = new Map<string, CliProcess[]>();

    async function startWorker(region: string): Promise<CliProcess> {
      const worker = start('worker', { REGION: region, LOG_LEVEL: 'info' });
      workersByRegion.set(region, [...(workersByRegion.get(region) ?? []), worker]);
      await worker.waitFor(/"msg":"worker started"/);
      return worker;
    }

    async function stopRegionWorkers(region: string): Promise<void> {
      await Promise.all((workersByRegion.get(region) ?? []).map((w) => w.stop('SIGTERM')));
      workersByRegion.set(region, []);
    }

    /** Results per (monitor, slot): how many regions stored one. */
    async function resultsPerSlot(monitorIds: string[]) {
      return queryRows<{
        monitor_id: string;
        scheduled_at: string;
        regions: string[];
        reasons: (string | null)[];
      }>(
        testDb.handle.db,
        sql`SELECT monitor_id, scheduled_at::text, array_agg(region ORDER BY region) AS regions,
                 array_agg(reason::text ORDER BY region) AS reasons
          FROM check_results WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[])
          GROUP BY monitor_id, scheduled_at ORDER BY monitor_id, scheduled_at`,
      );
    }

    async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    beforeAll(async () => {
      testDb = await createTestDatabase();
      target = await startTarget();
      tlsTarget = await startTlsTarget({ issuer: 'self-signed' });
      prefix = redisTestPrefix();
      env = {
        NODE_ENV: 'development',
        DATABASE_URL: testDb.url,
        REDIS_URL: TEST_REDIS_URL,
        STREAM_KEY: `${prefix}BetterUptime:Websites`,
        REGIONS: 'usa,india',
        JWT_SECRET: 'an end-to-end test secret, long enough',
        SECRETS_KEY: 'a test key for channel secrets, 32 characters or more',
        ALLOW_PRIVATE_TARGETS: 'true',
        HOST: '127.0.0.1',
        PORT: '0',
        PRODUCER_TICK_MS: '250',
        SCHEDULE_LEAD_MS: '1000',
        RECLAIM_IDLE_MS: '2000',
        RECLAIM_INTERVAL_MS: '500',
      };
      const apiProcess = start('api', { LOG_LEVEL: 'info' });
      const [, address] = await apiProcess.waitFor(/API listening on (http:\/\/\S+)/);
      api = new ApiClient(address!);
      await api.signup('operator@example.com');
      start('producer');
      await Promise.all([startWorker('usa'), startWorker('india')]);
    }, 90_000);

    afterAll(async () => {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
      await target?.close();
      await tlsTarget?.close();
      await testDb?.drop();
      if (prefix) await deleteRedisKeys(prefix);
    });

    it('checks every monitor once per region per slot, with the right status and reason', async () => {
      const cases: Array<[Record<string, unknown>, string | null]> = [
        [{ url: `${target.url}/ok` }, null],
        [{ url: `${target.url}/status/500` }, 'http_status'],
        [{ url: `${target.url}/delay/3000`, timeoutMs: 1000 }, 'timeout'],
        [{ url: `${target.url}/hang`, timeoutMs: 1000 }, 'timeout'],
        // Accepted, then reset before an answer: the answer failed, not the connection.
        [{ url: `${target.url}/reset` }, 'protocol'],
        [{ url: `${tlsTarget.url}/ok` }, 'tls'],
        [{ url: `${target.url}/redirect-loop` }, 'redirects'],
        [{ url: `${target.url}/ok`, keyword: 'needle' }, 'keyword'],
      ];
      target.clearHits();
      const monitors = await Promise.all(
        cases.map(([fields]) => api.createMonitor({ intervalSeconds: 60, ...fields })),
      );
      const ids = monitors.map((m) => m.id);
      // The direct push gave every monitor a first slot; now make the producer schedule a second one. A
      // monitor whose own first slot fell due between its creation and this update (more likely the slower
      // the machine) has that slot checked too: three slots, each still checked exactly once per region.
      await testDb.handle.db.execute(
        sql`UPDATE monitors SET next_check_at = now() + interval '1 second' WHERE id = ANY(${sql.param(ids)}::uuid[])`,
      );
      await waitUntil(async () => {
        const slots = await resultsPerSlot(ids);
        return (
          ids.every((id) => slots.filter((s) => s.monitor_id === id).length >= 2) &&
          slots.every((s) => s.regions.length === 2) &&
          (await pending('usa')) === 0 &&
          (await pending('india')) === 0
        );
      }, 60_000).catch(async (error: Error) => {
        // Say which slots were missing, so a failure on a loaded machine can be told from a lost result.
        const seen = (await resultsPerSlot(ids)).map(
          (s) => `${ids.indexOf(s.monitor_id)}:${s.regions.join('+')}`,
        );
        throw new Error(`${error.message}; results per monitor (case index: regions): ${seen.join(', ')}`);
      });
      const slots = await resultsPerSlot(ids);
      const slotsOf = (i: number) => slots.filter((s) => s.monitor_id === ids[i]);
      for (const [i, [, reason]] of cases.entries()) {
        const mine = slotsOf(i);
        expect(mine.length, `monitor ${i}`).toBeGreaterThanOrEqual(2);
        expect(mine.length, `monitor ${i}`).toBeLessThanOrEqual(3);
        for (const slot of mine) {
          expect(slot.regions).toEqual(['india', 'usa']);
          expect(slot.reasons).toEqual([reason, reason]);
        }
      }
      const latest = await api.latest(ids[0]!);
      expect(latest.map((l) => [l.location, l.status])).toEqual([
        ['india', 'Up'],
        ['usa', 'Up'],
      ]);
      // Every slot was checked once per region and nothing is pending: the target saw exactly that many
      // checks, no duplicates (/ok serves the /ok monitor and the keyword monitor).
      expect(target.hitCount('/ok')).toBe(2 * (slotsOf(0).length + slotsOf(7).length));
      expect(target.hitCount('/status/500')).toBe(2 * slotsOf(1).length);
    });

    it('a worker killed with SIGKILL mid-batch: another reclaims its work and every slot gets exactly one result', async () => {
      // Only the victim serves usa while the tasks arrive.
      await stopRegionWorkers('usa');
      const victim = await startWorker('usa');
      target.clearHits();
      // Checks long enough that none can finish before the kill, even when a loaded machine spreads the
      // four starts over seconds.
      const monitors = await Promise.all(
        Array.from({ length: 4 }, () =>
          api.createMonitor({
            url: `${target.url}/delay/6000`,
            timeoutMs: 10_000,
            regions: ['usa'],
            intervalSeconds: 300,
          }),
        ),
      );
      const ids = monitors.map((m) => m.id);
      // Each monitor's own phase slot lies somewhere in the next 300 s; keep the producer from publishing it
      // during the test. (One that fell due before this update is still accounted for exactly below.)
      await testDb.handle.db.execute(
        sql`UPDATE monitors SET next_check_at = now() + interval '1 day' WHERE id = ANY(${sql.param(ids)}::uuid[])`,
      );
      await target.waitForHits('/delay/6000', 4, 15_000);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const startedByVictim = target.hitCount('/delay/6000');
      expect(await resultsPerSlot(ids)).toEqual([]);

      const rescuer = await startWorker('usa');
      await waitUntil(
        async () => (await resultsPerSlot(ids)).length >= 4 && (await pending('usa')) === 0,
        30_000,
      );
      expect(rescuer.output()).toMatch(/"msg":"reclaimed idle messages"/);
      const slots = await resultsPerSlot(ids);
      // Every monitor's first slot, and one result per slot.
      expect(new Set(slots.map((s) => s.monitor_id))).toEqual(new Set(ids));
      expect(slots.every((s) => s.regions.length === 1 && s.regions[0] === 'usa')).toBe(true);
      // The victim really died mid-check (it started all four, stored none), and the rescuer ran every slot
      // again exactly once: no check lost, none duplicated.
      expect(startedByVictim).toBeGreaterThanOrEqual(4);
      expect(target.hitCount('/delay/6000') - startedByVictim).toBe(slots.length);
    });

    it('two producers at once never publish the same slot twice', async () => {
      const second = start('producer');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const [user] = await queryRows<{ id: string }>(testDb.handle.db, sql`SELECT id FROM users LIMIT 1`);
      // 300 monitors all due now, created directly so that no direct push muddies the count.
      await testDb.handle.db.execute(sql`
      INSERT INTO monitors (id, user_id, name, kind, settings, target, interval_seconds, next_check_at)
      SELECT gen_random_uuid(), ${user!.id}, 'bulk ' || i, 'http',
             jsonb_build_object('url', ${`${target.url}/status/204`}::text), ${`${target.url}/status/204`}, 3600, now()
      FROM generate_series(1, 300) AS i`);
      const bulkIds = (
        await queryRows<{ id: string }>(
          testDb.handle.db,
          sql`SELECT id FROM monitors WHERE name LIKE 'bulk %'`,
        )
      ).map((r) => r.id);
      await waitUntil(async () => {
        const slots = await resultsPerSlot(bulkIds);
        return slots.length === 300 && slots.every((s) => s.regions.length === 2);
      }, 30_000);
      const entries = await streamEntries();
      const published = entries.filter((e) => bulkIds.includes(e.monitorId));
      expect(published).toHaveLength(300);
      expect(new Set(published.map((e) => `${e.monitorId}@${e.scheduledAt}`)).size).toBe(300);
      expect(target.hitCount('/status/204')).toBe(600);
      await second.stop();
    });

    async function withRedis<T>(use: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
      const client = createClient({ url: TEST_REDIS_URL });
      await client.connect();
      try {
        return await use(client);
      } finally {
        await client.close();
      }
    }

    function pending(region: string): Promise<number> {
      return withRedis(async (client) => {
        const summary = await client.xPending(env.STREAM_KEY!, region);
        return Number(summary.pending);
      });
    }

    function streamEntries(): Promise<Array<{ monitorId: string; scheduledAt: number }>> {
      return withRedis(async (client) => {
        const entries = await client.xRange(env.STREAM_KEY!, '-', '+');
        return entries.map((e) => JSON.parse(e.message.task!) as { monitorId: string; scheduledAt: number });
      });
    }
  },
);
