import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Database, DatabaseHandle } from './client.js';
import { ensureResultPartitions } from './partitions.js';
import * as schema from './schema.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Arbitrary constant: the session-level advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK_KEY = 727_274_101;

/**
 * Applies the committed SQL migrations, then makes today's result partitions. Safe when several
 * processes start at once: on a server, migrations run on one dedicated connection that holds an
 * advisory lock, so the others wait and then find nothing left to do.
 */
export async function migrateDatabase(handle: DatabaseHandle, databaseUrl?: string): Promise<void> {
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase<typeof schema>, {
      migrationsFolder: MIGRATIONS_FOLDER,
    });
  } else {
    if (!databaseUrl) throw new Error('migrateDatabase needs the database URL for a PostgreSQL server');
    const client = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'better-uptime-migrate',
    });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      await ensureResultPartitions(drizzlePg(client, { schema }) as unknown as Database);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await client.end();
    }
    return;
  }
  await ensureResultPartitions(handle.db);
}
