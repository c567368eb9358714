import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import {
  ConfigError,
  type Env,
  readBool,
  readDurationSeconds,
  readEnum,
  readInt,
  readOptionalEnum,
  readMemorySize,
  readRegion,
  readRegionList,
  readString,
  readTrustProxy,
  readUrl,
  redactUrl,
} from './env.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const RESPONSE_CLOCKS = ['kernel', 'event-loop'] as const;
export type ResponseClock = (typeof RESPONSE_CLOCKS)[number];
export const SIGNUP_POLICIES = ['open', 'first-user', 'closed'] as const;
/** Who may create an account: anyone, only the first account of the instance, or nobody. */
export type SignupPolicy = (typeof SIGNUP_POLICIES)[number];

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: LogLevel;
  /** PostgreSQL server URL; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** PGlite's shared_buffers (a PostgreSQL size, e.g. "16MB"); resident memory of the embedding process. */
  pgliteSharedBuffers: string;
  /** Compile PGlite's WebAssembly with V8's baseline compiler only: less memory, slower embedded queries. */
  pgliteLowMemory: boolean;
  /** Redis URL; when absent the in-process queue is used (single-process mode only). */
  redisUrl: string | undefined;
  streamKey: string;
  /** Undefined only outside production; callers then generate and keep a development secret. */
  jwtSecret: string | undefined;
  jwtExpiresInSeconds: number;
  /**
   * SECRETS_KEY: seals channel secrets kept in the database. Undefined: see resolveSecretsKeys (a key kept in
   * the data directory, or refused for separate services in production).
   */
  secretsKey: string | undefined;
  /** SECRETS_KEY_PREVIOUS: the key being replaced; it only opens, and values under it are sealed anew. */
  secretsKeyPrevious: string | undefined;
  host: string;
  port: number;
  /** Set the Secure flag on auth cookies (defaults to on in production). */
  cookieSecure: boolean;
  /**
   * Proxies trusted with X-Forwarded-*: none (false), all (true), a hop count, or addresses and CIDR ranges.
   * Rate limits key on the right-most untrusted address (see the API's clientAddress).
   */
  trustProxy: boolean | number | string[];
  /**
   * SIGNUP, or undefined when not set: then `start` (one process, one owner) uses `first-user` and the API
   * service `open`; see signupPolicy().
   */
  signup: SignupPolicy | undefined;
  /** Login and signup attempts allowed per client address per minute. */
  authRateLimitPerMinute: number;
  /** Login attempts allowed per account (email address) per hour, from any number of addresses. */
  authAccountRateLimitPerHour: number;
  /** Heartbeat pushes allowed per push URL per minute, and per client address (to any URLs) per minute. */
  pushRateLimitPerMinute: number;
  pushAddressRateLimitPerMinute: number;
  /** Monitors one user may have; 0 means no limit. */
  maxMonitorsPerUser: number;
  /** Monitor creates, edits and deletes allowed per user per minute; 0 means no limit. */
  monitorWritesPerMinute: number;
  /** How long any Redis command may take before it fails (the queue, the API's rate-limit counters). */
  redisCommandTimeoutMs: number;
  /** The API's database sessions: how long a statement may wait for a lock, and run at most. */
  apiLockTimeoutMs: number;
  apiStatementTimeoutMs: number;
  /** Every region the system checks from. */
  regions: string[];
  /** This worker's region (consumer group); only the worker needs it. */
  region: string | undefined;
  workerConcurrency: number;
  /**
   * Where a check's response times come from: `kernel` (when the data reached the machine, as the kernel
   * recorded it; falls back to the event loop where that is unavailable) or `event-loop` (when JavaScript
   * saw the data).
   */
  responseClock: ResponseClock;
  reclaimIdleMs: number;
  reclaimIntervalMs: number;
  maxDeliveries: number;
  producerTickMs: number;
  /** How far ahead of a slot the producer publishes it; the worker waits for the slot itself. */
  scheduleLeadMs: number;
  allowPrivateTargets: boolean;
  retentionDays: number;
  /** Days of hourly and daily rollups kept, whatever the raw results' retention. */
  rollupRetentionDays: number;
  notifications: NotificationSettings;
  metrics: MetricsSettings;
  /**
   * ADMIN_EMAILS: accounts allowed to manage the instance (remote probes), besides the first account;
   * lower case, as emails are stored.
   */
  adminEmails: string[];
}

/** Prometheus metrics (see packages/metrics). */
export interface MetricsSettings {
  /** METRICS_PORT: a server of its own for `/metrics` (producers and workers); undefined: none. */
  port: number | undefined;
  /** METRICS_TOKEN: when set, `/metrics` answers only `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** METRICS_PER_MONITOR: up and response-time gauges per monitor, labelled with its id and name. */
  perMonitor: boolean;
}

