/* global module, require, __dirname */
// PM2 process file: Better Uptime as separate services on one host, on PostgreSQL and Redis.
//
//   npm ci && npm run build                  # makes dist/better-uptime.mjs, which every app runs
//   pm2 start ecosystem.config.cjs           # or ecosystem.config.js (an ESM shim of this file)
//   pm2 start ecosystem.config.cjs --only worker-india   # e.g. only the India worker on a host in India
//
// Secrets and server addresses (JWT_SECRET, SECRETS_KEY, DATABASE_URL, REDIS_URL) are not written here: they come from
// the environment of `pm2 start` or from .env in this directory, which the CLI reads at start (a variable
// already set wins over .env). Each process applies pending migrations at start, under an advisory lock.
//
// CommonJS (.cjs) because the package is "type": "module" and PM2 loads process files with require().
const path = require('node:path');

/**
 * To stop an app PM2 sends SIGINT (PM2_KILL_SIGNAL, daemon-wide; the CLI treats it as SIGTERM), then
 * SIGKILL after kill_timeout. A worker stops reading, finishes its in-flight checks (up to 60 s, the
 * largest monitor timeout), then writes and acks their results: allow all that.
 */
const GRACEFUL_STOP_MS = 75_000;

/** Settings every app shares; the rest comes from the environment or .env. */
const sharedEnv = {
  NODE_ENV: 'production',
  REGIONS: 'usa,india',
};

function app(name, command, { env = {}, maxMemory }) {
  return {
    name,
    cwd: __dirname,
    script: path.join(__dirname, 'dist', 'better-uptime.mjs'),
    args: [command],
    interpreter: 'node',
    node_args: ['--enable-source-maps'],
    // Fork, not cluster: one process per app entry; run more workers by adding entries or `pm2 scale`.
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    // A crash loop (database down at start) backs off instead of spinning.
    exp_backoff_restart_delay: 1_000,
    kill_timeout: GRACEFUL_STOP_MS,
    // A restart here is graceful too (same signal and timeout): a leak costs a restart, not the host.
    max_memory_restart: maxMemory,
    env: { ...sharedEnv, ...env },
  };
}

module.exports = {
  apps: [
    app('api', 'api', { maxMemory: '512M' }),
    app('producer', 'producer', { maxMemory: '256M' }),
    app('worker-usa', 'worker', { env: { REGION: 'usa' }, maxMemory: '1G' }),
    app('worker-india', 'worker', { env: { REGION: 'india' }, maxMemory: '1G' }),
  ],
};
