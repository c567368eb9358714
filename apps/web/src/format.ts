/** Display formats. Every value shown comes through here or through Preact's text escaping. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 0 s, 45 s, 12 min, 3 h 5 min, 4 d 2 h */
export function formatDuration(ms: number): string {
  const value = Math.max(0, ms);
  if (value < MINUTE) return `${Math.floor(value / SECOND)} s`;
  if (value < HOUR) return `${Math.floor(value / MINUTE)} min`;
  if (value < DAY) {
    const minutes = Math.floor((value % HOUR) / MINUTE);
    return `${Math.floor(value / HOUR)} h${minutes ? ` ${minutes} min` : ''}`;
  }
  const hours = Math.floor((value % DAY) / HOUR);
  return `${Math.floor(value / DAY)} d${hours ? ` ${hours} h` : ''}`;
}

export function formatAgo(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  return ms < 5 * SECOND ? 'just now' : `${formatDuration(ms)} ago`;
}

/**
 * Uptime, always with two decimals and rounded down, so that 99.999 % never reads as a perfect record:
 * "0.00 %", "55.55 %", "100.00 %" line up in a column.
 */
export function formatPercent(value: number | null): string {
  if (value === null) return '—';
  return `${(Math.floor(Math.min(100, Math.max(0, value)) * 100) / 100).toFixed(2)} %`;
}

/**
 * A measured or configured time: milliseconds below a second ("87 ms"), seconds from there on, with
 * the decimals that matter ("1.25 s", "12.5 s", "30 s"). Response times, percentiles, chart axes and
 * timeouts all read the same.
 */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${Number((value / 1000).toFixed(value < 10_000 ? 2 : 1))} s`;
}

/** A percentage that is a setting or a count, not an uptime ("5 %"). */
export function formatWholePercent(value: number): string {
  return `${Number(value.toFixed(1))} %`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A time of today as 14:03:07; any other day with its date. */
export function formatTime(iso: string | number): string {
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

const REASONS: Record<string, string> = {
  dns: 'DNS lookup failed',
  connect: 'connection failed',
  tls: 'TLS failed',
  timeout: 'timed out',
  http_status: 'unexpected status',
  keyword: 'keyword check failed',
  redirects: 'too many redirects',
  protocol: 'invalid HTTP response',
  too_large: 'response too large',
  assertion: 'JSON assertion failed',
  cert_expiry: 'certificate expires soon',
  packet_loss: 'too many packets lost',
  no_heartbeat: 'no heartbeat received in time',
  reported_down: 'reported down by its push',
};

export function describeReason(reason: string | null): string {
  return reason === null ? '' : (REASONS[reason] ?? reason);
}

/** "HTTP 503 · unexpected status", "timed out", "HTTP 200" */
export function describeOutcome(statusCode: number | null, reason: string | null): string {
  return [statusCode === null ? null : `HTTP ${statusCode}`, reason ? describeReason(reason) : null]
    .filter(Boolean)
    .join(' · ');
}

export function formatInterval(seconds: number): string {
  return seconds % 3600 === 0
    ? `${seconds / 3600} h`
    : seconds % 60 === 0
      ? `${seconds / 60} min`
      : `${seconds} s`;
}

const minuteFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** A scheduled moment, to the minute with its weekday: "Thu, Dec 3, 03:30". */
export function formatMinute(iso: string | number): string {
  return minuteFormat.format(new Date(iso));
}

/** A moment with its date always: "Dec 3, 14:03:07". */
export function formatDateTime(iso: string | number): string {
  return dateTimeFormat.format(new Date(iso));
}

const RESOLUTIONS: Record<string, string> = {
  recovered: 'recovered',
  paused: 'settled: the monitor was paused',
  resumed: 'settled: the monitor was resumed',
  settings_changed: 'settled: the monitor’s settings changed',
  monitor_deleted: 'settled: the monitor was deleted',
};

export function describeResolution(resolution: string | null): string {
  return resolution === null ? '' : (RESOLUTIONS[resolution] ?? resolution);
}

const STATES: Record<string, string> = {
  up: 'Up',
  down: 'Down',
  failing: 'Failing',
  pending: 'Pending',
  paused: 'Paused',
  maintenance: 'Maintenance',
};

/** A state as the timeline names it ("down" → "Down"; unknown ones as they are). */
export function describeState(state: string): string {
  return STATES[state] ?? state;
}
