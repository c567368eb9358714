/**
 * Load generation: the rows and messages a figure needs, made in bulk (one statement or one pipelined
 * round trip per few thousand) so that setting up a figure never takes longer than measuring it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { type Database, ensureResultPartitions, newId } from '@better-uptime/db';
import { monitorKind, withDefaults } from '@better-uptime/checker';
import { type CheckTask, RedisTaskQueue } from '@better-uptime/redis-stream';
import { nextSlotAfter } from '@better-uptime/scheduler';
import { channelSecretBox } from '@better-uptime/config';
import { notificationQueries } from '@better-uptime/db';
import { newChannelSecret, sealChannel } from '@better-uptime/notifications';
import { type BenchDatabase, REDIS_URL } from './services.js';
import { BENCH_SECRETS_KEY } from './system.js';

const INSERT_CHUNK = 5_000;

/** A user to own the monitors (its password hash is never checked: benchmarks sign in with a token). */
export async function insertBenchUser(pool: pg.Pool, email = 'bench@example.test'): Promise<string> {
  const id = newId();
  await pool.query(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Bench', 'unused')`, [
    id,
    email,
  ]);
  return id;
}

/** A remote probe of the region, as `POST /api/probes` makes one; returns its token. */
export async function insertBenchProbe(pool: pg.Pool, region: string): Promise<string> {
  const token = `bu_probe_${randomBytes(24).toString('base64url')}`;
  await pool.query(
    `INSERT INTO probes (id, name, region, token_hash, token_hint) VALUES ($1, 'bench', $2, $3, $4)`,
    [newId(), region, createHash('sha256').update(token).digest('hex'), token.slice(-4)],
  );
  return token;
}

export interface MonitorSpec {
  userId: string;
  count: number;
  /** The URL of the i-th monitor. */
  url(index: number): string;
  intervalSeconds: number;
  /** Regions to check from; empty: all. */
  regions?: string[];
  /**
   * When the first check is due. `slot`: the monitor's own next slot after `from`, as the API schedules a
   * new monitor (nextSlotAfter: spread over the interval by the monitor's phase); `never`: far in the
   * future (the producer ignores it).
   */
  firstCheck: { kind: 'slot'; from: number } | { kind: 'never' };
}

function firstCheckAt(id: string, spec: MonitorSpec): number {
  const { firstCheck } = spec;
  if (firstCheck.kind === 'never') return Date.now() + 365 * 86_400_000;
  return nextSlotAfter(id, spec.intervalSeconds, firstCheck.from);
}

/** Inserts monitors in bulk; returns their ids in order. */
export async function insertMonitors(pool: pg.Pool, spec: MonitorSpec): Promise<string[]> {
  const ids: string[] = [];
  const base = Date.now();
  for (let start = 0; start < spec.count; start += INSERT_CHUNK) {
    const size = Math.min(INSERT_CHUNK, spec.count - start);
    const chunkIds = Array.from({ length: size }, (_, i) => newId(base + start + i));
    const urls = chunkIds.map((_, i) => spec.url(start + i));
    const next = chunkIds.map((id) => new Date(firstCheckAt(id, spec)).toISOString());
    await pool.query(
      `INSERT INTO monitors (id, user_id, name, kind, settings, target, interval_seconds, timeout_ms, regions, next_check_at)
       SELECT id, $1, 'bench ' || ord, 'http', $7::jsonb || jsonb_build_object('url', url), url, $2, 30000,
              $3::text[], next_check_at
       FROM unnest($4::uuid[], $5::text[], $6::timestamptz[]) WITH ORDINALITY AS m(id, url, next_check_at, ord)`,
      [spec.userId, spec.intervalSeconds, spec.regions ?? [], chunkIds, urls, next, HTTP_DEFAULTS],
    );
    ids.push(...chunkIds);
  }
  return ids;
}

