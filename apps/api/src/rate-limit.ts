import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { createClient } from 'redis';
import type { Config } from '@better-uptime/config';
import { withTimeout } from './timeout.js';

export type RedisClient = ReturnType<typeof createClient>;

/** Fastify's trustProxy for our setting; a hop count becomes proxy-addr's "trust the n nearest hops". */
export function fastifyTrustProxy(
  setting: Config['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/**
 * The address a rate limit counts against: the right-most address of X-Forwarded-For that is not a trusted
 * proxy, which is what Fastify's request.ip is for a hop count or a list. With TRUST_PROXY=true every
 * address would be trusted and request.ip is the left-most, which the client writes itself: limits then use
 * the address the nearest proxy reported (the right-most), which a client cannot choose.
 */
export function clientAddressFor(setting: Config['trustProxy']): (request: FastifyRequest) => string {
  if (setting !== true) return (request) => request.ip;
  return (request) => {
    const forwarded = request.headers['x-forwarded-for'];
    const list = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const nearest = list[list.length - 1]?.trim();
    return nearest || request.socket.remoteAddress || request.ip;
  };
}

/** A limit key for an account that keeps the address itself out of Redis and memory. */
export function accountKey(email: string): string {
  return `account:${createHash('sha256').update(email).digest('base64url').slice(0, 32)}`;
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** Increments a counter that lives for `window` ms from its first hit; answers the count and ms left. */
const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

/** How long a Redis command may take before the local counter answers instead. */
const REDIS_TIMEOUT_MS = 500;
/** Most keys the local fallback counts at once (oldest dropped first). */
const LOCAL_KEYS = 10_000;

/** Counters in this process: the store without Redis, and the fallback while Redis does not answer. */
class LocalCounters {
  private readonly counters = new Map<string, { count: number; resetAt: number }>();

  increment(key: string, windowMs: number): { current: number; ttl: number } {
    const now = Date.now();
    let entry = this.counters.get(key);
    if (!entry || entry.resetAt <= now) {
      this.counters.delete(key);
      if (this.counters.size >= LOCAL_KEYS) this.counters.delete(this.counters.keys().next().value!);
      entry = { count: 0, resetAt: now + windowMs };
      this.counters.set(key, entry);
    }
    entry.count += 1;
    return { current: entry.count, ttl: entry.resetAt - now };
  }

  read(key: string): { current: number; ttl: number } {
    const entry = this.counters.get(key);
    const now = Date.now();
    return entry && entry.resetAt > now
      ? { current: entry.count, ttl: entry.resetAt - now }
      : { current: 0, ttl: 0 };
  }
}

/**
 * A store for @fastify/rate-limit whose counters are shared by every API process through Redis (its own
 * Redis store wants ioredis; this is node-redis, which the rest of the system uses). While Redis does not
 * answer within REDIS_TIMEOUT_MS, each process counts on its own, so limits loosen during an outage but
 * never vanish, and a login never waits on Redis.
 */
export function rateLimitStore(
  redis: RedisClient | undefined,
  namespace: string,
  onError: (error: unknown) => void,
) {
  const local = new LocalCounters();
  const client = redis?.withCommandOptions({ timeout: REDIS_TIMEOUT_MS });
  return class RateLimitStore {
    constructor(
      _options?: unknown,
      private readonly prefix = namespace,
    ) {}

    incr(key: string, callback: Callback, timeWindow: number): void {
      const full = this.prefix + key;
      if (!client?.isReady) {
        callback(null, local.increment(full, timeWindow));
        return;
      }
      // The command option only withdraws a command not yet sent; a sent one that gets no answer (a stalled
      // Redis, a cut network) is given up here.
      withTimeout(
        client.eval(INCREMENT, { keys: [full], arguments: [String(timeWindow)] }),
        REDIS_TIMEOUT_MS,
        'rate limit counter',
      )
        .then((reply) => {
          const [current, ttl] = reply as [number, number];
          callback(null, { current, ttl });
        })
        .catch((error: unknown) => {
          onError(error);
          callback(null, local.increment(full, timeWindow));
        });
    }

    read(key: string, callback: Callback): void {
      const full = this.prefix + key;
      if (!client?.isReady) {
        callback(null, local.read(full));
        return;
      }
      withTimeout(Promise.all([client.get(full), client.pTTL(full)]), REDIS_TIMEOUT_MS, 'rate limit counter')
        .then(([current, ttl]) => callback(null, { current: Number(current ?? 0), ttl: Math.max(0, ttl) }))
        .catch((error: unknown) => {
          onError(error);
          callback(null, local.read(full));
        });
    }

    /** A route's store: its counters are apart from other routes' (the plugin passes the route as routeInfo). */
    child(routeOptions: object): RateLimitStore {
      const info = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
      const route = info?.url ? `${info.method}${info.url}:` : '';
      return new RateLimitStore(undefined, this.prefix + route);
    }
  };
}
