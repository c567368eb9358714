#!/usr/bin/env node
// Builds the Docker image and runs it for real, as a self-hoster would: the single container, then the
// Compose stack. Exits 0 only when every step below held; stops and removes everything it started.
//
//   node docker/verify-deployment.mjs          # CI runs this from .ci/run
//
// 1. Docker: installed from the distribution (docker.io, docker-compose) when missing, the daemon
//    started when not running. Base images: the official ones where they can be pulled, local stand-ins
//    otherwise (docker/local-base/build.sh); the published Dockerfile stays the ordinary one.
// 2. The single container (`start`): becomes healthy, a sign-up and a monitor get check results, the
//    data volume survives a re-created container, `docker stop` (SIGTERM) exits 0.
// 3. Compose: the stack starts in order, checks arrive from both regions, `--scale worker-usa=3` works,
//    `down` and `up` keep users and monitors, the workers time responses with the kernel's clock.
// Monitors check the instance's own API (inside the containers' network), so no traffic leaves the host.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUN = `buverify${randomBytes(3).toString('hex')}`;
const IMAGE_TAG = RUN;
const IMAGE = `better-uptime:${IMAGE_TAG}`;
const started = Date.now();
const cleanups = [];
const figures = {};

const log = (message) =>
  process.stdout.write(`[verify-deployment +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);

function run(command, args, { env, input, allowFailure = false, quiet = false } = {}) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0 && !allowFailure) {
    if (!quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}`);
  }
  return result;
}
const out = (command, args, options) => run(command, args, options).stdout.trim();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(1_000);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`,
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------- Docker

/** The docker client, with BuildKit: Debian's client builds with it natively; a newer one needs buildx. */
function dockerClient() {
  const candidates = ['docker', '/usr/bin/docker'];
  for (const client of candidates) {
    const version = spawnSync(client, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' });
    if (version.error) continue;
    const major = Number(version.stdout.trim().split('.')[0]);
    const buildx = spawnSync(client, ['buildx', 'version'], { encoding: 'utf8' });
    if (buildx.status === 0 || major < 23) return client;
  }
  return null;
}

async function ensureDocker() {
  if (
    !dockerClient() ||
    spawnSync('which', ['docker-compose']).status !== 0 ||
    !existsSync('/usr/sbin/debootstrap')
  ) {
    log('installing docker.io, docker-compose and debootstrap from the distribution');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'docker.io', 'docker-compose', 'debootstrap'], {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const docker = dockerClient();
  if (!docker)
    throw new Error('no docker client with BuildKit (install docker.io, or buildx for a newer client)');
  if (run(docker, ['info'], { allowFailure: true }).status !== 0) {
    log('starting dockerd (overlay2)');
    const daemon = spawn('dockerd', ['--storage-driver=overlay2'], { stdio: 'ignore', detached: true });
    daemon.unref();
    cleanups.push(async () => {
      process.kill(daemon.pid, 'SIGTERM');
      await sleep(2_000);
    });
    await until(
      'the Docker daemon',
      60_000,
      () => run(docker, ['info'], { allowFailure: true }).status === 0,
    );
  }
  return docker;
}

// ------------------------------------------------------------------------------------------- API client

async function api(base, method, path, { token, body } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, text };
}

async function expectStatus(response, status, what) {
  const res = await response;
  if (res.status !== status)
    throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

const credentials = {
  email: `owner-${RUN}@example.test`,
  password: `verify ${RUN} horse battery`,
  name: 'Verify',
};

async function signUpAndWatchItself(base, regions) {
  await until('the API', 120_000, async () => (await api(base, 'GET', '/api/health')).status === 200);
  const { token } = await expectStatus(
    api(base, 'POST', '/api/auth/signup', { body: credentials }),
    201,
    'sign-up',
  );
  const list =
    regions.list ?? (await expectStatus(api(base, 'GET', '/api/regions', { token }), 200, 'regions')).regions;
  // The instance's own health route, from inside the containers: a private address, allowed by
  // ALLOW_PRIVATE_TARGETS for this run.
  const { monitor } = await expectStatus(
    api(base, 'POST', '/api/monitor', {
      token,
      body: { name: 'itself', url: `${regions.selfUrl}/api/health`, intervalSeconds: 30, regions: list },
    }),
    201,
    'create monitor',
  );
  return { token, monitorId: monitor.id, regions: list };
}

/** Waits until every region has an Up check of the monitor. */
async function checksFrom(base, token, monitorId, regions, timeoutMs) {
  return until(`Up checks from ${regions.join(', ')}`, timeoutMs, async () => {
    const { json } = await api(base, 'GET', `/api/results/${monitorId}/latest`, { token });
    const latest = json?.latest ?? [];
    const up = new Set(latest.filter((check) => check.status === 'Up').map((check) => check.location));
    return regions.every((region) => up.has(region)) ? latest : null;
  });
}

async function logIn(base) {
  const { token } = await expectStatus(
    api(base, 'POST', '/api/auth/login', {
      body: { email: credentials.email, password: credentials.password },
    }),
    200,
    'log in',
  );
  return token;
}

// ----------------------------------------------------------------------------------- single container

async function verifySingleContainer(docker) {
  log('single container: start');
  const port = await freePort();
  const volume = `${RUN}-data`;
  const name = `${RUN}-single`;
  cleanups.push(async () => {
    run(docker, ['rm', '-f', name], { allowFailure: true });
    run(docker, ['volume', 'rm', '-f', volume], { allowFailure: true });
  });
  const runContainer = () =>
    out(docker, [
      'run',
      '-d',
      '--name',
      name,
      '-p',
      `127.0.0.1:${port}:3000`,
      '-v',
      `${volume}:/app/data`,
      '-e',
      `JWT_SECRET=${randomBytes(32).toString('hex')}`,
      '-e',
      'COOKIE_SECURE=false',
      '-e',
      'ALLOW_PRIVATE_TARGETS=true',
      // The image's health check, asked every 2 s here instead of every 30 s.
      '--health-interval',
      '2s',
      '--health-start-period',
      '60s',
      IMAGE,
    ]);
  const base = `http://127.0.0.1:${port}`;
  const bootAt = Date.now();
  runContainer();
  await until(
    'the container to be healthy',
    120_000,
    () => out(docker, ['inspect', '-f', '{{.State.Health.Status}}', name]) === 'healthy',
  );
  figures.singleHealthyS = (Date.now() - bootAt) / 1000;
  const { token, monitorId, regions } = await signUpAndWatchItself(base, {
    selfUrl: 'http://127.0.0.1:3000',
  });
  await checksFrom(base, token, monitorId, regions, 60_000);
  log(
    `single container: healthy in ${figures.singleHealthyS.toFixed(1)} s, checks from ${regions.join(', ')}`,
  );
  figures.singleMemory = out(docker, ['stats', '--no-stream', '--format', '{{.MemUsage}}', name]);

  log('single container: re-created on the same volume');
  run(docker, ['rm', '-f', name]);
  runContainer();
  await until(
    'the re-created container to be healthy',
    120_000,
    () => out(docker, ['inspect', '-f', '{{.State.Health.Status}}', name]) === 'healthy',
  );
  const again = await logIn(base);
  const { monitor } = await expectStatus(
    api(base, 'GET', `/api/monitor/${monitorId}`, { token: again }),
    200,
    'monitor kept',
  );
  if (monitor.name !== 'itself') throw new Error('the monitor came back changed');
  const stopAt = Date.now();
  run(docker, ['stop', '-t', '30', name]);
  const exitCode = out(docker, ['inspect', '-f', '{{.State.ExitCode}}', name]);
  if (exitCode !== '0') throw new Error(`docker stop: the container exited ${exitCode}, not 0`);
  log(
    `single container: data kept across re-creation; SIGTERM exit 0 in ${((Date.now() - stopAt) / 1000).toFixed(1)} s`,
  );
}

