import { describe, expect, it } from 'vitest';
import { arrivalTime, TickGrid, type Readings } from '../src/tick-grid.js';

/**
 * A model of the kernel's clocks: jiffy k starts at real time origin + k·tick; CLOCK_MONOTONIC_COARSE reads
 * the start of the current jiffy minus a constant phase; tcpi_last_data_recv counts whole jiffies.
 */
function kernel(tickMs: number, phaseMs: number, originMs = 1_000_003.7) {
  const jiffy = (t: number) => Math.floor((t - originMs) / tickMs);
  return {
    reading(arrivalMs: number, nowMs: number): Readings {
      return {
        sinceLastDataMs: (jiffy(nowMs) - jiffy(arrivalMs)) * tickMs,
        coarseMs: originMs + jiffy(nowMs) * tickMs - phaseMs,
        nowMs,
      };
    },
  };
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('TickGrid', () => {
  for (const [tickMs, phaseMs] of [
    [4, 0],
    [4, 2.2],
    [4, 3.9],
    [10, 6.5],
    [1, 0.4],
  ] as const) {
    it(`places arrivals within half a tick once it has seen some readings (tick ${tickMs} ms, phase ${phaseMs} ms)`, () => {
      const model = kernel(tickMs, phaseMs);
      const grid = new TickGrid(tickMs);
      const next = random(tickMs * 100 + phaseMs * 10);
      let now = 2_000_000;
      const errors: number[] = [];
      for (let i = 0; i < 2_000; i++) {
        now += next() * 3;
        // The data came 0 to 60 ms before the event loop got to it.
        const arrival = now - next() * 60;
        const age = grid.ageOf(model.reading(arrival, now));
        expect(age).toBeGreaterThanOrEqual(0);
        if (i >= 200) errors.push(now - age - arrival);
      }
      // Half a tick, plus how far the learned phase is above the true one (the minimum of the samples).
      expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(tickMs / 2 + 0.1);
      // Not a constant answer: the errors spread over the tick.
      expect(Math.max(...errors) - Math.min(...errors)).toBeGreaterThan(tickMs / 2);
      expect(grid.phaseMs).toBeGreaterThanOrEqual(phaseMs);
      expect(grid.phaseMs).toBeLessThan(phaseMs + 0.1);
    });
  }

  it('never puts an arrival in the future or before the tick it happened in, from the first reading on', () => {
    const model = kernel(4, 2.2);
    const next = random(7);
    for (let i = 0; i < 500; i++) {
      // A new grid each time: no phase learned yet.
      const grid = new TickGrid(4);
      const now = 5_000_000 + next() * 1_000;
      const arrival = now - next() * 30;
      const estimate = now - grid.ageOf(model.reading(arrival, now));
      expect(estimate).toBeLessThanOrEqual(now);
      expect(estimate).toBeGreaterThan(arrival - 4);
    }
  });

  it('is not misled by a reading whose clocks were read far apart (the process was preempted)', () => {
    const model = kernel(4, 1.5);
    const grid = new TickGrid(4);
    let now = 3_000_000;
    for (let i = 0; i < 300; i++) {
      now += 1.37;
      grid.ageOf(model.reading(now - 10, now));
    }
    const learned = grid.phaseMs;
    // The coarse clock and TCP_INFO were read together, CLOCK_MONOTONIC 25 ms later.
    const taken = model.reading(now - 10, now);
    const age = grid.ageOf({ ...taken, nowMs: now + 25 });
    expect(grid.phaseMs).toBe(learned);
    expect(Math.abs(now + 25 - age - (now - 10))).toBeLessThanOrEqual(2 + 1e-6);
  });

  it('follows a phase that moves', () => {
    const grid = new TickGrid(4);
    let now = 4_000_000;
    for (const phase of [3.0, 1.0]) {
      const model = kernel(4, phase);
      for (let i = 0; i < 600; i++) {
        now += 0.91;
        grid.ageOf(model.reading(now - 5, now));
      }
      expect(grid.phaseMs).toBeGreaterThanOrEqual(phase);
      expect(grid.phaseMs).toBeLessThan(phase + 0.1);
    }
  });

  it('keeps the loop’s own time unless the kernel shows it was more than a tick late', () => {
    expect(arrivalTime(1_000, 0, 4)).toBe(1_000);
    expect(arrivalTime(1_000, 3.9, 4)).toBe(1_000);
    expect(arrivalTime(1_000, 4, 4)).toBe(1_000);
    expect(arrivalTime(1_000, 4.1, 4)).toBeCloseTo(995.9, 9);
    expect(arrivalTime(1_000, 60, 4)).toBe(940);
  });

  it('refuses a tick that is not positive', () => {
    expect(() => new TickGrid(0)).toThrow(RangeError);
    expect(() => new TickGrid(Number.NaN)).toThrow(RangeError);
  });
});