/** What `better-uptime probe` needs: where the instance is and the probe's token; no database, no queue. */
export interface ProbeConfig {
  logLevel: LogLevel;
  /** PROBE_SERVER: the instance's URL (https unless the host is a loopback address). */
  server: string;
  /** PROBE_TOKEN: the `bu_probe_` token shown when the probe was created. */
  token: string;
  /** The longest wait between reconnection attempts (the backoff doubles up to it, with jitter). */
  reconnectMaxMs: number;
  workerConcurrency: number;
  responseClock: ResponseClock;
  allowPrivateTargets: boolean;
}

/** How notifications are sent (see packages/notifications). */
export interface NotificationSettings {
  /** The dashboard's address, for links in messages. */
  publicUrl: string;
  /** SMTP server for email channels (smtp:// or smtps://, credentials in the URL); none: email fails. */
  smtpUrl: string | undefined;
  smtpFrom: string;
  telegramApiUrl: string;
  pagerdutyEventsUrl: string;
  /** Each request to a receiver (and each mail) is given up after this long. */
  timeoutMs: number;
  /** The first retry's delay; each further retry doubles it (up to an hour). */
  retryBaseMs: number;
  /** A delivery still failing this long after its event is given up. */
  giveUpAfterMs: number;
  /** Messages in flight per notifier, and per channel within it. */
  concurrency: number;
  channelConcurrency: number;
  /** How often a notifier looks for due deliveries. */
  pollMs: number;
}

const MIN_PRODUCTION_SECRET = 32;

