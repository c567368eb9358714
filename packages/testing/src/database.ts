import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type DatabaseHandle, openDatabase } from '@better-uptime/db';
import { adminQuery, databaseUrl } from './services.js';

export interface TestDatabase {
  name: string;
  url: string;
  handle: DatabaseHandle;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database of its own for one suite. */
export async function createTestDatabase(poolSize = 5): Promise<TestDatabase> {
  const name = `bu_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  const url = databaseUrl(name);
  const handle = await openDatabase({ databaseUrl: url, poolSize });
  return {
    name,
    url,
    handle,
    drop: async () => {
      await handle.close().catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export const postgresAvailable = (): boolean => inject('postgresAvailable');
export const redisAvailable = (): boolean => inject('redisAvailable');

/** A Redis key prefix of its own for one suite, so parallel suites never share a stream. */
export function redisTestPrefix(): string {
  return `bu-test:${randomBytes(6).toString('hex')}:`;
}
