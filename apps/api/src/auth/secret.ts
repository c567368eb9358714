import { type Config, keptSecret } from '@better-uptime/config';

/**
 * The JWT signing secret: JWT_SECRET when set (always in production: config validation insists).
 * Otherwise a random secret is made once and kept in `<dataDir>/jwt-secret` (mode 0600), so development
 * logins survive restarts without anyone having to invent a secret.
 */
export async function resolveJwtSecret(
  config: Pick<Config, 'jwtSecret' | 'dataDir' | 'nodeEnv'>,
): Promise<string> {
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  if (config.nodeEnv === 'production') throw new Error('JWT_SECRET is required in production');
  return keptSecret(config.dataDir, 'jwt-secret');
}
