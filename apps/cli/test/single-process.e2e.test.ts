import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import { ApiClient } from './api-client.js';
import { type CliProcess, spawnCli } from './processes.js';

/** `npm start`: the whole monitor in one process on embedded PGlite and the in-process queue. */
describe('single-process mode (better-uptime start)', () => {
  let dataDir: string;
  let target: TargetServer;
  const running: CliProcess[] = [];

  function start(): CliProcess {
    const process = spawnCli('start', {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      ALLOW_PRIVATE_TARGETS: 'true',
    });
    running.push(process);
    return process;
  }

  async function address(process: CliProcess): Promise<string> {
    const [, url] = await process.waitFor(/Dashboard and API: (http:\/\/\S+)/, 60_000);
    return url!;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bu-start-'));
    target = await startTarget();
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    await target?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs, checks, stops cleanly on SIGTERM, and keeps everything across a restart', async () => {
    const first = start();
    const api = new ApiClient(await address(first));
    expect(first.output()).toMatch(/Regions: +local/);
    expect(first.output()).toMatch(/Sign-up: +first-user/);
    await api.signup('solo@example.com');
    // One process, one owner: SIGNUP defaults to first-user, so a second account is refused.
    const secondAccount = await new ApiClient(api.baseUrl).request('POST', '/api/auth/signup', {
      email: 'intruder@example.com',
      password: 'correct horse battery',
      name: 'Intruder',
    });
    expect(secondAccount.status).toBe(403);
    const monitor = await api.createMonitor({ url: `${target.url}/ok`, name: 'Local target' });
    // The direct push checks it at once; the result shows through the API within seconds.
    let latest: Awaited<ReturnType<ApiClient['latest']>> = [];
    for (let i = 0; i < 100 && latest.length === 0; i++) {
      latest = await api.latest(monitor.id);
      if (latest.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(latest).toEqual([expect.objectContaining({ location: 'local', status: 'Up', reason: null })]);

    // A second start on the same data directory is refused, and the first is unharmed.
    const intruder = start();
    expect(await intruder.exited).toBe(1);
    expect(intruder.output()).toMatch(
      /data directory .* is in use by another Better Uptime process \(pid \d+\)/,
    );
    expect((await api.request('GET', '/api/health')).status).toBe(200);

    expect(await first.stop('SIGTERM')).toBe(0);

    const second = start();
    const again = new ApiClient(await address(second));
    expect(await again.login('solo@example.com')).toBe(200);
    const { body } = await again.request<{ monitors: Array<{ id: string; name: string }> }>(
      'GET',
      '/api/monitor',
    );
    expect(body.monitors.map((m) => [m.id, m.name])).toEqual([[monitor.id, 'Local target']]);
    const checks = await again.request<{ checks: Array<{ status: string }> }>(
      'GET',
      `/api/results/${monitor.id}/checks`,
    );
    expect(checks.body.checks.length).toBeGreaterThanOrEqual(1);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 120_000);
});
