import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { newId } from '../ids.js';
import type { MonitorCheckSettings } from '../schema.js';
import { lockMonitorStates } from './incidents.js';

/** A monitor due for a check, with the slot it is due for and everything a check needs. */
export type DueMonitor = MonitorCheckSettings & {
  id: string;
  userId: string;
  /** The slot to publish, epoch ms. */
  slotAt: number;
  /** A region is failing or an incident is open: the next slot comes after the retry interval. */
  retrying: boolean;
  retryIntervalSeconds: number;
};

interface DueRow {
  id: string;
  user_id: string;
  kind: string;
  settings: Record<string, unknown>;
  interval_seconds: number;
  timeout_ms: number;
  regions: string[];
  next_check_at: string | Date;
  retrying: boolean | null;
  retry_interval_seconds: number;
}

/**
 * Claims up to `limit` unpaused monitors whose next slot falls before `horizon`, advances their
 * next_check_at past that slot and commits, and only then hands them to `publish`. Rows are locked
 * FOR NO KEY UPDATE SKIP LOCKED while claimed, so concurrent schedulers claim disjoint monitors and never
 * publish a slot twice; the locks are released before `publish`, so a slow or unreachable queue never
 * holds up the API's edits of those monitors. If `publish` fails, the claimed slots are put back (where
 * nobody has rescheduled the monitor meanwhile) and stay due.
 *
 * The claiming transaction also writes the claimed slots to `scheduler_claims`, deleted once they are
 * published. A scheduler that dies between its claim and its publish leaves its row behind, and
 * `republishAbandonedClaims` (any scheduler, a few seconds later) publishes those slots: none is lost. A
 * scheduler that dies after publishing but before deleting its row makes that slot published twice; the
 * result's key (monitor, region, slot) keeps it one result.
 *
 * When a monitor is more than one step behind (the scheduler was down), the missed slots are skipped:
 * only the latest slot before the horizon is published. A step is the interval, or the retry interval
 * while the monitor is retrying; `nextSlot` says when the slot after a published one is. FOR NO KEY
 * UPDATE does not conflict with the key-share locks of results being inserted for these monitors.
 * Monitors of `unpublishedKinds` are left alone. Returns the number of monitors claimed.
 */
export async function claimDueMonitors(
  db: Database,
  horizon: number,
  limit: number,
  publish: (due: DueMonitor[]) => Promise<void>,
  nextSlot: (due: DueMonitor) => number = (due) => due.slotAt + due.intervalSeconds * 1000,
  /** Kinds no worker checks (push kinds: the producer judges them with claimDueHeartbeats). */
  unpublishedKinds: readonly string[] = [],
): Promise<number> {
  const claim = await claimSlots(db, horizon, limit, nextSlot, unpublishedKinds);
  if (claim.slots.length === 0) return 0;
  try {
    await publish(claim.slots.map(({ due }) => due));
  } catch (error) {
    // If the database is gone too, the claim stays and is published again once it answers.
    await unclaimSlots(db, claim).catch(() => undefined);
    throw error;
  }
  // Left behind (the database just went away), the claim is published again later: a duplicate task,
  // never a lost slot.
  await deleteClaim(db, claim.id).catch(() => undefined);
  return claim.slots.length;
}

/**
 * Publishes the slots of claims whose scheduler died before publishing them: claims older than
 * `abandonedAfterMs` (by the database's clock) are leased anew, their monitors read as they are now
 * (paused or deleted ones are left out), published with the slots claimed, and deleted. Returns the
 * number of slots published.
 */
