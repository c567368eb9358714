import { and, eq, isNull, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { sessions, users, type UserRow } from '../schema.js';
import { isoText } from './results.js';

export interface NewSession {
  id: string;
  userId: string;
  expiresAt: Date;
}

export async function createSession(db: Database, session: NewSession): Promise<void> {
  await db.insert(sessions).values(session);
}

/**
 * The signed-in user as a request needs it: the public fields (never the password hash), timestamps as
 * ISO 8601 text (UTC, milliseconds, as `toISOString()` gives).
 */
export type SessionUser = Omit<UserRow, 'passwordHash' | 'createdAt' | 'updatedAt'> & {
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