// ---------------------------------------------------------------------------------------------- Compose

async function verifyCompose(images) {
  const dir = mkdtempSync(join(tmpdir(), 'bu-verify-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const envFile = join(dir, 'compose.env');
  const apiPort = await freePort();
  writeFileSync(
    envFile,
    [
      `COMPOSE_PROJECT_NAME=${RUN}`,
      `BETTER_UPTIME_ENV_FILE=${envFile}`,
      `BETTER_UPTIME_TAG=${IMAGE_TAG}`,
      `JWT_SECRET=${randomBytes(32).toString('hex')}`,
      `SECRETS_KEY=${randomBytes(32).toString('hex')}`,
      `POSTGRES_PASSWORD=${randomBytes(12).toString('hex')}`,
      `API_PORT=${apiPort}`,
      `POSTGRES_PORT=${await freePort()}`,
      `REDIS_PORT=${await freePort()}`,
      `NODE_IMAGE=${images.NODE_IMAGE}`,
      `POSTGRES_IMAGE=${images.POSTGRES_IMAGE}`,
      `REDIS_IMAGE=${images.REDIS_IMAGE}`,
      'COOKIE_SECURE=false',
      // Not in the Compose file's own list: reaches the services only through docker/.env pass-through.
      'ALLOW_PRIVATE_TARGETS=true',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const composeCommand = (...args) => [
    'docker-compose',
    ['--env-file', envFile, '-f', join(ROOT, 'docker/docker-compose.yml'), ...args],
  ];
  const compose = (...args) => run(...composeCommand(...args));
  cleanups.push(async () => run(...composeCommand('down', '-v', '--timeout', '5'), { allowFailure: true }));
  const base = `http://127.0.0.1:${apiPort}`;
  log('compose: up');
  const upAt = Date.now();
  compose('up', '-d', '--no-build');
  const regions = ['usa', 'india'];
  const { token, monitorId } = await signUpAndWatchItself(base, {
    selfUrl: 'http://api:3000',
    list: regions,
  });
  figures.stackApiS = (Date.now() - upAt) / 1000;
  await checksFrom(base, token, monitorId, regions, 90_000);
  figures.stackChecksS = (Date.now() - upAt) / 1000;
  log(
    `compose: API in ${figures.stackApiS.toFixed(1)} s, checks from both regions ${figures.stackChecksS.toFixed(1)} s after up`,
  );

  // Container names differ between Compose v1 and v2; ask Compose for them.
  const containers = (service) =>
    out(...composeCommand('ps', '-q', service))
      .split('\n')
      .filter(Boolean);
  const migrateExit = out('docker', ['inspect', '-f', '{{.State.ExitCode}}', ...containers('migrate')]);
  if (migrateExit !== '0') throw new Error(`the migrate service exited ${migrateExit}`);
  for (const worker of ['worker-usa', 'worker-india']) {
    const logs = run('docker', ['logs', containers(worker)[0]]);
    const line = `${logs.stdout}${logs.stderr}`.split('\n').find((l) => l.includes('"worker started"'));
    if (!line || !line.includes('"responseClock":"kernel"'))
      throw new Error(`${worker} does not report the kernel clock: ${line ?? 'no start line'}`);
  }
  log('compose: migrate exited 0; both workers time responses with the kernel clock');
  figures.stackMemory = out('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}'])
    .split('\n')
    .filter((l) => l.includes(RUN));

  log('compose: --scale worker-usa=3');
  compose('up', '-d', '--no-build', '--no-recreate', '--scale', 'worker-usa=3');
  await until('three USA workers running', 60_000, () => {
    const running = containers('worker-usa').filter(
      (id) => out('docker', ['inspect', '-f', '{{.State.Running}}', id]) === 'true',
    );
    return running.length === 3;
  });
  const before = (await api(base, 'GET', `/api/results/${monitorId}/checks?region=usa&limit=1`, { token }))
    .json.checks[0];
  await until('a newer USA check with three workers', 90_000, async () => {
    const latest = (await api(base, 'GET', `/api/results/${monitorId}/checks?region=usa&limit=1`, { token }))
      .json.checks[0];
    return latest && latest.scheduledAt !== before?.scheduledAt;
  });

  log('compose: down and up keep users and monitors');
  compose('down', '--timeout', '30');
  compose('up', '-d', '--no-build');
  await until(
    'the API after up',
    120_000,
    async () => (await api(base, 'GET', '/api/health')).status === 200,
  );
  const again = await logIn(base);
  const { monitors } = await expectStatus(
    api(base, 'GET', '/api/monitor', { token: again }),
    200,
    'monitors after up',
  );
  if (!monitors.some((m) => m.id === monitorId)) throw new Error('the monitor is gone after down and up');
  await checksFrom(base, again, monitorId, regions, 90_000);
  log('compose: users, monitors and checks kept');
}

// ------------------------------------------------------------------------------------------------- main

async function main() {
  const docker = await ensureDocker();
  const images = Object.fromEntries(
    out(join(ROOT, 'docker/local-base/build.sh'), [])
      .split('\n')
      .map((line) => line.split('=')),
  );
  log(`base images: ${Object.values(images).join(', ')}`);
  const buildAt = Date.now();
  run(
    docker,
    [
      'build',
      '-q',
      '-f',
      'docker/Dockerfile',
      '--build-arg',
      `NODE_IMAGE=${images.NODE_IMAGE}`,
      '-t',
      IMAGE,
      '.',
    ],
    {
      env: { DOCKER_BUILDKIT: '1' },
    },
  );
  cleanups.push(async () => run(docker, ['rmi', '-f', IMAGE], { allowFailure: true }));
  figures.buildS = (Date.now() - buildAt) / 1000;
  figures.imageBytes = Number(out(docker, ['image', 'inspect', '-f', '{{.Size}}', IMAGE]));
  log(`image built in ${figures.buildS.toFixed(0)} s: ${(figures.imageBytes / 1e6).toFixed(0)} MB`);
  await verifySingleContainer(docker);
  await verifyCompose(images);
  process.stdout.write(`${JSON.stringify({ verified: true, figures }, null, 2)}\n`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`[verify-deployment] FAILED: ${error.message}`);
} finally {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`[verify-deployment] cleanup: ${error.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
