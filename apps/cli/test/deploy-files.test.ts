import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '@better-uptime/config';
import { adminQuery, databaseUrl, postgresAvailable } from '@better-uptime/testing';
import { isCommand } from '../src/commands.js';
import {
  durationMs,
  execForm,
  interpolate,
  MissingVariableError,
  parseDockerfile,
  requiredVariables,
  type Stage,
} from './deploy-lint.js';
import { REPO_ROOT as ROOT, runNode, startNode } from './run-command.js';

/**
 * The deploy files (Docker Compose, Dockerfile, PM2) checked without Docker or PM2: every service runs a
 * command the CLI has, with settings the CLI accepts, and the file `npm run build` really makes.
 */

const BUNDLE = join(ROOT, 'dist', 'better-uptime.mjs');
const HEALTHCHECK_SCRIPT = 'docker/healthcheck.mjs';
/** The largest check timeout a monitor may have: stopping must wait at least this long. */
const LONGEST_CHECK_MS = 60_000;

/** What an operator provides from outside the files (docker/.env, the environment of `pm2 start`). */
const SECRETS = {
  JWT_SECRET: randomBytes(48).toString('base64'),
  SECRETS_KEY: randomBytes(48).toString('base64'),
  POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
};

function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

function configOf(env: Record<string, unknown>): Config {
  return loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])));
}

// The build is what the Dockerfile's ENTRYPOINT and PM2's script run, so it is made first, once.
beforeAll(async () => {
  const { code, stderr } = await runNode([join(ROOT, 'scripts/build.mjs'), '--skip-web'], {
    cwd: ROOT,
    timeoutMs: 120_000,
  });
  expect(code, stderr).toBe(0);
}, 130_000);

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  volumes?: string[];
  stop_grace_period?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

