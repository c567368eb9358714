import type { FastifyReply } from 'fastify';
import { newId, sessionQueries, userQueries, type UserRow } from '@better-uptime/db';
import { authOf } from '../auth/authenticate.js';
import { clearAuthCookies, setAuthCookies } from '../auth/cookies.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../auth/passwords.js';
import type { ApiContext, ApiServer } from '../context.js';
import { ApiError } from '../errors.js';
import { sessionUserJson, userJson } from '../present.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import { AuthResponse, LoginBody, MeResponse, SignupBody } from '../schemas/user.js';

const emailTaken = () => new ApiError(409, 'conflict', 'An account with this email already exists');
const badCredentials = () => new ApiError(401, 'unauthorized', 'Invalid email or password');

export function authRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db, config } = ctx;
  // Per client address and route; the 429 carries Retry-After.
  const rateLimit = { max: config.authRateLimitPerMinute, timeWindow: 60_000 };

  /** A new session row, its JWT, and the dashboard's cookies. */
  async function startSession(user: UserRow, reply: FastifyReply) {
    const sessionId = newId();
    const expiresAt = new Date(ctx.now() + config.jwtExpiresInSeconds * 1000);
    await sessionQueries.createSession(db, { id: sessionId, userId: user.id, expiresAt });
    const token = await ctx.tokens.sign({ userId: user.id, sessionId }, expiresAt);
    const csrfToken = ctx.csrf.tokenFor(sessionId);
    setAuthCookies(reply, ctx.cookies, token, csrfToken);
    return { user: userJson(user), token, csrfToken };
  }

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
          ...errorResponses(400, 409, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      const email = request.body.email.toLowerCase();
      // A cheap early answer for the common case; the unique index settles races (insertUser -> null).
      if (await userQueries.findUserByEmail(db, email)) throw emailTaken();
      const passwordHash = await hashPassword(request.body.password);
      const user = await userQueries.insertUser(db, {
        id: newId(),
        email,
        name: request.body.name.trim(),
        passwordHash,
      });
      if (!user) throw emailTaken();
      request.log.info({ userId: user.id }, 'user signed up');
      return reply.code(201).send(await startSession(user, reply));
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
      const user = await userQueries.findUserByEmail(db, request.body.email.trim());
      // Unknown addresses cost a verification too, so timing does not reveal which accounts exist.
      const ok = user
        ? await verifyPassword(user.passwordHash, request.body.password)
        : await verifyAgainstDummy(request.body.password);
      if (!user || !ok) throw badCredentials();
      return reply.code(200).send(await startSession(user, reply));
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
      await sessionQueries.revokeSession(db, authOf(request).sessionId, new Date(ctx.now()));
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
}
