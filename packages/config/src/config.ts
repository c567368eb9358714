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
  readMemorySize,
  readRegion,
  readRegionList,
  readString,
  readUrl,
} from './env.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const RESPONSE_CLOCKS = ['kernel', 'event-loop'] as const;
export type ResponseClock = (typeof RESPONSE_CLOCKS)[number];

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
  host: string;
  port: number;
  /** Set the Secure flag on auth cookies (defaults to on in production). */
  cookieSecure: boolean;
  trustProxy: boolean;
  /** Login and signup attempts allowed per client address per minute. */
  authRateLimitPerMinute: number;
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
    host: readString(env, 'HOST', '0.0.0.0'),
    port: readInt(env, 'PORT', 3000, 0, 65535),
    cookieSecure: readBool(env, 'COOKIE_SECURE', nodeEnv === 'production'),
    trustProxy: readBool(env, 'TRUST_PROXY', false),
    authRateLimitPerMinute: readInt(env, 'AUTH_RATE_LIMIT_PER_MINUTE', 10, 1, 100_000),
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
  };
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
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    loadDotEnv(env);
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
