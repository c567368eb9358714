import { sql } from 'drizzle-orm';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, queryRows } from '@better-uptime/db';
import {
  type OwnPostgres,
  type OwnRedis,
  postgresBinaries,
  startOwnPostgres,
  startOwnRedis,
  startTarget,
  startTcpProxy,
  type TargetServer,
  type TcpProxy,
} from '@better-uptime/testing';
import { ApiClient } from './api-client.js';
import { type CliProcess, spawnCli } from './processes.js';

const REGIONS = ['usa', 'india'];
const MONITORS = 30;

/**
 * The fault suite: API, producer and a worker per region as separate processes on a PostgreSQL cluster
 * and a Redis server of the test's own (reached through TCP proxies), checking local targets while
 * PostgreSQL is crashed and restarted, Redis restarted, the network to each cut and restored, and a
 * worker and the producer SIGKILLed. Afterwards every slot that was checked has exactly one result in
 * every region, nothing is pending or dead-lettered, and the API answered every request throughout
 * (with the documented 503 while the database was away).
 */
const runnable = postgresBinaries() !== undefined || process.env.CI === 'true';
if (!runnable) {
  console.warn(
    '\n!!! No PostgreSQL binaries under /usr/lib/postgresql: the fault suite is SKIPPED. Install them with ' +
      '`apt-get install postgresql redis-server` (Debian) to run it.\n',
  );
}

