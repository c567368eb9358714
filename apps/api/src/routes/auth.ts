import type { FastifyReply, FastifyRequest } from 'fastify';
import { type SignupPolicy, signupPolicy } from '@better-uptime/config';
import { newId, sessionQueries, userQueries, type UserRow } from '@better-uptime/db';
import { authOf, sessionOf } from '../auth/authenticate.js';
import { clearAuthCookies, setAuthCookies } from '../auth/cookies.js';
import { normalizeEmail } from '../auth/email.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { verifySecondFactor } from '../auth/second-factor.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../auth/passwords.js';
import type { ApiContext, ApiServer } from '../context.js';
import { accountKey } from '../rate-limit.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { sessionUserJson, userJson } from '../present.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import {
  AuthResponse,
  ChangePasswordBody,
  DeleteAccountBody,
  LoginBody,
  MeResponse,
  SessionList,
  SessionParams,
  SignupBody,
  SignupStateResponse,
} from '../schemas/user.js';

/** The User-Agent kept with a session, so people can tell their sessions apart: printable, bounded. */
function userAgentOf(request: FastifyRequest): string | null {
  const agent = request.headers['user-agent'];
  if (typeof agent !== 'string') return null;
  const clean = [...agent]
    .filter((c) => c >= ' ' && c !== '\u007f')
    .join('')
    .trim()
    .slice(0, 256);
  return clean === '' ? null : clean;
}

const emailTaken = () => new ApiError(409, 'conflict', 'An account with this email already exists');
const badCredentials = () => new ApiError(401, 'unauthorized', 'Invalid email or password');
const signupClosed = (policy: SignupPolicy) =>
  new ApiError(
    403,
    'forbidden',
    policy === 'closed'
      ? 'Sign-up is closed on this instance'
      : 'Sign-up is closed: this instance already has its account (SIGNUP=first-user)',
  );

