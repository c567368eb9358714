import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as v8 from 'node:v8';
import { DEFAULT_PGLITE_SHARED_BUFFERS } from '@better-uptime/config';
import type { PGliteOptions } from '@electric-sql/pglite';
import { is, sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg, NodePgSession } from 'drizzle-orm/node-postgres';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { makeDataDirPrivate, makeTreePrivate } from './private-files.js';
import * as schema from './schema.js';

/** The one database type every query is written against: PostgreSQL server or PGlite, same SQL. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseKind;
  /** Where it is, for start-up messages (password hidden). */
  description: string;
  /** The server's connection pool, for its use figures (metrics); PGlite has none. */
  pool?: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL server URL; when absent, PGlite stores its files under `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** Connection pool size for the server (default 10). */
  poolSize?: number;
  /**
   * Limits on every statement of the server's pooled sessions: how long one may wait for a lock and how long
   * it may run (PostgreSQL's lock_timeout and statement_timeout). PGlite has one session and no lock waits.
   */
  sessionTimeouts?: { lockTimeoutMs: number; statementTimeoutMs: number };
  /** Called for errors of idle pooled connections (e.g. the server restarted), which would otherwise crash. */
  onPoolError?: (error: Error) => void;
  /**
   * PGlite's `shared_buffers`, a PostgreSQL size such as `16MB` (default DEFAULT_PGLITE_SHARED_BUFFERS).
   * PGlite touches all of it at start, so it is resident memory of this process from the first query.
   */
  pgliteSharedBuffers?: string | undefined;
  /** Compile PGlite with V8's baseline WebAssembly compiler only (default true); see `useBaselineWasmCompilerOnly`. */
  pgliteLowMemory?: boolean | undefined;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'better-uptime',
      lock_timeout: options.sessionTimeouts?.lockTimeoutMs,
      statement_timeout: options.sessionTimeouts?.statementTimeoutMs,
    });
    // pg-pool passes on errors of idle connections only. A connection that dies while checked out but
    // between statements (inside a transaction, say) emits 'error' on its client, which would crash the
    // process without a listener; the statement that uses it next fails and the pool discards it.
    pool.on('connect', (client) => client.on('error', () => undefined));
    // The pool puts the client on the error (err.client): a log line wants the error, not the connection.
    pool.on('error', (error) => options.onPoolError?.(withoutClient(error)));
    const url = new URL(options.databaseUrl);
    if (url.password) url.password = '***';
    return {
      db: drizzlePg(pool, { schema }) as unknown as Database,
      kind: 'postgres',
      description: `PostgreSQL at ${url.host}${url.pathname}`,
      pool,
      close: () => pool.end(),
    };
  }
  const dataDir = options.dataDir ?? './data';
  const dir = join(dataDir, 'pglite');
  makeDataDirPrivate(dataDir);
  if (await initPgliteDataDir(dir)) makeTreePrivate(dir);
  if (options.pgliteLowMemory ?? true) useBaselineWasmCompilerOnly();
  const sharedBuffers = options.pgliteSharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS;
  // A command-line setting on top of PGlite's own start parameters: it wins over postgresql.conf, which
  // stays as initdb wrote it (PGlite's `postgresqlconf` option would replace the whole file).
  return openPglite(dir, `embedded PGlite in ${dir}`, [`shared_buffers=${sharedBuffers}`]);
}

/**
 * V8 compiles WebAssembly twice: quickly (Liftoff) when it loads, then its hot functions again with the
 * optimising compiler. For PGlite that second tier keeps about 100 MB of code and compiler memory resident,
 * half of what single-process mode would otherwise need, while embedded queries run only 1.15-1.5x faster
 * with it (measured: inserts 1.15x, aggregates over 300,000 rows 1.4x, point reads alike). The flag is
 * process-wide and applies to modules compiled afterwards, so it is set before PGlite is first loaded.
 */
function useBaselineWasmCompilerOnly(): void {
  try {
    // Looked up at call time: a runtime without V8 (Bun) may not have it, and PGlite then runs as that
    // runtime compiles it.
    v8.setFlagsFromString?.('--liftoff-only');
  } catch {
    // Present but not implemented: the same.
  }
}

/** In-memory PGlite, for tests and benchmarks that need no files. */
export async function openMemoryDatabase(): Promise<DatabaseHandle> {
  return openPglite(undefined, 'in-memory PGlite');
}

/**
 * PGlite and its drizzle driver are imported only here, when a process really opens it: loading the
 * module alone costs about 46 MB, which server processes (on DATABASE_URL) should not carry.
 */
async function openPglite(
  dir: string | undefined,
  description: string,
  settings: readonly string[] = [],
): Promise<DatabaseHandle> {
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  const options: PGliteOptions =
    settings.length === 0
      ? {}
      : { startParams: [...PGlite.defaultStartParams, ...settings.flatMap((setting) => ['-c', setting])] };
  const client = dir === undefined ? new PGlite(options) : new PGlite(dir, options);
  try {
    await client.waitReady;
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    kind: 'pglite',
    description,
    close: async () => {
      await client.close();
      // PGlite sets the modes of some files it writes while running (pg_internal.init 0644): the 0700
      // directory keeps them private meanwhile, and they are made 0600 here and at the next open.
      if (dir !== undefined) makeTreePrivate(dir);
    },
  };
}

/** Whether `dir` holds a PostgreSQL cluster (initdb has run there). */
export function isPgliteDataDir(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

export class PgliteInitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgliteInitError';
  }
}

/** What the init child prints before its error, so the parent can tell it from PGlite's own output. */
const INIT_ERROR_MARKER = '@@better-uptime-pglite-init-error@@';

/**
 * Run by `node -e` in the init child (CommonJS, plain JavaScript: it needs neither tsx nor the bundle).
 * argv: the PGlite module to require, the directory to initialise.
 */
const INIT_CHILD_SCRIPT = `
const [modulePath, dir] = process.argv.slice(1);
(async () => {
  const { PGlite } = require(modulePath);
  const db = new PGlite(dir);
  await db.query('SELECT 1');
  await db.close();
})().then(
  () => process.exit(0),
  (error) => {
    const message = error && error.message ? error.message : String(error);
    process.stderr.write('\\n${INIT_ERROR_MARKER}' + message + '\\n');
    process.exit(1);
  },
);
`;

export interface InitPgliteOptions {
  /** Stop the child after this long (default 5 minutes). */
  timeoutMs?: number;
  /** The PGlite module the child loads (default: the one this package depends on). For tests. */
  pgliteModule?: string;
}

/**
 * Makes `dir` a PGlite data directory if it is not one yet. PGlite's initdb takes about 800 MB, and the
 * WebAssembly memory it grows stays resident in the process that ran it for as long as it lives; so initdb
 * runs in a short-lived child process, into a sibling directory that is renamed into place only once it is
 * complete (an interrupted first start leaves no half-made cluster behind). Returns whether it initialised.
 */
export async function initPgliteDataDir(dir: string, options: InitPgliteOptions = {}): Promise<boolean> {
  if (isPgliteDataDir(dir)) return false;
  const fail = (reason: string) =>
    new PgliteInitError(`Could not create the embedded database in ${dir}: ${reason}`);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw fail('the directory is not empty but holds no database (no PG_VERSION); move its files away');
  }
  mkdirSync(dirname(dir), { recursive: true });
  const staging = `${dir}.init-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const pgliteModule =
      options.pgliteModule ?? createRequire(import.meta.url).resolve('@electric-sql/pglite');
    await runInitChild(pgliteModule, staging, options.timeoutMs ?? 300_000);
    if (!isPgliteDataDir(staging)) throw new Error('initdb ended without writing PG_VERSION');
    rmSync(dir, { recursive: true, force: true }); // empty (checked above), or absent
    renameSync(staging, dir);
    return true;
  } catch (error) {
    throw fail((error as Error).message);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function runInitChild(pgliteModule: string, dir: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // Plain node: none of this process's flags (tsx's loader, inspector, profiler) are wanted there.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['-e', INIT_CHILD_SCRIPT, pgliteModule, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const marked = stderr.lastIndexOf(INIT_ERROR_MARKER);
      const output = marked >= 0 ? stderr.slice(marked + INIT_ERROR_MARKER.length) : stderr;
      const lines = output
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      const detail = (marked >= 0 ? lines[0] : lines.at(-1)) ?? 'no error output';
      const how = timedOut
        ? `stopped after ${timeoutMs / 1000} s`
        : signal
          ? `killed by ${signal}`
          : `exit code ${code}`;
      reject(new Error(`initdb failed in its child process (${how}): ${detail}`));
    });
  });
}

