import { and, asc, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { apiKeys, monitors, sessions, users, type UserRow } from '../schema.js';
import { lockMonitorStates } from './incidents.js';
import { deleteResultsOf } from './results.js';

export interface NewUser {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
}

/**
 * Inserts a user, or returns null when the email is taken. Uniqueness is the database's job (the unique
 * index on lower(email)), so two concurrent signups with one address can never both succeed, and the
 * loser gets null rather than an exception.
 */
export async function insertUser(db: Database, user: NewUser): Promise<UserRow | null> {
  const [row] = await db.insert(users).values(user).onConflictDoNothing().returning();
  return row ?? null;
}

/**
 * Inserts the first user, or returns 'not-first' when any user exists. Serialised by a transaction-level
 * advisory lock, so of concurrent first signups exactly one wins (PGlite has a single connection anyway).
 */
export async function insertFirstUser(db: Database, user: NewUser): Promise<UserRow | 'not-first' | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('better-uptime:first-user'))`);
    const [existing] = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing) return 'not-first' as const;
    const [row] = await tx.insert(users).values(user).onConflictDoNothing().returning();
    return row ?? null;
  });
}

/** Whether any account exists (the first-user sign-up policy). */
export async function anyUser(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

/** The first account of the instance (an administrator), or null when there is none. */
export async function firstUserId(db: Database): Promise<string | null> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(1);
  return row?.id ?? null;
}

/** Case-insensitive, matching the unique index (so it is an index lookup). */
export async function findUserByEmail(db: Database, email: string): Promise<UserRow | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1);
  return row ?? null;
}

export async function findUserById(db: Database, id: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

export interface TotpState {
  /** The sealed seed: pending while enabledAt is null. */
  secret: string | null;
  enabledAt: Date | null;
  lastStep: number | null;
  recoveryCodesLeft: number;
}

export async function totpStateOf(db: Database, userId: string): Promise<TotpState | null> {
  const [row] = await db
    .select({
      secret: users.totpSecret,
      enabledAt: users.totpEnabledAt,
      lastStep: users.totpLastStep,
      recoveryCodesLeft: sql<number>`cardinality(${users.totpRecoveryHashes})::int`,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row ?? null;
}

/** Every stored TOTP seed (sealed), pending or on, after `afterId` in id order: for re-sealing at start. */
export async function storedTotpSeeds(
  db: Database,
  options: { afterId?: string; limit: number },
): Promise<{ id: string; secret: string }[]> {
  const rows = await db
    .select({ id: users.id, secret: users.totpSecret })
    .from(users)
    .where(
      and(isNotNull(users.totpSecret), options.afterId ? sql`${users.id} > ${options.afterId}` : undefined),
    )
    .orderBy(users.id)
    .limit(options.limit);
  return rows.map((row) => ({ id: row.id, secret: row.secret! }));
}

/** Replaces a stored seed with the same seed sealed anew, if it is still the one read. */
export async function replaceTotpSeed(
  db: Database,
  userId: string,
  before: string,
  after: string,
): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpSecret: after })
    .where(and(eq(users.id, userId), eq(users.totpSecret, before)))
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Keeps a new pending seed; false when two-factor authentication is already on. */
export async function setPendingTotp(db: Database, userId: string, sealedSecret: string): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpSecret: sealedSecret, totpLastStep: null })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Turns the pending seed on, with the step of the code that proved it and the recovery codes' hashes. */
export async function enableTotp(
  db: Database,
  {
    userId,
    step,
    recoveryHashes,
    now,
  }: { userId: string; step: number; recoveryHashes: string[]; now: Date },
): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpEnabledAt: now, totpLastStep: step, totpRecoveryHashes: recoveryHashes, updatedAt: now })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt), isNotNull(users.totpSecret)))
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Records that the code of `step` was used; false when that step (or a later one) already was. */
export async function useTotpStep(db: Database, userId: string, step: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpLastStep: step })
    .where(
      and(
        eq(users.id, userId),
        isNotNull(users.totpEnabledAt),
        or(isNull(users.totpLastStep), lt(users.totpLastStep, step)),
      ),
    )
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Spends one recovery code; false when it is not (or no longer) one of the user's. */
export async function useRecoveryCode(db: Database, userId: string, codeHash: string): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpRecoveryHashes: sql`array_remove(${users.totpRecoveryHashes}, ${codeHash})` })
    .where(and(eq(users.id, userId), sql`${codeHash} = ANY(${users.totpRecoveryHashes})`))
    .returning({ id: users.id });
  return rows.length > 0;
}

export async function disableTotp(db: Database, userId: string, now: Date): Promise<void> {
  await db
    .update(users)
    .set({
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
      totpRecoveryHashes: [],
      updatedAt: now,
    })
    .where(eq(users.id, userId));
}

/**
 * Deletes a user and everything the account owns; false when there is no such user. First, in one
 * transaction, every session is revoked, every API key deleted and every monitor paused, so the account
 * stops working and its monitors stop being scheduled at once. Then its results go in bounded batches
 * (deleteResultsOf), as for a monitor. Last, one transaction locks the monitors' state rows (every state
 * writer, the workers' result flush included, takes that lock first, so this waits its turn and never
 * deadlocks), then the user, and deletes the user, whose ON DELETE CASCADE takes the monitors, the
 * results stored meanwhile, states, incidents, events, maintenance windows, sessions and keys with it.
 */
export async function deleteAccount(db: Database, userId: string, now: Date): Promise<boolean> {
  const found = await db.transaction(async (tx) => {
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.id, userId))
      .for('update')
      .limit(1);
    if (!user) return false;
    await tx
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
    await tx.delete(apiKeys).where(eq(apiKeys.userId, userId));
    await tx.update(monitors).set({ paused: true }).where(eq(monitors.userId, userId));
    return true;
  });
  if (!found) return false;
  await deleteResultsOf(db, { userId });
  for (let attempt = 1; ; attempt++) {
    const outcome = await db.transaction(async (tx) => {
      const t = tx as unknown as Database;
      const ownedIds = async () =>
        (await tx.select({ id: monitors.id }).from(monitors).where(eq(monitors.userId, userId)))
          .map((m) => m.id)
          .sort();
      const owned = await ownedIds();
      await lockMonitorStates(t, owned);
      // Locking the user blocks new monitors (their insert takes a key-share lock on it); one made in the
      // instant before means its state row is not locked yet: start again rather than lock out of order.
      await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
      if ((await ownedIds()).join() !== owned.join()) return 'retry' as const;
      const deleted = await tx.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
      return deleted.length > 0;
    });
    if (outcome !== 'retry') return outcome;
    if (attempt === 5)
      throw new Error('deleteAccount: the account kept gaining monitors while being deleted');
  }
}
