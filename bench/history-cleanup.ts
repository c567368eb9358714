/**
 * History figures: what retention and cleanup cost while the workers write.
 *
 * - partition drop: the maintenance run that drops a whole day past retention (a partition holding
 *   `droppedPartitionRows` results), with the workers' insert latency around it;
 * - 1-million-row cleanup: the per-monitor cleanup (the `DELETE /api/results/:monitorId/cleanup` query,
 *   batched by partition) of one monitor with `rows` old results, while writers keep flushing 500-row
 *   batches through the workers' own bulk insert. Its latency is compared with the same writers' quiet
 *   latency measured just before.
 *
 * Self-contained: give it a PostgreSQL server URL; it makes a scratch database of its own on that server,
 * and drops it at the end, also on failure. Run alone with
 * `BENCH_DATABASE_URL=postgres://... npx tsx bench/history-cleanup.ts` (prints the figures as JSON).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import {
  type Database,
  ensureResultPartitions,
  insertResults,
  migrateDatabase,
  newId,
  openDatabase,
  partitionName,
  queryRows,
  resultQueries,
  type ResultRow,
  runMaintenance,
} from '@better-uptime/db';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface HistoryCleanupOptions {
  /** A PostgreSQL server URL whose user may create databases (the scratch database is made beside it). */
  databaseUrl: string;
  /** Old results of the one monitor the cleanup removes (default 1,000,000). */
  rows?: number;
  /** Results in the partition past retention that maintenance drops (default 500,000). */
  droppedPartitionRows?: number;
  /** Concurrent writers, each flushing `writerBatch` rows at a time back to back (default 2, like 2 regions). */
  writers?: number;
  writerBatch?: number;
  /** Flushes per writer measured while nothing else runs (default 40). */
  quietFlushes?: number;
  onProgress?: (message: string) => void;
}

export interface HistoryCleanupFigures {
  /** Wall time of the maintenance run that dropped the partition past retention. */
  partitionDropMs: number;
  droppedPartitionRows: number;
  /** Baseline: the same number of rows removed by one DELETE statement, as row-by-row retention would. */
  rowDeleteBaselineMs: number;
  /** WAL the baseline DELETE wrote (a drop writes only catalog changes), before any VACUUM of the dead rows. */
  rowDeleteBaselineWalBytes: number;
  /** The slowest writer flush that overlapped the drop (the drop's ACCESS EXCLUSIVE moment included). */
  insertLatencyDuringDropMaxMs: number;
  /** Wall time of the per-monitor cleanup of `rowsDeleted` results. */
  cleanupMillionRowsMs: number;
  rowsDeleted: number;
  cleanupRowsPerSecond: number;
  insertLatencyQuietP50Ms: number;
  insertLatencyQuietP99Ms: number;
  insertLatencyDuringCleanupP50Ms: number;
  insertLatencyDuringCleanupP99Ms: number;
  insertLatencyDuringCleanupMaxMs: number;
  /** During p50 / quiet p50: how much the cleanup slows the workers' writes (goal: a few times at most). */
  insertSlowdownP50: number;
  flushesDuringCleanup: number;
  /** Time to generate the history (not a figure of the system; says how long the run takes). */
  seedMs: number;
}

function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function result(monitorId: string, region: string, scheduledAt: number): ResultRow {
  return {
    monitorId,
    region,
    scheduledAt: new Date(scheduledAt),
    checkedAt: new Date(scheduledAt + 25),
    status: 'Up',
    responseTimeMs: 40,
    statusCode: 200,
    reason: null,
    message: null,
    dnsMs: 1,
    connectMs: 2,
    tlsMs: 8,
    firstByteMs: 30,
    certExpiresAt: null,
  };
}

/**
 * Writers flushing back to back, each like a worker's result buffer: `batch` new rows per insert (10
 * monitors × batch/10 regions at one new slot), through the workers' insertResults. Latencies are recorded
 * with the time each flush started, until stop() is called.
 */