/** An http monitor's settings but its URL, as the API would store them. */
const HTTP_DEFAULTS = JSON.stringify(withDefaults(monitorKind('http')!, { url: '' }));

/** A check task as the producer would publish it. */
export function benchTask(
  monitorId: string,
  url: string,
  scheduledAt: number,
  intervalSeconds: number,
): CheckTask {
  return {
    monitorId,
    userId: 'bench',
    kind: 'http',
    settings: withDefaults(monitorKind('http')!, { url }),
    scheduledAt,
    intervalSeconds,
    timeoutMs: 30_000,
    regions: [],
  };
}

/**
 * Publishes a backlog of `count` tasks, all already due, cycling over the monitors; each has its own slot
 * (a distinct millisecond in the recent past), so every one makes a row. Uses the production queue's
 * publish (pipelined XADD), a few thousand per round trip.
 */
export async function publishBacklog(
  streamKey: string,
  monitors: ReadonlyArray<{ id: string; url: string }>,
  count: number,
  onProgress?: (published: number) => void,
): Promise<void> {
  const queue = new RedisTaskQueue({ url: REDIS_URL, streamKey });
  await queue.connect();
  // A one-hour interval: nothing in the backlog gets old enough to be shed while it waits.
  const intervalSeconds = 3_600;
  const newest = Date.now();
  try {
    for (let start = 0; start < count; start += INSERT_CHUNK) {
      const tasks: CheckTask[] = [];
      for (let i = start; i < Math.min(count, start + INSERT_CHUNK); i++) {
        const monitor = monitors[i % monitors.length]!;
        tasks.push(benchTask(monitor.id, monitor.url, newest - count + i, intervalSeconds));
      }
      await queue.publish(tasks);
      onProgress?.(Math.min(count, start + INSERT_CHUNK));
    }
  } finally {
    await queue.close();
  }
}

export interface HistorySpec {
  monitorIds: readonly string[];
  regions: readonly string[];
  intervalSeconds: number;
  /** Slots per monitor and region, the newest one interval before now. */
  slots: number;
  /** Called after each day of history is written, with the rows so far. */
  onProgress?: (rows: number) => void;
}

/**
 * Writes a long history of results server-side (INSERT ... SELECT generate_series), one statement per day
 * so progress shows, on two connections at once. Each monitor's slots sit on its own phase; 1 % of checks
 * are Down. Daily partitions are made for the whole range first, as the producer's maintenance would have.
 * Foreign-key triggers are skipped for the load (session_replication_role = replica): the monitors exist,
 * and the figures measure reads, not this load. Each region's state is then set from its newest slot.
 */
