import { type DestinationStream, type Logger, type LoggerOptions, pino, stdSerializers } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Paths that must never reach a log line, whatever logs them. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.passwordHash',
  '*.token',
  '*.jwtSecret',
  '*.secretsKey',
  '*.secretsKeyPrevious',
  '*.botToken',
  '*.routingKey',
  '*.secret',
];

const REDACTED = '[redacted]';

/**
 * Fields of database errors that carry the values of a statement (drizzle's `params`, PGlite's
 * `params`/`queryOptions`) or of a row (PostgreSQL's `detail`: "Key (lower(email))=(ann@example.com)
 * already exists"). The statement text itself is kept: drizzle always sends values as parameters.
 */
const VALUE_FIELDS = new Set(['params', 'parameters', 'values', 'detail', 'queryOptions']);

/**
 * Values that are secrets or personal data wherever they appear, even under a key nobody thought of:
 * Argon2 hashes, JWTs, API keys (`bu_`), heartbeat push tokens (`hb_`, which are in push URLs) and email
 * addresses. Applied to every finished log line; every
 * repetition is bounded (an email's local part has at most 64 characters), so a long line costs linear time.
 */
const SECRET_VALUES =
  /\$argon2(?:id|i|d)\$[^\s"\\]*|\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]+|\b(?:bu|hb)_[A-Za-z0-9_-]{16,}|[\w.+%!#$&'*/=?^`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

export function redactSecretValues(line: string): string {
  // Most lines hold none of these marks: then no regular expression runs at all.
  if (
    !line.includes('@') &&
    !line.includes('$argon2') &&
    !line.includes('eyJ') &&
    !line.includes('bu_') &&
    !line.includes('hb_')
  ) {
    return line;
  }
  return line.replace(SECRET_VALUES, REDACTED);
}

/**
 * The error serializer: pino's, then every value a failed statement was given is cut out, by value as well
 * as by key. Drizzle's "Failed query: ...\nparams: a,b" message and stack repeat the parameters, and a
 * cause's message may quote one, so each parameter's text is replaced wherever it occurs.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error) && (typeof error !== 'object' || error === null || !('message' in error))) {
    return error;
  }
  const secrets = new Set<string>();
  let code: unknown;
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    code ??= (current as { code?: unknown }).code;
    for (const field of ['params', 'parameters', 'values']) {
      const values = (current as Record<string, unknown>)[field];
      if (!Array.isArray(values)) continue;
      secrets.add(`params: ${String(values)}`);
      for (const value of values) {
        const text = typeof value === 'string' ? value : value instanceof Date ? '' : JSON.stringify(value);
        if (text && text.length >= 4) secrets.add(text);
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  // Longest first, so a whole "params: ..." line goes before the values inside it.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      let text = value;
      for (const secret of ordered) text = text.split(secret).join(REDACTED);
      return text;
    }
    if (Array.isArray(value)) return depth > 4 ? '[…]' : value.map((v) => scrub(v, depth + 1));
    if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
      if (depth > 4) return '[…]';
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        if (VALUE_FIELDS.has(key)) continue;
        out[key] = scrub(inner, depth + 1);
      }
      return out;
    }
    return value;
  };
  const serialized = { ...(stdSerializers.err(error as Error) as unknown as Record<string, unknown>) };
  // pino folds a cause's message and stack into the error's, but not its SQLSTATE: keep that.
  if (serialized.code === undefined && code !== undefined) serialized.code = code;
  return scrub(serialized, 0);
}

/** The options every logger of ours is made with; exported so that tests log exactly as the services do. */
export function loggerOptions(name: string | undefined, level: LogLevel | 'trace'): LoggerOptions {
  return {
    ...(name === undefined ? {} : { name }),
    level,
    redact: { paths: LOG_REDACT_PATHS, censor: REDACTED },
    serializers: { err: serializeError, error: serializeError },
    hooks: { streamWrite: redactSecretValues },
  };
}

export function createLogger(name: string, level: LogLevel, destination?: DestinationStream): Logger {
  if (destination) return pino(loggerOptions(name, level), destination);
  // A person at a terminal reads lines; anything else (a file, journald, a log shipper) gets JSON.
  if (process.stdout.isTTY) return pino(loggerOptions(name, level), readableStdout());
  return pino(loggerOptions(name, level));
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/**
 * One log line (pino's JSON, already redacted) as people read it: `12:05:01.234 INFO  api: message
 * key=value ...`, an error's stack on the lines below. A line that is not JSON passes unchanged.
 */
export function readableLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[Number(entry.level)] ?? String(entry.level);
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (OWN_FIELDS.has(key) || value === undefined) continue;
    if ((key === 'err' || key === 'error') && typeof value === 'object' && value !== null) {
      const error = value as { message?: unknown; stack?: unknown };
      fields.push(`${key}=${JSON.stringify(error.message ?? '')}`);
      if (typeof error.stack === 'string')
        stack = `\n    ${error.stack.split('\n').slice(1).join('\n    ').trim()}`;
      continue;
    }
    const text = typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
    fields.push(`${key}=${text}`);
  }
  const name = typeof entry.name === 'string' ? `${entry.name}: ` : '';
  const rest = fields.length > 0 ? `  ${fields.join(' ')}` : '';
  return `${time} ${level} ${name}${String(entry.msg ?? '')}${rest}${stack}\n`;
}

function readableStdout(): DestinationStream {
  return { write: (line: string) => void process.stdout.write(readableLogLine(line)) };
}
