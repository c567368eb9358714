import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../client.js';
import { sessions, users, type UserRow } from '../schema.js';

export interface NewSession {
  id: string;
  userId: string;
  expiresAt: Date;
}

export async function createSession(db: Database, session: NewSession): Promise<void> {
  await db.insert(sessions).values(session);
}

/**
 * The user behind a session, when the session exists, belongs to that user, is not revoked and has not
 * expired at `now`. One indexed join per authenticated request; a deleted user takes its sessions with it
 * (ON DELETE CASCADE), so its tokens stop working too.
 */
export async function findSessionUser(
  db: Database,
  { sessionId, userId, now }: { sessionId: string; userId: string; now: Date },
): Promise<UserRow | null> {
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
      ),
    )
    .limit(1);
  return row?.user ?? null;
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