function startWriters(
  db: Database,
  monitors: readonly string[],
  writers: number,
  batch: number,
  firstSlot: number,
) {
  const samples: { startedAt: number; ms: number }[] = [];
  let stopped = false;
  let slot = firstSlot;
  const perMonitor = Math.max(1, Math.floor(batch / monitors.length));
  const loops = Array.from({ length: writers }, async (_, writer) => {
    while (!stopped) {
      const at = (slot += 1000);
      const rows = monitors.flatMap((id) =>
        Array.from({ length: perMonitor }, (_, i) => result(id, `w${writer}r${i}`, at)),
      );
      const startedAt = performance.now();
      await insertResults(db, rows);
      samples.push({ startedAt, ms: performance.now() - startedAt });
    }
  });
  return {
    samples,
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function currentWal(db: Database): Promise<string> {
  const [row] = await queryRows<{ lsn: string }>(db, sql`SELECT pg_current_wal_lsn()::text AS lsn`);
  return row!.lsn;
}

async function walSince(db: Database, lsn: string): Promise<number> {
  const [row] = await queryRows<{ bytes: number }>(
    db,
    sql`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn}::pg_lsn)::float8 AS bytes`,
  );
  return Number(row!.bytes);
}

async function seedHistory(
  db: Database,
  monitorId: string,
  from: number,
  rows: number,
  stepSeconds: number,
): Promise<void> {
  // Two regions per slot; generated server-side, so a million rows take seconds, not minutes.
  await db.execute(sql`INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms)
    SELECT ${monitorId}::uuid, r, ${new Date(from).toISOString()}::timestamptz + g * make_interval(secs => ${stepSeconds}),
           now(), 'Up', 40
    FROM generate_series(0, ${Math.ceil(rows / 2) - 1}::int) AS g, unnest(ARRAY['usa', 'india']) AS r`);
}

export async function benchHistoryCleanup(options: HistoryCleanupOptions): Promise<HistoryCleanupFigures> {
  const {
    databaseUrl,
    rows = 1_000_000,
    droppedPartitionRows = 500_000,
    writers = 2,
    writerBatch = 500,
    quietFlushes = 40,
    onProgress = () => undefined,
  } = options;
  const name = `bu_bench_history_${randomBytes(4).toString('hex')}`;
  await adminQuery(databaseUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(databaseUrl, name);
  const handle = await openDatabase({ databaseUrl: url, poolSize: writers + 4 });
  try {
    await migrateDatabase(handle, url);
    const db = handle.db;
    const now = Date.now();
    const today = Math.floor(now / DAY_MS) * DAY_MS;

    onProgress(
      `seeding ${rows.toLocaleString('en')} + 2 × ${droppedPartitionRows.toLocaleString('en')} results`,
    );
    const seedStarted = performance.now();
    const userId = newId();
    await db.execute(
      sql`INSERT INTO users (id, email, name, password_hash) VALUES (${userId}, ${userId + '@bench.test'}, 'bench', 'x')`,
    );
    const newMonitor = async () => {
      const id = newId();
      await db.execute(
        sql`INSERT INTO monitors (id, user_id, name, kind, settings, target, paused)
            VALUES (${id}, ${userId}, 'bench', 'http', '{"url": "http://127.0.0.1/"}', 'http://127.0.0.1/', true)`,
      );
      return id;
    };
    const bigMonitor = await newMonitor();
    const oldMonitor = await newMonitor();
    const baselineMonitor = await newMonitor();
    const writerMonitors = await Promise.all(Array.from({ length: 10 }, newMonitor));
    // Days −40 … +1: the cleanup's history lies in days −30 … −2, the partition to drop is day −40, and the
    // row-deletion baseline's rows are day −38.
    await ensureResultPartitions(db, { now, daysBehind: 40, daysAhead: 1 });
    const historyDays = 28;
    await seedHistory(db, bigMonitor, today - 30 * DAY_MS, rows, (historyDays * 86_400 * 2) / rows);
    await seedHistory(
      db,
      oldMonitor,
      today - 40 * DAY_MS,
      droppedPartitionRows,
      (86_400 * 2) / droppedPartitionRows,
    );
    await seedHistory(
      db,
      baselineMonitor,
      today - 38 * DAY_MS,
      droppedPartitionRows,
      (86_400 * 2) / droppedPartitionRows,
    );
    await db.execute(sql`VACUUM ANALYZE check_results`);
    const seedMs = performance.now() - seedStarted;

    onProgress('writers: quiet latency');
    let firstSlot = today + HOUR_MS;
    const quietWriters = startWriters(db, writerMonitors, writers, writerBatch, firstSlot);
    while (quietWriters.samples.length < quietFlushes * writers) await new Promise((r) => setTimeout(r, 20));
    await quietWriters.stop();
    // Leave out the first flushes of each writer (connections, plans warming up).
    const quiet = quietWriters.samples.slice(writers * 3).map((s) => s.ms);
    firstSlot += (10 * DAY_MS) / 24;

    onProgress(`cleanup of ${rows.toLocaleString('en')} results with writers running`);
    const cleanupWriters = startWriters(db, writerMonitors, writers, writerBatch, firstSlot);
    await new Promise((r) => setTimeout(r, 200));
    const cleanupStarted = performance.now();
    const rowsDeleted = await resultQueries.deleteChecksBefore(db, bigMonitor, new Date(today - DAY_MS));
    const cleanupEnded = performance.now();
    await cleanupWriters.stop();
    const during = cleanupWriters.samples
      .filter((s) => s.startedAt >= cleanupStarted && s.startedAt < cleanupEnded)
      .map((s) => s.ms);
    firstSlot += (10 * DAY_MS) / 24;

    onProgress(`baseline: one DELETE of ${droppedPartitionRows.toLocaleString('en')} results`);
    const walBefore = await currentWal(db);
    const baselineStarted = performance.now();
    await db.execute(sql`DELETE FROM check_results WHERE scheduled_at >= ${new Date(today - 38 * DAY_MS).toISOString()}::timestamptz
      AND scheduled_at < ${new Date(today - 37 * DAY_MS).toISOString()}::timestamptz`);
    const rowDeleteBaselineMs = performance.now() - baselineStarted;
    const rowDeleteBaselineWalBytes = await walSince(db, walBefore);

    onProgress(`partition drop (${droppedPartitionRows.toLocaleString('en')} results) with writers running`);
    const dropWriters = startWriters(db, writerMonitors, writers, writerBatch, firstSlot);
    await new Promise((r) => setTimeout(r, 200));
    const dropStarted = performance.now();
    // 39 days: only day −40 lies wholly past retention, so this run drops exactly one partition.
    const report = await runMaintenance(db, { now, retentionDays: 39 });
    const dropEnded = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    await dropWriters.stop();
    if (!report.dropped.includes(partitionName(today - 40 * DAY_MS))) {
      throw new Error(`maintenance did not drop the partition past retention: ${JSON.stringify(report)}`);
    }
    // Every flush that overlapped the drop, including one that started before it and waited on its lock.
    const aroundDrop = dropWriters.samples
      .filter((s) => s.startedAt < dropEnded && s.startedAt + s.ms > dropStarted)
      .map((s) => s.ms);

    const cleanupMs = cleanupEnded - cleanupStarted;
    const quietP50 = percentile(quiet, 50);
    const duringP50 = percentile(during, 50);
    return {
      partitionDropMs: round(dropEnded - dropStarted),
      droppedPartitionRows,
      rowDeleteBaselineMs: round(rowDeleteBaselineMs),
      rowDeleteBaselineWalBytes,
      insertLatencyDuringDropMaxMs: round(Math.max(0, ...aroundDrop)),
      cleanupMillionRowsMs: round(cleanupMs),
      rowsDeleted,
      cleanupRowsPerSecond: Math.round(rowsDeleted / (cleanupMs / 1000)),
      insertLatencyQuietP50Ms: round(quietP50),
      insertLatencyQuietP99Ms: round(percentile(quiet, 99)),
      insertLatencyDuringCleanupP50Ms: round(duringP50),
      insertLatencyDuringCleanupP99Ms: round(percentile(during, 99)),
      insertLatencyDuringCleanupMaxMs: round(Math.max(0, ...during)),
      insertSlowdownP50: round(duringP50 / quietP50),
      flushesDuringCleanup: during.length,
      seedMs: Math.round(seedMs),
    };
  } finally {
    await handle.close().catch(() => undefined);
    await adminQuery(databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const figures = await benchHistoryCleanup({
    databaseUrl,
    onProgress: (message) => console.warn(`[history-cleanup] ${message}`),
  });
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