export async function republishAbandonedClaims(
  db: Database,
  abandonedAfterMs: number,
  publish: (due: DueMonitor[]) => Promise<void>,
  limit = 20,
): Promise<number> {
  // One statement: leasing a claim moves its time, so a scheduler dying now leaves it to the next one.
  const claims = await queryRows<{ id: string; slots: Array<[string, number]> }>(
    db,
    sql`UPDATE scheduler_claims SET claimed_at = now()
        WHERE id IN (SELECT id FROM scheduler_claims
                     WHERE claimed_at < now() - make_interval(secs => ${abandonedAfterMs / 1000})
                     ORDER BY claimed_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, slots`,
  );
  let published = 0;
  for (const claim of claims) {
    const slotOf = new Map(claim.slots);
    const rows = await queryRows<DueRow>(
      db,
      sql`SELECT ${DUE_COLUMNS} FROM monitors m
          WHERE m.id = ANY(${sql.param([...slotOf.keys()])}::uuid[]) AND NOT m.paused`,
    );
    const due = rows.map((row) => dueOf(row, slotOf.get(row.id)!));
    if (due.length > 0) await publish(due);
    await deleteClaim(db, claim.id);
    published += due.length;
  }
  return published;
}

/** What a claim needs of a monitor, as `m`. */
const DUE_COLUMNS = sql.raw(`m.id, m.user_id, m.kind, m.settings, m.interval_seconds, m.timeout_ms, m.regions,
                 m.next_check_at, m.retry_interval_seconds,
                 (SELECT s.retrying FROM monitor_states s WHERE s.monitor_id = m.id) AS retrying`);

function dueOf(row: DueRow, slotAt: number): DueMonitor {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    settings: row.settings,
    intervalSeconds: row.interval_seconds,
    timeoutMs: row.timeout_ms,
    regions: row.regions,
    slotAt,
    retrying: row.retrying === true,
    retryIntervalSeconds: row.retry_interval_seconds,
  };
}

async function deleteClaim(db: Database, id: string): Promise<void> {
  await db.execute(sql`DELETE FROM scheduler_claims WHERE id = ${id}`);
}

interface ClaimedSlot {
  due: DueMonitor;
  /** The next_check_at the claim wrote. */
  advancedTo: Date;
}

interface Claim {
  id: string;
  slots: ClaimedSlot[];
}

/** The claiming transaction: lock due rows, advance them, record the claim, commit. */
function claimSlots(
  db: Database,
  horizon: number,
  limit: number,
  nextSlot: (due: DueMonitor) => number,
  unpublishedKinds: readonly string[],
): Promise<Claim> {
  const id = newId();
  return db.transaction(async (tx) => {
    const rows = await queryRows<DueRow>(
      tx as unknown as Database,
      sql`SELECT ${DUE_COLUMNS}
          FROM monitors m
          WHERE NOT m.paused AND m.next_check_at <= ${new Date(horizon).toISOString()}::timestamptz
            AND m.kind <> ALL(${sql.param([...unpublishedKinds])}::text[])
          ORDER BY m.next_check_at
          LIMIT ${limit}
          FOR NO KEY UPDATE OF m SKIP LOCKED`,
    );
    if (rows.length === 0) return { id, slots: [] };
    const due = rows.map((row) => dueOf(row, latestSlot(row, horizon)));
    const slots = due.map((d) => ({ due: d, advancedTo: new Date(nextSlot(d)) }));
    await advanceSchedule(tx as unknown as Database, slots);
    const recorded = JSON.stringify(slots.map(({ due }) => [due.id, due.slotAt]));
    await tx.execute(sql`INSERT INTO scheduler_claims (id, slots) VALUES (${id}, ${recorded}::jsonb)`);
    return { id, slots };
  });
}

/**
 * The latest slot of a due row at or before `horizon`: its next_check_at, or, when the monitor is more
 * than a step behind (the scheduler was down), the last step before the horizon (missed slots are skipped).
 */
function latestSlot(row: DueRow, horizon: number): number {
  const stepMs = (row.retrying === true ? row.retry_interval_seconds : row.interval_seconds) * 1000;
  const next = new Date(row.next_check_at).getTime();
  return next + Math.max(0, Math.floor((horizon - next) / stepMs)) * stepMs;
}