/**
 * PostgreSQL's default shared_buffers is 128MB, all of it resident in the process that embeds PGlite. The
 * embedded database is small and PGlite reads the rest through the operating system's page cache, so a
 * small pool costs little speed and saves about 110 MB.
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS = '16MB';

/** Reads and validates every setting. Throws ConfigError naming the first wrong variable. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = readEnum(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const jwtSecret = readString(env, 'JWT_SECRET');
  if (nodeEnv === 'production' && (jwtSecret === undefined || jwtSecret.length < MIN_PRODUCTION_SECRET)) {
    throw new ConfigError(
      'JWT_SECRET',
      `at least ${MIN_PRODUCTION_SECRET} characters when NODE_ENV=production (generate one with: openssl rand -base64 48)`,
      jwtSecret === undefined ? undefined : `<${jwtSecret.length} characters>`,
    );
  }
  if (jwtSecret !== undefined && jwtSecret.length < 16) {
    throw new ConfigError('JWT_SECRET', 'at least 16 characters', `<${jwtSecret.length} characters>`);
  }
  const secretsKey = readSecretsKey(env, 'SECRETS_KEY');
  const secretsKeyPrevious = readSecretsKey(env, 'SECRETS_KEY_PREVIOUS');
  if (secretsKeyPrevious !== undefined && secretsKey === undefined) {
    throw new ConfigError('SECRETS_KEY', 'set when SECRETS_KEY_PREVIOUS is (the new key)', undefined);
  }
  const regions = readRegionList(env, 'REGIONS', ['usa', 'india']);
  const region = readRegion(env, 'REGION');
  if (region !== undefined && !regions.includes(region)) {
    throw new ConfigError('REGION', `one of the configured REGIONS (${regions.join(', ')})`, region);
  }
  const streamKey = readString(env, 'STREAM_KEY', 'BetterUptime:Websites');
  if (!/^[\w:.-]{1,128}$/.test(streamKey)) {
    throw new ConfigError(
      'STREAM_KEY',
      'a Redis key of letters, digits and : . _ - (at most 128)',
      streamKey,
    );
  }
  const reclaimIdleMs = readInt(env, 'RECLAIM_IDLE_MS', 30_000, 1_000, 3_600_000);
  const reclaimIntervalMs = readInt(env, 'RECLAIM_INTERVAL_MS', 10_000, 100, 600_000);
  if (reclaimIntervalMs * 2 > reclaimIdleMs) {
    // Each reclaim pass also refreshes the worker's own entries; it must run well within the idle bound.
    throw new ConfigError(
      'RECLAIM_INTERVAL_MS',
      `at most half of RECLAIM_IDLE_MS (${reclaimIdleMs})`,
      String(reclaimIntervalMs),
    );
  }
  return {
    nodeEnv,
    logLevel: readEnum(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    databaseUrl: readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: resolve(readString(env, 'DATA_DIR', './data')),
    // PostgreSQL's minimum (16 pages of 8 kB) to 1 GB: PGlite's memory is 32-bit WebAssembly.
    pgliteSharedBuffers: readMemorySize(
      env,
      'PGLITE_SHARED_BUFFERS',
      DEFAULT_PGLITE_SHARED_BUFFERS,
      128,
      1024 * 1024,
    ),
    pgliteLowMemory: readBool(env, 'PGLITE_LOW_MEMORY', true),
    redisUrl: readUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    streamKey,
    jwtSecret,
    jwtExpiresInSeconds: readDurationSeconds(env, 'JWT_EXPIRES_IN', '7d', 365 * 86400),
    secretsKey,
    secretsKeyPrevious,
    host: readString(env, 'HOST', '0.0.0.0'),
    port: readInt(env, 'PORT', 3000, 0, 65535),
    cookieSecure: readBool(env, 'COOKIE_SECURE', nodeEnv === 'production'),
    trustProxy: readTrustProxy(env, 'TRUST_PROXY'),
    signup: readOptionalEnum(env, 'SIGNUP', SIGNUP_POLICIES),
    authRateLimitPerMinute: readInt(env, 'AUTH_RATE_LIMIT_PER_MINUTE', 10, 1, 100_000),
    authAccountRateLimitPerHour: readInt(env, 'AUTH_ACCOUNT_RATE_LIMIT_PER_HOUR', 30, 1, 1_000_000),
    pushRateLimitPerMinute: readInt(env, 'PUSH_RATE_LIMIT_PER_MINUTE', 60, 1, 1_000_000),
    pushAddressRateLimitPerMinute: readInt(env, 'PUSH_ADDRESS_RATE_LIMIT_PER_MINUTE', 1_200, 1, 10_000_000),
    maxMonitorsPerUser: readInt(env, 'MAX_MONITORS_PER_USER', 1_000, 0, 10_000_000),
    monitorWritesPerMinute: readInt(env, 'MONITOR_WRITES_PER_MINUTE', 120, 0, 1_000_000),
    redisCommandTimeoutMs: readInt(env, 'REDIS_COMMAND_TIMEOUT_MS', 2_000, 100, 60_000),
    apiLockTimeoutMs: readInt(env, 'API_LOCK_TIMEOUT_MS', 3_000, 100, 600_000),
    apiStatementTimeoutMs: readInt(env, 'API_STATEMENT_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    regions,
    region,
    workerConcurrency: readInt(env, 'WORKER_CONCURRENCY', 200, 1, 10_000),
    responseClock: readEnum(env, 'RESPONSE_CLOCK', RESPONSE_CLOCKS, 'kernel'),
    reclaimIdleMs,
    reclaimIntervalMs,
    maxDeliveries: readInt(env, 'MAX_DELIVERIES', 5, 1, 100),
    producerTickMs: readInt(env, 'PRODUCER_TICK_MS', 1_000, 50, 60_000),
    scheduleLeadMs: readInt(env, 'SCHEDULE_LEAD_MS', 3_000, 0, 60_000),
    allowPrivateTargets: readBool(env, 'ALLOW_PRIVATE_TARGETS', false),
    retentionDays: readInt(env, 'RETENTION_DAYS', 90, 1, 3650),
    rollupRetentionDays: readInt(env, 'ROLLUP_RETENTION_DAYS', 400, 1, 3650),
    notifications: readNotificationSettings(env),
    metrics: readMetricsSettings(env),
    adminEmails: readEmailList(env, 'ADMIN_EMAILS'),
  };
}

function readEmailList(env: Env, name: string): string[] {
  const value = readString(env, name);
  if (value === undefined) return [];
  const emails = value
    .split(',')
    .map((e) => e.trim().normalize('NFC').toLowerCase().replace(/\.+$/, ''))
    .filter((e) => e !== '');
  const wrong = emails.find((e) => !/^[^\s@]+@[^\s@]+$/.test(e));
  if (wrong !== undefined) throw new ConfigError(name, 'email addresses separated by commas', wrong);
  return emails;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Reads and validates the probe's settings. Throws ConfigError naming the first wrong variable. */
