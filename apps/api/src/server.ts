import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import {
  channelSecretBox,
  type Config,
  createLogger,
  createSecretBox,
  type Logger,
} from '@better-uptime/config';
import type { Database } from '@better-uptime/db';
import { createAuthenticate } from './auth/authenticate.js';
import { createCsrf } from './auth/csrf.js';
import { createTokenService } from './auth/tokens.js';
import type { ApiContext, ApiServer, MonitorEvents } from './context.js';
import { answerClientError, answerFrameworkError, installErrorHandlers } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { clientAddressFor, fastifyTrustProxy, type RedisClient, rateLimitStore } from './rate-limit.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { authRoutes } from './routes/auth.js';
import { channelRoutes } from './routes/channels.js';
import { totpRoutes } from './routes/totp.js';
import { healthRoutes } from './routes/health.js';
import { incidentRoutes } from './routes/incidents.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { monitorRoutes } from './routes/monitors.js';
import { pushRoutes } from './routes/push.js';
import { resultRoutes } from './routes/results.js';
import { statsRoutes } from './routes/stats.js';
import { overviewEventRoutes } from './routes/overview-events.js';
import { badgeRoutes } from './routes/badges.js';
import { statusPageRoutes } from './routes/status-pages.js';
import { incidentUpdateRoutes } from './routes/incident-updates.js';
import { registerDashboard } from './static.js';
import { validatorCompiler } from './validation.js';

export interface ServerDeps {
  db: Database;
  config: Config;
  logger?: Logger;
  monitorEvents?: MonitorEvents;
  /** From resolveJwtSecret: JWT_SECRET, or the development secret kept in the data directory. */
  jwtSecret: string;
  /** From resolveSecretsKeys: the keys sealing channel secrets (the first seals, all open). */
  secretsKeys: readonly string[];
  /** The clock for schedules, sessions and cleanup cut-offs; tests pin it. */
  now?: () => number;
  /**
   * Where rate-limit counters are shared between API processes (from REDIS_URL); without it each process
   * counts alone. `namespace` prefixes its keys.
   */
  rateLimitRedis?: { client: RedisClient; namespace: string };
  /** The live updates' heartbeat interval (default LIVE_HEARTBEAT_MS); tests shorten it. */
  liveHeartbeatMs?: number;
}

export const BODY_LIMIT = 65_536;

/** The API as a Fastify instance, not listening: `startApi` listens, tests call `inject()`. */
export function buildServer(deps: ServerDeps): ApiServer {
  const { db, config } = deps;
  const logger = deps.logger ?? createLogger('api', config.logLevel);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Slow clients cannot hold a request open for ever.
    requestTimeout: 30_000,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    logController: new QuietRequestLog(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  installErrorHandlers(app);
  acceptOnlyJson(app);
  closeConnectionsWhenClosing(app);

  app.register(cookie);
  app.register(rateLimit, {
    global: false,
    keyGenerator: clientAddressFor(config.trustProxy),
    store: rateLimitStore(deps.rateLimitRedis?.client, deps.rateLimitRedis?.namespace ?? '', (error) =>
      logger.warn({ err: error }, 'rate limit counters unavailable in Redis; counting in this process'),
    ),
  });
  registerOpenApi(app);

  const now = deps.now ?? Date.now;
  const tokens = createTokenService(deps.jwtSecret);
  const csrf = createCsrf(deps.jwtSecret);
  const ctx: ApiContext = {
    db,
    config,
    tokens,
    csrf,
    secretBox: createSecretBox(deps.jwtSecret),
    channelSecrets: channelSecretBox(deps.secretsKeys),
    cookies: { secure: config.cookieSecure, maxAgeSeconds: config.jwtExpiresInSeconds },
    authenticate: createAuthenticate({ db, tokens, csrf, now }),
    monitorEvents: deps.monitorEvents,
    redisPing: redisPing(deps.rateLimitRedis?.client),
    now,
  };
  app.decorateRequest('auth', null);
  // Routes go in a plugin registered after swagger, so the OpenAPI document sees every one of them.
  app.register(async (api) => {
    healthRoutes(api, ctx);
    authRoutes(api, ctx);
    apiKeyRoutes(api, ctx);
    totpRoutes(api, ctx);
    monitorRoutes(api, ctx);
    pushRoutes(api, ctx);
    resultRoutes(api, ctx);
    statsRoutes(api, ctx);
    overviewEventRoutes(api, ctx, deps.liveHeartbeatMs);
    badgeRoutes(api, ctx);
    statusPageRoutes(api, ctx);
    incidentUpdateRoutes(api, ctx);
    incidentRoutes(api, ctx);
    maintenanceRoutes(api, ctx);
    channelRoutes(api, ctx);
    registerDashboard(api);
  });
  return app;
}

/** A PING on the API's own Redis connection; it fails at once while that connection is down. */
function redisPing(client: RedisClient | undefined): (() => Promise<unknown>) | undefined {
  if (!client) return undefined;
  return async () => {
    if (!client.isReady) throw new Error('Redis is not connected');
    return client.ping();
  };
}

/**
 * On close, Fastify refuses new requests and closes idle connections, but a keep-alive connection whose
 * request is still running would stay open after its response until the keep-alive timeout, holding up
 * shutdown for a minute. Responses sent while closing therefore end their connection.
 */
function closeConnectionsWhenClosing(app: ApiServer): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}

/**
 * Fastify's two info lines per request drowned everything else (808 of 854 lines in ten minutes of
 * `npm start`): one line per answered request instead, at debug (LOG_LEVEL=debug shows them); a failed
 * answer stays an error line.
 */
class QuietRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      url: request.url.split('?')[0],
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) request.log.error({ ...fields, err: error }, 'request errored');
    else request.log.debug(fields, 'request completed');
  }
}

/**
 * JSON is the only body type: text/plain (which Fastify accepts by default) now gets 415. An empty JSON
 * body counts as no body, so a bodiless POST that carries a JSON content type (as some clients send for
 * logout) is not an error; where a body is required, validation says so.
 */
function acceptOnlyJson(app: ApiServer): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });
}
