/**
 * Migration 0005 (monitor kinds) on a database that holds monitors and results from before it: every
 * monitor becomes kind http with its settings unchanged, its results keep their reasons (now text), and
 * the monitor keeps being scheduled and checked.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '@better-uptime/checker';
import {
  adminQuery,
  databaseUrl,
  postgresAvailable,
  startTarget,
  type TargetServer,
} from '@better-uptime/testing';
import {
  claimDueMonitors,
  type DatabaseHandle,
  type DueMonitor,
  migrateDatabase,
  MIGRATIONS_FOLDER,
  openDatabase,
  openMemoryDatabase,
  queryRows,
} from '../src/index.js';

const LAST_BEFORE_KINDS = '0003_access';

/** A migrations folder that stops before monitor kinds, as a database of the previous release has it. */
async function migrationsBeforeKinds(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bu-migrations-'));
  await cp(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const last = journal.entries.findIndex((entry) => entry.tag === LAST_BEFORE_KINDS);
  journal.entries = journal.entries.slice(0, last + 1);
  await writeFile(journalPath, JSON.stringify(journal));
  return dir;
}

async function migrateWith(handle: DatabaseHandle, folder: string | undefined, url?: string): Promise<void> {
  const previous = process.env.MIGRATIONS_DIR;
  if (folder === undefined) delete process.env.MIGRATIONS_DIR;
  else process.env.MIGRATIONS_DIR = folder;
  try {
    await migrateDatabase(handle, url);
  } finally {
    if (previous === undefined) delete process.env.MIGRATIONS_DIR;
    else process.env.MIGRATIONS_DIR = previous;
  }
}

interface Variant {
  name: string;
  available: boolean;
  open(): Promise<{ handle: DatabaseHandle; url?: string; drop(): Promise<void> }>;
}

const variants: Variant[] = [
  {
    name: 'postgres',
    available: postgresAvailable(),
    open: async () => {
      // An empty database (not the migrated template): it starts as the previous release left it.
      const name = `bu_test_kinds_${Math.random().toString(16).slice(2, 10)}`;
      await adminQuery(`CREATE DATABASE ${name}`);
      const url = databaseUrl(name);
      const handle = await openDatabase({ databaseUrl: url, poolSize: 2 });
      return {
        handle,
        url,
        drop: async () => {
          await handle.close().catch(() => undefined);
          await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
  },
  {
    name: 'pglite',
    available: true,
    open: async () => {
      const handle = await openMemoryDatabase();
      return { handle, drop: () => handle.close() };
    },
  },
];

describe.each(variants)('migration to monitor kinds on $name', (variant) => {
  let target: TargetServer;
  let oldMigrations: string;
  let db: Awaited<ReturnType<Variant['open']>>;

  beforeAll(async () => {
    target = await startTarget();
    oldMigrations = await migrationsBeforeKinds();
  });
  afterAll(async () => {
    await db?.drop();
    await target?.close();
    await rm(oldMigrations, { recursive: true, force: true });
  });

  it.skipIf(!variant.available)(
    'turns every monitor into kind http, unchanged, and keeps checking it',
    async () => {
      db = await variant.open();
      const { handle } = db;
      await migrateWith(handle, oldMigrations, db.url);
      // Today's monitors and a result, written as the previous release wrote them.
      await handle.db.execute(sql`INSERT INTO users (id, email, name, password_hash)
      VALUES ('00000000-0000-7000-8000-000000000001', 'old@x.test', 'old', 'h')`);
      await handle.db.execute(sql`INSERT INTO monitors (id, user_id, name, url, interval_seconds, method,
        expected_status, keyword, keyword_mode, follow_redirects, regions, next_check_at)
      VALUES
        ('00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-000000000001', 'plain',
         ${`${target.url}/ok`}, 60, 'GET', '{200-299}', NULL, 'present', true, '{}', now() - interval '1 second'),
        ('00000000-0000-7000-8000-00000000000b', '00000000-0000-7000-8000-000000000001', 'head',
         'https://example.com/x', 300, 'HEAD', '{200-299,304}', 'kw', 'absent', false, '{usa}', now() + interval '1 day')`);
      await handle.db
        .execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status,
        response_time_ms, reason, message)
      VALUES ('00000000-0000-7000-8000-00000000000b', 'usa', now(), now(), 'Down', 12, 'keyword', 'found')`);

      await migrateWith(handle, undefined, db.url);

      const monitors = await queryRows<{ name: string; kind: string; settings: unknown; target: string }>(
        handle.db,
        sql`SELECT name, kind, settings, target FROM monitors ORDER BY id`,
      );
      expect(monitors).toEqual([
        {
          name: 'plain',
          kind: 'http',
          target: `${target.url}/ok`,
          settings: {
            url: `${target.url}/ok`,
            method: 'GET',
            expectedStatus: ['200-299'],
            keyword: null,
            keywordMode: 'present',
            followRedirects: true,
          },
        },
        {
          name: 'head',
          kind: 'http',
          target: 'https://example.com/x',
          settings: {
            url: 'https://example.com/x',
            method: 'HEAD',
            expectedStatus: ['200-299', '304'],
            keyword: 'kw',
            keywordMode: 'absent',
            followRedirects: false,
          },
        },
      ]);
      const [result] = await queryRows<{ reason: string; details: unknown }>(
        handle.db,
        sql`SELECT reason, details FROM check_results`,
      );
      expect(result).toEqual({ reason: 'keyword', details: null });

      // The due monitor is claimed with its settings and checked as before.
      let due: DueMonitor[] = [];
      await claimDueMonitors(handle.db, Date.now() + 1_000, 10, async (claimed) => {
        due = claimed;
      });
      expect(due.map((d) => d.id)).toEqual(['00000000-0000-7000-8000-00000000000a']);
      const outcome = await probe(due[0]!.kind, due[0]!.settings, {
        timeoutMs: 5_000,
        allowPrivateTargets: true,
      });
      expect(outcome).toMatchObject({ status: 'Up', statusCode: 200, reason: null });
      // A reason the enum did not have is stored as it is.
      await handle.db
        .execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status,
        response_time_ms, reason) VALUES ('00000000-0000-7000-8000-00000000000a', 'usa', now(), now(), 'Down', 1,
        'unavailable')`);
    },
  );
});