export async function seedHistory(pool: pg.Pool, db: Database, spec: HistorySpec): Promise<number> {
  const intervalMs = spec.intervalSeconds * 1000;
  const newest = Math.floor(Date.now() / intervalMs) * intervalMs - intervalMs;
  const oldest = newest - (spec.slots - 1) * intervalMs;
  const days = Math.ceil((newest - oldest) / 86_400_000) + 1;
  await ensureResultPartitions(db, { daysBehind: days + 1, daysAhead: 3 });
  const dayStarts: number[] = [];
  for (let day = Math.floor(oldest / 86_400_000) * 86_400_000; day <= newest; day += 86_400_000)
    dayStarts.push(day);
  let written = 0;
  const writeDay = async (dayStart: number) => {
    const client = await pool.connect();
    try {
      await client.query(`SET session_replication_role = replica`);
      const from = Math.max(oldest, Math.ceil((dayStart - oldest) / intervalMs) * intervalMs + oldest);
      const to = Math.min(newest, dayStart + 86_400_000 - 1);
      if (from > to) return;
      const result = await client.query(
        `INSERT INTO check_results (monitor_id, region, scheduled_at, checked_at, status, response_time_ms,
           status_code, reason, message, dns_ms, connect_ms, tls_ms, first_byte_ms)
         SELECT m.id, r.region, s.at + m.phase, s.at + m.phase + interval '4 ms',
                CASE WHEN d.down THEN 'Down'::check_status ELSE 'Up'::check_status END,
                40 + (random() * 160)::int,
                CASE WHEN d.down THEN 503 ELSE 200 END,
                CASE WHEN d.down THEN 'http_status' END,
                CASE WHEN d.down THEN 'status 503 is not one of the expected 200-299' END,
                1, 3 + (random() * 5)::int, 8 + (random() * 10)::int, 20 + (random() * 120)::int
         FROM unnest($1::uuid[]) WITH ORDINALITY AS m0(id, n)
         CROSS JOIN LATERAL (SELECT m0.id, (m0.n % 997) * interval '1 ms' AS phase) m
         CROSS JOIN unnest($2::text[]) AS r(region)
         CROSS JOIN generate_series($3::timestamptz, $4::timestamptz, $5::interval) AS s(at)
         CROSS JOIN LATERAL (SELECT random() < 0.01 AS down) d`,
        [spec.monitorIds, spec.regions, new Date(from), new Date(to), `${spec.intervalSeconds} seconds`],
      );
      written += result.rowCount ?? 0;
      spec.onProgress?.(written);
    } finally {
      await client.query(`SET session_replication_role = origin`).catch(() => undefined);
      client.release();
    }
  };
  // Two statements at once: two cores.
  const queue = [...dayStarts];
  await Promise.all(
    [0, 1].map(async () => {
      for (let day = queue.shift(); day !== undefined; day = queue.shift()) await writeDay(day);
    }),
  );
  // Each region's state at its newest slot, as the results transaction leaves it (the overview reads it).
  await pool.query(
    `INSERT INTO region_states (monitor_id, region, status, since, failures, successes, streak_started_at,
       last_slot_at, last_reason, last_status_code, last_message, last_response_ms)
     SELECT DISTINCT ON (c.monitor_id, c.region) c.monitor_id, c.region,
            CASE WHEN c.status = 'Up' THEN 'up' ELSE 'down' END, c.scheduled_at,
            (c.status = 'Down')::int, (c.status = 'Up')::int, c.scheduled_at, c.scheduled_at,
            c.reason, c.status_code, c.message, c.response_time_ms
     FROM check_results c
     WHERE c.monitor_id = ANY($1::uuid[]) AND c.scheduled_at >= $2::timestamptz
     ORDER BY c.monitor_id, c.region, c.scheduled_at DESC
     ON CONFLICT (monitor_id, region) DO UPDATE SET status = excluded.status, since = excluded.since,
       failures = excluded.failures, successes = excluded.successes, streak_started_at = excluded.streak_started_at,
       last_slot_at = excluded.last_slot_at, last_reason = excluded.last_reason,
       last_status_code = excluded.last_status_code, last_message = excluded.last_message,
       last_response_ms = excluded.last_response_ms`,
    [spec.monitorIds, new Date(newest)],
  );
  return written;
}

/**
 * Channels of a user, stored sealed as the API stores them (under the processes' SECRETS_KEY), each linked
 * to every one of the monitors; returns their ids.
 */
export async function insertLinkedChannels(
  db: BenchDatabase,
  userId: string,
  monitorIds: readonly string[],
  channels: ReadonlyArray<{ type: string; config: Record<string, unknown> }>,
): Promise<string[]> {
  const secrets = channelSecretBox([BENCH_SECRETS_KEY]);
  const ids: string[] = [];
  for (const { type, config } of channels) {
    const channel = { id: newId(), userId, type, name: type, config, secret: newChannelSecret() };
    const { id } = await notificationQueries.insertChannel(
      db.handle.db,
      sealChannel({ ...channel, isDefault: false }, secrets),
    );
    await db.pool.query(
      'INSERT INTO monitor_channels (monitor_id, channel_id) SELECT unnest($1::uuid[]), $2',
      [monitorIds, id],
    );
    ids.push(id);
  }
  return ids;
}