export function loadProbeConfig(env: Env = process.env): ProbeConfig {
  const server = readUrl(env, 'PROBE_SERVER', ['https:', 'http:']);
  if (server === undefined)
    throw new ConfigError('PROBE_SERVER', "the instance's URL (https://...)", undefined);
  const url = new URL(server);
  if (url.protocol !== 'https:' && !LOOPBACK_HOSTS.has(url.hostname) && !url.hostname.startsWith('127.')) {
    // The token and every result travel on this connection.
    throw new ConfigError(
      'PROBE_SERVER',
      'an https:// URL (http only to a loopback address)',
      redactUrl(server),
    );
  }
  const token = readString(env, 'PROBE_TOKEN');
  if (token === undefined || !/^bu_probe_[A-Za-z0-9_-]{20,200}$/.test(token)) {
    throw new ConfigError(
      'PROBE_TOKEN',
      'the bu_probe_ token shown when the probe was created',
      token === undefined ? undefined : '<hidden>',
    );
  }
  const nodeEnv = readEnum(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  return {
    logLevel: readEnum(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    server: server.replace(/\/+$/, ''),
    token,
    reconnectMaxMs: readInt(env, 'PROBE_RECONNECT_MAX_MS', 30_000, 100, 600_000),
    workerConcurrency: readInt(env, 'WORKER_CONCURRENCY', 200, 1, 10_000),
    responseClock: readEnum(env, 'RESPONSE_CLOCK', RESPONSE_CLOCKS, 'kernel'),
    allowPrivateTargets: readBool(env, 'ALLOW_PRIVATE_TARGETS', false),
  };
}

function readMetricsSettings(env: Env): MetricsSettings {
  const port =
    readString(env, 'METRICS_PORT') === undefined ? undefined : readInt(env, 'METRICS_PORT', 0, 1, 65535);
  const token = readString(env, 'METRICS_TOKEN');
  if (token !== undefined && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError(
      'METRICS_TOKEN',
      'at least 16 characters without spaces',
      `<${token.length} characters>`,
    );
  }
  return { port, token, perMonitor: readBool(env, 'METRICS_PER_MONITOR', false) };
}

/** A key for sealing secrets: long enough to be one, whatever its alphabet. */
function readSecretsKey(env: Env, name: string): string | undefined {
  const key = readString(env, name);
  if (key !== undefined && key.length < MIN_PRODUCTION_SECRET) {
    throw new ConfigError(
      name,
      `at least ${MIN_PRODUCTION_SECRET} characters (generate one with: openssl rand -base64 48)`,
      `<${key.length} characters>`,
    );
  }
  return key;
}

function readNotificationSettings(env: Env): NotificationSettings {
  const concurrency = readInt(env, 'NOTIFY_CONCURRENCY', 50, 1, 1_000);
  const channelConcurrency = readInt(env, 'NOTIFY_CHANNEL_CONCURRENCY', 2, 1, 100);
  if (channelConcurrency > concurrency) {
    throw new ConfigError(
      'NOTIFY_CHANNEL_CONCURRENCY',
      `at most NOTIFY_CONCURRENCY (${concurrency})`,
      String(channelConcurrency),
    );
  }
  const smtpFrom = readString(env, 'SMTP_FROM', 'Better Uptime <better-uptime@localhost>');
  if (!/^[^\r\n<>]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(smtpFrom)) {
    throw new ConfigError(
      'SMTP_FROM',
      'an email address, optionally with a name: Name <a@b.example>',
      smtpFrom,
    );
  }
  const port = readInt(env, 'PORT', 3000, 0, 65535);
  return {
    publicUrl: (readUrl(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(
      /\/+$/,
      '',
    ),
    smtpUrl: readUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    smtpFrom,
    telegramApiUrl: (
      readUrl(env, 'TELEGRAM_API_URL', ['http:', 'https:']) ?? 'https://api.telegram.org'
    ).replace(/\/+$/, ''),
    pagerdutyEventsUrl:
      readUrl(env, 'PAGERDUTY_EVENTS_URL', ['http:', 'https:']) ?? 'https://events.pagerduty.com/v2/enqueue',
    timeoutMs: readInt(env, 'NOTIFY_TIMEOUT_MS', 10_000, 100, 120_000),
    retryBaseMs: readInt(env, 'NOTIFY_RETRY_BASE_MS', 30_000, 10, 3_600_000),
    giveUpAfterMs: readInt(env, 'NOTIFY_GIVE_UP_AFTER_MS', 86_400_000, 1_000, 7 * 86_400_000),
    concurrency,
    channelConcurrency,
    pollMs: readInt(env, 'NOTIFY_POLL_MS', 500, 10, 60_000),
  };
}

/** The sign-up policy in force: SIGNUP, else `first-user` for the single-process `start`, else `open`. */
export function signupPolicy(config: Pick<Config, 'signup'>, singleProcess: boolean): SignupPolicy {
  return config.signup ?? (singleProcess ? 'first-user' : 'open');
}

/**
 * Loads `.env` from the working directory (if present) into `env` without overriding variables that are
 * already set, as dotenv does.
 */
export function loadDotEnv(env: Env = process.env, path = resolve('.env')): void {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  for (const [key, value] of Object.entries(parseEnv(content))) {
    if (env[key] === undefined) env[key] = value;
  }
}

/** For process entry points: `.env`, then validation; a wrong setting prints one line and exits 1. */
export function loadConfigOrExit(env?: Env): Config;
export function loadConfigOrExit<T>(env: Env, load: (env: Env) => T): T;
export function loadConfigOrExit<T>(env: Env = process.env, load?: (env: Env) => T): T | Config {
  try {
    loadDotEnv(env);
    return load ? load(env) : loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
