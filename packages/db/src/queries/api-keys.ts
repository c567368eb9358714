import { and, count, desc, eq, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../client.js';
import { type ApiKeyRow, apiKeys, users } from '../schema.js';
import { isoText } from './results.js';
import type { SessionUser } from './sessions.js';

export type NewApiKey = Pick<
  ApiKeyRow,
  'id' | 'userId' | 'name' | 'scope' | 'prefix' | 'keyHash' | 'expiresAt'
>;

/** Most keys a user may hold; creating one more is refused. */
export const MAX_API_KEYS_PER_USER = 100;

/** Inserts the key, or returns null when the user already holds MAX_API_KEYS_PER_USER keys. */
export async function createApiKey(db: Database, key: NewApiKey): Promise<ApiKeyRow | null> {
  return db.transaction(async (tx) => {
    // Serialises one user's concurrent creations, so the cap holds.
    await tx.execute(sql`SELECT id FROM ${users} WHERE id = ${key.userId} FOR UPDATE`);
    const [held] = await tx.select({ n: count() }).from(apiKeys).where(eq(apiKeys.userId, key.userId));
    if ((held?.n ?? 0) >= MAX_API_KEYS_PER_USER) return null;
    const [row] = await tx.insert(apiKeys).values(key).returning();
    return row!;
  });
}

/** A user's keys, newest first (expired ones too: the user sees and deletes them). */
export function listApiKeys(db: Database, userId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/** Deletes the user's key; false when it is not theirs or does not exist. */
export async function deleteApiKey(db: Database, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

export interface ApiKeyUser {
  user: SessionUser;
  keyId: string;
  scope: ApiKeyRow['scope'];
  /** Whether last_used_at is unset or older than the refresh interval (then touchApiKey). */
  stale: boolean;
}

/** The user behind an unexpired key, by the key's hash: one indexed join, like the session lookup. */
export async function findApiKeyUser(
  db: Database,
  { keyHash, now, touchAfterMs }: { keyHash: string; now: Date; touchAfterMs: number },
): Promise<ApiKeyUser | null> {
  const at = now.toISOString();
  const staleBefore = new Date(now.getTime() - touchAfterMs).toISOString();
  const [row] = await queryRows<SessionUser & { keyId: string; scope: ApiKeyRow['scope']; stale: boolean }>(
    db,
    sql`SELECT users.id, users.email, users.name, ${isoText(users.createdAt)} AS "createdAt",
          ${isoText(users.updatedAt)} AS "updatedAt", api_keys.id AS "keyId", api_keys.scope,
          (api_keys.last_used_at IS NULL
            OR api_keys.last_used_at < ${staleBefore}::timestamptz) AS stale
        FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE api_keys.key_hash = ${keyHash}
          AND (api_keys.expires_at IS NULL OR api_keys.expires_at > ${at}::timestamptz)
        LIMIT 1`,
    { prepared: true },
  );
  if (!row) return null;
  const { keyId, scope, stale, ...user } = row;
  return { user, keyId, scope, stale };
}

/**
 * Records that the key was used. Called only when findApiKeyUser found last_used_at stale, and the
 * condition is repeated, so a busy key costs one write a minute however many requests use it.
 */
export async function touchApiKey(
  db: Database,
  keyId: string,
  now: Date,
  touchAfterMs: number,
): Promise<void> {
  const staleBefore = new Date(now.getTime() - touchAfterMs).toISOString();
  await db.execute(sql`UPDATE api_keys SET last_used_at = ${now.toISOString()}::timestamptz
    WHERE id = ${keyId} AND (last_used_at IS NULL OR last_used_at < ${staleBefore}::timestamptz)`);
}
