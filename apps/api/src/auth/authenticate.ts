import type { FastifyRequest } from 'fastify';
import { apiKeyQueries, type Database, sessionQueries } from '@better-uptime/db';
import { ApiError, unauthorized } from '../errors.js';
import { API_KEY_PREFIX, API_KEY_TOUCH_INTERVAL_MS, hashApiKey, isApiKeyShaped } from './api-keys.js';
import { SESSION_COOKIE } from './cookies.js';
import type { Csrf } from './csrf.js';
import type { TokenService } from './tokens.js';

export interface AuthContext {
  /** The public fields of the user, timestamps as ISO 8601 text. */
  user: sessionQueries.SessionUser;
  /** The session of a signed-in token or cookie; null for an API key. */
  sessionId: string | null;
  /** How the caller came: a Bearer JWT or API key (no CSRF risk), or the dashboard's cookie. */
  via: 'bearer' | 'cookie' | 'api-key';
  /** The API key used, if any. */
  apiKey: { id: string; scope: 'read' | 'write' } | null;
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
    if (via === 'bearer' && token.startsWith(API_KEY_PREFIX)) {
      request.auth = await authenticateApiKey(deps, request, token);
      return;
    }
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
    request.auth = { user, sessionId: claims.sessionId, via, apiKey: null };
  };
}

/** A `bu_` key: it must exist and be unexpired; a `read` key may only read. */
async function authenticateApiKey(
  deps: { db: Database; now: () => number },
  request: FastifyRequest,
  token: string,
): Promise<AuthContext> {
  if (!isApiKeyShaped(token)) throw unauthorized();
  const now = new Date(deps.now());
  const found = await apiKeyQueries.findApiKeyUser(deps.db, {
    keyHash: hashApiKey(token),
    now,
    touchAfterMs: API_KEY_TOUCH_INTERVAL_MS,
  });
  if (!found) throw unauthorized();
  if (found.scope === 'read' && STATE_CHANGING.has(request.method)) {
    throw new ApiError(
      403,
      'forbidden',
      'This API key is read-only (scope "read"): it cannot change anything',
    );
  }
  if (found.stale) {
    // At most once a minute per key; a failure to record it must not fail the request.
    await apiKeyQueries
      .touchApiKey(deps.db, found.keyId, now, API_KEY_TOUCH_INTERVAL_MS)
      .catch((error: unknown) => request.log.warn({ err: error }, 'could not record API key use'));
  }
  return {
    user: found.user,
    sessionId: null,
    via: 'api-key',
    apiKey: { id: found.keyId, scope: found.scope },
  };
}

/**
 * For routes that manage credentials (API keys, sessions, the password): only a signed-in session may,
 * so a leaked API key cannot mint more keys or lock its owner out.
 */
export function sessionOf(request: FastifyRequest): AuthContext & { sessionId: string } {
  const auth = authOf(request);
  if (auth.sessionId === null) {
    throw new ApiError(403, 'forbidden', 'Sign in to manage credentials: API keys cannot do this');
  }
  return auth as AuthContext & { sessionId: string };
}

/** The authenticated caller; only for handlers behind `authenticate`. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw unauthorized();
  return request.auth;
}
