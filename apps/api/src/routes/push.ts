import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { MAX_PUSH_MESSAGE, PUSH_KIND_NAMES, PUSH_STATUSES } from '@better-uptime/checker';
import { type Database, heartbeatQueries, monitorQueries } from '@better-uptime/db';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { hashPushToken, isPushKind, newPushUrl, PUSH_TOKEN } from '../monitors/heartbeat.js';
import { monitorWriteLimit } from '../monitors/write-limit.js';
import { AUTHENTICATED, errorResponses } from '../schemas/common.js';
import { MonitorParams } from '../schemas/monitor.js';

/** A push's body is never read (its parameters are in the query); a little is allowed for clients that send one. */
const PUSH_BODY_LIMIT = 4_096;

const PushParams = Type.Object(
  { token: Type.String({ maxLength: 200, description: 'The token of the monitor’s push URL' }) },
  { additionalProperties: false },
);
const PushQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union(
        PUSH_STATUSES.map((s) => Type.Literal(s)),
        { default: 'up', description: 'What the sender says: down makes the monitor’s next slot down' },
      ),
    ),
    message: Type.Optional(
      Type.String({
        maxLength: MAX_PUSH_MESSAGE,
        description: 'A note kept with the push (shown as the reason of a down)',
      }),
    ),
  },
  { additionalProperties: false },
);
const PushResponse = Type.Object({
  ok: Type.Literal(true),
  paused: Type.Boolean({ description: 'The monitor is paused: the push is kept, but no slot is judged' }),
});
const PushUrlResponse = Type.Object({
  pushUrl: Type.String({ description: 'The new push URL, shown this once; the old one stops working' }),
});

/**
 * Heartbeats: the public push URL a cron job or service calls (GET or POST, any body ignored), rate-limited
 * per client address and per URL; and a new URL for one's heartbeat monitor.
 */
export function pushRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db, config } = ctx;
  const perToken = app.createRateLimit({
    max: config.pushRateLimitPerMinute,
    timeWindow: 60_000,
    // The hash: a token is never kept in clear, not even in the counters' keys.
    keyGenerator: (request) => `push:${hashPushToken((request.params as { token: string }).token)}`,
  });

  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    // Cron jobs send what their tool sends (curl -d: a form body; others JSON or nothing): accepted, unread.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));
    for (const method of ['GET', 'POST'] as const) {
      scope.route({
        method,
        url: '/api/push/:token',
        bodyLimit: PUSH_BODY_LIMIT,
        config: { rateLimit: { max: config.pushAddressRateLimitPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['heartbeats'],
          summary: `Push a heartbeat (${method})`,
          description:
            'Public: the token is the secret. Records a push for the heartbeat monitor of this URL; each of its ' +
            'slots is up when a push came within intervalSeconds + graceSeconds before it (down when the newest ' +
            'said status=down). Any body is ignored. An unknown or malformed token answers 404.',
          params: PushParams,
          querystring: PushQuery,
          response: { 200: PushResponse, ...errorResponses(400, 404, 413, 429) },
        },
        handler: async (request, reply) => {
          const { token } = request.params;
          if (!PUSH_TOKEN.test(token)) throw notFound('Push URL');
          const limit = await perToken(request);
          if (!limit.isAllowed && limit.isExceeded) {
            reply.header('retry-after', String(limit.ttlInSeconds));
            throw new ApiError(429, 'rate_limited', 'Too many pushes to this URL; retry later');
          }
          const pushed = await heartbeatQueries.recordPush(
            db,
            hashPushToken(token),
            { at: ctx.now(), status: request.query.status ?? 'up', message: request.query.message ?? null },
            PUSH_KIND_NAMES,
          );
          if (!pushed) throw notFound('Push URL');
          return { ok: true as const, paused: pushed.paused };
        },
      });
    }
  });

  app.post(
    '/api/monitor/:id/push-token',
    {
      onRequest: ctx.authenticate,
      preHandler: monitorWriteLimit(app, ctx),
      schema: {
        tags: ['heartbeats'],
        security: AUTHENTICATED,
        summary: 'Give a heartbeat monitor a new push URL',
        description:
          'The old URL stops working at once; pushes are expected at the new one from now (a full interval ' +
          'plus grace). 409 for a monitor of another kind.',
        params: MonitorParams,
        response: { 200: PushUrlResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const pushUrl = await db.transaction(async (tx) => {
        const t = tx as unknown as Database;
        const monitor = await monitorQueries.findMonitor(t, userId, request.params.id);
        if (!monitor) throw notFound('Monitor');
        if (!isPushKind(monitor.kind))
          throw new ApiError(409, 'conflict', 'Only heartbeat monitors have a push URL');
        return newPushUrl(t, config.notifications.publicUrl, monitor.id, ctx.now());
      });
      return { pushUrl };
    },
  );
}
