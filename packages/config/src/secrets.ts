import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { ConfigError } from './env.js';

/**
 * Seals small secrets kept in the database (TOTP seeds, channel secrets) with AES-256-GCM, so a copy of the
 * database alone (a backup, a dump, a stolen disk) gives none of them away. The first key seals; every key
 * opens, so a key can be replaced while values sealed under the old one are still read (and re-sealed).
 */
export interface SecretBox {
  seal(plain: string): string;
  /** The plain text, or undefined when the sealed text is not ours (another key, tampered, not sealed). */
  open(sealed: string): string | undefined;
  /** Whether a value has the sealed form (whatever key sealed it). */
  isSealed(value: string): boolean;
  /** Whether a sealed value opens with the first key (false: an older key, or none of ours). */
  sealedWithCurrentKey(sealed: string): boolean;
}

const PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A box over one key or several (the first seals). Each key is derived from its secret with HMAC-SHA256
 * under `purpose`, so one secret can key boxes for different things without them opening each other's.
 */
export function createSecretBox(
  secrets: string | readonly string[],
  purpose = 'better-uptime secret box v1',
): SecretBox {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) =>
    createHmac('sha256', secret).update(purpose).digest(),
  );
  if (keys.length === 0) throw new Error('a secret box needs a key');
  const openWith = (key: Buffer, raw: Buffer): string | undefined => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return undefined;
    }
  };
  const rawOf = (sealed: string): Buffer | undefined => {
    if (!sealed.startsWith(PREFIX)) return undefined;
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    return raw.length < IV_BYTES + TAG_BYTES + 1 ? undefined : raw;
  };
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keys[0]!, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed) {
      const raw = rawOf(sealed);
      if (!raw) return undefined;
      for (const key of keys) {
        const plain = openWith(key, raw);
        if (plain !== undefined) return plain;
      }
      return undefined;
    },
    isSealed: (value) => rawOf(value) !== undefined,
    sealedWithCurrentKey(sealed) {
      const raw = rawOf(sealed);
      return raw !== undefined && openWith(keys[0]!, raw) !== undefined;
    },
  };
}

const MIN_KEPT_SECRET = 32;

/**
 * A secret made once and kept in `<dataDir>/<file>` (mode 0600), for settings that may be left unset
 * outside production (the JWT secret, the secrets key): restarts reuse it, and nobody has to invent one.
 */
export async function keptSecret(dataDir: string, file: string): Promise<string> {
  const path = join(dataDir, file);
  const existing = await readKeptSecret(path);
  if (existing !== undefined) return existing;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
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
    const winner = await readKeptSecret(path);
    if (winner === undefined) throw new Error(`${path} vanished while being read`);
    return winner;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readKeptSecret(path: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = content.trim();
  if (secret.length < MIN_KEPT_SECRET) {
    throw new Error(
      `${path} holds a secret shorter than ${MIN_KEPT_SECRET} characters; delete the file to make a new one`,
    );
  }
  return secret;
}

/** Where the generated secrets key is kept when SECRETS_KEY is not set. */
export const SECRETS_KEY_FILE = 'secrets-key';

/**
 * The keys that seal channel secrets at rest: SECRETS_KEY (then SECRETS_KEY_PREVIOUS, which only opens).
 * Without SECRETS_KEY, the single-process `start` and anything outside production use a key made once and
 * kept in `<DATA_DIR>/secrets-key`; separate api and producer services in production must share one, so
 * there it is required.
 */
export async function resolveSecretsKeys(
  config: Pick<Config, 'secretsKey' | 'secretsKeyPrevious' | 'dataDir' | 'nodeEnv'>,
  { singleProcess }: { singleProcess: boolean },
): Promise<string[]> {
  const previous = config.secretsKeyPrevious === undefined ? [] : [config.secretsKeyPrevious];
  if (config.secretsKey !== undefined) return [config.secretsKey, ...previous];
  if (config.nodeEnv === 'production' && !singleProcess) {
    throw new ConfigError(
      'SECRETS_KEY',
      'set for the api and producer services in production, the same on each (at least 32 characters; generate one with: openssl rand -base64 48)',
      undefined,
    );
  }
  return [await keptSecret(config.dataDir, SECRETS_KEY_FILE), ...previous];
}

/** The box for channel secrets under these keys. */
export function channelSecretBox(keys: readonly string[]): SecretBox {
  return createSecretBox(keys, 'better-uptime channel secrets v1');
}

/**
 * The box for TOTP seeds under the secrets keys. Seeds used to be sealed under a key derived from the JWT
 * secret, so replacing JWT_SECRET (to end every session) disabled everyone's second factor; given that
 * secret, this box still opens those seeds (never seals with it) until they are re-sealed at start.
 */
export function totpSecretBox(keys: readonly string[], legacyJwtSecret?: string): SecretBox {
  const box = createSecretBox(keys, 'better-uptime totp seeds v1');
  if (legacyJwtSecret === undefined) return box;
  const legacy = createSecretBox(legacyJwtSecret);
  return { ...box, open: (sealed) => box.open(sealed) ?? legacy.open(sealed) };
}
