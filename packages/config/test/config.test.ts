import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadDotEnv, loadProbeConfig, redactUrl } from '../src/index.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the seed defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      streamKey: 'BetterUptime:Websites',
      jwtExpiresInSeconds: 7 * 86400,
      port: 3000,
      regions: ['usa', 'india'],
      databaseUrl: undefined,
      redisUrl: undefined,
      workerConcurrency: 200,
      responseClock: 'kernel',
      reclaimIdleMs: 30_000,
      reclaimIntervalMs: 10_000,
      maxDeliveries: 5,
      retentionDays: 90,
      rollupRetentionDays: 400,
      allowPrivateTargets: false,
      pgliteSharedBuffers: '16MB',
      pgliteLowMemory: true,
      maxMonitorsPerUser: 1_000,
      monitorWritesPerMinute: 120,
      redisCommandTimeoutMs: 2_000,
      apiLockTimeoutMs: 3_000,
      apiStatementTimeoutMs: 30_000,
    });
    expect(loadConfig({ MAX_MONITORS_PER_USER: '0' }).maxMonitorsPerUser).toBe(0);
  });

  it('reads every kind of value', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/uptime',
      REDIS_URL: 'redis://cache:6379',
      JWT_EXPIRES_IN: '12h',
      PORT: '8080',
      REGIONS: 'usa, india ,eu-west',
      REGION: 'eu-west',
      ALLOW_PRIVATE_TARGETS: 'yes',
      PGLITE_SHARED_BUFFERS: '32mb',
      PGLITE_LOW_MEMORY: 'off',
      RESPONSE_CLOCK: 'event-loop',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@db:5432/uptime',
      redisUrl: 'redis://cache:6379',
      jwtExpiresInSeconds: 43_200,
      port: 8080,
      regions: ['usa', 'india', 'eu-west'],
      region: 'eu-west',
      allowPrivateTargets: true,
      pgliteSharedBuffers: '32MB',
      pgliteLowMemory: false,
      responseClock: 'event-loop',
    });
    expect(loadConfig({ PGLITE_SHARED_BUFFERS: '128kB' }).pgliteSharedBuffers).toBe('128kB');
    expect(loadConfig({ PGLITE_SHARED_BUFFERS: '1 GB' }).pgliteSharedBuffers).toBe('1GB');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'PORT must be an integer from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT', 'PORT must be an integer from 0 to 65535'],
    [{ NODE_ENV: 'prod' }, 'NODE_ENV', 'NODE_ENV must be one of development, production, test'],
    [
      { DATABASE_URL: 'mysql://x' },
      'DATABASE_URL',
      'DATABASE_URL must be a URL starting with postgres: or postgresql:',
    ],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL', 'REDIS_URL must be a URL'],
    [{ JWT_EXPIRES_IN: '7 days' }, 'JWT_EXPIRES_IN', 'JWT_EXPIRES_IN must be a duration like'],
    [{ JWT_EXPIRES_IN: '10s' }, 'JWT_EXPIRES_IN', 'between 1 minute'],
    [{ REGIONS: 'usa,,india' }, 'REGIONS', 'REGIONS must be a comma-separated list'],
    [{ REGIONS: 'usa,usa' }, 'REGIONS', 'distinct'],
    [{ REGION: 'mars' }, 'REGION', 'REGION must be one of the configured REGIONS (usa, india)'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY', 'from 1 to 10000'],
    [{ RESPONSE_CLOCK: 'wall' }, 'RESPONSE_CLOCK', 'RESPONSE_CLOCK must be one of kernel, event-loop'],
    [{ ALLOW_PRIVATE_TARGETS: 'maybe' }, 'ALLOW_PRIVATE_TARGETS', 'true or false'],
    [{ RETENTION_DAYS: '0' }, 'RETENTION_DAYS', 'from 1 to 3650'],
    [{ ROLLUP_RETENTION_DAYS: '0' }, 'ROLLUP_RETENTION_DAYS', 'from 1 to 3650'],
    [{ ROLLUP_RETENTION_DAYS: '400days' }, 'ROLLUP_RETENTION_DAYS', 'from 1 to 3650'],
    [{ PGLITE_SHARED_BUFFERS: '16' }, 'PGLITE_SHARED_BUFFERS', 'a size like "16MB"'],
    [{ PGLITE_SHARED_BUFFERS: '1.5MB' }, 'PGLITE_SHARED_BUFFERS', 'from 128kB to 1024MB'],
    [{ PGLITE_SHARED_BUFFERS: '64kB' }, 'PGLITE_SHARED_BUFFERS', 'from 128kB to 1024MB'],
    [{ PGLITE_SHARED_BUFFERS: '2GB' }, 'PGLITE_SHARED_BUFFERS', 'PGLITE_SHARED_BUFFERS must be'],
    [{ PGLITE_LOW_MEMORY: 'small' }, 'PGLITE_LOW_MEMORY', 'PGLITE_LOW_MEMORY must be true or false'],
    [{ STREAM_KEY: 'has space' }, 'STREAM_KEY', 'STREAM_KEY must be a Redis key'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET', 'at least 16 characters'],
    [{ MAX_MONITORS_PER_USER: '-1' }, 'MAX_MONITORS_PER_USER', 'MAX_MONITORS_PER_USER must be'],
    [{ MONITOR_WRITES_PER_MINUTE: 'lots' }, 'MONITOR_WRITES_PER_MINUTE', 'must be'],
    [{ REDIS_COMMAND_TIMEOUT_MS: '0' }, 'REDIS_COMMAND_TIMEOUT_MS', 'REDIS_COMMAND_TIMEOUT_MS must be'],
    [{ API_LOCK_TIMEOUT_MS: '10' }, 'API_LOCK_TIMEOUT_MS', 'API_LOCK_TIMEOUT_MS must be'],
    [
      { RECLAIM_IDLE_MS: '10000', RECLAIM_INTERVAL_MS: '8000' },
      'RECLAIM_INTERVAL_MS',
      'at most half of RECLAIM_IDLE_MS',
    ],
    [{ SMTP_URL: 'http://mail.example' }, 'SMTP_URL', 'SMTP_URL must be a URL starting with smtp: or smtps:'],
    [{ SMTP_FROM: 'nobody' }, 'SMTP_FROM', 'SMTP_FROM must be an email address'],
    [
      { PUBLIC_URL: 'uptime.example' },
      'PUBLIC_URL',
      'PUBLIC_URL must be a URL starting with http: or https:',
    ],
    [{ TELEGRAM_API_URL: 'ftp://x' }, 'TELEGRAM_API_URL', 'TELEGRAM_API_URL must be a URL'],
    [{ PAGERDUTY_EVENTS_URL: 'x' }, 'PAGERDUTY_EVENTS_URL', 'PAGERDUTY_EVENTS_URL must be a URL'],
    [{ NOTIFY_TIMEOUT_MS: '50' }, 'NOTIFY_TIMEOUT_MS', 'from 100 to 120000'],
    [{ NOTIFY_RETRY_BASE_MS: 'soon' }, 'NOTIFY_RETRY_BASE_MS', 'NOTIFY_RETRY_BASE_MS must be an integer'],
    [{ NOTIFY_GIVE_UP_AFTER_MS: '0' }, 'NOTIFY_GIVE_UP_AFTER_MS', 'NOTIFY_GIVE_UP_AFTER_MS must be'],
    [
      { NOTIFY_CONCURRENCY: '4', NOTIFY_CHANNEL_CONCURRENCY: '5' },
      'NOTIFY_CHANNEL_CONCURRENCY',
      'at most NOTIFY_CONCURRENCY (4)',
    ],
  ])('rejects %j naming %s', (env, variable, message) => {
    const error = errorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(message);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('requires a JWT_SECRET of at least 32 characters in production, without printing it', () => {
    expect(errorOf({ NODE_ENV: 'production' }).message).toMatch(
      /^JWT_SECRET is required: it must be at least 32/,
    );
    const short = errorOf({ NODE_ENV: 'production', JWT_SECRET: 'twenty-chars-secret!' });
    expect(short.message).toContain('<20 characters>');
    expect(short.message).not.toContain('twenty-chars-secret!');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toHaveLength(32);
  });

  it('reads the notification settings, defaulting to the real services', () => {
    expect(loadConfig({}).notifications).toEqual({
      publicUrl: 'http://localhost:3000',
      smtpUrl: undefined,
      smtpFrom: 'Better Uptime <better-uptime@localhost>',
      telegramApiUrl: 'https://api.telegram.org',
      pagerdutyEventsUrl: 'https://events.pagerduty.com/v2/enqueue',
      timeoutMs: 10_000,
      retryBaseMs: 30_000,
      giveUpAfterMs: 86_400_000,
      concurrency: 50,
      channelConcurrency: 2,
      pollMs: 500,
    });
    const config = loadConfig({
      PUBLIC_URL: 'https://uptime.example/',
      SMTP_URL: 'smtps://mailer:p4ss@mail.example:465',
      SMTP_FROM: 'alerts@uptime.example',
      TELEGRAM_API_URL: 'http://127.0.0.1:8081/',
      NOTIFY_TIMEOUT_MS: '2500',
    }).notifications;
    expect(config).toMatchObject({
      publicUrl: 'https://uptime.example',
      smtpUrl: 'smtps://mailer:p4ss@mail.example:465',
      smtpFrom: 'alerts@uptime.example',
      telegramApiUrl: 'http://127.0.0.1:8081',
      timeoutMs: 2500,
    });
    expect(errorOf({ SMTP_URL: 'smtp//mailer:hunter2@mail' }).message).not.toContain('hunter2');
  });

  it('never prints a database password in an error', () => {
    const error = errorOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(error.message).not.toContain('hunter2');
    expect(redactUrl('postgres://user:hunter2@db:5432/x')).toBe('postgres://user:***@db:5432/x');
  });
});

