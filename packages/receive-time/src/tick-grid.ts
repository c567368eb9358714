/**
 * Turns the kernel's "milliseconds since data last arrived" into an arrival time on the monotonic clock.
 *
 * Linux counts that age in scheduler ticks (4 ms at HZ=250), so on its own it is only good to a tick. The
 * tick boundaries are found from CLOCK_MONOTONIC_COARSE, which jumps once per tick but carries the value of
 * its own accounting grid, a constant phase behind the moment of the jump. The phase is learned from the
 * readings themselves: `now − coarse` is smallest right after a tick, so its minimum over recent readings
 * is the phase. Knowing which tick the data arrived in, the estimate is the middle of that tick (never
 * later than the reading itself), good to half a tick in theory; in practice a little worse, because tick
 * interrupts are themselves late by varying amounts (up to a millisecond or two in a virtual machine whose
 * idle CPU has to be woken), so `arrivalTime` uses it only when it shows that the loop was late.
 */
export interface Readings {
  /** tcpi_last_data_recv: whole ticks since the last data segment arrived, in milliseconds. */
  sinceLastDataMs: number;
  /** CLOCK_MONOTONIC_COARSE at the reading, milliseconds. */
  coarseMs: number;
  /** CLOCK_MONOTONIC at the reading, milliseconds. */
  nowMs: number;
}

/**
 * When data arrived, given the event loop's time at the reading (`loopNow`) and the kernel's age of it:
 * an age of more than a tick means the loop got to the data late, and the kernel's time is the better one;
 * within a tick the kernel cannot tell, and the loop's own clock, finer and never early, is kept.
 */
export function arrivalTime(loopNow: number, ageMs: number, tickMs: number): number {
  return ageMs > tickMs ? loopNow - ageMs : loopNow;
}

/** Readings per window; the phase is the minimum over the current and the previous window. */
const WINDOW = 256;

export class TickGrid {
  private phase = Infinity;
  private windowMin = Infinity;
  private previousWindowMin = Infinity;
  private inWindow = 0;

  constructor(readonly tickMs: number) {
    if (!(tickMs > 0)) throw new RangeError(`tick must be positive, got ${tickMs}`);
  }

  /**
   * How long before `readings.nowMs` the data arrived, in milliseconds (0 or more). Also learns the phase
   * from this reading, so call it once per reading.
   */
  ageOf(readings: Readings): number {
    const { sinceLastDataMs, coarseMs, nowMs } = readings;
    this.observe(nowMs - coarseMs);
    // The start of the current tick, in real time; the data arrived `ticks` ticks before it.
    const tickStart = coarseMs + Math.min(this.phase, this.tickMs);
    const ticks = Math.round(sinceLastDataMs / this.tickMs);
    const arrivalTickStart = tickStart - ticks * this.tickMs;
    const arrivalTickEnd = Math.min(arrivalTickStart + this.tickMs, nowMs);
    const arrival = (arrivalTickStart + arrivalTickEnd) / 2;
    return Math.max(0, nowMs - arrival);
  }

  /** The phase learned so far (Infinity before the first reading). */
  get phaseMs(): number {
    return this.phase;
  }

  private observe(lag: number): void {
    // A reading whose clocks disagree by more than a few ticks was preempted between them; skip it.
    if (!(lag >= 0) || lag > 4 * this.tickMs) return;
    if (lag < this.windowMin) this.windowMin = lag;
    this.phase = Math.min(this.windowMin, this.previousWindowMin);
    if (++this.inWindow >= WINDOW) {
      // Two windows, so a drift of the phase is followed within 512 readings and the minimum never resets
      // to a single fresh reading.
      this.previousWindowMin = this.windowMin;
      this.windowMin = Infinity;
      this.inWindow = 0;
    }
  }
}
