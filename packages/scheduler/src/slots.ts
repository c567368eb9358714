import { createHash } from 'node:crypto';

/**
 * Slot arithmetic. Every monitor has a fixed phase inside its interval, derived from its id, so the slots
 * of many monitors created in the same second spread evenly over their interval, and the slots of one
 * monitor stay on the same grid whatever happens (no drift: the next slot is always a whole number of
 * intervals after the last).
 */
export function phaseMs(monitorId: string, intervalSeconds: number): number {
  const hash = createHash('sha1').update(monitorId).digest().readUInt32BE(0);
  // Millisecond granularity: whole-second phases would start every monitor of a second in the same
  // millisecond, and such bursts inflate the measured timings (see BENCHMARKS.md, timing accuracy).
  return hash % (intervalSeconds * 1000);
}

/** The first slot of the monitor strictly after `afterMs`. */
export function nextSlotAfter(monitorId: string, intervalSeconds: number, afterMs: number): number {
  const interval = intervalSeconds * 1000;
  const phase = phaseMs(monitorId, intervalSeconds);
  return Math.floor((afterMs - phase) / interval) * interval + phase + interval;
}
