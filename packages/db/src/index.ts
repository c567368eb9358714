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
export { ensureResultPartitions, partitionName } from './partitions.js';
export {
  DEFAULT_RETENTION_DAYS,
  type MaintenanceOptions,
  type MaintenanceReport,
  runMaintenance,
} from './maintenance.js';
export { isUuid, newId } from './ids.js';
export { FOREIGN_KEY_VIOLATION, isRowDataError, sqlState, UNIQUE_VIOLATION } from './errors.js';
export {
  insertResults,
  insertResultsOneByOne,
  type ResultRow,
  type RowOutcome,
} from './queries/result-writer.js';
export { claimDueMonitors, type DueMonitor } from './queries/schedule.js';
export * as userQueries from './queries/users.js';
export * as sessionQueries from './queries/sessions.js';
export * as monitorQueries from './queries/monitors.js';
export * as resultQueries from './queries/results.js';
export * as statsQueries from './queries/stats.js';
