import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { type CheckTask, createRedisTaskQueue } from '@better-uptime/redis-stream';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  startTarget,
  startTcpProxy,
  type TargetServer,
  type TcpProxy,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@better-uptime/testing';
import { ApiClient } from './api-client.js';
import { type CliProcess, spawnCli } from './processes.js';

interface CreatedProbe {
  probe: { id: string; region: string };
  token: string;
}
interface ListedProbe {
  id: string;
  region: string;
  connected: boolean;
  version: string | null;
  clockOffsetMs: number | null;
  checksPerSecond: number | null;
}

const INTERVAL_MS = 10_000;
/** How long the connection of a probe is cut: the minute. */
const CUT_MS = 60_000;

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createProbe(api: ApiClient, name: string, region: string): Promise<CreatedProbe> {
  const { status, body } = await api.request<CreatedProbe>('POST', '/api/probes', { name, region });
  if (status !== 201) throw new Error(`create probe failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

interface RawReply {
  type: string;
  id?: number;
  ok?: boolean;
  stored?: number;
  refused?: number;
  tasks?: Array<{ id: string; task: { monitorId: string; scheduledAt: number } | null }>;
}

/** A connection speaking the probe protocol by hand, to send what a real probe never would. */
async function rawProbe(address: string, token: string) {
  const socket = new WebSocket(`${address.replace('http', 'ws')}/api/probes/connect`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const replies: RawReply[] = [];
  socket.on('message', (data) => replies.push(JSON.parse(data.toString()) as RawReply));
  await waitUntil(() => replies.some((r) => r.type === 'welcome'), 10_000);
  let nextId = 1;
  return {
    socket,
    async call(call: Record<string, unknown>, timeoutMs = 15_000): Promise<RawReply> {
      const id = nextId++;
      socket.send(JSON.stringify({ type: 'call', id, ...call }));
      await waitUntil(() => replies.some((r) => r.id === id), timeoutMs);
      return replies.find((r) => r.id === id)!;
    },
    close(): Promise<void> {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close();
      return closed;
    },
  };
}

type RawProbe = Awaited<ReturnType<typeof rawProbe>>;
type RawEntry = NonNullable<RawReply['tasks']>[number];

/** A new region's group starts with the stream's earlier tasks: reads and settles them out of the way. */
async function settleEarlierTasks(probe: RawProbe): Promise<void> {
  for (;;) {
    const { tasks } = await probe.call({ op: 'read', count: 1_000, blockMs: 0 });
    if (tasks!.length === 0) return;
    await probe.call({ op: 'ack', ids: tasks!.map((t) => t.id) });
  }
}

/**
 * Reads until the entry of `monitorId` comes. Other entries may come first (a direct push published again
 * after a slow answer): they are left pending.
 */
async function readEntryOf(probe: RawProbe, monitorId: string): Promise<RawEntry> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [entry] = (await probe.call({ op: 'read', count: 1, blockMs: 5_000 })).tasks!;
    if (entry?.task?.monitorId === monitorId) return entry;
  }
  throw new Error(`no task of monitor ${monitorId}`);
}

/** A result row as a probe sends it. */
function wireRow(monitorId: string, region: string, scheduledAt: number, entryId?: string) {
  return {
    monitorId,
    region,
    scheduledAt,
    checkedAt: scheduledAt + 5,
    status: 'Down',
    responseTimeMs: 1,
    statusCode: null,
    reason: 'connect',
    message: 'forged',
    dnsMs: null,
    connectMs: null,
    tlsMs: null,
    firstByteMs: null,
    certExpiresAt: null,
    ...(entryId === undefined ? {} : { entryId }),
  };
}

/**
 * Remote probes as they run: the instance (API and producer) and each probe are separate processes on
 * 127.0.0.1; the probes reach the instance only through its HTTP port (one through a TCP proxy that is cut).
 */
describe.skipIf(!postgresAvailable() || !redisAvailable())('remote probes (services mode)', () => {
  let testDb: TestDatabase;
  let target: TargetServer;
  let prefix: string;
  let api: ApiClient;
  let address: string;
  /** A second API process on the same database and queue. */
  let api2: CliProcess;
  let address2: string;
  let proxy: TcpProxy;
  const processes: CliProcess[] = [];

  function startProbe(token: string, server = address): CliProcess {
    const probe = spawnCli('probe', {
      PROBE_SERVER: server,
      PROBE_TOKEN: token,
      PROBE_RECONNECT_MAX_MS: '1000',
      ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'info',
    });
    processes.push(probe);
    return probe;
  }

  /** The slots of the monitors stored from the region, per monitor, in order. */
  async function slotsOf(region: string, monitorIds: string[]): Promise<Map<string, number[]>> {
    const rows = await queryRows<{ monitor_id: string; at: string }>(
      testDb.handle.db,
      sql`SELECT monitor_id, (extract(epoch FROM scheduled_at) * 1000)::bigint::text AS at FROM check_results
          WHERE region = ${region} AND monitor_id = ANY(${sql.param(monitorIds)}::uuid[])
          ORDER BY monitor_id, scheduled_at`,
    );
    const slots = new Map<string, number[]>(monitorIds.map((id) => [id, []]));
    for (const row of rows) slots.get(row.monitor_id)!.push(Number(row.at));
    return slots;
  }

  /** Every slot between the first and the last stored one is stored (the key makes each one once). */
  function expectNoGap(slots: Map<string, number[]>, from: number, to: number): void {
    for (const [monitorId, list] of slots) {
      const inWindow = list.filter((at) => at >= from && at <= to);
      expect(inWindow.length, `slots of ${monitorId}`).toBeGreaterThanOrEqual(
        Math.floor((to - from) / INTERVAL_MS) - 1,
      );
      for (let i = 1; i < inWindow.length; i++) expect(inWindow[i]! - inWindow[i - 1]!).toBe(INTERVAL_MS);
    }
  }

  /** A monitor checked from `region` only: its first task is the direct push, at creation. */
  function monitorOf(region: string, query: string): Promise<{ id: string }> {
    return api.createMonitor({ url: `${target.url}/ok?${query}`, intervalSeconds: 3600, regions: [region] });
  }

  async function listProbes(): Promise<ListedProbe[]> {
    const { body } = await api.request<{ probes: ListedProbe[] }>('GET', '/api/probes');
    return body.probes;
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    target = await startTarget();
    prefix = redisTestPrefix();
    const env = {
      NODE_ENV: 'development',
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: `${prefix}BetterUptime:Websites`,
      REGIONS: 'usa',
      JWT_SECRET: 'an end-to-end test secret, long enough',
      SECRETS_KEY: 'a test key for channel secrets, 32 characters or more',
      PRODUCER_TICK_MS: '250',
      SCHEDULE_LEAD_MS: '1000',
      // A dead probe's slots are taken over by another probe of its region after this long.
      RECLAIM_IDLE_MS: '2000',
      RECLAIM_INTERVAL_MS: '500',
    };
    const apiProcess = spawnCli('api', { ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' });
    api2 = spawnCli('api', { ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' });
    processes.push(apiProcess, api2);
    [, address] = (await apiProcess.waitFor(/API listening on (http:\/\/\S+)/)) as [string, string];
    [, address2] = (await api2.waitFor(/API listening on (http:\/\/\S+)/)) as [string, string];
    processes.push(spawnCli('producer', env));
    api = new ApiClient(address);
    await api.signup('admin@example.com');
    proxy = await startTcpProxy(Number(new URL(address).port));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await proxy?.close();
    await target?.close();
    await testDb?.drop();
    if (prefix) await deleteRedisKeys(prefix);
  });

  it('only administrators manage probes; a probe region becomes a region of the instance', async () => {
    const other = new ApiClient(address);
    await other.signup('someone@example.com');
    expect((await other.request('POST', '/api/probes', { name: 'x', region: 'edge' })).status).toBe(403);
    expect((await other.request('GET', '/api/probes')).status).toBe(403);
    const created = await createProbe(api, 'Lab', 'lab');
    expect(created.token).toMatch(/^bu_probe_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(await listProbes())).not.toContain(created.token);
    const regions = await api.request<{ regions: string[] }>('GET', '/api/regions');
    expect(regions.body.regions).toEqual(['usa', 'lab']);
    // The token is a probe's, not a user's: the API's routes refuse it.
    const asProbe = await fetch(`${address}/api/monitor`, {
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(asProbe.status).toBe(401);
    expect((await api.request('DELETE', `/api/probes/${created.probe.id}`)).status).toBe(204);
    expect((await api.request('DELETE', `/api/probes/${created.probe.id}`)).status).toBe(404);
  });

  it('probes of a region share its slots, one takes over when the other is killed, a probe cut off for a minute comes back through another API process and accounts for every slot, a revoked one stops', async () => {
    const edgeA = await createProbe(api, 'Edge A', 'edge');
    const edgeB = await createProbe(api, 'Edge B', 'edge');
    const west = await createProbe(api, 'West behind a proxy', 'west');
    const probeA = startProbe(edgeA.token);
    const probeB = startProbe(edgeB.token);
    const probeWest = startProbe(west.token, `http://127.0.0.1:${proxy.port}`);
    await Promise.all([probeA, probeB, probeWest].map((p) => p.waitFor(/connected to the instance/, 60_000)));

    const monitors: Array<{ id: string }> = [];
    for (let i = 0; i < 6; i++)
      monitors.push(
        await api.createMonitor({ url: `${target.url}/ok?m=${i}`, intervalSeconds: 10, timeoutMs: 2000 }),
      );
    const ids = monitors.map((m) => m.id);
    const begin = Date.now();
    // Results from both regions for every monitor.
    await waitUntil(async () => {
      const [edge, westSlots] = [await slotsOf('edge', ids), await slotsOf('west', ids)];
      return ids.every((id) => edge.get(id)!.length > 0 && westSlots.get(id)!.length > 0);
    });

    // West is cut off for a minute, half a second before a slot of its first monitor: the task was
    // published a second ahead and West holds it, runs the check on time while cut off, and sends the
    // result when it is back, through the other API process (which never sent it that slot).
    const firstMonitor = ids[0]!;
    // Its second check is on its slot grid (the first is the API's direct push, at creation).
    const westOfFirst = async () => (await slotsOf('west', [firstMonitor])).get(firstMonitor)!;
    await waitUntil(async () => (await westOfFirst()).length >= 2);
    let heldSlot = (await westOfFirst()).at(-1)!;
    while (heldSlot - Date.now() < 1_000) heldSlot += INTERVAL_MS;
    await sleep(heldSlot - 500 - Date.now());
    await proxy.cut();
    const cutAt = Date.now();

    // Meanwhile: both edge probes did some of the work, and report their version and clock.
    await waitUntil(async () => {
      const listed = await listProbes();
      const edgeProbes = listed.filter((p) => p.region === 'edge');
      return edgeProbes.length === 2 && edgeProbes.every((p) => p.connected && (p.checksPerSecond ?? 0) > 0);
    }, 30_000);
    const listed = await listProbes();
    expect(listed.find((p) => p.id === edgeA.probe.id)).toMatchObject({ version: '0.1.0' });
    expect(Math.abs(listed.find((p) => p.id === edgeA.probe.id)!.clockOffsetMs!)).toBeLessThan(100);

    // Meanwhile Edge A dies without a word; Edge B reclaims its pending slots (idle 2 s).
    probeA.child.kill('SIGKILL');
    await probeA.exited;
    await sleep(1.5 * INTERVAL_MS);
    expectNoGap(await slotsOf('edge', ids), begin + INTERVAL_MS, Date.now() - 3_000);

    // Revoked: the connection closes at once and the probe exits.
    const revokedAt = Date.now();
    expect((await api.request('DELETE', `/api/probes/${edgeB.probe.id}`)).status).toBe(204);
    expect(await probeB.exited).toBe(1);
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    expect(probeB.output()).toMatch(/revoked/);

    await sleep(cutAt + CUT_MS - Date.now());
    await proxy.restore(Number(new URL(address2).port));
    await waitUntil(() => probeWest.output().match(/connected to the instance/g)!.length >= 2, 15_000);
    // Catching up: slots that went stale are shed, the others run; then every monitor's next slot runs.
    await sleep(INTERVAL_MS + 2_000);
    expect(await probeWest.stop('SIGTERM')).toBe(0);
    expect(probeWest.output()).toMatch(/connection to the instance lost/);
    expect(api2.output()).not.toMatch(/refused results/);

    // Every slot of West is accounted for: stored once, or shed (counted) because it was older than its
    // interval when the probe came to it; every check the probe ran is stored.
    const stopped = probeWest
      .output()
      .split('\n')
      .filter((line) => line.includes('"probe stopped"'))
      .map((line) => JSON.parse(line) as { checked: number; droppedStale: number })[0]!;
    const westSlots = await slotsOf('west', ids);
    let expected = 0;
    let stored = 0;
    for (const [monitorId, list] of westSlots) {
      // The first check of a new monitor is the API's direct push, at creation, off the slot grid.
      const grid = list.filter((at) => (at - list.at(-1)!) % INTERVAL_MS === 0);
      expect(list.length - grid.length, `off-grid checks of ${monitorId}`).toBe(1);
      expected += (grid.at(-1)! - grid[0]!) / INTERVAL_MS + 1;
      stored += list.length;
    }
    expect(stopped.checked).toBe(stored);
    expect(stopped.droppedStale).toBeGreaterThan(0);
    expect(
      stored - ids.length + stopped.droppedStale,
      `the probe's counters: ${JSON.stringify(stopped)}`,
    ).toBe(expected);
    // The slot held across the cut was checked on time, and stored through the other API process.
    const [held] = await queryRows<{ late_ms: number }>(
      testDb.handle.db,
      sql`SELECT (extract(epoch FROM checked_at - scheduled_at) * 1000)::int AS late_ms FROM check_results
          WHERE region = 'west' AND monitor_id = ${firstMonitor} AND scheduled_at = ${new Date(heldSlot)}`,
    );
    expect(held!.late_ms).toBeLessThan(1_000);
  }, 180_000);

  it('takes results for slots sent to the probe through another API process, and only those', async () => {
    const east = await createProbe(api, 'East', 'east');
    const eastToo = await createProbe(api, 'East too', 'east');
    const onFirst = await rawProbe(address, east.token);
    const other = await rawProbe(address, eastToo.token);
    // The region's new group starts with the stream's earlier tasks: read them out of the way.
    while ((await onFirst.call({ op: 'read', count: 1_000, blockMs: 0 })).tasks!.length > 0);
    const mine = await readEntryOf(onFirst, (await monitorOf('east', 'east=1')).id);
    const theirs = await readEntryOf(other, (await monitorOf('east', 'east=2')).id);
    await onFirst.close();

    // Moved to the second API process: its earlier entry is its own there too, the other probe's is not,
    // and an entry vouches only for its own slot.
    const onSecond = await rawProbe(address2, east.token);
    const reply = await onSecond.call({
      op: 'results',
      rows: [
        wireRow(mine.task!.monitorId, 'east', mine.task!.scheduledAt, mine.id),
        wireRow(theirs.task!.monitorId, 'east', theirs.task!.scheduledAt, theirs.id),
        wireRow(mine.task!.monitorId, 'east', mine.task!.scheduledAt + 1, mine.id),
      ],
    });
    expect(reply).toMatchObject({ ok: true, stored: 1, refused: 2 });
    const rows = await queryRows<{ monitor_id: string; at: string }>(
      testDb.handle.db,
      sql`SELECT monitor_id, (extract(epoch FROM scheduled_at) * 1000)::bigint::text AS at FROM check_results
          WHERE region = 'east'`,
    );
    expect(rows).toEqual([{ monitor_id: mine.task!.monitorId, at: String(mine.task!.scheduledAt) }]);
    // Stored and acknowledged once: sending it again stores nothing more and refuses it.
    const again = await onSecond.call({
      op: 'results',
      rows: [wireRow(mine.task!.monitorId, 'east', mine.task!.scheduledAt, mine.id)],
    });
    expect(again).toMatchObject({ ok: true, stored: 0, refused: 1 });
    await Promise.all([onSecond.close(), other.close()]);
  });

  it('leaves an entry pending when the database refuses its result, though the probe acknowledges it', async () => {
    const poison = await createProbe(api, 'Poison', 'poison');
    const probe = await rawProbe(address, poison.token);
    // Only this test's entry is pending when it claims.
    await settleEarlierTasks(probe);
    const monitor = await monitorOf('poison', 'poison');
    const entry = await readEntryOf(probe, monitor.id);
    // A NUL character: valid JSON, but text PostgreSQL cannot store.
    const row = {
      ...wireRow(monitor.id, 'poison', entry.task!.scheduledAt, entry.id),
      message: 'bad\u0000',
    };
    expect(await probe.call({ op: 'results', rows: [row] })).toMatchObject({ ok: true, stored: 0 });
    // The probe's buffer acknowledges the batch it sent; the instance keeps this entry pending...
    expect(await probe.call({ op: 'ack', ids: [entry.id] })).toMatchObject({ ok: true });
    // ...so once idle past RECLAIM_IDLE_MS it is delivered again (and, past the bound, dead-lettered).
    await sleep(2_200);
    const again = (await probe.call({ op: 'claim', minIdleMs: 0, count: 1_000 })).tasks!;
    expect(again.map((t) => t.id)).toContain(entry.id);
    expect(await probe.call({ op: 'deadLetter', ids: [entry.id], reason: 'max_deliveries' })).toMatchObject({
      ok: true,
    });
    await probe.close();
  });

  it('stores the result of either entry of a slot published twice, and only once', async () => {
    const twice = await createProbe(api, 'Twice', 'twice');
    const probe = await rawProbe(address, twice.token);
    await settleEarlierTasks(probe);
    const monitor = await monitorOf('twice', 'twice');
    const first = await readEntryOf(probe, monitor.id);
    // Published again, as after a publish that timed out once Redis had taken it.
    const queue = await createRedisTaskQueue({
      url: TEST_REDIS_URL,
      streamKey: `${prefix}BetterUptime:Websites`,
    });
    await queue.publish([first.task as CheckTask]);
    await queue.close();
    const second = await readEntryOf(probe, monitor.id);
    expect(second.id).not.toBe(first.id);
    expect(second.task!.scheduledAt).toBe(first.task!.scheduledAt);
    // The probe settles the first entry as a duplicate and checks the second: its result is stored.
    expect(await probe.call({ op: 'ack', ids: [first.id] })).toMatchObject({ ok: true });
    const row = wireRow(monitor.id, 'twice', second.task!.scheduledAt, second.id);
    expect(await probe.call({ op: 'results', rows: [row] })).toMatchObject({
      ok: true,
      stored: 1,
      refused: 0,
    });
    // The slot is one result: the same row again, under either entry, is refused.
    const again = await probe.call({
      op: 'results',
      rows: [row, wireRow(monitor.id, 'twice', first.task!.scheduledAt, first.id)],
    });
    expect(again).toMatchObject({ ok: true, stored: 0, refused: 2 });
    const stored = await queryRows<{ n: number }>(
      testDb.handle.db,
      sql`SELECT count(*)::int AS n FROM check_results WHERE monitor_id = ${monitor.id}`,
    );
    expect(stored).toEqual([{ n: 1 }]);
    await probe.close();
  });

  it("a probe's token cannot post another region's results, nor results for slots never sent to it", async () => {
    const rogue = await createProbe(api, 'Rogue', 'rogue');
    // A real monitor, checked from every region (edge among them); no slot of it was ever sent to Rogue.
    const monitor = await api.createMonitor({ url: `${target.url}/ok?forged`, intervalSeconds: 3600 });
    const probe = await rawProbe(address, rogue.token);
    const slot = Date.now() - 1_000;
    const reply = await probe.call({
      op: 'results',
      rows: [wireRow(monitor.id, 'edge', slot), wireRow(monitor.id, 'rogue', slot + 1)],
    });
    expect(reply).toMatchObject({ ok: true, stored: 0, refused: 2 });
    const forged = await queryRows(
      testDb.handle.db,
      sql`SELECT 1 FROM check_results WHERE (monitor_id = ${monitor.id} AND message = 'forged') OR region = 'rogue'`,
    );
    expect(forged).toEqual([]);
    // A message outside the protocol closes the connection.
    const closed = new Promise<number>((resolve) => probe.socket.once('close', (code) => resolve(code)));
    probe.socket.send(JSON.stringify({ type: 'call', id: 99, op: 'read', count: 'all' }));
    expect(await closed).toBe(4003);
    // A wrong token is refused before any upgrade.
    const refused = new WebSocket(`${address.replace('http', 'ws')}/api/probes/connect`, {
      headers: { authorization: `Bearer bu_probe_${'x'.repeat(32)}` },
    });
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_request, response) => resolve(response.statusCode!)),
    );
    expect(status).toBe(401);
  });
});

