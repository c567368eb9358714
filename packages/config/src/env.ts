import { isIP } from 'node:net';

/**
 * Small, dependency-free readers for environment variables. Each reader either returns a typed value or
 * throws a ConfigError whose message names the variable and what it must be, so a wrong setting stops the
 * process with one clear line.
 */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    requirement: string,
    got: string | undefined,
  ) {
    super(
      got === undefined
        ? `${variable} is required: it must be ${requirement}`
        : `${variable} must be ${requirement} (got ${JSON.stringify(got.length > 80 ? got.slice(0, 80) + '...' : got)})`,
    );
    this.name = 'ConfigError';
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function readString(env: Env, name: string, fallback: string): string;
export function readString(env: Env, name: string): string | undefined;
export function readString(env: Env, name: string, fallback?: string): string | undefined {
  return raw(env, name) ?? fallback;
}

export function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, value);
  }
  return parsed;
}

export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, 'true or false', env[name]);
}

export function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

export function readOptionalEnum<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  return readEnum(env, name, allowed, value as T);
}

export function readUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `a URL starting with ${protocols.join(' or ')}`, redactUrl(value));
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `a URL starting with ${protocols.join(' or ')}`, redactUrl(value));
  }
  return value;
}

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** A comma-separated list of region names (lowercase letters, digits and dashes). */
export function readRegionList(env: Env, name: string, fallback: readonly string[]): string[] {
  const value = raw(env, name);
  if (value === undefined) return [...fallback];
  const regions = value.split(',').map((r) => r.trim());
  if (
    regions.length === 0 ||
    regions.some((r) => !NAME_PATTERN.test(r)) ||
    new Set(regions).size !== regions.length
  ) {
    throw new ConfigError(
      name,
      'a comma-separated list of distinct region names (lowercase letters, digits, dashes; e.g. "usa,india")',
      value,
    );
  }
  return regions;
}

export function readRegion(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  if (!NAME_PATTERN.test(value)) {
    throw new ConfigError(name, 'a region name (lowercase letters, digits and dashes, e.g. "usa")', value);
  }
  return value;
}

const SIZE_UNITS_KB: Record<string, number> = { kb: 1, mb: 1024, gb: 1024 * 1024 };
const SIZE_UNIT_NAMES: Record<string, string> = { kb: 'kB', mb: 'MB', gb: 'GB' };

/**
 * A memory size as PostgreSQL writes it: a whole number of kB, MB or GB ("16MB"; units in any case).
 * Returns it in PostgreSQL's spelling, for a setting such as shared_buffers.
 */
export function readMemorySize(
  env: Env,
  name: string,
  fallback: string,
  minKb: number,
  maxKb: number,
): string {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const match = /^(\d+)\s*(kb|mb|gb)$/i.exec(value);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const kb = match ? Number(match[1]) * (SIZE_UNITS_KB[unit] ?? NaN) : NaN;
  if (!Number.isSafeInteger(kb) || kb < minKb || kb > maxKb) {
    throw new ConfigError(
      name,
      `a size like "16MB" (a whole number of kB, MB or GB) from ${minKb}kB to ${maxKb / 1024}MB`,
      value,
    );
  }
  return `${Number(match![1])}${SIZE_UNIT_NAMES[unit]}`;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Durations in the `jsonwebtoken` style the seed uses: "3600", "15m", "12h", "7d". Returns seconds. */
export function readDurationSeconds(env: Env, name: string, fallback: string, maxSeconds: number): number {
  const value = raw(env, name) ?? fallback;
  const match = /^(\d+)\s*([smhdw]?)$/.exec(value);
  const seconds = match ? Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 60 || seconds > maxSeconds) {
    throw new ConfigError(
      name,
      `a duration like "15m", "12h" or "7d" between 1 minute and ${maxSeconds / 86400} days`,
      value,
    );
  }
  return seconds;
}

/** Hides the password of a connection URL before it is printed. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/** proxy-addr's names for address ranges, accepted in a TRUST_PROXY list. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Which proxies in front of the API to trust with X-Forwarded-For: `false` (none; the default), `true`
 * (every one), a hop count (`1`: the address the nearest proxy saw), or a comma-separated list of proxy
 * addresses and CIDR ranges (`10.0.0.0/8,fd00::/8`, or `loopback`, `linklocal`, `uniquelocal`), whose
 * client address is then the right-most one not in the list.
 */
export function readTrustProxy(env: Env, name: string): boolean | number | string[] {
  const value = raw(env, name);
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (['false', 'no', 'off'].includes(lower)) return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 32) throw new ConfigError(name, 'a hop count from 0 to 32', value);
    return hops === 0 ? false : hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!isAddressOrRange(entry)) {
      throw new ConfigError(
        name,
        'true, false, a hop count (e.g. 1), or a comma-separated list of proxy addresses and CIDR ranges (e.g. 10.0.0.0/8,192.168.1.5)',
        value,
      );
    }
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