export interface QueryOptions {
  /**
   * Run it as a named prepared statement on the PostgreSQL server: parsed once per pooled connection,
   * and its plan cached once PostgreSQL finds a generic plan as good as a fresh one (measured here: the
   * session lookup 100 → 30 µs of server CPU, the monitor list 340 → 225 µs). Only for SQL whose text is
   * the same on every call, values passed as parameters; PGlite ignores it. On the partitioned results
   * table only for a fixed shape or two (CheckPage.cachedPlan): after five runs PostgreSQL builds and keeps
   * a generic plan covering every partition (1 MB per statement per connection at 95 daily partitions,
   * measured), whether or not it then uses it.
   */
  prepared?: boolean;
}

const dialect = new PgDialect();

/**
 * Statement names by SQL text. Each process numbers its own (a name is per connection); bounded, so
 * that a caller passing text that varies cannot make every pooled connection hold statements without
 * end: past the bound, statements run unnamed as before.
 */
const statementNames = new Map<string, string>();
const MAX_PREPARED_STATEMENTS = 200;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `better_uptime_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Whether `prepared: true` makes a named statement with a cached plan here: on the PostgreSQL server, yes;
 * PGlite runs every statement unnamed. For SQL written differently when a plan can be cached.
 */
export function cachesPlans(db: Database): boolean {
  return is(db._.session, NodePgSession);
}

/** Runs raw SQL and returns its rows, whichever driver is underneath. */
export async function queryRows<T>(db: Database, query: SQL, options: QueryOptions = {}): Promise<T[]> {
  if (!options.prepared) {
    const result = (await db.execute(query)) as unknown as { rows: T[] };
    return result.rows;
  }
  // db.execute has no way to name the statement; the session it runs on (the transaction's, inside one)
  // does, with the same result shape.
  const compiled = dialect.sqlToQuery(query);
  const prepared = db._.session.prepareQuery(compiled, undefined, statementName(compiled.sql), false);
  const result = (await prepared.execute()) as unknown as { rows: T[] };
  return result.rows;
}

export async function ping(db: Database): Promise<void> {
  await db.execute(sql`SELECT 1`);
}

/** The error of an idle connection as pg-pool reports it, without the client object it attaches. */
function withoutClient(error: Error): Error {
  delete (error as Error & { client?: unknown }).client;
  return error;
}
