import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
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
    processes.push(apiProcess);
    [, address] = (await apiProcess.waitFor(/API listening on (http:\/\/\S+)/)) as [string, string];
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

  it('probes of a region share its slots, one takes over when the other is killed, a cut connection catches up, a revoked one stops', async () => {
    const edgeA = await createProbe(api, 'Edge A', 'edge');
    const edgeB = await createProbe(api, 'Edge B', 'edge');
    const west = await createProbe(api, 'West behind a proxy', 'west');
    const probeA = startProbe(edgeA.token);
    const probeB = startProbe(edgeB.token);
    const probeWest = startProbe(west.token, `http://127.0.0.1:${proxy.port}`);
    await Promise.all([probeA, probeB, probeWest].map((p) => p.waitFor(/connected to the instance/)));

    const monitors: Array<{ id: string }> = [];
    for (let i = 0; i < 6; i++)
      monitors.push(
        await api.createMonitor({ url: `${target.url}/ok?m=${i}`, intervalSeconds: 10, timeoutMs: 2000 }),
      );
    const ids = monitors.map((m) => m.id);
    const begin = Date.now();
    // Results from both regions for every monitor, and both edge probes did some of the work.
    await waitUntil(async () => {
      const [edge, westSlots] = [await slotsOf('edge', ids), await slotsOf('west', ids)];
      return ids.every((id) => edge.get(id)!.length > 0 && westSlots.get(id)!.length > 0);
    });
    await waitUntil(async () => {
      const listed = await listProbes();
      const edgeProbes = listed.filter((p) => p.region === 'edge');
      return edgeProbes.length === 2 && edgeProbes.every((p) => p.connected && (p.checksPerSecond ?? 0) > 0);
    }, 30_000);
    const listed = await listProbes();
    expect(listed.find((p) => p.id === edgeA.probe.id)).toMatchObject({ version: '0.1.0' });
    expect(Math.abs(listed.find((p) => p.id === edgeA.probe.id)!.clockOffsetMs!)).toBeLessThan(100);

    // Edge A dies without a word; Edge B reclaims its pending slots (idle 2 s).
    probeA.child.kill('SIGKILL');
    await probeA.exited;
    // The connection to West is cut for 6 s (shorter than the interval, so no slot is stale on return).
    await proxy.cut();
    await sleep(6_000);
    await proxy.restore();
    await sleep(1.5 * INTERVAL_MS);
    const end = Date.now() - 3_000;
    expectNoGap(await slotsOf('edge', ids), begin + INTERVAL_MS, end);
    expectNoGap(await slotsOf('west', ids), begin + INTERVAL_MS, end);
    expect(probeWest.output()).toMatch(/connection to the instance lost/);
    expect(probeWest.output().match(/connected to the instance/g)!.length).toBeGreaterThanOrEqual(2);

    // Revoked: the connection closes at once and the probe exits.
    const revokedAt = Date.now();
    expect((await api.request('DELETE', `/api/probes/${edgeB.probe.id}`)).status).toBe(204);
    expect(await probeB.exited).toBe(1);
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    expect(probeB.output()).toMatch(/revoked/);
    expect(await probeWest.stop('SIGTERM')).toBe(0);
  }, 100_000);

  it("a probe's token cannot post another region's results, nor results for slots never sent to it", async () => {
    const rogue = await createProbe(api, 'Rogue', 'rogue');
    // A real monitor, checked from every region (edge among them); no slot of it was ever sent to Rogue.
    const monitor = await api.createMonitor({ url: `${target.url}/ok?forged`, intervalSeconds: 3600 });
    const socket = new WebSocket(`${address.replace('http', 'ws')}/api/probes/connect`, {
      headers: { authorization: `Bearer ${rogue.token}` },
    });
    const replies: Array<{ type: string; id?: number; ok?: boolean; stored?: number; refused?: number }> = [];
    socket.on('message', (data) => replies.push(JSON.parse(data.toString())));
    await waitUntil(() => replies.some((r) => r.type === 'welcome'), 10_000);
    const row = (region: string, scheduledAt: number) => ({
      monitorId: monitor.id,
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
    });
    const slot = Date.now() - 1_000;
    socket.send(
      JSON.stringify({
        type: 'call',
        id: 1,
        op: 'results',
        rows: [row('edge', slot), row('rogue', slot + 1)],
      }),
    );
    await waitUntil(() => replies.some((r) => r.id === 1), 10_000);
    expect(replies.find((r) => r.id === 1)).toMatchObject({ ok: true, stored: 0, refused: 2 });
    const forged = await queryRows(
      testDb.handle.db,
      sql`SELECT 1 FROM check_results WHERE message = 'forged' OR region = 'rogue'`,
    );
    expect(forged).toEqual([]);
    // A message outside the protocol closes the connection.
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'call', id: 2, op: 'read', count: 'all' }));
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
