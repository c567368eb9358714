import type { FastifyRequest } from 'fastify';
import { type Database, sessionQueries } from '@better-uptime/db';
import { ApiError, unauthorized } from '../errors.js';
import { SESSION_COOKIE } from './cookies.js';
import type { Csrf } from './csrf.js';
import type { TokenService } from './tokens.js';

export interface AuthContext {
  /** The public fields of the user, timestamps as ISO 8601 text. */
  user: sessionQueries.SessionUser;
  sessionId: string;
  /** How the token came: a Bearer header (no CSRF risk) or the dashboard's cookie. */
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BEARER = /^Bearer +([^\s]+) *$/i;

/**
 * The onRequest hook of every authenticated route. It runs before the body is read, so an anonymous
 * client cannot make the server parse or validate anything. A token must be a genuine HS256 JWT whose
 * session exists, belongs to its subject, is not revoked and has not expired.
 */
export function createAuthenticate(deps: {
  db: Database;
  tokens: TokenService;
  csrf: Csrf;
  now: () => number;
}) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    let token: string | undefined;
    let via: AuthContext['via'];
    if (header !== undefined) {
      // An explicit but unusable Authorization header is a failure, never a fall-back to the cookie.
      token = BEARER.exec(header)?.[1];
      via = 'bearer';
    } else {
      token = request.cookies[SESSION_COOKIE];
      via = 'cookie';
    }
    if (!token) throw unauthorized();
    const claims = await deps.tokens.verify(token);
    if (!claims) throw unauthorized();
    const user = await sessionQueries.findSessionUser(deps.db, {
      sessionId: claims.sessionId,
      userId: claims.userId,
      now: new Date(deps.now()),
    });
    if (!user) throw unauthorized();
    if (via === 'cookie' && STATE_CHANGING.has(request.method)) {
      const provided = request.headers['x-csrf-token'];
      if (!deps.csrf.matches(claims.sessionId, typeof provided === 'string' ? provided : undefined)) {
        throw new ApiError(
          403,
          'forbidden',
          'Missing or invalid x-csrf-token header (copy the bu_csrf cookie)',
        );
      }
    }
    request.auth = { user, sessionId: claims.sessionId, via };
  };
}

/** The authenticated caller; only for handlers behind `authenticate`. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw unauthorized();
  return request.auth;
}
