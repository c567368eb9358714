import { type Database, userQueries } from '@better-uptime/db';
import type { Logger, SecretBox } from '@better-uptime/config';
import { hashRecoveryCode, looksLikeRecoveryCode, matchTotp } from './totp.js';

/**
 * Checks a second factor of a user who has TOTP on: a current authenticator code (each works once) or an
 * unused recovery code (spent by this call). Returns false for anything else.
 */
export async function verifySecondFactor(
  deps: { db: Database; secretBox: SecretBox; now: () => number },
  userId: string,
  code: string,
): Promise<boolean> {
  const state = await userQueries.totpStateOf(deps.db, userId);
  if (!state?.enabledAt || !state.secret) return false;
  const trimmed = code.trim();
  if (looksLikeRecoveryCode(trimmed)) {
    return userQueries.useRecoveryCode(deps.db, userId, hashRecoveryCode(trimmed));
  }
  const secret = deps.secretBox.open(state.secret);
  if (secret === undefined) return false;
  const step = matchTotp(secret, trimmed, deps.now(), state.lastStep);
  return step !== undefined && (await userQueries.useTotpStep(deps.db, userId, step));
}

const RESEAL_PAGE = 500;

/**
 * Run at the API's start: re-seals the stored TOTP seeds that are not sealed under the current secrets
 * key (those from before seeds moved off the JWT secret, and those under SECRETS_KEY_PREVIOUS), so the
 * older key can go. A seed that no key opens is left as it is and counted: its user signs in with a
 * recovery code. Concurrent starts are safe: each replacement is conditional on the value read.
 */
export async function resealTotpSeeds(
  db: Database,
  box: SecretBox,
  logger: Logger,
): Promise<{ resealed: number; unreadable: number }> {
  let resealed = 0;
  let unreadable = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await userQueries.storedTotpSeeds(db, { afterId, limit: RESEAL_PAGE });
    for (const { id, secret } of page) {
      if (box.sealedWithCurrentKey(secret)) continue;
      const seed = box.open(secret);
      if (seed === undefined) unreadable++;
      else if (await userQueries.replaceTotpSeed(db, id, secret, box.seal(seed))) resealed++;
    }
    if (page.length < RESEAL_PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  if (resealed > 0) logger.info({ users: resealed }, 'TOTP seeds re-sealed under SECRETS_KEY');
  if (unreadable > 0) {
    logger.warn(
      { users: unreadable },
      'TOTP seeds that no key opens (JWT_SECRET or SECRETS_KEY changed before they were re-sealed): those users need a recovery code',
    );
  }
  return { resealed, unreadable };
}
