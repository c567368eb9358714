import { formatMinute, formatDuration } from './format.js';
import { type MaintenanceWindow, type Weekday, WEEKDAYS } from './types.js';

/** How maintenance windows read, shared by the list and the form. */

export const DAY_LABELS: Record<Weekday, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

export const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** "One-off: Dec 3, 14:00:00 → Dec 3, 16:00:00" or "Weekly on Mon, Thu at 02:00 for 1 h (Europe/Berlin)". */
export function describeSchedule(w: MaintenanceWindow): string {
  if (!w.weekly) {
    return `One-off: ${w.startsAt ? formatMinute(w.startsAt) : '?'} → ${w.endsAt ? formatMinute(w.endsAt) : '?'}`;
  }
  const days =
    w.weekly.days.length === 7
      ? 'every day'
      : `on ${WEEKDAYS.filter((d) => w.weekly!.days.includes(d))
          .map((d) => DAY_LABELS[d])
          .join(', ')}`;
  const bounds = [
    w.startsAt ? `from ${formatMinute(w.startsAt)}` : '',
    w.endsAt ? `until ${formatMinute(w.endsAt)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `Weekly ${days} at ${w.weekly.time} for ${formatDuration(w.weekly.durationMinutes * 60_000)} (${w.timeZone})${bounds ? `, ${bounds}` : ''}`;
}

/** The browser's own IANA zone, the default of a weekly window. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Every zone the browser knows, for the time zone field's suggestions. */
export function knownTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO moment as a datetime-local input's value, in the browser's zone. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value (the browser's zone) as ISO; undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : value;
}