/** A probe against `npm start`: one process on PGlite with the in-process queue. */
describe('remote probe against the single-process mode', () => {
  let dataDir: string;
  let target: TargetServer;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bu-probe-start-'));
    target = await startTarget();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await target?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stores the probe region results beside the local ones', async () => {
    const instance = spawnCli('start', {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      ALLOW_PRIVATE_TARGETS: 'true',
    });
    processes.push(instance);
    const [, address] = (await instance.waitFor(/Dashboard and API: (http:\/\/\S+)/, 60_000)) as [
      string,
      string,
    ];
    const api = new ApiClient(address);
    await api.signup('solo@example.com');
    const office = await createProbe(api, 'Office', 'office');
    const probe = spawnCli('probe', {
      PROBE_SERVER: address,
      PROBE_TOKEN: office.token,
      ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'info',
    });
    processes.push(probe);
    await probe.waitFor(/connected to the instance/);
    const monitor = await api.createMonitor({
      url: `${target.url}/ok`,
      intervalSeconds: 10,
      timeoutMs: 2000,
    });
    let locations: string[] = [];
    await waitUntil(async () => {
      locations = (await api.latest(monitor.id)).map((l) => l.location).sort();
      return locations.length === 2;
    }, 30_000);
    expect(locations).toEqual(['local', 'office']);
    expect(await probe.stop('SIGTERM')).toBe(0);
    expect(await instance.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
