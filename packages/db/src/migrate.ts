import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Database, DatabaseHandle } from './client.js';
import { ensureResultPartitions } from './partitions.js';
import * as schema from './schema.js';

/**
 * The committed SQL migrations: `../drizzle` next to this source file, or `./drizzle` next to the bundle
 * (`npm run build` writes dist/better-uptime.mjs and copies them to dist/drizzle). A folder counts only if
 * it holds drizzle's journal, so a stray `drizzle` directory is never taken for it.
 */
export const MIGRATIONS_FOLDER = ((): string => {
  const candidates = ['../drizzle', './drizzle'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((path) => existsSync(join(path, 'meta', '_journal.json'))) ?? candidates[0]!;
})();

/** MIGRATIONS_DIR overrides the folder; read at call time, so a value from `.env` counts too. */
function migrationsFolder(): string {
  const configured = process.env.MIGRATIONS_DIR?.trim();
  return configured ? resolve(configured) : MIGRATIONS_FOLDER;
}

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
      migrationsFolder: migrationsFolder(),
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
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder: migrationsFolder() });
      await ensureResultPartitions(drizzlePg(client, { schema }) as unknown as Database);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await client.end();
    }
    return;
  }
  await ensureResultPartitions(handle.db);
}