describe('docker/docker-compose.yml', () => {
  const text = readRepoFile('docker/docker-compose.yml');
  // Compose accepts YAML merge keys (<<: *anchor); so must the parse.
  const raw = parse(text, { merge: true }) as ComposeFile;
  const compose = interpolate(raw, SECRETS);
  const services = compose.services;
  const appNames = Object.keys(services).filter((name) => services[name]!.build !== undefined);
  const roleOf = (name: string) => services[name]!.command?.[0];
  const servicesRunning = (command: string) => appNames.filter((name) => roleOf(name) === command);

  it('needs JWT_SECRET, SECRETS_KEY and POSTGRES_PASSWORD from outside, and docker/.env.example names them', () => {
    expect(requiredVariables(text)).toEqual(['JWT_SECRET', 'POSTGRES_PASSWORD', 'SECRETS_KEY']);
    for (const variable of requiredVariables(text)) {
      const error = (() => {
        try {
          interpolate(raw, { ...SECRETS, [variable]: '' });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(MissingVariableError);
      expect((error as MissingVariableError).hint).toContain(variable);
      expect(readRepoFile('docker/.env.example')).toMatch(new RegExp(`^${variable}=`, 'm'));
    }
  });

  it('builds one image from docker/Dockerfile with the repository as context', () => {
    expect(appNames.sort()).toEqual(['api', 'migrate', 'producer', 'worker-india', 'worker-usa']);
    for (const name of appNames) {
      const { build, image } = services[name]!;
      expect(resolve(ROOT, 'docker', build!.context)).toBe(resolve(ROOT));
      expect(existsSync(join(ROOT, build!.dockerfile))).toBe(true);
      expect(image).toBe(services.api!.image);
    }
  });

  it('runs each service as a command the CLI has', () => {
    for (const name of appNames) {
      const command = services[name]!.command!;
      expect(command, name).toHaveLength(1);
      expect(isCommand(command[0]!) && command[0] !== 'help', `${name}: ${command[0]}`).toBe(true);
    }
    expect(new Set(appNames.map(roleOf))).toEqual(new Set(['migrate', 'api', 'producer', 'worker']));
  });

  it('gives every service settings the CLI accepts, pointing at the Compose database and Redis', () => {
    const postgres = services.postgres!.environment!;
    for (const name of appNames) {
      const config = configOf(services[name]!.environment!);
      expect(config.nodeEnv, name).toBe('production');
      expect(config.jwtSecret, name).toBe(SECRETS.JWT_SECRET);
      expect(config.secretsKey, name).toBe(SECRETS.SECRETS_KEY);
      const database = new URL(config.databaseUrl!);
      expect([database.hostname, database.port, database.pathname], name).toEqual([
        'postgres',
        '5432',
        `/${String(postgres.POSTGRES_DB)}`,
      ]);
      expect([database.username, database.password]).toEqual([
        postgres.POSTGRES_USER,
        postgres.POSTGRES_PASSWORD,
      ]);
      expect(config.redisUrl, name).toBe('redis://redis:6379');
    }
  });

  it('runs one worker per configured region, each with its REGION', () => {
    const workers = servicesRunning('worker');
    const regions = workers.map((name) => {
      const config = configOf(services[name]!.environment!);
      expect(config.region, name).toBeDefined();
      expect(config.regions).toContain(config.region);
      expect(config.regions).toEqual(['usa', 'india']);
      return config.region;
    });
    expect(regions.sort()).toEqual(['india', 'usa']);
  });

  it('starts in order: PostgreSQL healthy, then migrations, then the rest once Redis is healthy', () => {
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of appNames.filter((n) => n !== 'migrate')) {
      expect(services[name]!.depends_on, name).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[target], `${name} depends on ${target}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(services[target]!.healthcheck?.test, `${target} needs a health check`).toBeDefined();
          expect(services[target]!.healthcheck?.disable).not.toBe(true);
        }
      }
    }
  });

  it('checks health where there is something to check, and turns off the image check elsewhere', () => {
    expect(services.postgres!.healthcheck!.test).toContain('pg_isready');
    expect(services.redis!.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(services.api!.healthcheck!.test).toEqual(['CMD', 'node', HEALTHCHECK_SCRIPT]);
    // The image's HEALTHCHECK asks the HTTP API: a producer or worker would be "unhealthy" forever.
    for (const name of appNames.filter((n) => roleOf(n) !== 'api')) {
      expect(services[name]!.healthcheck, name).toEqual({ disable: true });
    }
  });

  it('keeps its data in declared named volumes, with Redis append-only', () => {
    expect(services.postgres!.image).toBe('postgres:16');
    expect(services.redis!.image).toBe('redis:7');
    expect(services.postgres!.volumes).toContain('postgres_data:/var/lib/postgresql/data');
    expect(services.redis!.volumes).toContain('redis_data:/data');
    const command = services.redis!.command!;
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!/^[./~]/.test(source)) expect(compose.volumes, `${name}: ${source}`).toHaveProperty([source]);
      }
    }
  });

  it('restarts services, runs migrations until they succeed, and lets workers finish their checks', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe(name === 'migrate' ? 'on-failure' : 'unless-stopped');
    }
    for (const name of servicesRunning('worker')) {
      expect(durationMs(services[name]!.stop_grace_period!)).toBeGreaterThan(LONGEST_CHECK_MS);
    }
  });
});

describe('docker/Dockerfile', () => {
  const stages = parseDockerfile(readRepoFile('docker/Dockerfile'));
  const runtime = stages.at(-1)!;
  const args = (stage: Stage, keyword: string) =>
    stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
  const stageRunning = (pattern: RegExp) => stages.find((s) => args(s, 'RUN').some((r) => pattern.test(r)));

  it('installs, builds and installs production dependencies in stages of their own', () => {
    const all = stageRunning(/npm ci(?!.*--omit=dev)/);
    const build = stageRunning(/npm run build/);
    const production = stageRunning(/npm ci .*--omit=dev/);
    expect([all, build, production].every(Boolean)).toBe(true);
    expect(new Set([all, build, production, runtime]).size).toBe(4);
    // The runtime stage takes only production node_modules and the build output.
    const copies = args(runtime, 'COPY');
    expect(copies).toContain(`--from=${production!.name} /app/node_modules ./node_modules`);
    expect(copies).toContain(`--from=${build!.name} /app/dist ./dist`);
    expect(args(runtime, 'RUN').join(' ')).not.toMatch(/npm (ci|install)/);
  });

  it('builds the native receive-time reader where the full install runs, and ships it in dist/', () => {
    const all = stageRunning(/npm ci(?!.*--omit=dev)/)!;
    const runs = args(all, 'RUN');
    const tools = runs.findIndex((r) => /apt-get install\b.*\bpython3\b.*\bmake\b.*\bg\+\+/.test(r));
    expect(tools).toBeGreaterThanOrEqual(0);
    expect(tools).toBeLessThan(runs.findIndex((r) => /npm ci/.test(r)));
    // The build copies it whenever npm install built it (CI makes sure it did: receive-time's tests).
    const built = existsSync(join(ROOT, 'packages/receive-time/build/Release/receive_time.node'));
    expect(existsSync(join(ROOT, 'dist/receive_time.node'))).toBe(built);
  });

  it('runs on Node 24 (the current LTS line), in production mode, as an unprivileged user, on port 3000', () => {
    expect(runtime.from).toMatch(/^node:24-(slim|alpine)$/);
    expect(args(runtime, 'ENV').join(' ')).toMatch(/\bNODE_ENV=production\b/);
    const user = args(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(args(runtime, 'EXPOSE')).toEqual(['3000']);
  });

  it('has a health check that runs the API check script it contains', () => {
    const [healthcheck] = args(runtime, 'HEALTHCHECK');
    expect(execForm(healthcheck!)).toEqual(['node', HEALTHCHECK_SCRIPT]);
    expect(args(runtime, 'COPY')).toContain(`${HEALTHCHECK_SCRIPT} ./${HEALTHCHECK_SCRIPT}`);
    expect(existsSync(join(ROOT, HEALTHCHECK_SCRIPT))).toBe(true);
  });

  it('enters the file `npm run build` makes, and starts the single-process mode by default', () => {
    expect(args(runtime, 'WORKDIR')).toEqual(['/app']);
    const entrypoint = execForm(args(runtime, 'ENTRYPOINT')[0]!);
    expect(entrypoint).toEqual(['node', 'dist/better-uptime.mjs']);
    expect(join(ROOT, entrypoint![1]!)).toBe(BUNDLE);
    expect(existsSync(BUNDLE)).toBe(true);
    expect(execForm(args(runtime, 'CMD')[0]!)).toEqual(['start']);
  });

  it('sends no dependencies, build output, data or secrets in the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const pattern of ['.git', '**/node_modules', 'dist', 'data', '**/.env']) {
      expect(ignored).toContain(pattern);
    }
  });
});

interface Pm2App {
  name: string;
  script: string;
  args: string[];
  cwd: string;
  interpreter: string;
  exec_mode: string;
  kill_timeout: number;
  max_memory_restart: string;
  env: Record<string, string>;
}

describe('PM2 ecosystem file', () => {
  const require = createRequire(import.meta.url);
  const cjsPath = join(ROOT, 'ecosystem.config.cjs');
  const { apps } = require(cjsPath) as { apps: Pm2App[] };
  const byName = new Map(apps.map((app) => [app.name, app]));
  /** What the operator's environment or .env gives every process. */
  const serverEnv = {
    ...SECRETS,
    DATABASE_URL: 'postgres://uptime:secret@127.0.0.1:5432/uptime',
    REDIS_URL: 'redis://127.0.0.1:6379',
  };

  it('loads as ecosystem.config.js too, the name the seed README uses, by import and as PM2 does', async () => {
    const esm = (await import(pathToFileURL(join(ROOT, 'ecosystem.config.js')).href)) as { apps: Pm2App[] };
    expect(esm.apps).toEqual(apps);
    // PM2 require()s process files; on Node >= 20.19 that loads this ES module and returns its exports.
    if ((process.features as { require_module?: boolean }).require_module) {
      expect((require(join(ROOT, 'ecosystem.config.js')) as { apps: Pm2App[] }).apps).toEqual(apps);
    }
  });

  it('runs the API, the producer and a worker per region from the built bundle', () => {
    expect([...byName.keys()]).toEqual(['api', 'producer', 'worker-usa', 'worker-india']);
    for (const app of apps) {
      expect(resolve(app.cwd, app.script), app.name).toBe(BUNDLE);
      expect(existsSync(resolve(app.cwd, app.script))).toBe(true);
      expect(app.cwd).toBe(resolve(ROOT));
      expect(app.args).toHaveLength(1);
      expect(isCommand(app.args[0]!) && app.args[0] !== 'help').toBe(true);
      expect([app.interpreter, app.exec_mode]).toEqual(['node', 'fork']);
    }
    expect(apps.map((app) => app.args[0])).toEqual(['api', 'producer', 'worker', 'worker']);
  });

  it('gives each app settings the CLI accepts once the secrets come from outside', () => {
    const regions = apps
      .filter((app) => app.args[0] === 'worker')
      .map((app) => {
        const config = configOf({ ...serverEnv, ...app.env });
        expect(config.nodeEnv).toBe('production');
        expect(config.regions).toContain(config.region);
        return config.region;
      });
    expect(regions.sort()).toEqual([...configOf({ ...serverEnv, ...byName.get('api')!.env }).regions].sort());
    for (const app of apps) expect(() => configOf({ ...serverEnv, ...app.env }), app.name).not.toThrow();
  });

  it('holds no secrets or server addresses', () => {
    for (const app of apps) {
      for (const key of ['JWT_SECRET', 'SECRETS_KEY', 'DATABASE_URL', 'REDIS_URL'])
        expect(app.env).not.toHaveProperty(key);
    }
    expect(readRepoFile('ecosystem.config.cjs')).not.toMatch(/(postgres|redis):\/\//);
  });

  it('waits for in-flight checks when stopping, and restarts on runaway memory', () => {
    for (const app of apps) {
      expect(app.kill_timeout, app.name).toBeGreaterThan(LONGEST_CHECK_MS);
      expect(app.max_memory_restart, app.name).toMatch(/^\d+[MG]$/);
    }
  });
});

describe('the bundle (npm run build)', () => {
  let cwd: string;
  beforeAll(async () => {
    // Elsewhere than the repository: the bundle must find its migrations by itself, and no .env is read.
    cwd = await mkdtemp(join(tmpdir(), 'bu-bundle-'));
  });
  afterAll(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('keeps third-party packages external, PGlite and the native argon2 among them', () => {
    const code = readFileSync(BUNDLE, 'utf8');
    for (const name of ['@node-rs/argon2', 'pg', 'redis', 'fastify', 'drizzle-orm']) {
      // An import may span lines (`import Fastify, {\n  LogController\n} from "fastify";`).
      expect(code).toMatch(new RegExp(`^import [^;]* from "${name}";$`, 'm'));
    }
    // PGlite is imported only when a process opens it (packages/db/src/client.ts), still from node_modules.
    expect(code).toContain('import("@electric-sql/pglite")');
    expect(code).not.toMatch(/^import .* from "@electric-sql\/pglite";$/m);
    expect(code).not.toMatch(/^\/\/ node_modules\//m);
    expect(existsSync(join(ROOT, 'dist/drizzle/meta/_journal.json'))).toBe(true);
  });

  it('prints the commands and exits 0 for help', async () => {
    const { code, stdout } = await runNode([BUNDLE, 'help'], { cwd });
    expect(code).toBe(0);
    for (const command of ['start', 'api', 'producer', 'worker', 'migrate', 'help']) {
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('migrates a fresh embedded database with the migrations in dist/drizzle', async () => {
    const { code, stdout, stderr } = await runNode([BUNDLE, 'migrate'], {
      cwd,
      env: { DATA_DIR: join(cwd, 'migrate-data') },
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('migrations applied');
  }, 60_000);

  it.skipIf(!postgresAvailable())(
    'migrates a PostgreSQL database',
    async () => {
      const name = `bu_test_bundle_${randomBytes(4).toString('hex')}`;
      await adminQuery(`CREATE DATABASE ${name}`);
      try {
        const { code, stdout, stderr } = await runNode([BUNDLE, 'migrate'], {
          cwd,
          env: { DATABASE_URL: databaseUrl(name) },
        });
        expect(code, stderr).toBe(0);
        expect(stdout).toMatch(/"database":"PostgreSQL at [^"]+".*migrations applied/);
      } finally {
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    },
    60_000,
  );

  it('serves /api/health, passes the container health check, and exits 0 on SIGTERM', async () => {
    const server = startNode([BUNDLE, 'start'], {
      cwd,
      env: { DATA_DIR: join(cwd, 'start-data'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' },
    });
    try {
      let port: string | undefined;
      for (let i = 0; i < 600 && !port; i++) {
        port = /Dashboard and API: http:\/\/[^:]+:(\d+)/.exec(server.output())?.[1];
        if (!port) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(port, server.output()).toBeDefined();
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok', database: 'up' }]);

      const check = (env: Record<string, string>) =>
        runNode([join(ROOT, HEALTHCHECK_SCRIPT)], { cwd, env, timeoutMs: 10_000 });
      expect((await check({ HOST: '0.0.0.0', PORT: port! })).code).toBe(0);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect((await check({ PORT: port! })).code).toBe(1);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 90_000);
});
