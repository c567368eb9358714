/**
 * The check engine: requests a URL hop by hop (following redirects when asked), judges the final response
 * against the expected status codes and the keyword, and always resolves to an outcome; never throws.
 */
import { receiveClock } from '@better-uptime/receive-time';
import { BodyScanner, judgeBody } from './body.js';
import { tidyMessage, type Failure } from './errors.js';
import { performHop, type HopResult } from './hop.js';
import { RedirectChain, isFollowableRedirect, parseHttpUrl } from './redirects.js';
import { systemResolver } from './ssrf.js';
import { DEFAULT_EXPECTED_STATUS, describeRanges, parseExpectedStatus, statusMatches } from './status.js';
import type { CheckOutcome, CheckRequest, CheckTimings } from './types.js';

/** The per-hop connection budget when the request does not set one. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const NO_TIMINGS: CheckTimings = { dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null };

/** Parsed expected-status lists by their text: monitors share a handful of lists, parsed once each. */
const singleSpecRanges = new Map<string, readonly (readonly [number, number])[]>();
const listRanges = new Map<string, readonly (readonly [number, number])[]>();
const RANGES_CACHE_MAX = 1_000;

function expectedRanges(specs: readonly string[]): readonly (readonly [number, number])[] {
  // One spec (the usual case) is its own key; a list is keyed by its JSON, in a map of its own.
  const cache = specs.length === 1 ? singleSpecRanges : listRanges;
  const key = specs.length === 1 ? specs[0]! : JSON.stringify(specs);
  let ranges = cache.get(key);
  if (ranges === undefined) {
    const parsed = parseExpectedStatus(specs);
    ranges = parsed.length > 0 ? parsed : DEFAULT_EXPECTED_STATUS;
    if (cache.size >= RANGES_CACHE_MAX) cache.clear();
    cache.set(key, ranges);
  }
  return ranges;
}

/** Runs one check. Resolves with a Down outcome for every failure, with exactly one reason. */
export async function runCheck(request: CheckRequest): Promise<CheckOutcome> {
  const startedAt = Date.now();
  const clockStart = performance.now();
  try {
    return await checkUrl(request, startedAt, clockStart);
  } catch (error) {
    // Only a bug gets here; the outcome still has to be a Down with a reason rather than a rejection.
    const message = tidyMessage(`internal checker error: ${(error as Error)?.message ?? String(error)}`);
    return {
      status: 'Down',
      reason: 'protocol',
      message,
      statusCode: null,
      responseTimeMs: Math.round(performance.now() - clockStart),
      timings: { ...NO_TIMINGS },
      certExpiresAt: null,
      startedAt,
    };
  }
}

async function checkUrl(request: CheckRequest, startedAt: number, clockStart: number): Promise<CheckOutcome> {
  let timings: CheckTimings = { ...NO_TIMINGS };
  let statusCode: number | null = null;
  let certExpiresAt: Date | null = null;
  // When the final answer arrived; a check that got none ends when it gave up.
  let respondedAt: number | null = null;
  const finish = (failure: Failure | null): CheckOutcome => ({
    status: failure ? 'Down' : 'Up',
    reason: failure?.reason ?? null,
    message: failure?.message ?? null,
    statusCode,
    responseTimeMs: Math.round((respondedAt ?? performance.now()) - clockStart),
    timings,
    certExpiresAt,
    startedAt,
  });

  const target = parseHttpUrl(request.url);
  if (!(target instanceof URL)) return finish(target);

  const expected = expectedRanges(request.expectedStatus);
  const keyword = request.keyword || null;
  const followsRedirect = (code: number, location: string | null | undefined): boolean =>
    request.followRedirects && isFollowableRedirect(code, location);
  // The body is read only when it can still change the verdict: a final, expected response to a GET.
  const planBody = (code: number, headers: { location?: string }): BodyScanner | null =>
    request.method === 'GET' && !followsRedirect(code, headers.location) && statusMatches(code, expected)
      ? new BodyScanner(keyword)
      : null;

  const deadline = clockStart + request.timeoutMs;
  const connectTimeoutMs =
    request.connectTimeoutMs ?? Math.min(request.timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  // Built at the first redirect: most checks never follow one.
  let chain: RedirectChain | null = null;
  let url = target;

  for (;;) {
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) {
      return finish({
        reason: 'timeout',
        message: `timed out after ${request.timeoutMs} ms while following redirects`,
      });
    }
    const hop: HopResult = await performHop({
      url,
      method: request.method,
      remainingMs,
      totalTimeoutMs: request.timeoutMs,
      connectTimeoutMs,
      allowPrivateTargets: request.allowPrivateTargets,
      resolveHost: request.resolveHost ?? systemResolver,
      ca: request.ca,
      clock: request.clock ?? receiveClock,
      planBody,
    });
    // Timings describe the final hop; the certificate is the first one met (the monitored host's own,
    // or for an http URL the https site it redirects to).
    timings = hop.timings;
    statusCode = hop.statusCode;
    respondedAt = hop.respondedAt;
    certExpiresAt ??= hop.certExpiresAt;
    if (hop.failure) return finish(hop.failure);
    if (hop.statusCode === null)
      return finish({ reason: 'protocol', message: 'response without a status code' });

    if (followsRedirect(hop.statusCode, hop.location)) {
      chain ??= new RedirectChain(target);
      const next = chain.follow(hop.location ?? '');
      if (!(next instanceof URL)) return finish(next);
      url = next;
      continue;
    }
    if (!statusMatches(hop.statusCode, expected)) {
      return finish({
        reason: 'http_status',
        message: `status ${hop.statusCode} is not one of the expected ${describeRanges(expected)}`,
      });
    }
    // HEAD has no body, so a keyword cannot be judged and is ignored; the API should not allow the pair.
    return finish(hop.body ? judgeBody(hop.body, keyword, request.keywordMode) : null);
  }
}
