import { STATUS_CODES as HTTP_STATUS_TEXT } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, sqlState } from '@better-uptime/db';

/**
 * One error shape for every response: `{ error: { code, message } }`. Client mistakes get a 4xx with a
 * message that says what to fix; an unreachable database a 503 with Retry-After; anything else is a 500
 * with a generic message, and the details go to the server log only.
 */
export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'unavailable'
  | 'internal_error'
  | 'bad_request'
  | 'request_timeout'
  | 'headers_too_large'
  | 'second_factor_required';

/** An invalid field: its path below the request part ("intervalSeconds", "tags/1") and what is wrong. */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: FieldProblem[] };
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** "body/tags/1" -> "tags/1": the part is in the message; a form needs the field. */
const fieldBelowPart = (path: string) => path.replace(/^[a-z]+\/?/, '');

/** A validation failure found by our own rules, worded like the schema's: "body/url must use http or https". */
export const invalid = (field: string, problem: string): ApiError =>
  new ApiError(400, 'validation_error', `${field} ${problem}`, [
    { field: fieldBelowPart(field), message: problem },
  ]);

export const notFound = (what: string): ApiError => new ApiError(404, 'not_found', `${what} not found`);

/** The same words whatever was wrong (missing, malformed, expired, revoked): no oracle for attackers. */
export const unauthorized = (): ApiError =>
  new ApiError(401, 'unauthorized', 'Authentication required: missing, invalid or expired credentials');

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Fastify's own client errors, reworded without framework jargon. */
function describeFrameworkError(error: FastifyError): { code: ErrorCode; message: string } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'validation_error', message: 'body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        code: 'unsupported_media_type',
        message: 'body must be JSON (Content-Type: application/json)',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'bad_request', message: 'Content-Length does not match the body' };
    default:
      return undefined;
  }
}

export function errorBody(code: ErrorCode, message: string, details?: FieldProblem[]): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

/**
 * A schema's refusal: the message names the first invalid field ("body/intervalSeconds must be at least
 * 10"), `details` every one of them.
 */
function validationBody(error: FastifyError): ErrorBody {
  const part = error.validationContext ?? 'body';
  const problems = (error.validation ?? []).map((v) => ({
    field: v.instancePath.replace(/^\//, ''),
    message: v.message ?? 'is invalid',
  }));
  const [first] = problems;
  if (!first) return errorBody('validation_error', error.message);
  return errorBody(
    'validation_error',
    `${part}${first.field ? `/${first.field}` : ''} ${first.message}`,
    problems,
  );
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    }
    if (error.validation) {
      return reply.code(400).send(validationBody(error));
    }
    if (isDatabaseBusy(error)) {
      request.log.warn({ err: error }, 'database statement timed out');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send(errorBody('unavailable', 'The database is busy; retry shortly'));
    }
    const status = error.statusCode ?? 500;
    if (status === 429) {
      // @fastify/rate-limit has already set Retry-After.
      return reply.code(429).send(errorBody('rate_limited', 'Too many attempts; retry later'));
    }
    if (status >= 400 && status < 500) {
      const known = describeFrameworkError(error);
      const code = known?.code ?? STATUS_CODES[status] ?? 'bad_request';
      return reply.code(status).send(errorBody(code, known?.message ?? 'Bad request'));
    }
    if (isDatabaseUnavailable(error)) {
      // The database is down or restarting: the client's request was fine and will work again shortly.
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '5');
      return reply.code(503).send(errorBody('unavailable', 'The database is unavailable; retry shortly'));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('internal_error', 'Internal server error'));
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(404)
      .send(
        errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`),
      ),
  );
}

/**
 * A statement that gave up under the API's session limits (API_LOCK_TIMEOUT_MS: lock_not_available,
 * API_STATEMENT_TIMEOUT_MS: query_canceled): the database is busy, not the request wrong.
 */
function isDatabaseBusy(error: unknown): boolean {
  const state = sqlState(error);
  return state === '55P03' || state === '57014';
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (malformed request line, headers over the
 * limit, a client too slow to send them) still get the documented error shape. Fastify's `clientErrorHandler`.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, body] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, errorBody('request_timeout', 'The request took too long to arrive')]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, errorBody('headers_too_large', 'Request headers are too large')]
        : [400, errorBody('bad_request', 'Malformed HTTP request')];
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${HTTP_STATUS_TEXT[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy();
}

/** Fastify's own early refusals (a path that is not valid percent-encoding), in the documented shape. */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    error.code === 'FST_ERR_BAD_URL' ? 'The path is not valid percent-encoded text' : 'Bad request';
  void reply.code(400).send(errorBody('bad_request', message));
}
