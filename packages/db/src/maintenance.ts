import type { Logger } from '@better-uptime/config';
import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from './client.js';
import { sqlState } from './errors.js';
import {
  createDayPartition,
  DAY_MS,
  DEFAULT_PARTITION,
  deleteBatchFromPartition,
  dropPartition,
  listResultPartitions,
  type ResultPartition,
  startOfUtcDay,
} from './partitions.js';
import {
  deleteRollupsBefore,
  firstResultHour,
  HOUR_MS,
  type MaintenanceInterval,
  rollHours,
  rolledTo,
  setRolledTo,
} from './rollups.js';

export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_ROLLUP_RETENTION_DAYS = 400;
/**
 * Each run rolls the hours since the last one again from this many hours before it, so results that
 * arrive late (reclaimed work, a worker that waited out a database outage) are counted in their hour.
 */
export const DEFAULT_REROLL_HOURS = 6;
/** Hours rolled per transaction: a first roll over a long history goes a day at a time. */
const ROLL_CHUNK_MS = 24 * HOUR_MS;
/**
 * Rolls reach up to this long before now: a check's result lands within its timeout (at most a minute) of its
 * slot, so the rows before it are nearly all there. The few later ones are counted by the next hourly reroll.
 */
export const ROLL_SETTLE_MS = 2 * 60_000;

/**
 * The stretches of planned maintenance of every monitor that overlap [fromMs, toMs). Given by the caller: the
 * windows' rules live in packages/incidents, which depends on this package.
 */
export type MaintenanceIntervalsOf = (fromMs: number, toMs: number) => Promise<MaintenanceInterval[]>;
const NO_MAINTENANCE: MaintenanceIntervalsOf = async () => [];

/**
 * Sessions that expired or were revoked more than this long ago are deleted. Kept a while after they end
 * so that "signed out" and "expired" stay distinguishable in the table for a day of troubleshooting; the
 * API rejects them either way.
 */
export const ENDED_SESSION_GRACE_MS = 86_400_000;

/**
 * The transaction-level advisory lock every maintenance step takes, with pg_try_: a runner that finds it
 * taken steps aside at once instead of queueing behind another producer. The two-key form keeps it apart
 * from the per-partition locks (hashtext of the name, one key) and from the migration lock.
 */
const MAINTENANCE_LOCK = sql`727274101, 2`;

const LOCK_NOT_AVAILABLE = '55P03';

export interface MaintenanceOptions {
  /** Results scheduled before now minus this many days are removed; at least 1. */
  retentionDays: number;
  /** Hourly and daily rollups starting before now minus this many days are removed (default 400). */
  rollupRetentionDays?: number;
  /** Closed hours rolled again at each run, for late results (default 6). */
  rerollHours?: number;
  /** Where the rolls learn which checks fell in planned maintenance; without it (some tests), none did. */
  maintenanceIntervals?: MaintenanceIntervalsOf;
  now?: number;
  /** Daily partitions are made this many days ahead of today (default 3), and for yesterday. */
  daysAhead?: number;
  /** Rows per statement when deleting old rows from the default partition (default 10,000). */
  batchSize?: number;
  /** How long a partition drop may wait for its table lock before it is put off to the next run (default 1 s). */
  lockTimeoutMs?: number;
  logger?: Logger;
}

export interface MaintenanceReport {
  /** True when another runner held the maintenance lock, so this one stopped where it found it taken. */
  skipped: boolean;
  created: string[];
  dropped: string[];
  /** Partitions past retention whose drop could not get the table lock in time; retried at the next run. */
  deferred: string[];
  /** Hourly rollup rows written (new or rolled again, the hour in progress included). */
  hoursRolled: number;
  /** Rollup rows deleted because they start before ROLLUP_RETENTION_DAYS. */
  rollupsPurged: number;
  /** Rows moved out of the default partition into partitions created for their day. */
  movedFromDefault: number;
  /** Rows past retention deleted from the default partition. */
  deletedFromDefault: number;
  /** Sessions deleted because they expired or were revoked more than a day ago. */
  sessionsPurged: number;
  /** Outbox events deleted because they are older than the retention. */
  eventsPurged: number;
}

class MaintenanceBusy extends Error {}

/** Runs one step in its own transaction under the maintenance lock; throws MaintenanceBusy when it is taken. */
async function underMaintenanceLock<T>(db: Database, step: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (transaction) => {
    const tx = transaction as unknown as Database;
    const [lock] = await queryRows<{ locked: boolean }>(
      tx,
      sql`SELECT pg_try_advisory_xact_lock(${MAINTENANCE_LOCK}) AS locked`,
    );
    if (!lock?.locked) throw new MaintenanceBusy();
    return step(tx);
  });
}

