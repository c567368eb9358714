import { createClient } from 'redis';
import {
  channelSecretBox,
  type Config,
  type Logger,
  resolveSecretsKeys,
  signupPolicy,
  totpSecretBox,
} from '@better-uptime/config';
import { sealStoredChannelSecrets } from '@better-uptime/notifications';
import { type DatabaseHandle, migrateDatabase, openDatabase } from '@better-uptime/db';
import { resealTotpSeeds } from './auth/second-factor.js';
import type { Metrics } from '@better-uptime/metrics';
import { resolveJwtSecret } from './auth/secret.js';
import type { TaskQueue } from '@better-uptime/redis-stream';
import type { ApiServer, MonitorEvents } from './context.js';
import type { RedisClient } from './rate-limit.js';
import { buildServer } from './server.js';

export interface StartApiOptions {
  config: Config;
  logger: Logger;
  /** An open database to use (and leave open); by default one is opened from the config and migrated. */
  database?: DatabaseHandle;
  monitorEvents?: MonitorEvents;
  /** The keys sealing channel secrets; by default resolved from the config as for a separate API. */
  secretsKeys?: readonly string[];
  /** The work queue, which remote probes consume through this API. */
  queue?: TaskQueue;
  /** Served at `/metrics`; see startRoles, which makes one registry per process. */
  metrics?: Metrics;
}

export interface RunningApi {
  app: ApiServer;
  /** Where it listens, e.g. http://0.0.0.0:3000. */
  address: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database it opened. */
  close(): Promise<void>;
}

/** Opens and migrates the database (unless given one), resolves the JWT secret, and listens. */
export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const { config, logger } = options;
  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      pgliteSharedBuffers: config.pgliteSharedBuffers,
      sessionTimeouts: apiSessionTimeouts(config),
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
    }));
  let rateLimitRedis: RedisClient | undefined;
  try {
    if (ownsDatabase) await migrateDatabase(database, config.databaseUrl);
    const jwtSecret = await resolveJwtSecret(config);
    if (config.jwtSecret === undefined) {
      logger.warn(`JWT_SECRET is not set: using the development secret kept in ${config.dataDir}/jwt-secret`);
    }
    const secretsKeys = options.secretsKeys ?? (await resolveSecretsKeys(config, { singleProcess: false }));
    if (ownsDatabase) {
      await sealStoredChannelSecrets(database.db, channelSecretBox(secretsKeys), {
        rotating: config.secretsKeyPrevious !== undefined,
        logger,
      });
    }
    await resealTotpSeeds(database.db, totpSecretBox(secretsKeys, jwtSecret), logger);
    rateLimitRedis = config.redisUrl ? openRateLimitRedis(config.redisUrl, logger) : undefined;
    const app = buildServer({
      db: database.db,
      config,
      logger,
      monitorEvents: options.monitorEvents,
      queue: options.queue,
      jwtSecret,
      secretsKeys,
      metrics: options.metrics,
      rateLimitRedis: rateLimitRedis && {
        client: rateLimitRedis,
        namespace: `${config.streamKey}:rate-limit:`,
      },
    });
    const address = await app.listen({ host: config.host, port: config.port });
    const signup = signupPolicy(config, false);
    logger.info(
      { address, database: database.description, signup },
      `API listening on ${address} (${database.description}); sign-up: ${signup}`,
    );
    return {
      app,
      address,
      async close() {
        await app.close();
        await closeRedis(rateLimitRedis);
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    await closeRedis(rateLimitRedis);
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw error;
  }
}

/** The limits on the API's database statements (API_LOCK_TIMEOUT_MS, API_STATEMENT_TIMEOUT_MS). */
export function apiSessionTimeouts(config: Config): { lockTimeoutMs: number; statementTimeoutMs: number } {
  return { lockTimeoutMs: config.apiLockTimeoutMs, statementTimeoutMs: config.apiStatementTimeoutMs };
}

/**
 * The rate limiter's own Redis connection, so its counters are shared by every API process. Not awaited:
 * the API starts, and counts in-process, while Redis is unreachable; commands fail at once while it is
 * disconnected instead of queueing.
 */
function openRateLimitRedis(url: string, logger: Logger): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(250 * 2 ** retries, 5_000) },
  });
  let lastWarning = 0;
  client.on('error', (error: Error) => {
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error }, 'rate limit Redis connection failed; counting in this process meanwhile');
  });
  client.connect().catch(() => undefined);
  return client;
}

async function closeRedis(client: RedisClient | undefined): Promise<void> {
  if (!client) return;
  try {
    if (client.isOpen) await client.close();
    else client.destroy();
  } catch {
    // Closing anyway.
  }
}
