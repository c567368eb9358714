import { Type } from '@sinclair/typebox';
import { ping } from '@better-uptime/db';
import type { ApiContext, ApiServer } from '../context.js';
import { withTimeout } from '../timeout.js';

const PING_TIMEOUT_MS = 2_000;

const Up = Type.Union([Type.Literal('up'), Type.Literal('down')]);

const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('unavailable')]),
    database: Up,
    redis: Type.Optional({
      ...Up,
      description:
        'Only with REDIS_URL. While it is down, monitors are still saved; their direct push waits for it',
    }),
  },
  { title: 'Health' },
);

/**
 * For load balancers and orchestrators. `/api/health` (liveness): 200 while the database answers, Redis
 * reported beside it (`degraded` while it does not answer: the API still saves monitors). `/api/ready`
 * (readiness): 200 only when everything this process uses answers, the database and Redis alike.
 */
export function healthRoutes(app: ApiServer, { db, redisPing }: ApiContext): void {
  async function probe(log: { warn(obj: object, msg: string): void }) {
    const [database, redis] = await Promise.all([
      up(() => ping(db), 'database', log),
      redisPing ? up(redisPing, 'redis', log) : undefined,
    ]);
    return { database, ...(redis ? { redis } : {}) };
  }

  app.get(
    '/api/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: database reachability, and Redis when configured',
        response: {
          200: { ...Health, description: 'Serving, database reachable (status degraded: Redis is not)' },
          503: { ...Health, description: 'Database unreachable or too slow' },
        },
      },
    },
    async (request, reply) => {
      const found = await probe(request.log);
      if (found.database === 'down') return reply.code(503).send({ status: 'unavailable', ...found });
      return { status: found.redis === 'down' ? ('degraded' as const) : ('ok' as const), ...found };
    },
  );

  app.get(
    '/api/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database and, when configured, Redis answer',
        response: {
          200: { ...Health, description: 'Ready' },
          503: { ...Health, description: 'The database or Redis is unreachable or too slow' },
        },
      },
    },
    async (request, reply) => {
      const found = await probe(request.log);
      if (found.database === 'down' || found.redis === 'down')
        return reply.code(503).send({ status: 'unavailable', ...found });
      return { status: 'ok' as const, ...found };
    },
  );
}

async function up(
  check: () => Promise<unknown>,
  what: string,
  log: { warn(obj: object, msg: string): void },
): Promise<'up' | 'down'> {
  try {
    await withTimeout(check(), PING_TIMEOUT_MS, `${what} ping`);
    return 'up';
  } catch (error) {
    log.warn({ err: error }, `health check: ${what} did not answer`);
    return 'down';
  }
}