/** Deletes up to `limit` rows of `table` matching `where`; returns how many. */
async function purgeBatch(
  tx: Database,
  table: 'sessions' | 'events',
  where: SQL,
  limit: number,
): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`WITH gone AS (
          DELETE FROM ${sql.identifier(table)} WHERE id IN (
            SELECT id FROM ${sql.identifier(table)} WHERE ${where} LIMIT ${limit}
          ) RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
  );
  return Number(row?.n ?? 0);
}

/** Deletes every row of `table` matching `where`, a batch per transaction under the maintenance lock. */
async function purgeAll(
  db: Database,
  table: 'sessions' | 'events',
  where: SQL,
  batchSize: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const purged = await underMaintenanceLock(db, (tx) => purgeBatch(tx, table, where, batchSize));
    total += purged;
    if (purged < batchSize) return total;
  }
}

/**
 * Rolls the results from the hour `from` falls in up to `horizon` into hourly and daily rollups, a day per
 * transaction, each advancing the roll horizon. Stretches without results are skipped, so a stray result
 * years back costs one query, not a day's roll per year.
 */
async function rollUpTo(
  db: Database,
  from: number,
  horizon: number,
  maintenanceIntervals: MaintenanceIntervalsOf,
): Promise<number> {
  let start = Math.floor(Math.min(from, horizon) / HOUR_MS) * HOUR_MS;
  let written = 0;
  for (;;) {
    const firstResult = (await firstResultHour(db, start)) ?? horizon;
    start = Math.min(Math.max(start, firstResult), Math.floor(horizon / HOUR_MS) * HOUR_MS);
    const end = Math.min(start + ROLL_CHUNK_MS, horizon);
    // Asked before the lock's transaction (on PGlite that holds the only connection), with an hour to spare
    // for a horizon another runner may have reached; intervals beyond the rolled range match nothing.
    const maintenance = await maintenanceIntervals(start, end + ROLL_SETTLE_MS + HOUR_MS);
    written += await underMaintenanceLock(db, async (tx) => {
      // Never short of the horizon another runner (with a clock ahead) reached: the row of the hour it falls
      // in must hold every result before it.
      const reached = end >= horizon ? Math.max(end, (await rolledTo(tx)) ?? end) : end;
      const rows = await rollHours(tx, start, reached, maintenance);
      await setRolledTo(tx, reached);
      return rows;
    });
    if (end >= horizon) return written;
    start = end;
  }
}

/**
 * Rolls every result since the last run (from `rerollHours` before it, for late results; from the first
 * result on the first run) up to ROLL_SETTLE_MS before now.
 */
async function rollSinceLastRun(
  db: Database,
  now: number,
  rerollHours: number,
  maintenanceIntervals: MaintenanceIntervalsOf,
): Promise<number> {
  const rolled = await rolledTo(db);
  const from = rolled === null ? 0 : rolled - rerollHours * HOUR_MS;
  return rollUpTo(db, from, now - ROLL_SETTLE_MS, maintenanceIntervals);
}

/**
 * Rolls the hour in progress again, up to ROLL_SETTLE_MS before now, so that reads of long windows take only
 * the last few minutes from the raw results. Cheap (at most the hours since the last roll), so the producer
 * runs it every few minutes between the hourly maintenance runs. Does nothing before the first maintenance
 * run and when another runner holds the maintenance lock; returns the hourly rows written.
 */
export async function rollRecent(
  db: Database,
  { now = Date.now(), maintenanceIntervals }: { now?: number; maintenanceIntervals: MaintenanceIntervalsOf },
): Promise<number> {
  const rolled = await rolledTo(db);
  if (rolled === null || rolled >= now - ROLL_SETTLE_MS) return 0;
  try {
    return await rollUpTo(db, rolled, now - ROLL_SETTLE_MS, maintenanceIntervals);
  } catch (error) {
    if (error instanceof MaintenanceBusy) return 0;
    throw error;
  }
}

function covers(partition: ResultPartition, dayStartMs: number): boolean {
  return (
    (partition.fromMs === null || partition.fromMs <= dayStartMs) &&
    (partition.toMs === null || partition.toMs >= dayStartMs + DAY_MS) &&
    partition.name !== DEFAULT_PARTITION
  );
}

/**
 * Keeps check_results in shape: daily partitions made for yesterday up to `daysAhead` days ahead, results
 * rolled up (before any drop) and rollups past `rollupRetentionDays` deleted, whole
 * partitions dropped once every row in them is older than `retentionDays` (now − retention ≥ their upper
 * bound), rows past retention deleted from the default partition in bounded batches, sessions deleted
 * a day after they expired or were revoked, and events older than the retention deleted. Today's and later
 * partitions are never dropped. Each step is a short transaction of its own under one advisory lock, so
 * several producers can run this at once: whoever finds the lock taken stops and leaves the rest to the
 * holder (every step re-checks the catalog, so an interleaving is harmless too).
 */
export async function runMaintenance(db: Database, options: MaintenanceOptions): Promise<MaintenanceReport> {
  const {
    retentionDays,
    now = Date.now(),
    daysAhead = 3,
    batchSize = 10_000,
    lockTimeoutMs = 1_000,
    rollupRetentionDays = DEFAULT_ROLLUP_RETENTION_DAYS,
    rerollHours = DEFAULT_REROLL_HOURS,
    maintenanceIntervals = NO_MAINTENANCE,
  } = options;
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`retentionDays must be a whole number of days, at least 1 (got ${retentionDays})`);
  }
  if (!Number.isInteger(rollupRetentionDays) || rollupRetentionDays < 1) {
    throw new RangeError(
      `rollupRetentionDays must be a whole number of days, at least 1 (got ${rollupRetentionDays})`,
    );
  }
  const report: MaintenanceReport = {
    skipped: false,
    created: [],
    dropped: [],
    deferred: [],
    hoursRolled: 0,
    rollupsPurged: 0,
    movedFromDefault: 0,
    deletedFromDefault: 0,
    sessionsPurged: 0,
    eventsPurged: 0,
  };
  const today = startOfUtcDay(now);
  // Never later than the start of today, so the partition being written is never a candidate.
  const cutoffMs = Math.min(now - retentionDays * DAY_MS, today);
  const log = options.logger;
  try {
    const partitions = await listResultPartitions(db);

    for (let day = today - DAY_MS; day <= today + daysAhead * DAY_MS; day += DAY_MS) {
      if (day + DAY_MS <= cutoffMs || partitions.some((p) => covers(p, day))) continue;
      const made = await underMaintenanceLock(db, (tx) => createDayPartition(tx, day));
      if (!made) continue;
      report.created.push(made.name);
      report.movedFromDefault += made.movedFromDefault;
      log?.info(
        { partition: made.name, movedFromDefault: made.movedFromDefault },
        'result partition created',
      );
    }

    // Before any drop, so raw results past retention are rolled up before they go.
    report.hoursRolled = await rollSinceLastRun(db, now, rerollHours, maintenanceIntervals);
    if (report.hoursRolled > 0) log?.debug({ rows: report.hoursRolled }, 'hourly rollups written');

    for (const partition of partitions) {
      if (partition.toMs === null || partition.toMs > cutoffMs) continue;
      let dropped: boolean;
      try {
        dropped = await underMaintenanceLock(db, (tx) => dropPartition(tx, partition.name, lockTimeoutMs));
      } catch (error) {
        if (sqlState(error) !== LOCK_NOT_AVAILABLE) throw error;
        report.deferred.push(partition.name);
        log?.warn(
          { partition: partition.name, lockTimeoutMs },
          'result partition past retention not dropped: the table stayed busy; retrying at the next run',
        );
        continue;
      }
      if (!dropped) continue; // another runner dropped it first
      report.dropped.push(partition.name);
      log?.info(
        { partition: partition.name, retentionDays, upTo: new Date(partition.toMs).toISOString() },
        'result partition past retention dropped',
      );
    }

    const pastRetention = sql`scheduled_at < ${new Date(cutoffMs).toISOString()}::timestamptz`;
    for (;;) {
      const deleted = await underMaintenanceLock(db, (tx) =>
        deleteBatchFromPartition(tx, DEFAULT_PARTITION, pastRetention, batchSize),
      );
      report.deletedFromDefault += deleted;
      if (deleted < batchSize) break;
    }
    if (report.deletedFromDefault > 0) {
      log?.info(
        { partition: DEFAULT_PARTITION, deleted: report.deletedFromDefault, retentionDays },
        'results past retention deleted from the default partition',
      );
    }

    const rollupCutoff = now - rollupRetentionDays * DAY_MS;
    for (;;) {
      const purged = await underMaintenanceLock(db, (tx) => deleteRollupsBefore(tx, rollupCutoff, batchSize));
      report.rollupsPurged += purged;
      if (purged < batchSize) break;
    }
    if (report.rollupsPurged > 0) {
      log?.info({ purged: report.rollupsPurged, rollupRetentionDays }, 'rollups past retention deleted');
    }

    const ended = sql`${new Date(now - ENDED_SESSION_GRACE_MS).toISOString()}::timestamptz`;
    report.sessionsPurged = await purgeAll(
      db,
      'sessions',
      sql`expires_at < ${ended} OR revoked_at < ${ended}`,
      batchSize,
    );
    if (report.sessionsPurged > 0) {
      log?.info({ purged: report.sessionsPurged }, 'ended sessions deleted');
    }
    // Events (incident opened, resolved, ...) are kept as long as the results that caused them.
    const eventCutoff = sql`${new Date(now - retentionDays * DAY_MS).toISOString()}::timestamptz`;
    report.eventsPurged = await purgeAll(db, 'events', sql`created_at < ${eventCutoff}`, batchSize);
    if (report.eventsPurged > 0) {
      log?.info({ purged: report.eventsPurged, retentionDays }, 'events past retention deleted');
    }
  } catch (error) {
    if (!(error instanceof MaintenanceBusy)) throw error;
    report.skipped = true;
    log?.debug('result maintenance skipped: another process holds the maintenance lock');
  }
  return report;
}
