export * from './state-machine.js';
export * from './maintenance-windows.js';
export { intervalsOfWindows, maintenanceIntervals, monitorsInEffect } from './maintenance-intervals.js';
export {
  logRecorded,
  recordResults,
  recordResultsIn,
  nextRetrySlot,
  windowRule,
  type StateOptions,
} from './record-results.js';
export type { LogLine } from './events.js';
export { settleMonitorState, settleReasonFor, logSettled, type SettleReason } from './settle.js';
export { incidentEvent, type EventType } from './events.js';
export { resultRowOf } from './result-row.js';
export {
  LIVE_CHANNEL,
  type LiveCheck,
  type LiveNews,
  type LiveState,
  livePayloads,
  notifyLive,
  parseLivePayload,
} from './live.js';
