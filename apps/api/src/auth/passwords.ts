import { type Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with the OWASP minimum settings (19 MiB, 2 passes, 1 lane): about 20-50 ms per hash on a
 * server core, run off the event loop by the native module.
 */
const OPTIONS = {
  algorithm: 2 as Algorithm, // Argon2id; the enum is a `const enum`, unusable under isolatedModules
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash is a failed login, not a crash
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification when the email is unknown, so response times do not tell
 * which addresses have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('dummy password that matches no account');
  await verifyPassword(await dummyHash, password);
  return false;
}
