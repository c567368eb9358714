import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands.js';
import { CLI_SOURCE, runNode, TSX_LOADER } from './run-command.js';

/** The `better-uptime` command from its sources: what it says, and how it refuses what cannot work. */
describe('better-uptime CLI', () => {
  let cwd: string;

  // A fresh working directory per run, so that no developer's .env is read.
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'bu-cli-'));
  });
  afterAll(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  const cli = (args: string[], env: Record<string, string> = {}) =>
    runNode([...TSX_LOADER, CLI_SOURCE, ...args], { cwd, env: { LOG_LEVEL: 'warn', ...env } });

  /** The one line a wrong setting prints, and proof that it is the only line. */
  function onlyLine(stderr: string): string {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }

  it.each([[['help']], [['--help']], [[]], [['worker', '--help']]])(
    'prints usage for %j and exits 0',
    async (args) => {
      const { code, stdout, stderr } = await cli(args);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^Usage: better-uptime <command>/);
      for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    },
  );

  it('refuses an unknown command with exit 1, naming it', async () => {
    const { code, stdout, stderr } = await cli(['frobnicate']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Unknown command "frobnicate"\./);
    expect(stderr).toContain('Usage: better-uptime <command>');
  });

  it('refuses extra arguments: settings come from the environment', async () => {
    const { code, stderr } = await cli(['api', '--port=4000']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Unexpected argument "--port=4000": settings come from environment variables/);
  });

  it('refuses a worker without REGION, naming the variable', async () => {
    const { code, stderr } = await cli(['worker'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(onlyLine(stderr)).toMatch(
      /^Configuration error: REGION is required for a worker: one of usa, india/,
    );
  });

  it('refuses a worker without REDIS_URL, naming the variable', async () => {
    const { code, stderr } = await cli(['worker'], { REGION: 'usa' });
    expect(code).toBe(1);
    expect(onlyLine(stderr)).toMatch(/^Configuration error: REDIS_URL is required for a separate worker/);
  });

  it('refuses a producer without REDIS_URL: only `start` has the in-process queue', async () => {
    const { code, stderr } = await cli(['producer']);
    expect(code).toBe(1);
    expect(onlyLine(stderr)).toMatch(/REDIS_URL is required for a separate producer/);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', /^Configuration error: PORT must be an integer from 0 to 65535 \(got "abc"\)$/],
    [{ REGION: 'mars' }, 'REGION', /^Configuration error: REGION must be one of the configured REGIONS/],
    [{ DATABASE_URL: 'mysql://db/uptime' }, 'DATABASE_URL', /^Configuration error: DATABASE_URL /],
    [
      { METRICS_PORT: 'ninety' },
      'METRICS_PORT',
      /^Configuration error: METRICS_PORT must be an integer from 1 to 65535 \(got "ninety"\)$/,
    ],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT', /^Configuration error: METRICS_PORT must be an integer from 1/],
    [
      { METRICS_PER_MONITOR: 'sometimes' },
      'METRICS_PER_MONITOR',
      /^Configuration error: METRICS_PER_MONITOR must be true or false \(got "sometimes"\)$/,
    ],
    [
      { METRICS_TOKEN: 'short' },
      'METRICS_TOKEN',
      /^Configuration error: METRICS_TOKEN must be at least 16 characters/,
    ],
    [
      { NODE_ENV: 'production' },
      'JWT_SECRET',
      /^Configuration error: JWT_SECRET is required: .*32 characters/,
    ],
  ])('exits 1 with one line naming the variable for %j', async (env, variable, message) => {
    const { code, stdout, stderr } = await cli(['start'], env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const line = onlyLine(stderr);
    expect(line).toContain(variable);
    expect(line).toMatch(message);
  });

  it.each(['api', 'producer'])(
    'refuses a separate %s in production without SECRETS_KEY, before opening anything',
    async (command) => {
      const { code, stderr } = await cli([command], {
        NODE_ENV: 'production',
        JWT_SECRET: 'a production secret of 32 characters or more',
        REDIS_URL: 'redis://127.0.0.1:1',
        DATA_DIR: join(cwd, 'never-made'),
      });
      expect(code).toBe(1);
      expect(onlyLine(stderr)).toMatch(/^Configuration error: SECRETS_KEY is required: .*api and producer/);
      expect(existsSync(join(cwd, 'never-made'))).toBe(false);
    },
  );

  it('migrates a fresh embedded database, and again as a no-op, releasing the data directory', async () => {
    const dataDir = join(cwd, 'data');
    for (let run = 0; run < 2; run++) {
      const { code, stdout, stderr } = await cli(['migrate'], { DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('migrations applied');
    }
    expect(await readdir(dataDir)).toContain('pglite');
    expect(existsSync(join(dataDir, 'better-uptime.lock'))).toBe(false);
  }, 60_000);
});
