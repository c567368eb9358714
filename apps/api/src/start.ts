import type { Config, Logger } from '@better-uptime/config';
import { type DatabaseHandle, migrateDatabase, openDatabase } from '@better-uptime/db';
import { resolveJwtSecret } from './auth/secret.js';
import type { ApiServer, MonitorEvents } from './context.js';
import { buildServer } from './server.js';

export interface StartApiOptions {
  config: Config;
  logger: Logger;
  /** An open database to use (and leave open); by default one is opened from the config and migrated. */
  database?: DatabaseHandle;
  monitorEvents?: MonitorEvents;
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
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
    }));
  try {
    if (ownsDatabase) await migrateDatabase(database, config.databaseUrl);
    const jwtSecret = await resolveJwtSecret(config);
    if (config.jwtSecret === undefined) {
      logger.warn(`JWT_SECRET is not set: using the development secret kept in ${config.dataDir}/jwt-secret`);
    }
    const app = buildServer({
      db: database.db,
      config,
      logger,
      monitorEvents: options.monitorEvents,
      jwtSecret,
    });
    const address = await app.listen({ host: config.host, port: config.port });
    logger.info(
      { address, database: database.description },
      `API listening on ${address} (${database.description})`,
    );
    return {
      app,
      address,
      async close() {
        await app.close();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw error;
  }
}
