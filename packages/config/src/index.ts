export {
  type Config,
  DEFAULT_PGLITE_SHARED_BUFFERS,
  type LogLevel,
  type NotificationSettings,
  LOG_LEVELS,
  loadConfig,
  loadConfigOrExit,
  loadDotEnv,
  type ResponseClock,
  RESPONSE_CLOCKS,
  SIGNUP_POLICIES,
  type SignupPolicy,
  signupPolicy,
} from './config.js';
export {
  channelSecretBox,
  createSecretBox,
  keptSecret,
  resolveSecretsKeys,
  SECRETS_KEY_FILE,
  type SecretBox,
} from './secrets.js';
export { ConfigError, type Env, redactUrl } from './env.js';
export {
  createLogger,
  type Logger,
  loggerOptions,
  LOG_REDACT_PATHS,
  readableLogLine,
  redactSecretValues,
  serializeError,
} from './logger.js';
