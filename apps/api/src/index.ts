export { buildServer, BODY_LIMIT, type ServerDeps } from './server.js';
export { apiSessionTimeouts, startApi, type RunningApi, type StartApiOptions } from './start.js';
export { resolveJwtSecret } from './auth/secret.js';
export type { ApiServer, MonitorEvents } from './context.js';
