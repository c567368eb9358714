import { userQueries, type Database } from '@better-uptime/db';
import { ApiError } from '../errors.js';
import type { AuthContext } from './authenticate.js';

/**
 * Administrators manage the instance itself (remote probes): the first account, and the accounts whose
 * email is in ADMIN_EMAILS. Everyone else gets 403 on those routes.
 */
export async function requireAdmin(
  db: Database,
  adminEmails: readonly string[],
  auth: AuthContext,
): Promise<void> {
  if (adminEmails.includes(auth.user.email)) return;
  if ((await userQueries.firstUserId(db)) === auth.user.id) return;
  throw new ApiError(403, 'forbidden', 'Only an administrator of this instance can do this');
}
