import { userQueries } from '@better-uptime/db';
import { authOf, sessionOf } from '../auth/authenticate.js';
import { verifyPassword } from '../auth/passwords.js';
import { verifySecondFactor } from '../auth/second-factor.js';
import { hashRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, otpauthUrl } from '../auth/totp.js';
import type { ApiContext, ApiServer } from '../context.js';
import { ApiError, invalid } from '../errors.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import { TotpCodeBody, TotpDisableBody, TotpEnabled, TotpSetup, TotpStatus } from '../schemas/totp.js';

export function totpRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const tags = ['auth'];
  const security = AUTHENTICATED;
  // Guessing 6 digits must be slow: the same per-address limit as login.
  const rateLimit = { max: ctx.config.authRateLimitPerMinute, timeWindow: 60_000 };

  app.get(
    '/api/auth/totp',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags,
        security,
        summary: 'Whether two-factor authentication (TOTP) is on, and how many recovery codes are left',
        response: { 200: TotpStatus, ...errorResponses(401) },
      },
    },
    async (request) => {
      const state = await userQueries.totpStateOf(db, authOf(request).user.id);
      return {
        enabled: state?.enabledAt != null,
        pending: state?.enabledAt == null && state?.secret != null,
        recoveryCodesLeft: state?.enabledAt != null ? state.recoveryCodesLeft : 0,
      };
    },
  );

  app.post(
    '/api/auth/totp/setup',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags,
        security,
        summary:
          'Start enrolling an authenticator app: a new secret and its otpauth:// URI (show it as a QR code)',
        response: { 200: TotpSetup, ...errorResponses(401, 403, 409) },
      },
    },
    async (request) => {
      const { user } = sessionOf(request);
      const secret = newTotpSecret();
      if (!(await userQueries.setPendingTotp(db, user.id, ctx.secretBox.seal(secret)))) {
        throw new ApiError(409, 'conflict', 'Two-factor authentication is already on: disable it first');
      }
      return { secret, otpauthUrl: otpauthUrl(secret, user.email) };
    },
  );

  app.post(
    '/api/auth/totp/enable',
    {
      onRequest: ctx.authenticate,
      config: { rateLimit },
      schema: {
        tags,
        security,
        summary:
          'Finish enrolling with a code from the app; answers the recovery codes, shown only this once',
        body: TotpCodeBody,
        response: { 200: TotpEnabled, ...errorResponses(400, 401, 403, 409, 429) },
      },
    },
    async (request) => {
      const { user } = sessionOf(request);
      const state = await userQueries.totpStateOf(db, user.id);
      if (state?.enabledAt) throw new ApiError(409, 'conflict', 'Two-factor authentication is already on');
      const secret = state?.secret ? ctx.secretBox.open(state.secret) : undefined;
      if (secret === undefined)
        throw invalid('body/code', 'has no enrolment to confirm: call /api/auth/totp/setup first');
      const step = matchTotp(secret, request.body.code, ctx.now(), null);
      if (step === undefined) throw invalid('body/code', 'is not the current code of the authenticator app');
      const recoveryCodes = newRecoveryCodes();
      const enabled = await userQueries.enableTotp(db, {
        userId: user.id,
        step,
        recoveryHashes: recoveryCodes.map(hashRecoveryCode),
        now: new Date(ctx.now()),
      });
      if (!enabled) throw new ApiError(409, 'conflict', 'Two-factor authentication is already on');
      request.log.info({ userId: user.id }, 'two-factor authentication enabled');
      return { recoveryCodes };
    },
  );

  app.post(
    '/api/auth/totp/disable',
    {
      onRequest: ctx.authenticate,
      config: { rateLimit },
      schema: {
        tags,
        security,
        summary: 'Turn two-factor authentication off (needs the password and a code or a recovery code)',
        body: TotpDisableBody,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      const { user } = sessionOf(request);
      const state = await userQueries.totpStateOf(db, user.id);
      if (!state?.enabledAt) throw new ApiError(409, 'conflict', 'Two-factor authentication is not on');
      const stored = await userQueries.findUserById(db, user.id);
      if (!stored || !(await verifyPassword(stored.passwordHash, request.body.password))) {
        throw invalid('body/password', 'is not the current password');
      }
      if (!(await verifySecondFactor(ctx, user.id, request.body.code))) {
        throw invalid('body/code', 'is not a current code or an unused recovery code');
      }
      await userQueries.disableTotp(db, user.id, new Date(ctx.now()));
      request.log.info({ userId: user.id }, 'two-factor authentication disabled');
      return reply.code(204).send(null);
    },
  );
}
