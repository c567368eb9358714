import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { sessions, users, type UserRow } from '../schema.js';
import { isoText } from './results.js';

export interface NewSession {
  id: string;
  userId: string;
  expiresAt: Date;
  userAgent?: string | null;
}

export async function createSession(db: Database, session: NewSession): Promise<void> {
  await db.insert(sessions).values(session);
}

/**
 * The signed-in user as a request needs it: the public fields (never the password hash), timestamps as
 * ISO 8601 text (UTC, milliseconds, as `toISOString()` gives).
 */
export type SessionUser = Pick<UserRow, 'id' | 'email' | 'name'> & {
  createdAt: string;
  updatedAt: string;
};

/**
 * The user behind a session, when the session exists, belongs to that user, is not revoked and has not
 * expired at `now`. One indexed join per authenticated request, as plain SQL (it runs for every request,
 * so it skips the query builder's per-column mapping); a deleted user takes its sessions with it
 * (ON DELETE CASCADE), so its tokens stop working too.
 */
export async function findSessionUser(
  db: Database,
  { sessionId, userId, now }: { sessionId: string; userId: string; now: Date },
): Promise<SessionUser | null> {
  const [row] = await queryRows<SessionUser>(
    db,
    sql`SELECT users.id, users.email, users.name, ${isoText(users.createdAt)} AS "createdAt",
          ${isoText(users.updatedAt)} AS "updatedAt"
        FROM sessions JOIN users ON users.id = sessions.user_id
        WHERE sessions.id = ${sessionId} AND sessions.user_id = ${userId} AND sessions.revoked_at IS NULL
          AND sessions.expires_at > ${now.toISOString()}::timestamptz
        LIMIT 1`,
    { prepared: true },
  );
  return row ?? null;
}

/** Marks the session revoked; returns false when it was unknown or already revoked. */
export async function revokeSession(db: Database, sessionId: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

export interface ActiveSession {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  userAgent: string | null;
}

/** A user's sessions that still work (not revoked, not expired), newest first. */
export function listActiveSessions(db: Database, userId: string, now: Date): Promise<ActiveSession[]> {
  return db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
}

/** Revokes one of the user's live sessions; false when it is not theirs, unknown, or already ended. */
export async function revokeUserSession(
  db: Database,
  userId: string,
  sessionId: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
      ),
    )
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/**
 * Sets a new password hash and revokes every other session of the user, in one transaction: a session
 * an attacker opened with the old password ends with it. Returns how many sessions were revoked.
 */
export async function changePassword(
  db: Database,
  {
    userId,
    passwordHash,
    keepSessionId,
    now,
  }: { userId: string; passwordHash: string; keepSessionId: string; now: Date },
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId));
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    return revoked.length;
  });
}

/** The stored password hash of a user, for re-authentication (never leaves the server). */
export async function passwordHashOf(db: Database, userId: string): Promise<string | null> {
  const [row] = await db
    .select({ hash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row?.hash ?? null;
}
