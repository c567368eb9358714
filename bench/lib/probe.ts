/**
 * Preloaded into every process the benchmarks start (`node --import tsx --import bench/lib/probe.ts ...`):
 * once a second it sends the parent its resident memory, CPU time and event-loop delay over the IPC
 * channel. It changes nothing in the program it watches, so the real entry points (the CLI's `worker`,
 * `producer`, `start`) run exactly as in production.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface ProbeSample {
  type: 'probe';
  /** Epoch ms. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time (user + system) spent since the previous sample, ms. */
  cpuMs: number;
  /** Wall time since the previous sample, ms. */
  wallMs: number;
  /** Event-loop delay over the last interval, ms. */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Garbage collections in the interval: young-generation (scavenge) and full (mark-compact) pauses. */
  gc: { minorCount: number; minorMs: number; majorCount: number; majorMs: number; maxPauseMs: number };
}

const INTERVAL_MS = 1_000;

if (process.send) {
  // 1 ms resolution: the delays this probe is for (timing accuracy) are a few milliseconds.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // GC pauses stop the event loop, and with it the timestamps of whatever arrives meanwhile.
  let gc = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0, maxPauseMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.minorCount++;
        gc.minorMs += entry.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.majorCount++;
        gc.majorMs += entry.duration;
      }
      gc.maxPauseMs = Math.max(gc.maxPauseMs, entry.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let lastCpu = process.cpuUsage();
  let lastWall = performance.now();
  const timer = setInterval(() => {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const memory = process.memoryUsage();
    const sample: ProbeSample = {
      type: 'probe',
      at: Date.now(),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuMs: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000,
      wallMs: wall - lastWall,
      loopDelayP50Ms: delay.percentile(50) / 1e6,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      gc,
    };
    gc = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0, maxPauseMs: 0 };
    lastCpu = cpu;
    lastWall = wall;
    delay.reset();
    if (process.connected) process.send?.(sample);
  }, INTERVAL_MS);
  // Never the reason a process stays alive.
  timer.unref();
  process.channel?.unref();
  // No orphans: when the benchmark goes away (even killed), the process stops as on Ctrl-C.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
