import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config, SecretBox } from '@better-uptime/config';
import type { Database, MonitorRow, probeQueries } from '@better-uptime/db';
import type { CookieSettings } from './auth/cookies.js';
import type { Csrf } from './auth/csrf.js';
import type { TokenService } from './auth/tokens.js';
import type { ProbeHub } from './probes/hub.js';

export type ApiServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * The scheduling hook ("direct push"): told about each created or updated monitor so its first check
 * need not wait for the producer's next pass. It must not wait for the queue (a request never waits for
 * Redis); its failures are logged, never fail the request: the producer schedules the monitor anyway.
 */
export interface MonitorEvents {
  created(monitor: MonitorRow): Promise<void>;
  updated(monitor: MonitorRow): Promise<void>;
}

/** What route handlers share; built once per server. */
export interface ApiContext {
  db: Database;
  config: Config;
  tokens: TokenService;
  csrf: Csrf;
  /** Seals TOTP seeds (under SECRETS_KEY; also opens those sealed under the JWT secret before). */
  secretBox: SecretBox;
  /** Seals channel secrets (under SECRETS_KEY): the notifiers open them with the same keys. */
  channelSecrets: SecretBox;
  cookies: CookieSettings;
  /** onRequest hook of every route that needs a signed-in user. */
  authenticate: (request: FastifyRequest) => Promise<void>;
  monitorEvents: MonitorEvents | undefined;
  /** Resolves when Redis answers a PING (only with REDIS_URL), for the health routes. */
  redisPing: (() => Promise<unknown>) | undefined;
  now: () => number;
  /** The configured regions and those of the probes. */
  regions: probeQueries.InstanceRegions;
  /** The remote probes' connections to this process. */
  probes: ProbeHub;
}