export function authRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db, config } = ctx;
  const policy = signupPolicy(config, false);
  // Per client address and route; the 429 carries Retry-After.
  const rateLimit = { max: config.authRateLimitPerMinute, timeWindow: 60_000 };
  // Per account, from any number of addresses: guessing one account's password from a botnet is slow too.
  const accountOf = new WeakMap<FastifyRequest, string>();
  const accountLimit = app.createRateLimit({
    max: config.authAccountRateLimitPerHour,
    timeWindow: 3_600_000,
    keyGenerator: (request) => accountKey(accountOf.get(request) ?? ''),
  });
  /** Counts one password attempt against the account of `email`; 429 with Retry-After beyond the limit. */
  async function limitAccount(request: FastifyRequest, reply: FastifyReply, email: string): Promise<void> {
    accountOf.set(request, normalizeEmail(email));
    const limit = await accountLimit(request);
    if (!limit.isAllowed && limit.isExceeded) {
      reply.header('retry-after', String(limit.ttlInSeconds));
      throw new ApiError(429, 'rate_limited', 'Too many sign-in attempts for this account; retry later');
    }
  }

  /** A new session row, its JWT, and the dashboard's cookies. */
  async function startSession(user: UserRow, request: FastifyRequest, reply: FastifyReply) {
    const sessionId = newId();
    const expiresAt = new Date(ctx.now() + config.jwtExpiresInSeconds * 1000);
    await sessionQueries.createSession(db, {
      id: sessionId,
      userId: user.id,
      expiresAt,
      userAgent: userAgentOf(request),
    });
    const token = await ctx.tokens.sign({ userId: user.id, sessionId }, expiresAt);
    const csrfToken = ctx.csrf.tokenFor(sessionId);
    setAuthCookies(reply, ctx.cookies, token, csrfToken);
    return { user: userJson(user), token, csrfToken };
  }

  app.get(
    '/api/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Whether sign-up is open, and whether there is no account yet',
        description:
          'For the sign-in page: a new install (firstAccount) opens on sign-up. open is false when SIGNUP is ' +
          'closed, or first-user and the account exists.',
        response: { 200: SignupStateResponse, ...errorResponses() },
      },
    },
    async () => {
      const firstAccount = !(await userQueries.anyUser(db));
      const open = policy === 'open' || (policy === 'first-user' && firstAccount);
      return { open, firstAccount };
    },
  );

  app.post(
    '/api/auth/signup',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Create an account and sign in',
        body: SignupBody,
        response: {
          201: {
            ...AuthResponse,
            description: 'Account created; also sets the bu_session and bu_csrf cookies',
          },
          ...errorResponses(400, 403, 409, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      if (policy === 'closed') throw signupClosed(policy);
      if (policy === 'first-user' && (await userQueries.anyUser(db))) throw signupClosed(policy);
      const email = normalizeEmail(request.body.email);
      await checkPasswordPolicy(request.body.password, email, 'body/password');
      // A cheap early answer for the common case; the unique index settles races (insertUser -> null).
      if (await userQueries.findUserByEmail(db, email)) throw emailTaken();
      const passwordHash = await hashPassword(request.body.password);
      const newUser = { id: newId(), email, name: request.body.name.trim(), passwordHash };
      const user =
        policy === 'first-user'
          ? await userQueries.insertFirstUser(db, newUser)
          : await userQueries.insertUser(db, newUser);
      if (user === 'not-first') throw signupClosed(policy);
      if (!user) throw emailTaken();
      request.log.info({ userId: user.id }, 'user signed up');
      return reply.code(201).send(await startSession(user, request, reply));
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Sign in',
        body: LoginBody,
        response: {
          200: { ...AuthResponse, description: 'Signed in; also sets the bu_session and bu_csrf cookies' },
          ...errorResponses(400, 401, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      await limitAccount(request, reply, request.body.email);
      const email = normalizeEmail(request.body.email);
      // Accounts made before emails were normalised may still end in a dot: found as typed.
      const user =
        (await userQueries.findUserByEmail(db, email)) ??
        (email === request.body.email.trim().toLowerCase()
          ? null
          : await userQueries.findUserByEmail(db, request.body.email.trim()));
      // Unknown addresses cost a verification too, so timing does not reveal which accounts exist.
      const ok = user
        ? await verifyPassword(user.passwordHash, request.body.password)
        : await verifyAgainstDummy(request.body.password);
      if (!user || !ok) throw badCredentials();
      if (user.totpEnabledAt) {
        const { code } = request.body;
        if (code === undefined) {
          throw new ApiError(
            401,
            'second_factor_required',
            'This account uses two-factor authentication: send "code" from the authenticator app (or a recovery code)',
          );
        }
        if (!(await verifySecondFactor(ctx, user.id, code))) {
          throw new ApiError(401, 'unauthorized', 'The two-factor code is wrong, expired or already used');
        }
      }
      return reply.code(200).send(await startSession(user, request, reply));
    },
  );

  app.post(
    '/api/auth/logout',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Sign out: revokes the session, so its token stops working at once',
        security: AUTHENTICATED,
        response: { 204: NoContent, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const { sessionId } = authOf(request);
      // An API key has no session to end: it is deleted with DELETE /api/keys/:id instead.
      if (sessionId !== null) await sessionQueries.revokeSession(db, sessionId, new Date(ctx.now()));
      clearAuthCookies(reply, ctx.cookies);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user',
        security: AUTHENTICATED,
        response: { 200: MeResponse, ...errorResponses(401) },
      },
    },
    async (request) => ({ user: sessionUserJson(authOf(request).user) }),
  );

  app.put(
    '/api/auth/password',
    {
      onRequest: ctx.authenticate,
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Change the password; every other session of the account is revoked',
        security: AUTHENTICATED,
        body: ChangePasswordBody,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const { user, sessionId } = sessionOf(request);
      await limitAccount(request, reply, user.email);
      const { currentPassword, newPassword } = request.body;
      const stored = await sessionQueries.passwordHashOf(db, user.id);
      if (!stored || !(await verifyPassword(stored, currentPassword))) {
        throw invalid('body/currentPassword', 'is not the current password');
      }
      await checkPasswordPolicy(newPassword, normalizeEmail(user.email), 'body/newPassword');
      const revoked = await sessionQueries.changePassword(db, {
        userId: user.id,
        passwordHash: await hashPassword(newPassword),
        keepSessionId: sessionId,
        now: new Date(ctx.now()),
      });
      request.log.info({ userId: user.id, sessionsRevoked: revoked }, 'password changed');
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/auth/account',
    {
      onRequest: ctx.authenticate,
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Delete the account and everything it owns',
        description:
          'Monitors, their results, incidents, events, maintenance windows, API keys and sessions all go; ' +
          'this cannot be undone. Needs the current password and, with two-factor authentication on, a code.',
        security: AUTHENTICATED,
        body: DeleteAccountBody,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const { user } = sessionOf(request);
      await limitAccount(request, reply, user.email);
      const { password, code } = request.body;
      const stored = await sessionQueries.passwordHashOf(db, user.id);
      if (!stored || !(await verifyPassword(stored, password))) {
        throw invalid('body/password', 'is not the current password');
      }
      if ((await userQueries.totpStateOf(db, user.id))?.enabledAt) {
        if (code === undefined) {
          throw invalid('body/code', 'is required: two-factor authentication is on');
        }
        if (!(await verifySecondFactor(ctx, user.id, code))) {
          throw invalid('body/code', 'is not a current code or an unused recovery code');
        }
      }
      await userQueries.deleteAccount(db, user.id, new Date(ctx.now()));
      request.log.info({ userId: user.id }, 'account deleted');
      clearAuthCookies(reply, ctx.cookies);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/auth/sessions',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'The account’s live sessions (signed in and not revoked or expired), newest first',
        security: AUTHENTICATED,
        response: { 200: SessionList, ...errorResponses(401) },
      },
    },
    async (request) => {
      const { user, sessionId } = authOf(request);
      const rows = await sessionQueries.listActiveSessions(db, user.id, new Date(ctx.now()));
      return {
        sessions: rows.map((row) => ({
          id: row.id,
          createdAt: row.createdAt.toISOString(),
          expiresAt: row.expiresAt.toISOString(),
          userAgent: row.userAgent,
          current: row.id === sessionId,
        })),
      };
    },
  );

  app.delete(
    '/api/auth/sessions/:id',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Revoke a session: its token and cookie stop working at once',
        security: AUTHENTICATED,
        params: SessionParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { user } = sessionOf(request);
      const revoked = await sessionQueries.revokeUserSession(
        db,
        user.id,
        request.params.id,
        new Date(ctx.now()),
      );
      if (!revoked) throw notFound('Session');
      return reply.code(204).send(null);
    },
  );
}
