import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { createLogger } from '@better-uptime/config';
import { startApi } from '../src/start.js';
import { testConfig } from './helpers.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe.skipIf(!postgresAvailable())('starting the API (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'bu-api-'));
  });
  afterAll(async () => {
    await testDb?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('startApi opens and migrates the database, listens, and closes both', async () => {
    const config = testConfig({ DATABASE_URL: testDb.url, PORT: '0', HOST: '127.0.0.1' });
    const api = await startApi({ config, logger: createLogger('api', 'silent') });
    expect(api.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${api.address}/api/health`);
    expect(await res.json()).toEqual({ status: 'ok', database: 'up' });
    await api.close();
    await expect(fetch(`${api.address}/api/health`)).rejects.toThrow();
  });

  it('close() lets in-flight requests finish', async () => {
    const config = testConfig({ DATABASE_URL: testDb.url, PORT: '0', HOST: '127.0.0.1' });
    let hookEntered!: () => void;
    const entered = new Promise<void>((resolve) => (hookEntered = resolve));
    const slow = async () => {
      hookEntered();
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    const api = await startApi({
      config,
      logger: createLogger('api', 'silent'),
      monitorEvents: { created: slow, updated: slow },
    });
    const signupRes = await fetch(`${api.address}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'inflight@example.com', password: 'long enough', name: 'In flight' }),
    });
    const { token } = (await signupRes.json()) as { token: string };
    const inFlight = fetch(`${api.address}/api/monitor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ url: 'https://example.com/' }),
    });
    await entered;
    const closing = api.close();
    expect((await inFlight).status).toBe(201);
    await closing;
  });

  it('npm run api: starts, logs where it listens, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'api'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        DATABASE_URL: testDb.url,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in:\n${output}`)), 20_000);
      child.stdout.on('data', (chunk) => {
        output += String(chunk);
        const match = /API listening on (http:\/\/[^\s]+) \(PostgreSQL at /.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited early (${code}):\n${output}`)));
    });
    const res = await fetch(`${address}/api/health`);
    expect(res.status).toBe(200);
    // Without JWT_SECRET and SECRETS_KEY, a development secret and a key were made and kept, owner-only.
    expect((await stat(join(dataDir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'secrets-key'))).mode & 0o777).toBe(0o600);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM: finishing in-flight work');
    for (const file of ['jwt-secret', 'secrets-key']) {
      expect(output).not.toContain((await readFile(join(dataDir, file), 'utf8')).trim());
    }
  });
});
