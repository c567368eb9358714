/**
 * The local servers a benchmark runs against: each figure gets a PostgreSQL database of its own (created,
 * migrated with the project's migrations, dropped afterwards) and a Redis key prefix of its own (deleted
 * afterwards), so runs never see each other's data and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { type DatabaseHandle, migrateDatabase, openDatabase } from '@better-uptime/db';

export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type RedisClient = ReturnType<typeof createClient>;

export interface BenchDatabase {
  name: string;
  url: string;
  handle: DatabaseHandle;
  /** A plain pg pool on the same database, for raw SQL (COPY, EXPLAIN, bulk generation). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

function urlFor(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database named after the figure, migrated like production (`migrateDatabase`). */
export async function createBenchDatabase(figure: string, poolSize = 10): Promise<BenchDatabase> {
  const name = `bu_bench_${figure.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = urlFor(name);
  // An idle pooled connection that the server ends (a restart, DROP DATABASE ... FORCE) must not crash the
  // run: the next query on the pool says what is wrong.
  const onPoolError = (error: Error) =>
    console.warn(`[bench] ${name}: idle connection lost: ${error.message}`);
  const handle = await openDatabase({ databaseUrl: url, poolSize, onPoolError });
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'better-uptime-bench' });
  pool.on('error', onPoolError);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await handle.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    await migrateDatabase(handle, url);
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, url, handle, pool, drop };
}

export async function connectRedis(): Promise<RedisClient> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', (error: Error) => console.error(`[bench] redis: ${error.message}`));
  await client.connect();
  return client;
}

/** A Redis key prefix for one figure; `cleanup` deletes every key under it. */
export function redisPrefix(figure: string): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `bu-bench:${figure}:${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    cleanup: async () => {
      const client = await connectRedis();
      try {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length > 0) await client.del(keys);
        }
      } finally {
        await client.close();
      }
    },
  };
}

/** Checks both servers answer, with one clear line if not. */
export async function assertServersAnswer(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`PostgreSQL at ${POSTGRES_URL} does not answer (${(error as Error).message})`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at ${REDIS_URL} does not answer (${(error as Error).message})`);
  } finally {
    if (redis.isOpen) await redis.close().catch(() => undefined);
  }
}
