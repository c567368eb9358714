import { describe, expect, it } from 'vitest';
import { newId } from '@better-uptime/db';
import { nextSlotAfter, phaseMs } from '../src/index.js';

describe('slots', () => {
  it('gives each monitor a fixed phase inside its interval', () => {
    const id = newId();
    expect(phaseMs(id, 60)).toBe(phaseMs(id, 60));
    for (let i = 0; i < 1000; i++) {
      const phase = phaseMs(newId(), 30);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(30_000);
    }
  });

  it('keeps the slots of one monitor on one grid, strictly after the given time, with no drift', () => {
    const id = newId();
    const first = nextSlotAfter(id, 180, Date.parse('2026-11-29T12:00:00.000Z'));
    expect(first).toBeGreaterThan(Date.parse('2026-11-29T12:00:00.000Z'));
    expect(first - Date.parse('2026-11-29T12:00:00.000Z')).toBeLessThanOrEqual(180_000);
    // Asked again from the slot itself, or from anywhere before the next one, the answer is the next slot.
    expect(nextSlotAfter(id, 180, first)).toBe(first + 180_000);
    expect(nextSlotAfter(id, 180, first + 179_999)).toBe(first + 180_000);
    expect(nextSlotAfter(id, 180, first - 1)).toBe(first);
    // A thousand intervals later it is still on the same grid.
    expect((nextSlotAfter(id, 180, first + 180_000_000 + 5) - first) % 180_000).toBe(0);
  });

  it('spreads 10,000 monitors created together evenly over their interval, down to the millisecond', () => {
    const interval = 60;
    const perSecond = new Array<number>(interval).fill(0);
    const distinctMs = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const phase = phaseMs(newId(), interval);
      perSecond[Math.floor(phase / 1000)]!++;
      distinctMs.add(phase);
    }
    const average = 10_000 / interval;
    expect(Math.max(...perSecond)).toBeLessThan(average * 1.5);
    expect(Math.min(...perSecond)).toBeGreaterThan(average * 0.5);
    // Not all at the top of each second: the starts spread within the second too.
    expect(distinctMs.size).toBeGreaterThan(9_000);
  });
});
