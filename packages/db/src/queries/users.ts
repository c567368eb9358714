import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { users, type UserRow } from '../schema.js';

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
