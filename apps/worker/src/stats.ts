/** What a worker counts: every drop is counted and visible (logged periodically, later exported). */
export interface WorkerCounters {
  checked: number;
  up: number;
  down: number;
  stored: number;
  /** Slots already older than their interval when they came to run (load shedding). */
  droppedStale: number;
  /**
   * Due slots of a user whose backlog in this worker reached its bound (half the held tasks) while the fair
   * share throttled it: the oldest are shed so that other users' tasks can still be read (load shedding).
   */
  droppedBacklog: number;
  /** Tasks for monitors that are not checked from this region. */
  skippedRegion: number;
  /** A slot that came again in another entry (publishing is at least once): acknowledged, not checked again. */
  duplicates: number;
  /** Results whose monitor was deleted meanwhile. */
  droppedDeleted: number;
  /** Results the database refused; their messages stay pending and end in the dead-letter stream. */
  rejected: number;
  deadLettered: number;
  reclaimed: number;
  flushFailures: number;
  ackFailures: number;
}

export function newCounters(): WorkerCounters {
  return {
    checked: 0,
    up: 0,
    down: 0,
    stored: 0,
    droppedStale: 0,
    droppedBacklog: 0,
    skippedRegion: 0,
    duplicates: 0,
    droppedDeleted: 0,
    rejected: 0,
    deadLettered: 0,
    reclaimed: 0,
    flushFailures: 0,
    ackFailures: 0,
  };
}

/** Start lateness (check start minus slot) of the most recent checks, for percentiles. */
export class LatenessWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size = 4096) {
    this.values = new Float64Array(size);
  }

  record(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    this.filled = Math.min(this.filled + 1, this.values.length);
  }

  percentile(p: number): number | null {
    if (this.filled === 0) return null;
    const sorted = Array.from(this.values.subarray(0, this.filled)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}
