import { Type } from '@sinclair/typebox';
import { ping } from '@better-uptime/db';
import type { ApiContext, ApiServer } from '../context.js';
import { withTimeout } from '../timeout.js';

const PING_TIMEOUT_MS = 2_000;

const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
    database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  },
  { title: 'Health' },
);

/** For load balancers and orchestrators: 200 when the database answers within 2 s, else 503. */
export function healthRoutes(app: ApiServer, { db }: ApiContext): void {
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness and database reachability',
        response: {
          200: { ...Health, description: 'Serving, database reachable' },
          503: { ...Health, description: 'Database unreachable or too slow' },
        },
      },
    },
    async (request, reply) => {
      try {
        await withTimeout(ping(db), PING_TIMEOUT_MS, 'database ping');
        return { status: 'ok' as const, database: 'up' as const };
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database did not answer');
        return reply.code(503).send({ status: 'unavailable', database: 'down' });
      }
    },
  );
}
