/**
 * Maps socket, DNS, TLS and parser errors to exactly one failure reason and a one-line message. The phase
 * the hop was in settles ambiguous codes: ECONNRESET while connecting is a connect failure, during the TLS
 * handshake a tls failure, and mid-body a protocol failure.
 */
import type { FailureReason } from './reasons.js';
import { RefusedTargetError } from './ssrf.js';

/** Where a hop is: each phase starts when the previous one completed. */
export type HopPhase = 'dns' | 'connect' | 'tls' | 'response' | 'body';

export interface Failure {
  reason: FailureReason;
  message: string;
}

const DNS_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  'EAI_ADDRFAMILY',
  'ENODATA',
  'ESERVFAIL',
  'EREFUSED',
  'EBADNAME',
  'EBADRESP',
  'ETIMEOUT',
]);

/** OpenSSL verification codes and Node's own TLS codes. */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_)|CERT|SELF_SIGNED|UNABLE_TO_|VERIFY|_ISSUER/;

const MAX_MESSAGE_LENGTH = 200;

/** One line, bounded length: messages are stored and shown in lists. */
export function tidyMessage(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE_LENGTH ? `${line.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : line;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy eyeballs gives up with an AggregateError holding one error per address tried.
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface TargetDescription {
  host: string;
  port: number;
}

export function describeError(error: unknown, phase: HopPhase, target: TargetDescription): Failure {
  const code = errorCode(error);
  const message = errorMessage(error);
  const where = `${target.host}:${target.port}`;
  const fail = (reason: FailureReason, text: string): Failure => ({ reason, message: tidyMessage(text) });

  if (error instanceof RefusedTargetError) return fail('connect', message);
  if (phase === 'dns' || (code !== undefined && DNS_CODES.has(code))) {
    if (code === 'ENOTFOUND') return fail('dns', `DNS: ${target.host} not found`);
    if (code === 'EAI_AGAIN') return fail('dns', `DNS: temporary failure resolving ${target.host}`);
    return fail('dns', `DNS lookup for ${target.host} failed (${code ?? message})`);
  }
  if (code?.startsWith('HPE_')) return fail('protocol', `malformed HTTP response: ${message} (${code})`);
  if (code !== undefined && TLS_CODE.test(code))
    return fail('tls', `TLS certificate rejected: ${withoutRuntimeHint(message)}`);
  if (phase === 'tls') return fail('tls', `TLS handshake with ${where} failed: ${code ?? message}`);
  if (code === 'ETIMEDOUT') return fail('timeout', `connection to ${where} timed out`);
  if (phase === 'body')
    return fail('protocol', `connection lost while reading the body (${code ?? message})`);
  // The connection was accepted and the request sent: a close or reset now is the server's answer
  // failing, not the connection.
  if (phase === 'response')
    return fail(
      'protocol',
      `${where} accepted the connection, then closed it before a complete response (${code ?? message})`,
    );
  switch (code) {
    case 'ECONNREFUSED':
      return fail('connect', `connection refused by ${where}`);
    case 'ECONNRESET':
      return fail('connect', `connection to ${where} was reset while connecting`);
    case 'EHOSTUNREACH':
      return fail('connect', `host ${target.host} is unreachable`);
    case 'ENETUNREACH':
      return fail('connect', `network unreachable for ${target.host}`);
    default:
      return fail('connect', `connection to ${where} failed: ${code ?? message}`);
  }
}

/**
 * Node 24 appends advice for its own operator ("...try running Node.js with --use-system-ca") to
 * certificate errors; the person reading a monitor's failure needs only what is wrong with the certificate.
 */
function withoutRuntimeHint(message: string): string {
  return message.replace(/;\s*if the root CA is installed locally.*$/s, '');
}
