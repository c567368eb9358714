export {
  createTestDatabase,
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  type TestDatabase,
} from './database.js';
export { TEST_POSTGRES_URL, TEST_REDIS_URL, adminQuery, databaseUrl } from './services.js';
export { databaseVariants, type DatabaseVariant } from './variants.js';
export { resultRow, seedMonitor, type SeedMonitorFields, seedUser, type SeedUserFields } from './seed.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export {
  type ClockTarget,
  KERNEL_CLOCK_SLACK_MS,
  monotonicNow,
  startClockTarget,
  toMonotonic,
} from './clock-target.js';
export { deleteRedisKeys, queueVariants, type QueueVariant } from './queues.js';
export {
  startTarget,
  startTlsTarget,
  makeCertificate,
  type TargetBehaviour,
  type TargetHit,
  type TargetServer,
  type TlsTargetOptions,
  type TlsTargetServer,
} from './targets.js';
export {
  type ReceivedMail,
  type ReceivedRequest,
  type ReceiverSink,
  type SinkAnswer,
  type SmtpSink,
  startReceiverSink,
  startSmtpSink,
} from './receivers.js';
export {
  freePort,
  type OwnPostgres,
  type OwnRedis,
  postgresBinaries,
  startOwnPostgres,
  startOwnRedis,
} from './own-servers.js';
export {
  parsePrometheus,
  type PrometheusFamily,
  type PrometheusSample,
  sampleTotal,
  samplesOf,
} from './prometheus.js';