async function advanceSchedule(tx: Database, slots: readonly ClaimedSlot[]): Promise<void> {
  if (slots.length === 0) return;
  await tx.execute(sql`UPDATE monitors AS m SET next_check_at = v.next_check_at
    FROM unnest(${sql.param(slots.map((c) => c.due.id))}::uuid[],
                ${sql.param(slots.map((c) => c.advancedTo.toISOString()))}::timestamptz[])
      AS v(id, next_check_at)
    WHERE m.id = v.id`);
}

/** A due heartbeat (push) monitor with what its slot is judged from. */
export type DueHeartbeat = DueMonitor & {
  /** Since when pushes are expected, epoch ms. */
  armedAt: number;
  lastPush: { at: number; status: string; message: string | null } | null;
};

/**
 * Inside the caller's transaction: claims up to `limit` unpaused monitors of the push `kinds` whose next slot
 * is at or before `now` (missed slots skipped, as for published ones), with their newest push, and advances
 * their next_check_at by `nextSlot`. Their state rows are locked first (id order, as every state writer
 * does), then their rows; the caller stores the slots' results in the same transaction, so a slot is judged
 * exactly once: a concurrent producer waits for the state locks and then finds the slots gone, and a
 * producer that dies mid-way rolls the whole judgement back, leaving the slots due.
 */
export async function claimDueHeartbeats(
  tx: Database,
  now: number,
  limit: number,
  kinds: readonly string[],
  nextSlot: (due: DueMonitor) => number,
): Promise<DueHeartbeat[]> {
  const dueBy = sql`m.kind = ANY(${sql.param([...kinds])}::text[]) AND NOT m.paused
    AND m.next_check_at <= ${new Date(now).toISOString()}::timestamptz`;
  const candidates = await queryRows<{ id: string }>(
    tx,
    sql`SELECT m.id FROM monitors m JOIN heartbeats h ON h.monitor_id = m.id
        WHERE ${dueBy} ORDER BY m.next_check_at LIMIT ${limit}`,
  );
  if (candidates.length === 0) return [];
  const ids = candidates.map((c) => c.id);
  await lockMonitorStates(tx, ids);
  const rows = await queryRows<DueRow & HeartbeatColumns>(
    tx,
    sql`SELECT ${DUE_COLUMNS}, h.armed_at, h.last_push_at, h.last_status, h.last_message
        FROM monitors m JOIN heartbeats h ON h.monitor_id = m.id
        WHERE m.id = ANY(${sql.param(ids)}::uuid[]) AND ${dueBy}
        ORDER BY m.id
        FOR NO KEY UPDATE OF m`,
  );
  const due = rows.map((row): DueHeartbeat => ({
    ...dueOf(row, latestSlot(row, now)),
    armedAt: new Date(row.armed_at).getTime(),
    lastPush:
      row.last_push_at === null
        ? null
        : {
            at: new Date(row.last_push_at).getTime(),
            status: row.last_status ?? 'up',
            message: row.last_message,
          },
  }));
  await advanceSchedule(
    tx,
    due.map((d) => ({ due: d, advancedTo: new Date(nextSlot(d)) })),
  );
  return due;
}

interface HeartbeatColumns {
  armed_at: string | Date;
  last_push_at: string | Date | null;
  last_status: string | null;
  last_message: string | null;
}

/**
 * Puts claimed slots back, except on monitors rescheduled since the claim (an edit of the interval), and
 * drops the claim: they are due again, so nothing is to be republished.
 */
async function unclaimSlots(db: Database, claim: Claim): Promise<void> {
  const { slots } = claim;
  await db.transaction(async (tx) => {
    await tx.execute(sql`UPDATE monitors AS m SET next_check_at = v.slot_at
      FROM unnest(${sql.param(slots.map((c) => c.due.id))}::uuid[],
                  ${sql.param(slots.map((c) => c.advancedTo.toISOString()))}::timestamptz[],
                  ${sql.param(slots.map((c) => new Date(c.due.slotAt).toISOString()))}::timestamptz[])
        AS v(id, advanced_to, slot_at)
      WHERE m.id = v.id AND m.next_check_at = v.advanced_to`);
    await tx.execute(sql`DELETE FROM scheduler_claims WHERE id = ${claim.id}`);
  });
}
