import { type Database, userQueries } from '@better-uptime/db';
import type { SecretBox } from '@better-uptime/config';
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
