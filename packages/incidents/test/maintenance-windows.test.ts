import { describe, expect, it } from 'vitest';
import {
  activeAt,
  currentOrNext,
  isValidTimeZone,
  lastEndWithin,
  maintenanceAt,
  nextBoundary,
  type WindowRule,
} from '../src/maintenance-windows.js';

const utc = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  const oneOff: WindowRule = {
    startsAt: utc('2031-03-01T10:00:00Z'),
    endsAt: utc('2031-03-01T11:00:00Z'),
    weekly: null,
    timeZone: 'UTC',
  };
  // Sundays at 02:30 Berlin time for 60 minutes: on 2031-03-30 the clocks go from 02:00 to 03:00.
  const sundays: WindowRule = {
    startsAt: null,
    endsAt: null,
    weekly: { days: [7], time: '02:30', durationMinutes: 60 },
    timeZone: 'Europe/Berlin',
  };

  it('a one-off window is in effect from its start (inclusive) to its end (exclusive)', () => {
    expect(activeAt(oneOff, utc('2031-03-01T09:59:59Z'))).toBeNull();
    expect(activeAt(oneOff, utc('2031-03-01T10:00:00Z'))).not.toBeNull();
    expect(activeAt(oneOff, utc('2031-03-01T10:59:59Z'))).not.toBeNull();
    expect(activeAt(oneOff, utc('2031-03-01T11:00:00Z'))).toBeNull();
  });

  it('a weekly window follows local time in its zone, across daylight-saving changes', () => {
    // 2031-03-23 is a Sunday in winter time (UTC+1): 02:30 local is 01:30 UTC.
    expect(activeAt(sundays, utc('2031-03-23T01:45:00Z'))).toEqual({
      start: utc('2031-03-23T01:30:00Z'),
      end: utc('2031-03-23T02:30:00Z'),
    });
    expect(activeAt(sundays, utc('2031-03-24T01:45:00Z'))).toBeNull(); // a Monday
    // In summer time (UTC+2): 02:30 local is 00:30 UTC.
    expect(activeAt(sundays, utc('2031-04-06T00:45:00Z'))).toEqual({
      start: utc('2031-04-06T00:30:00Z'),
      end: utc('2031-04-06T01:30:00Z'),
    });
    // On the night of the change 02:30 does not exist; the window starts when the clock reaches 03:30 local.
    expect(activeAt(sundays, utc('2031-03-30T01:45:00Z'))).not.toBeNull();
  });

  it('an occurrence that spans midnight is in effect on the next day', () => {
    const lateNight: WindowRule = {
      startsAt: null,
      endsAt: null,
      weekly: { days: [1], time: '23:00', durationMinutes: 180 },
      timeZone: 'UTC',
    };
    expect(activeAt(lateNight, utc('2031-03-04T01:00:00Z'))).not.toBeNull(); // Tuesday 01:00, from Monday
    expect(activeAt(lateNight, utc('2031-03-04T02:00:00Z'))).toBeNull();
  });

  it('bounds a weekly rule by startsAt and endsAt', () => {
    const bounded = {
      ...sundays,
      startsAt: utc('2031-04-01T00:00:00Z'),
      endsAt: utc('2031-04-10T00:00:00Z'),
    };
    expect(activeAt(bounded, utc('2031-03-23T01:45:00Z'))).toBeNull();
    expect(activeAt(bounded, utc('2031-04-06T00:45:00Z'))).not.toBeNull();
    expect(activeAt(bounded, utc('2031-04-13T00:45:00Z'))).toBeNull();
  });

  it('tells the latest end within a span, and the occurrence now or next', () => {
    expect(lastEndWithin(oneOff, utc('2031-03-01T00:00:00Z'), utc('2031-03-01T12:00:00Z'))).toBe(
      utc('2031-03-01T11:00:00Z'),
    );
    expect(lastEndWithin(oneOff, utc('2031-03-01T11:00:00Z'), utc('2031-03-01T12:00:00Z'))).toBeNull();
    expect(currentOrNext(sundays, utc('2031-04-07T00:00:00Z'))).toEqual({
      start: utc('2031-04-13T00:30:00Z'),
      end: utc('2031-04-13T01:30:00Z'),
    });
    expect(maintenanceAt([oneOff, sundays], utc('2031-03-01T10:30:00Z'), 0)).toMatchObject({ active: true });
  });

  it('tells the next start or end of any window, within a horizon', () => {
    const week = 7 * 86_400_000;
    // Before the one-off window: its start; inside it: its end; after both, the Sunday's start (01:30 UTC).
    expect(nextBoundary([oneOff, sundays], utc('2031-03-01T09:00:00Z'), utc('2031-03-01T12:00:00Z'))).toBe(
      oneOff.startsAt,
    );
    expect(nextBoundary([oneOff, sundays], utc('2031-03-01T10:00:00Z'), utc('2031-03-01T12:00:00Z'))).toBe(
      oneOff.endsAt,
    );
    const after = utc('2031-03-01T11:00:00Z');
    expect(nextBoundary([oneOff, sundays], after, after + week)).toBe(utc('2031-03-02T01:30:00Z'));
    // Within the weekly window, its end; nothing within a horizon that ends before the next edge.
    expect(nextBoundary([sundays], utc('2031-03-02T02:00:00Z'), after + week)).toBe(
      utc('2031-03-02T02:30:00Z'),
    );
    expect(nextBoundary([oneOff, sundays], after, after + 3_600_000)).toBeNull();
    expect(nextBoundary([], after, after + week)).toBeNull();
  });

  it('knows real time zones from made-up ones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
