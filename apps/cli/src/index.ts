export { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
export { type Role, type RunningSystem, startRoles } from './roles.js';
