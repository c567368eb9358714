import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema.js';

/** The one database type every query is written against: PostgreSQL server or PGlite, same SQL. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseKind;
  /** Where it is, for start-up messages (password hidden). */
  description: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL server URL; when absent, PGlite stores its files under `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** Connection pool size for the server (default 10). */
  poolSize?: number;
  /** Called for errors of idle pooled connections (e.g. the server restarted), which would otherwise crash. */
  onPoolError?: (error: Error) => void;
}

export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'better-uptime',
    });
    pool.on('error', (error) => options.onPoolError?.(error));
    const url = new URL(options.databaseUrl);
    if (url.password) url.password = '***';
    return {
      db: drizzlePg(pool, { schema }) as unknown as Database,
      kind: 'postgres',
      description: `PostgreSQL at ${url.host}${url.pathname}`,
      close: () => pool.end(),
    };
  }
  const dataDir = options.dataDir ?? './data';
  const dir = `${dataDir}/pglite`;
  mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir);
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    kind: 'pglite',
    description: `embedded PGlite in ${dir}`,
    close: () => client.close(),
  };
}

/** In-memory PGlite, for tests and benchmarks that need no files. */
export function openMemoryDatabase(): DatabaseHandle {
  const client = new PGlite();
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    kind: 'pglite',
    description: 'in-memory PGlite',
    close: () => client.close(),
  };
}

/** Runs raw SQL and returns its rows, whichever driver is underneath. */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export async function ping(db: Database): Promise<void> {
  await db.execute(sql`SELECT 1`);
}
