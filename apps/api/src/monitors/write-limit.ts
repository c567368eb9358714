import type { FastifyReply, FastifyRequest } from 'fastify';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { ApiError } from '../errors.js';

/**
 * The per-user limit on monitor creates, edits and deletes (MONITOR_WRITES_PER_MINUTE; 0: none),
 * as a preHandler: it runs after authentication, so it counts per user, whichever key or session writes.
 * The counters are the rate limiter's, shared through Redis between API processes when there is one.
 */
export function monitorWriteLimit(
  app: ApiServer,
  ctx: ApiContext,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const max = ctx.config.monitorWritesPerMinute;
  if (max === 0) return async () => undefined;
  const limit = app.createRateLimit({
    max,
    timeWindow: 60_000,
    keyGenerator: (request) => `monitor-writes:${authOf(request).user.id}`,
  });
  return async (request, reply) => {
    const verdict = await limit(request);
    if (!verdict.isAllowed && verdict.isExceeded) {
      reply.header('retry-after', String(verdict.ttlInSeconds));
      throw new ApiError(
        429,
        'rate_limited',
        `Too many monitor changes: at most ${max} a minute; retry in ${verdict.ttlInSeconds} s`,
      );
    }
  };
}
