import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys: `bu_` and 43 base64url characters (256 random bits). The prefix makes a leaked key easy to
 * recognise (secret scanners, our own log redaction); only its SHA-256 is stored, which suffices for a
 * key of that much entropy and keeps the lookup one indexed equality.
 */
export const API_KEY_PREFIX = 'bu_';
const API_KEY = /^bu_[A-Za-z0-9_-]{43}$/;
/** How many characters of a key are kept in clear to tell keys apart ("bu_" and 6 more). */
const SHOWN = 9;
/** last_used_at is written at most this often per key. */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, SHOWN), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/** SHA-256 in hex: how random secrets (API keys, push tokens) are stored and looked up. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export const isApiKeyShaped = (token: string): boolean => API_KEY.test(token);
