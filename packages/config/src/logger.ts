import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Paths that must never reach a log line, whatever logs them. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.jwtSecret',
];

export function createLogger(name: string, level: LogLevel): Logger {
  return pino({ name, level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } });
}
