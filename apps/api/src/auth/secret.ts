import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@better-uptime/config';

const MIN_LENGTH = 32;

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
  const path = join(config.dataDir, 'jwt-secret');
  const existing = await readSecret(path);
  if (existing !== undefined) return existing;
  await mkdir(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // Written in full under a temporary name, then published with link(), which fails if the file exists:
  // processes starting together agree on one secret, and none ever reads a half-written file.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, secret + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600); // the mode above is subject to the umask
    await link(temporary, path);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readSecret(path);
    if (winner === undefined) throw new Error(`${path} vanished while being read`);
    return winner;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readSecret(path: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = content.trim();
  if (secret.length < MIN_LENGTH) {
    throw new Error(
      `${path} holds a secret shorter than ${MIN_LENGTH} characters; delete the file to make a new one`,
    );
  }
  return secret;
}
