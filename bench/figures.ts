/**
 * Every benchmark figure by name, in the order `npm run bench` runs them. Figures are loaded lazily, so
 * `npm run bench -- <name>` imports only what it runs. A figure module exports a `Figure` (see
 * lib/figure.ts) under the name given here; a new figure is one more line.
 */
import type { Figure } from './lib/figure.js';

const FIGURES: ReadonlyArray<{ name: string; load: () => Promise<Figure> }> = [
  {
    name: 'pipeline-throughput',
    load: async () => (await import('./pipeline-throughput.js')).pipelineThroughput,
  },
  { name: 'schedule-lateness', load: async () => (await import('./schedule-lateness.js')).scheduleLateness },
  { name: 'timing-accuracy', load: async () => (await import('./timing-accuracy.js')).timingAccuracy },
  { name: 'result-ingest', load: async () => (await import('./result-ingest.js')).resultIngest },
  { name: 'api', load: async () => (await import('./api.js')).apiFigure },
  { name: 'dashboard', load: async () => (await import('./dashboard.js')).dashboard },
  { name: 'memory', load: async () => (await import('./memory.js')).memory },
  { name: 'history-scale', load: async () => (await import('./history-scale.js')).historyScale },
  // Retention (partition drop, million-row cleanup): measured by bench/history-cleanup.ts.
  { name: 'history-cleanup', load: async () => (await import('./history-cleanup-figure.js')).historyCleanup },
  { name: 'detection', load: async () => (await import('./detection.js')).detection },
  {
    name: 'notification-storm',
    load: async () => (await import('./notification-storm.js')).notificationStorm,
  },
  { name: 'storm-lateness', load: async () => (await import('./storm-lateness.js')).stormLateness },
  { name: 'rollups', load: async () => (await import('./rollups.js')).rollupsFigure },
  { name: 'status-page', load: async () => (await import('./status-page.js')).statusPageFigure },
  { name: 'monitor-kinds', load: async () => (await import('./monitor-kinds.js')).monitorKinds },
  { name: 'probe-throughput', load: async () => (await import('./probe-throughput.js')).probeThroughput },
  { name: 'probe-lateness', load: async () => (await import('./probe-lateness.js')).probeLateness },
];

/** The names `npm run bench -- <name>` accepts, in run order. */
export function figureNames(): string[] {
  return FIGURES.map((f) => f.name);
}

export async function loadFigure(name: string): Promise<Figure> {
  const entry = FIGURES.find((f) => f.name === name);
  if (!entry) throw new Error(`unknown figure "${name}"; known: ${figureNames().join(', ')}`);
  return entry.load();
}
