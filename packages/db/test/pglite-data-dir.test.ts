import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  initPgliteDataDir,
  isPgliteDataDir,
  migrateDatabase,
  openDatabase,
  PgliteInitError,
  queryRows,
} from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'bu-pglite-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function initError(dir: string, options: Parameters<typeof initPgliteDataDir>[1]): Promise<Error> {
  try {
    await initPgliteDataDir(dir, options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected initPgliteDataDir to fail');
}

describe('embedded PGlite data directory', () => {
  it('first open runs initdb in a child process, then the next open finds the database', async () => {
    const dataDir = join(root, 'fresh');
    const dir = join(dataDir, 'pglite');
    expect(isPgliteDataDir(dir)).toBe(false);

    const first = await openDatabase({ dataDir, pgliteSharedBuffers: '8MB' });
    try {
      expect(first.kind).toBe('pglite');
      expect(isPgliteDataDir(dir)).toBe(true);
      // Initialised in a staging directory beside it, renamed into place, nothing left behind.
      expect(readdirSync(dataDir)).toEqual(['pglite']);
      await migrateDatabase(first);
      await first.db.execute(sql`CREATE TABLE kept (note text)`);
      await first.db.execute(sql`INSERT INTO kept VALUES ('written on the first start')`);
      const [settings] = await queryRows<{ shared_buffers: string; timezone: string }>(
        first.db,
        sql`SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('TimeZone') AS timezone`,
      );
      // The setting applies; initdb's own postgresql.conf (UTC) is still read.
      expect(settings).toEqual({ shared_buffers: '8MB', timezone: 'UTC' });
    } finally {
      await first.close();
    }

    expect(await initPgliteDataDir(dir)).toBe(false);
    const second = await openDatabase({ dataDir });
    try {
      expect(await queryRows(second.db, sql`SELECT note FROM kept`)).toEqual([
        { note: 'written on the first start' },
      ]);
      const [setting] = await queryRows<{ shared_buffers: string }>(
        second.db,
        sql`SELECT current_setting('shared_buffers') AS shared_buffers`,
      );
      expect(setting?.shared_buffers).toBe('16MB');
    } finally {
      await second.close();
    }
  });

  it('keeps the data directory private: folders 0700, files 0600 (those made while running by close)', async () => {
    const dataDir = join(root, 'private');
    const modes = () => {
      const found = new Map<string, number>();
      const visit = (path: string) => {
        const info = statSync(path);
        found.set(path, info.mode & 0o777);
        if (info.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
      };
      visit(dataDir);
      return found;
    };
    const notPrivate = () =>
      [...modes()].filter(([path, mode]) => mode !== (statSync(path).isDirectory() ? 0o700 : 0o600));
    const handle = await openDatabase({ dataDir, pgliteSharedBuffers: '8MB' });
    try {
      await migrateDatabase(handle);
      await handle.db.execute(sql`CREATE TABLE made_later (x int)`);
      await handle.db.execute(sql`INSERT INTO made_later SELECT generate_series(1, 5000)`);
      await handle.db.execute(sql`CHECKPOINT`);
      // While running, every folder is 0700, so no other user can reach any file.
      expect([...modes()].filter(([path, mode]) => statSync(path).isDirectory() && mode !== 0o700)).toEqual(
        [],
      );
      expect(modes().size).toBeGreaterThan(500);
    } finally {
      await handle.close();
    }
    expect(notPrivate()).toEqual([]);
    // A directory left world-readable by an older version is made private at the next open.
    chmodSync(dataDir, 0o777);
    chmodSync(join(dataDir, 'pglite', 'PG_VERSION'), 0o666);
    const again = await openDatabase({ dataDir, pgliteSharedBuffers: '8MB' });
    await again.close();
    expect(notPrivate()).toEqual([]);
  }, 120_000); // an initdb and two opens: slow on a loaded machine

  it('reports a failing initdb child in one line and leaves no directory behind', async () => {
    const dir = join(root, 'broken', 'pglite');
    const error = await initError(dir, { pgliteModule: join(root, 'no-such-pglite.cjs') });
    expect(error).toBeInstanceOf(PgliteInitError);
    expect(error.message).toMatch(
      /^Could not create the embedded database in .*broken\/pglite: initdb failed in its child process \(exit code 1\): Cannot find module/,
    );
    expect(error.message.split('\n')).toHaveLength(1);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(join(root, 'broken'))).toEqual([]);
  });

  it('stops an initdb child that takes too long', async () => {
    const dir = join(root, 'slow', 'pglite');
    const error = await initError(dir, { timeoutMs: 100 });
    expect(error.message).toMatch(/initdb failed in its child process \(stopped after 0\.1 s\)/);
    expect(readdirSync(join(root, 'slow'))).toEqual([]);
  });

  it('refuses a directory that holds files but no database, without touching them', async () => {
    const dir = join(root, 'stray', 'pglite');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'not a database');
    const error = await initError(dir, {});
    expect(error.message).toBe(
      `Could not create the embedded database in ${dir}: the directory is not empty but holds no database (no PG_VERSION); move its files away`,
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
