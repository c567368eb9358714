import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  startTarget,
  type TargetServer,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@better-uptime/testing';
import { ApiClient } from './api-client.js';
import { REPO_ROOT } from './run-command.js';

const PM2 = join(REPO_ROOT, 'node_modules/pm2/bin/pm2');

interface Pm2Process {
  name: string;
  pm2_env: { status: string; restart_time: number };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The PM2 process file as an operator starts it (`npm run build`, then `pm2 start ecosystem.config.js`),
 * on the local PostgreSQL and Redis: the API, the producer and a worker per region come up, checks arrive
 * from both regions, and `pm2 stop` stops every app gracefully. Its own build folder and PM2 home, so
 * nothing of the developer's dist/ or PM2 daemon is touched.
 */
describe.skipIf(!postgresAvailable() || !redisAvailable())('PM2 process file', { timeout: 180_000 }, () => {
  const dir = join(REPO_ROOT, 'test-output', `pm2-${process.pid}-${Date.now()}`);
  let testDb: TestDatabase;
  let target: TargetServer;
  let prefix: string;
  let env: Record<string, string>;

  const pm2 = (...args: string[]) => {
    const result = spawnSync(process.execPath, [PM2, ...args], { cwd: dir, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pm2 ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  const processes = () => JSON.parse(pm2('jlist')) as Pm2Process[];

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    const build = spawnSync(
      process.execPath,
      ['scripts/build.mjs', '--skip-web', '--out-dir', join(dir, 'dist')],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    for (const file of ['ecosystem.config.js', 'ecosystem.config.cjs'])
      copyFileSync(join(REPO_ROOT, file), join(dir, file));
    testDb = await createTestDatabase();
    target = await startTarget();
    prefix = redisTestPrefix();
    env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      PM2_HOME: join(dir, '.pm2'),
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY: `${prefix}:stream`,
      JWT_SECRET: 'pm2-test-secret-0123456789-abcdefghijklmnop',
      SECRETS_KEY: 'pm2-test-secrets-key-0123456789-abcdefghijk',
      PORT: String(await freePort()),
      ALLOW_PRIVATE_TARGETS: 'true',
      COOKIE_SECURE: 'false',
      SIGNUP: 'open',
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    if (env) spawnSync(process.execPath, [PM2, 'kill'], { cwd: dir, env, encoding: 'utf8' });
    await target?.close();
    if (prefix) await deleteRedisKeys(prefix);
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts every app, checks from both regions, and stops them gracefully', async () => {
    // The seed's command: the ESM file, which PM2 require()s, and which loads the CommonJS one.
    pm2('start', 'ecosystem.config.js');
    expect(
      processes()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['api', 'producer', 'worker-india', 'worker-usa']);

    const api = new ApiClient(`http://127.0.0.1:${env.PORT}`);
    const deadline = Date.now() + 60_000;
    while ((await api.request('GET', '/api/health').catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline)
        throw new Error(`the API never answered:\n${pm2('logs', '--nostream', '--lines', '40')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await api.signup(`pm2-${Date.now()}@example.test`);
    const monitor = await api.createMonitor({
      url: `${target.url}/ok`,
      intervalSeconds: 30,
      regions: ['usa', 'india'],
    });
    let regions: string[] = [];
    while (regions.length < 2) {
      if (Date.now() > deadline + 30_000)
        throw new Error(
          `checks arrived from ${regions.join(', ') || 'no region'}:\n${pm2('logs', '--nostream', '--lines', '30')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
      regions = (await api.latest(monitor.id)).filter((c) => c.status === 'Up').map((c) => c.location);
    }
    expect(regions.sort()).toEqual(['india', 'usa']);
    expect(target.hitCount('/ok')).toBeGreaterThanOrEqual(2);

    // Every app stayed up (no crash loop behind PM2's automatic restarts), then stops on PM2's signal.
    expect(processes().map((p) => [p.name, p.pm2_env.status, p.pm2_env.restart_time])).toEqual(
      expect.arrayContaining([
        ['api', 'online', 0],
        ['producer', 'online', 0],
        ['worker-usa', 'online', 0],
        ['worker-india', 'online', 0],
      ]),
    );
    pm2('stop', 'all');
    expect(processes().every((p) => p.pm2_env.status === 'stopped')).toBe(true);
    const logs = pm2('logs', '--nostream', '--lines', '200', '--raw');
    expect(logs).toMatch(/finishing in-flight work, then exiting/);
  });
});
