import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { migrateDatabase, openDatabase } from '@better-uptime/db';
import { adminQuery, databaseUrl, postgresAnswers, redisAnswers } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAvailable: boolean;
    redisAvailable: boolean;
    /** A migrated database that each suite clones (CREATE DATABASE ... TEMPLATE), much faster than migrating. */
    templateDatabase: string;
  }
}

const HOW_TO_GET_SERVERS =
  "install the distribution's packages (apt-get install postgresql redis-server; trust auth for 127.0.0.1), or " +
  'start the Compose ones (JWT_SECRET=... POSTGRES_PASSWORD=pw docker compose -f docker/docker-compose.yml up -d ' +
  'postgres redis) and set TEST_DATABASE_URL=postgres://postgres:pw@127.0.0.1:5432/postgres';

/**
 * Finds the test servers, makes the migrated template database, and drops it after the run. Without the
 * servers the suites that need them are skipped with one loud line, except under CI=true, where a
 * missing server fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [postgresAvailable, redisAvailable] = await Promise.all([postgresAnswers(), redisAnswers()]);
  const missing = [!postgresAvailable && 'PostgreSQL', !redisAvailable && 'Redis'].filter(Boolean);
  if (missing.length > 0) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true but ${missing.join(' and ')} did not answer: ${HOW_TO_GET_SERVERS}`);
    }
    console.warn(
      `\n!!! ${missing.join(' and ')} not reachable: the suites that need ${missing.length > 1 ? 'them' : 'it'} ` +
        `are SKIPPED. To run everything, ${HOW_TO_GET_SERVERS}.\n`,
    );
  }
  const templateDatabase = `bu_test_tpl_${randomBytes(4).toString('hex')}`;
  if (postgresAvailable) {
    await adminQuery(`CREATE DATABASE ${templateDatabase}`);
    const url = databaseUrl(templateDatabase);
    const handle = await openDatabase({ databaseUrl: url, poolSize: 1 });
    await migrateDatabase(handle, url);
    await handle.close();
  }
  project.provide('postgresAvailable', postgresAvailable);
  project.provide('redisAvailable', redisAvailable);
  project.provide('templateDatabase', templateDatabase);
  return async () => {
    if (postgresAvailable) await adminQuery(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
  };
}
