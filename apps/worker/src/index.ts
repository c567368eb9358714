export { Reclaimer, type ReclaimerOptions } from './reclaimer.js';
export { ResultBuffer, type ResultStore } from './result-buffer.js';
export { LatenessWindow, newCounters, type WorkerCounters } from './stats.js';
export { toRow, Worker, type Probe, type WorkerOptions } from './worker.js';
export {
  chooseClock,
  databaseResultStore,
  startRegionWorker,
  type RegionWorkerHandle,
  type RegionWorkerOptions,
} from './region-worker.js';
export { ProbeClient, type ProbeClientOptions } from './probe/client.js';
export { startProbe } from './probe/start.js';
export * as probeProtocol from './probe/protocol.js';
