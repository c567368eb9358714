/**
 * How busy the whole machine was (all cores, every process: the system under test, its targets,
 * PostgreSQL, Redis), from /proc/stat sampled once a second. A figure that shares the machine with its
 * own load generator needs this to tell the system's limits from the machine's.
 */
import { readFileSync } from 'node:fs';

interface CpuSample {
  at: number;
  busy: number;
  total: number;
}

function readCpu(): CpuSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal ...
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { at: Date.now(), busy: total - idle, total };
  } catch {
    return null; // not Linux: the figure reports no machine load
  }
}

export interface MachineCpuSampler {
  /** Share of all cores' time that was busy between two moments (0 to 1), or null without samples. */
  busyBetween(from: number, to: number): number | null;
  stop(): void;
}

export function sampleMachineCpu(intervalMs = 1_000): MachineCpuSampler {
  const samples: CpuSample[] = [];
  const take = () => {
    const sample = readCpu();
    if (sample) samples.push(sample);
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    busyBetween(from, to) {
      const first = samples.find((s) => s.at >= from);
      const last = samples.findLast((s) => s.at <= to);
      if (!first || !last || last.total <= first.total) return null;
      return (last.busy - first.busy) / (last.total - first.total);
    },
    stop: () => clearInterval(timer),
  };
}
