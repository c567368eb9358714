import { DateTime, IANAZone } from 'luxon';

/**
 * When a maintenance window is in effect. A window is one-off (startsAt..endsAt) or weekly: on some ISO
 * weekdays (1 = Monday .. 7 = Sunday), from a local time of day for a duration, in a named time zone, so
 * "Sundays 02:00 Europe/Berlin" stays at 02:00 local time across daylight-saving changes. A weekly window
 * may be bounded by startsAt (no occurrence starts before) and endsAt (none starts at or after).
 */
export interface WindowRule {
  startsAt: number | null;
  endsAt: number | null;
  weekly: { days: readonly number[]; time: string; durationMinutes: number } | null;
  timeZone: string;
}

export interface Occurrence {
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;
export const MAX_WEEKLY_DURATION_MINUTES = 7 * 24 * 60;
const TIME_OF_DAY = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export function isValidTimeOfDay(time: string): boolean {
  return TIME_OF_DAY.test(time);
}

/** The weekly occurrences whose start falls within [from, to], in order. */
function weeklyOccurrences(rule: WindowRule, from: number, to: number): Occurrence[] {
  const weekly = rule.weekly!;
  const [, hour, minute] = TIME_OF_DAY.exec(weekly.time) ?? [];
  const out: Occurrence[] = [];
  let day = DateTime.fromMillis(from, { zone: rule.timeZone }).startOf('day').minus({ days: 1 });
  const last = DateTime.fromMillis(to, { zone: rule.timeZone }).startOf('day').plus({ days: 1 });
  for (; day <= last; day = day.plus({ days: 1 })) {
    if (!weekly.days.includes(day.weekday)) continue;
    // A local time that does not exist (skipped by a DST change) moves forward, as luxon resolves it.
    const start = day.set({ hour: Number(hour), minute: Number(minute) }).toMillis();
    if (start < from || start > to) continue;
    if (rule.startsAt !== null && start < rule.startsAt) continue;
    if (rule.endsAt !== null && start >= rule.endsAt) continue;
    out.push({ start, end: start + weekly.durationMinutes * 60_000 });
  }
  return out;
}

/** The occurrences that overlap [from, to], in order of start. */
export function occurrencesBetween(rule: WindowRule, from: number, to: number): Occurrence[] {
  if (rule.weekly === null) {
    if (rule.startsAt === null || rule.endsAt === null) return [];
    return rule.startsAt <= to && rule.endsAt > from ? [{ start: rule.startsAt, end: rule.endsAt }] : [];
  }
  const lookBack = rule.weekly.durationMinutes * 60_000 + DAY_MS;
  return weeklyOccurrences(rule, from - lookBack, to).filter((o) => o.end > from);
}

/** The occurrence in effect at `at`, if any. */
export function activeAt(rule: WindowRule, at: number): Occurrence | null {
  return occurrencesBetween(rule, at, at).find((o) => o.start <= at && at < o.end) ?? null;
}

/** The end of the latest occurrence that ended within (after, at]: an incident may start no earlier. */
export function lastEndWithin(rule: WindowRule, after: number, at: number): number | null {
  const ends = occurrencesBetween(rule, after, at)
    .map((o) => o.end)
    .filter((end) => end > after && end <= at);
  return ends.length > 0 ? Math.max(...ends) : null;
}

/**
 * The first instant after `at` and up to `until` at which one of the windows starts or ends, when what is
 * in maintenance changes; null when none does.
 */
export function nextBoundary(rules: readonly WindowRule[], at: number, until: number): number | null {
  let next: number | null = null;
  for (const rule of rules) {
    for (const { start, end } of occurrencesBetween(rule, at, until)) {
      for (const edge of [start, end]) {
        if (edge > at && edge <= until && (next === null || edge < next)) next = edge;
      }
    }
  }
  return next;
}

/** The occurrence in effect at `at`, or else the next one to start (within a few weeks). */
export function currentOrNext(rule: WindowRule, at: number): Occurrence | null {
  return occurrencesBetween(rule, at, at + 15 * DAY_MS)[0] ?? null;
}

/** Across several windows: whether one is in effect, and the latest end within (after, at]. */
export function maintenanceAt(
  rules: readonly WindowRule[],
  at: number,
  after: number,
): { active: boolean; lastEnd: number | null } {
  let active = false;
  let lastEnd: number | null = null;
  for (const rule of rules) {
    if (activeAt(rule, at)) active = true;
    const end = lastEndWithin(rule, after, at);
    if (end !== null && (lastEnd === null || end > lastEnd)) lastEnd = end;
  }
  return { active, lastEnd };
}
