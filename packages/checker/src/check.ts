/**
 * The check engine: requests a URL hop by hop (following redirects when asked), judges the final response
 * against the expected status codes and the keyword, and always resolves to an outcome; never throws.
 */
import { receiveClock } from '@better-uptime/receive-time';
import { judgeJson, judgeRegex } from './assertions.js';
import { ACCEPTED_ENCODINGS, BodyScanner, decodeBody, judgeBody, MAX_BODY_BYTES } from './body.js';
import type { CertificateFacts } from './connection.js';
import { tidyMessage, type Failure } from './errors.js';
import { performHop, type HopResult } from './hop.js';
import { MAX_REDIRECTS, RedirectChain, isFollowableRedirect, parseHttpUrl } from './redirects.js';
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
      details: null,
      startedAt,
    };
  }
}

/** The Authorization and the monitor's own header lines (the API has checked names and values). */
function extraHeaderLines(request: CheckRequest): string {
  let lines = '';
  const { auth } = request;
  if (auth?.type === 'basic') {
    const credentials = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
    lines += `Authorization: Basic ${credentials}\r\n`;
  } else if (auth?.type === 'bearer') {
    lines += `Authorization: Bearer ${auth.token}\r\n`;
  }
  for (const [name, value] of Object.entries(request.headers ?? {})) lines += `${name}: ${value}\r\n`;
  return lines;
}

/** A 303, or a 301/302 answering a POST, turns the next request into a GET without a body (as browsers do). */
function becomesGet(code: number, method: CheckRequest['method']): boolean {
  return code === 303 ? method !== 'HEAD' : (code === 301 || code === 302) && method === 'POST';
}

async function checkUrl(request: CheckRequest, startedAt: number, clockStart: number): Promise<CheckOutcome> {
  let timings: CheckTimings = { ...NO_TIMINGS };
  let statusCode: number | null = null;
  let certExpiresAt: Date | null = null;
  let certificate: CertificateFacts | null = null;
  // When the final answer arrived; a check that got none ends when it gave up.
  let respondedAt: number | null = null;
  const finish = (failure: Failure | null): CheckOutcome => {
    const responseTimeMs = Math.round((respondedAt ?? performance.now()) - clockStart);
    const degraded =
      failure === null && request.degradedAboveMs != null && responseTimeMs > request.degradedAboveMs;
    const details = {
      ...(certificate ? { certificate } : {}),
      ...(degraded ? { degraded: true } : {}),
    };
    return {
      status: failure ? 'Down' : 'Up',
      reason: failure?.reason ?? null,
      message: failure?.message ?? null,
      statusCode,
      responseTimeMs,
      timings,
      certExpiresAt,
      details: Object.keys(details).length > 0 ? details : null,
      startedAt,
    };
  };

  const target = parseHttpUrl(request.url);
  if (!(target instanceof URL)) return finish(target);

  const expected = expectedRanges(request.expectedStatus);
  const keyword = request.keyword || null;
  const regex = request.regex || null;
  const assertions = request.assertions ?? [];
  // The whole body is kept when it is judged as a whole (a pattern, JSON values) or must be decoded first.
  const judgesWholeBody = regex !== null || assertions.length > 0;
  const acceptEncoding = judgesWholeBody || keyword !== null ? ACCEPTED_ENCODINGS : 'identity';
  const followsRedirect = (code: number, location: string | null | undefined): boolean =>
    request.followRedirects && isFollowableRedirect(code, location);
  let method = request.method;
  let body = request.body ?? null;
  let extraHeaders = extraHeaderLines(request);
  // The body is read only when it can still change the verdict: a final, expected response with a body.
  const planBody = (
    code: number,
    headers: { location?: string; 'content-encoding'?: string },
  ): BodyScanner | null => {
    if (method === 'HEAD' || followsRedirect(code, headers.location) || !statusMatches(code, expected))
      return null;
    const encoded = isEncoded(headers['content-encoding']);
    // An encoded body is searched once decoded, so it is read whole.
    return new BodyScanner(encoded ? null : keyword, MAX_BODY_BYTES, judgesWholeBody || encoded);
  };

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
      method,
      extraHeaders,
      body,
      acceptEncoding,
      rejectUnauthorized: request.ignoreTlsErrors !== true,
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
    certificate ??= hop.certificate;
    if (hop.failure) return finish(hop.failure);
    if (hop.statusCode === null)
      return finish({ reason: 'protocol', message: 'response without a status code' });

    if (followsRedirect(hop.statusCode, hop.location)) {
      chain ??= new RedirectChain(target, request.maxRedirects ?? MAX_REDIRECTS);
      const next = chain.follow(hop.location ?? '');
      if (!(next instanceof URL)) return finish(next);
      if (becomesGet(hop.statusCode, method)) {
        method = 'GET';
        body = null;
      }
      // Credentials and the monitor's headers are for its own origin, never for another one.
      if (next.origin !== url.origin) extraHeaders = '';
      url = next;
      continue;
    }
    if (!statusMatches(hop.statusCode, expected)) {
      return finish({
        reason: 'http_status',
        message: `status ${hop.statusCode} is not one of the expected ${describeRanges(expected)}`,
      });
    }
    // HEAD has no body, so nothing about it can be judged; the API does not allow body checks with HEAD.
    if (!hop.body) return finish(null);
    return finish(
      judgeResponseBody(hop.body, hop.contentEncoding, keyword, request.keywordMode, regex, assertions),
    );
  }
}

function isEncoded(coding: string | undefined): boolean {
  return coding !== undefined && !/^\s*identity\s*$/i.test(coding);
}

/** The keyword, the pattern and the JSON values, in that order, on the body as sent before its coding. */
function judgeResponseBody(
  scanned: BodyScanner,
  coding: string | null,
  keyword: string | null,
  keywordMode: CheckRequest['keywordMode'],
  regex: string | null,
  assertions: NonNullable<CheckRequest['assertions']>,
): Failure | null {
  let scanner = scanned;
  if (isEncoded(coding ?? undefined)) {
    if (scanned.limitReached) {
      return { reason: 'too_large', message: 'the encoded body is larger than 1 MiB' };
    }
    const decoded = decodeBody(scanned.bytes(), coding ?? undefined);
    if (!('body' in decoded)) return decoded;
    scanner = new BodyScanner(keyword, MAX_BODY_BYTES, true);
    scanner.push(decoded.body);
    if (decoded.limitReached) scanner.limitReached = true;
  }
  const keywordVerdict = judgeBody(scanner, keyword, keywordMode);
  if (keywordVerdict) return keywordVerdict;
  if (regex === null && assertions.length === 0) return null;
  if (scanner.limitReached) {
    return { reason: 'too_large', message: 'the body is larger than 1 MiB, so it cannot be judged whole' };
  }
  const text = scanner.bytes().toString('utf8');
  return (regex === null ? null : judgeRegex(regex, text)) ?? judgeJson(assertions, text);
}
