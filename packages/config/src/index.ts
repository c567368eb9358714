export {
  type Config,
  DEFAULT_PGLITE_SHARED_BUFFERS,
  type LogLevel,
  LOG_LEVELS,
  loadConfig,
  loadConfigOrExit,
  loadDotEnv,
  type ResponseClock,
  RESPONSE_CLOCKS,
} from './config.js';
export { ConfigError, type Env, redactUrl } from './env.js';
export { createLogger, type Logger, LOG_REDACT_PATHS } from './logger.js';
