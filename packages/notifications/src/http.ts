import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { createGuardedLookup, refusalFor, systemResolver } from '@better-uptime/checker';

/** How one attempt went, whatever the channel type. */
export type SendResult =
  | { ok: true; statusCode: number | null }
  | {
      ok: false;
      statusCode: number | null;
      error: string;
      /** False when trying again cannot help (a 4xx other than 408/429, a refused address, bad settings). */
      retryable: boolean;
      /** The receiver's Retry-After, when it gave one. */
      retryAfterMs?: number;
    };

export interface PostOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** A user-given URL goes through the private-address guard unless private targets are allowed. */
  guard: { allowPrivateTargets: boolean } | null;
}

/** The receiver's answer body is read up to this many bytes (enough for an error description). */
const MAX_ANSWER_BYTES = 16_384;

/**
 * POSTs a body and says how it went. Never throws and never puts the URL in an error (URLs of webhooks,
 * and Telegram's, hold secrets). Redirects are not followed: a receiver that moved is a failure to fix.
 */
export function post(options: PostOptions): Promise<SendResult & { answer: string }> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      return resolve({ ok: false, statusCode: null, error: 'invalid URL', retryable: false, answer: '' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (options.guard && !options.guard.allowPrivateTargets && isIP(host) !== 0) {
      const refusal = refusalFor(host);
      if (refusal)
        return resolve({ ok: false, statusCode: null, error: refusal.message, retryable: false, answer: '' });
    }
    const transport = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (result: SendResult & { answer: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'BetterUptime-Notifier/1.0',
          ...options.headers,
          'content-length': Buffer.byteLength(options.body),
        },
        ...(options.guard
          ? {
              lookup: createGuardedLookup({
                resolveHost: systemResolver,
                allowPrivateTargets: options.guard.allowPrivateTargets,
                onResolved: () => undefined,
              }),
            }
          : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('error', () => undefined);
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const answer = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
          if (status >= 200 && status < 300) return finish({ ok: true, statusCode: status, answer });
          const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
          finish({
            ok: false,
            statusCode: status,
            error: `HTTP ${status}`,
            retryable: status === 408 || status === 425 || status === 429 || status >= 500,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            answer,
          });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({
        ok: false,
        statusCode: null,
        error: `no answer within ${options.timeoutMs} ms`,
        retryable: true,
        answer: '',
      });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error.code === 'ERR_TARGET_REFUSED';
      finish({
        ok: false,
        statusCode: null,
        error: refused ? error.message : `${error.code ?? 'error'}: ${error.message}`.slice(0, 300),
        retryable: !refused,
        answer: '',
      });
    });
    request.end(options.body);
  });
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