describe.skipIf(!runnable)('faults under load', { timeout: 240_000 }, () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let target: TargetServer;
  let db: DatabaseHandle;
  let env: Record<string, string>;
  let api: ApiClient;
  const processes: CliProcess[] = [];
  const workers = new Map<string, CliProcess>();
  let producer: CliProcess | undefined;
  const STREAM_KEY = 'faults:BetterUptime:Websites';

  function start(command: string, extra: Record<string, string> = {}): CliProcess {
    const child = spawnCli(command, { ...env, ...extra });
    processes.push(child);
    return child;
  }
  async function startWorker(region: string): Promise<CliProcess> {
    const worker = start('worker', { REGION: region, LOG_LEVEL: 'info' });
    await worker.waitFor(/"msg":"worker started"/, 60_000);
    workers.set(region, worker);
    return worker;
  }
  async function startProducer(): Promise<CliProcess> {
    const started = start('producer', { LOG_LEVEL: 'info' });
    await started.waitFor(/producer started/i, 60_000);
    producer = started;
    return started;
  }

  beforeAll(async () => {
    [postgres, redis, target] = await Promise.all([startOwnPostgres(), startOwnRedis(), startTarget()]);
    [pgProxy, redisProxy] = await Promise.all([startTcpProxy(postgres.port), startTcpProxy(redis.port)]);
    db = await openDatabase({ databaseUrl: postgres.url, poolSize: 2 });
    env = {
      NODE_ENV: 'development',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgProxy.port}/postgres`,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      STREAM_KEY,
      REGIONS: REGIONS.join(','),
      JWT_SECRET: 'a fault-suite test secret, long enough',
      SECRETS_KEY: 'a test key for channel secrets, 32 characters or more',
      ALLOW_PRIVATE_TARGETS: 'true',
      HOST: '127.0.0.1',
      PORT: '0',
      PRODUCER_TICK_MS: '250',
      SCHEDULE_LEAD_MS: '1000',
      RECLAIM_IDLE_MS: '5000',
      RECLAIM_INTERVAL_MS: '1000',
    };
    const apiProcess = start('api', { LOG_LEVEL: 'info' });
    const [, address] = await apiProcess.waitFor(/API listening on (http:\/\/\S+)/, 60_000);
    api = new ApiClient(address!);
    await api.signup('faults@example.com');
    await Promise.all([startProducer(), ...REGIONS.map(startWorker)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await db?.close();
    await Promise.all([pgProxy?.close(), redisProxy?.close(), target?.close()]);
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });

  /** Every request the poller made: sent and answered when, what, and the status (0: no answer within 5 s). */
  interface Answer {
    at: number;
    answeredAt: number;
    path: string;
    status: number;
  }

  function pollApi(): { stop(): Promise<Answer[]> } {
    const answers: Answer[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const path of ['/api/health', '/api/monitor?limit=5']) {
          const at = Date.now();
          const status = await Promise.race([
            api.request('GET', path).then(
              (r) => r.status,
              () => 0,
            ),
            new Promise<number>((resolve) => setTimeout(() => resolve(0), 5_000)),
          ]);
          answers.push({ at, answeredAt: Date.now(), path, status });
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return answers;
      },
    };
  }

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function waitUntil(
    condition: () => Promise<boolean>,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await condition().catch(() => false))) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await pause(500);
    }
  }

  async function withRedis<T>(use: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.quit();
    }
  }

  /**
   * What the queue and the processes say when slots are missing: each group's pending summary and lag, and
   * each worker's counters (it logs them when stopped) and warnings, so a failure in CI can be diagnosed.
   */
  async function diagnosis(): Promise<string> {
    const groups = await withRedis(async (client) =>
      JSON.stringify({
        groups: await client.xInfoGroups(STREAM_KEY),
        pending: await Promise.all(REGIONS.map((r) => client.xPending(STREAM_KEY, r))),
      }),
    ).catch((error: Error) => `queue unreadable: ${error.message}`);
    await Promise.all([...workers.values()].map((w) => w.stop('SIGTERM')));
    const logs = [...workers.entries(), ['producer', producer!] as const].map(([name, p]) => {
      const lines = p
        .output()
        .split('\n')
        .filter((line) => !/"level":30,.*"msg":"(incoming request|request completed)"/.test(line));
      return `--- ${name}\n${lines.slice(-60).join('\n')}`;
    });
    return [groups, ...logs].join('\n');
  }

  it('loses and duplicates no result through restarts, network cuts and killed processes, and the API keeps answering', async () => {
    const monitorIds: string[] = [];
    for (let i = 0; i < MONITORS; i++) {
      monitorIds.push(
        (await api.createMonitor({ url: `${target.url}/ok`, name: `m${i}`, intervalSeconds: 30 })).id,
      );
    }
    const poller = pollApi();
    const downWindows: Array<[number, number]> = [];
    const databaseAway = async (fault: () => Promise<void>) => {
      const from = Date.now();
      await fault();
      downWindows.push([from, Date.now() + 5_000]);
    };

    await pause(6_000);
    await databaseAway(() => postgres.restart());
    await pause(6_000);
    await redis.restart();
    await pause(6_000);
    await databaseAway(async () => {
      await pgProxy.cut();
      await pause(4_000);
      await pgProxy.restore();
    });
    await pause(6_000);
    await redisProxy.cut();
    await pause(4_000);
    await redisProxy.restore();
    await pause(6_000);
    await workers.get('usa')!.stop('SIGKILL');
    await startWorker('usa');
    await pause(4_000);
    await producer!.stop('SIGKILL');
    await startProducer();
    const faultsEnded = Date.now();
    await pause(10_000);
    const answers = await poller.stop();

    // Every slot due before the last fault ended is checked in every region, and nothing is left over.
    const slotsBefore = new Date(faultsEnded);
    const perSlot = () =>
      queryRows<{ monitor_id: string; ms: number; regions: string[]; outcomes: string[] }>(
        db.db,
        sql`SELECT monitor_id, (extract(epoch FROM scheduled_at) * 1000)::float8 AS ms,
                   array_agg(region ORDER BY region) AS regions,
                   array_agg(region || ' ' || status || coalesce(' ' || reason || ': ' || message, '')
                             ORDER BY region) AS outcomes
            FROM check_results WHERE monitor_id = ANY(${sql.param(monitorIds)}::uuid[])
              AND scheduled_at < ${slotsBefore.toISOString()}::timestamptz
            GROUP BY monitor_id, scheduled_at ORDER BY monitor_id, scheduled_at`,
      );
    const settled = async () =>
      withRedis(async (client) => {
        const pending = await Promise.all(REGIONS.map((r) => client.xPending(STREAM_KEY, r)));
        return (
          pending.every((p) => Number(p.pending) === 0) &&
          (await perSlot()).every((s) => s.regions.length === 2)
        );
      });
    await waitUntil(settled, 60_000, 'every slot checked in both regions and nothing pending').catch(
      async (error: Error) => {
        const partial = (await perSlot()).filter((s) => s.regions.length !== 2);
        throw new Error(`${error.message}: ${JSON.stringify(partial.slice(0, 10))}\n${await diagnosis()}`);
      },
    );

    const slots = await perSlot();
    expect(slots.length).toBeGreaterThanOrEqual(MONITORS * 2);
    // After the check made at its creation (the direct push), each monitor's slots lie on its grid
    // with none missing between the first and the last.
    for (const id of monitorIds) {
      const own = slots.filter((s) => s.monitor_id === id);
      const times = own.map((s) => s.ms).slice(1);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(
        gaps.filter((g) => g !== 30_000),
        `monitor ${id}: ${JSON.stringify(own.map((s) => [new Date(s.ms).toISOString(), s.outcomes]))}`,
      ).toEqual([]);
    }
    const duplicates = await queryRows<{ n: number }>(
      db.db,
      sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM check_results GROUP BY monitor_id, region, scheduled_at HAVING count(*) > 1) d`,
    );
    expect(duplicates[0]!.n).toBe(0);
    const deadLetters = await withRedis((client) => client.xLen(`${STREAM_KEY}:dead`));
    expect(deadLetters).toBe(0);

    // The API answered every request; 5xx only as the documented 503 while the database was away.
    // A request in flight when the database went away overlaps its window, though sent just before it.
    const overlapsDownWindow = (a: Answer) =>
      downWindows.some(([from, to]) => a.answeredAt >= from && a.at <= to);
    const bad = answers.filter(
      (a) => a.status === 0 || (a.status >= 500 && !(a.status === 503 && overlapsDownWindow(a))),
    );
    expect(answers.length).toBeGreaterThan(50);
    expect(bad, JSON.stringify(downWindows)).toEqual([]);
  });
});
