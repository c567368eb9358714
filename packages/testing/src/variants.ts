import { type DatabaseHandle, migrateDatabase, openMemoryDatabase } from '@better-uptime/db';
import { createTestDatabase, postgresAvailable } from './database.js';

export interface DatabaseVariant {
  name: 'postgres' | 'pglite';
  /** False when the variant's server is missing (only PostgreSQL can be). */
  available: boolean;
  create(): Promise<{ handle: DatabaseHandle; url?: string; drop(): Promise<void> }>;
}

/** The same query tests run against the server PostgreSQL and embedded PGlite (same schema, same SQL). */
export function databaseVariants(): DatabaseVariant[] {
  return [
    { name: 'postgres', available: postgresAvailable(), create: () => createTestDatabase() },
    {
      name: 'pglite',
      available: true,
      create: async () => {
        const handle = await openMemoryDatabase();
        await migrateDatabase(handle);
        return { handle, drop: () => handle.close() };
      },
    },
  ];
}
