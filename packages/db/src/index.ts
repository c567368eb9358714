export * from './schema.js';
export {
  cachesPlans,
  type Database,
  type DatabaseHandle,
  type DatabaseKind,
  type DatabaseOptions,
  initPgliteDataDir,
  type InitPgliteOptions,
  isPgliteDataDir,
  openDatabase,
  openMemoryDatabase,
  PgliteInitError,
  ping,
  queryRows,
} from './client.js';
export { migrateDatabase, MIGRATIONS_FOLDER } from './migrate.js';
export { listen, type Listener, type ListenOptions, notify } from './listen.js';
export { makeDataDirPrivate, makeTreePrivate } from './private-files.js';
export { ensureResultPartitions, partitionName } from './partitions.js';
export {
  DEFAULT_REROLL_HOURS,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_ROLLUP_RETENTION_DAYS,
  type MaintenanceIntervalsOf,
  type MaintenanceOptions,
  type MaintenanceReport,
  ROLL_SETTLE_MS,
  rollRecent,
  runMaintenance,
} from './maintenance.js';
export * as rollups from './rollups.js';
export { isUuid, newId } from './ids.js';
export {
  FOREIGN_KEY_VIOLATION,
  isDatabaseUnavailable,
  isRowDataError,
  sqlState,
  UNIQUE_VIOLATION,
} from './errors.js';
export {
  insertResults,
  insertResultsOneByOne,
  storeNewResults,
  type ResultRow,
  type RowOutcome,
} from './queries/result-writer.js';
export {
  claimDueHeartbeats,
  claimDueMonitors,
  type DueHeartbeat,
  type DueMonitor,
  republishAbandonedClaims,
} from './queries/schedule.js';
export * as heartbeatQueries from './queries/heartbeats.js';
export { ownedIds, type OwnedTable } from './queries/ownership.js';
export * as userQueries from './queries/users.js';
export * as sessionQueries from './queries/sessions.js';
export * as apiKeyQueries from './queries/api-keys.js';
export * as probeQueries from './queries/probes.js';
export * as monitorQueries from './queries/monitors.js';
export * as resultQueries from './queries/results.js';
export * as statsQueries from './queries/stats.js';
export * as overviewQueries from './queries/overview.js';
export * as incidentQueries from './queries/incidents.js';
export * as metricsQueries from './queries/metrics.js';
export * as maintenanceWindowQueries from './queries/maintenance-windows.js';
export * as notificationQueries from './queries/notifications.js';
export * as statusPageQueries from './queries/status-pages.js';