describe('ADMIN_EMAILS', () => {
  it('is a list of addresses as they are stored (lower case)', () => {
    expect(loadConfig({}).adminEmails).toEqual([]);
    expect(loadConfig({ ADMIN_EMAILS: ' Ops@Example.COM , b@c.d' }).adminEmails).toEqual([
      'ops@example.com',
      'b@c.d',
    ]);
    expect(errorOf({ ADMIN_EMAILS: 'ops@example.com,nobody' }).message).toMatch(/^ADMIN_EMAILS must be/);
  });
});

describe('loadProbeConfig', () => {
  const token = `bu_probe_${'A'.repeat(32)}`;
  const probeError = (env: Record<string, string>) => {
    try {
      loadProbeConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('needs the instance over https (http only to a loopback address) and a probe token', () => {
    expect(loadProbeConfig({ PROBE_SERVER: 'https://uptime.example/', PROBE_TOKEN: token })).toMatchObject({
      server: 'https://uptime.example',
      token,
      reconnectMaxMs: 30_000,
    });
    for (const server of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000'])
      expect(loadProbeConfig({ PROBE_SERVER: server, PROBE_TOKEN: token }).server).toBe(server);
    expect(probeError({ PROBE_TOKEN: token })).toMatch(/^PROBE_SERVER/);
    expect(probeError({ PROBE_SERVER: 'http://uptime.example', PROBE_TOKEN: token })).toMatch(
      /^PROBE_SERVER must be an https:\/\/ URL/,
    );
    expect(probeError({ PROBE_SERVER: 'ftp://uptime.example', PROBE_TOKEN: token })).toMatch(/^PROBE_SERVER/);
    expect(probeError({ PROBE_SERVER: 'https://uptime.example' })).toMatch(/^PROBE_TOKEN/);
    const wrongToken = probeError({ PROBE_SERVER: 'https://uptime.example', PROBE_TOKEN: 'bu_secretvalue' });
    expect(wrongToken).toMatch(/^PROBE_TOKEN/);
    expect(wrongToken).not.toContain('secretvalue');
    expect(
      probeError({ PROBE_SERVER: 'https://uptime.example', PROBE_TOKEN: token, PROBE_RECONNECT_MAX_MS: '5' }),
    ).toMatch(/^PROBE_RECONNECT_MAX_MS/);
  });
});

describe('loadDotEnv', () => {
  it('fills unset variables from .env without overriding the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bu-env-'));
    try {
      const path = join(dir, '.env');
      await writeFile(path, 'PORT=4000\nSTREAM_KEY="Custom:Key"\n# comment\nREGIONS=usa\n');
      const env: Record<string, string | undefined> = { PORT: '5000' };
      loadDotEnv(env, path);
      expect(env).toEqual({ PORT: '5000', STREAM_KEY: 'Custom:Key', REGIONS: 'usa' });
      loadDotEnv(env, join(dir, 'missing.env'));
      expect(loadConfig(env).port).toBe(5000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
