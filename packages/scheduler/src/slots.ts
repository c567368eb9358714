import { createHash } from 'node:crypto';
import type { DueMonitor } from '@better-uptime/db';

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

/**
 * The slot after a published one: at the retry cadence while the monitor is retrying (a region failing or
 * an incident open), else the monitor's next slot on its own grid at least a retry interval later (one
 * interval later for a slot on the grid; the first grid slot after that when a monitor comes back from
 * retries).
 */
export function slotAfter(due: DueMonitor): number {
  if (due.retrying) return due.slotAt + due.retryIntervalSeconds * 1000;
  const gapMs = Math.min(due.retryIntervalSeconds, due.intervalSeconds) * 1000;
  return nextSlotAfter(due.id, due.intervalSeconds, due.slotAt + gapMs - 1);
}
