export * from './schema.js';
export {
  type Database,
  type DatabaseHandle,
  type DatabaseKind,
  type DatabaseOptions,
  openDatabase,
  openMemoryDatabase,
  ping,
  queryRows,
} from './client.js';
export { migrateDatabase, MIGRATIONS_FOLDER } from './migrate.js';
export { ensureResultPartitions, partitionName } from './partitions.js';
export { isUuid, newId } from './ids.js';
