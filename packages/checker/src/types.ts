import type { LookupAddress } from 'node:dns';
import type { JsonAssertion } from './assertions.js';
import type { FailureReason } from './reasons.js';
import type { ReceiveClock } from '@better-uptime/receive-time';

export type { FailureReason };

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Credentials sent in the Authorization header. */
export type HttpAuth =
  { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string };

export interface CheckRequest {
  url: string;
  method: HttpMethod;
  /** Request headers beside the checker's own (names as given; Host, Content-Length and the like are not allowed). */
  headers?: Readonly<Record<string, string>>;
  /** Request body (sent with Content-Length); not followed through a redirect that turns the request into a GET. */
  body?: string | null;
  auth?: HttpAuth | null;
  /** Accept any certificate (self-signed, expired, wrong name); the certificate is still recorded. */
  ignoreTlsErrors?: boolean;
  /** Redirects followed before giving up; default MAX_REDIRECTS. */
  maxRedirects?: number;
  /** The body must match this regular expression (judged under a time limit). */
  regex?: string | null;
  /** JSON values the body must hold. */
  assertions?: readonly JsonAssertion[];
  /** Up, but flagged `degraded` in the details, when the response took longer than this. */
  degradedAboveMs?: number | null;
  /** Total time budget for the whole check, redirects included. */
  timeoutMs: number;
  /** Budget for the TCP (and TLS) connection of each hop; defaults to min(timeoutMs, 10 s). */
  connectTimeoutMs?: number;
  /** Codes and ranges that count as up, e.g. ["200-299", "304"]. */
  expectedStatus: readonly string[];
  keyword: string | null;
  keywordMode: 'present' | 'absent';
  followRedirects: boolean;
  /** Allow targets on loopback, private, link-local and other special addresses (tests, intranets). */
  allowPrivateTargets: boolean;
  /**
   * Certificate authorities to trust instead of the bundled public roots (PEM), as Node's `ca` option: for
   * tests and private CAs. Leave unset for public targets.
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Replaces the system resolver (tests, custom DNS). The guard for private targets still judges every
   * address it returns.
   */
  resolveHost?: HostResolver;
  /**
   * Says when response data arrived. Defaults to the kernel's receive times where the native addon is
   * built (Linux), so a busy event loop does not inflate the timings; `loopClock` times on the event loop.
   */
  clock?: ReceiveClock;
}

/** Resolves a host name to all of its addresses, like dns.lookup with `all: true`. */
export type HostResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface CheckTimings {
  /** Milliseconds, each phase of the final hop; null when the phase did not happen (IP literal, plain http). */
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  /** From the request going out on a ready connection (after TLS) to the first response byte: the server's wait. */
  firstByteMs: number | null;
}

export interface CheckOutcome {
  status: 'Up' | 'Down';
  /** Null when Up. */
  reason: FailureReason | null;
  /** A short human-readable explanation of a Down (never a stack trace). */
  message: string | null;
  statusCode: number | null;
  /** Whole check, all hops, in milliseconds (monotonic clock), until the final answer arrived. */
  responseTimeMs: number;
  timings: CheckTimings;
  /** For https targets: the leaf certificate's expiry. */
  certExpiresAt: Date | null;
  /** What is particular to the kind (DNS answers, certificate issuer, degraded, ...); null when nothing. */
  details: Record<string, unknown> | null;
  /** Wall-clock start of the check, epoch ms. */
  startedAt: number;
}
