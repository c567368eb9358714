import type { MonitorRow, monitorQueries } from '@better-uptime/db';
import { nextSlotAfter } from '@better-uptime/scheduler';
import { invalid } from '../errors.js';
import { type CreateMonitorBody, MONITOR_DEFAULTS, type UpdateMonitorBody } from '../schemas/monitor.js';
import { checkMonitorUrl } from './url.js';

type MonitorSettings = monitorQueries.MonitorSettings;

/**
 * The rules the JSON schema cannot express: URL semantics and status ranges whose low end must not
 * exceed the high end. Each failure is a 400 naming the field, like the schema's own messages.
 */
function normaliseUrl(raw: string): URL {
  const result = checkMonitorUrl(raw);
  if (!result.ok) throw invalid('body/url', result.problem);
  return result.url;
}

function checkStatusRanges(ranges: readonly string[]): void {
  ranges.forEach((range, i) => {
    const [lo, hi = lo] = range.split('-').map(Number);
    if (lo! > hi!)
      throw invalid(`body/expectedStatus/${i}`, 'must be a range whose first code is not above its last');
  });
}

/** A complete set of settings for a new monitor, defaults filled in. */
export function settingsForCreate(body: CreateMonitorBody): MonitorSettings {
  const url = normaliseUrl(body.url);
  const expectedStatus = body.expectedStatus ?? [...MONITOR_DEFAULTS.expectedStatus];
  checkStatusRanges(expectedStatus);
  return {
    name: body.name ?? url.host,
    url: url.href,
    intervalSeconds: body.intervalSeconds ?? MONITOR_DEFAULTS.intervalSeconds,
    timeoutMs: body.timeoutMs ?? MONITOR_DEFAULTS.timeoutMs,
    method: body.method ?? MONITOR_DEFAULTS.method,
    expectedStatus,
    keyword: body.keyword ?? MONITOR_DEFAULTS.keyword,
    keywordMode: body.keywordMode ?? MONITOR_DEFAULTS.keywordMode,
    followRedirects: body.followRedirects ?? MONITOR_DEFAULTS.followRedirects,
    regions: body.regions ?? [...MONITOR_DEFAULTS.regions],
    paused: body.paused ?? MONITOR_DEFAULTS.paused,
  };
}

/** Only the settings the request names; the others stay as they are. */
export function settingsForUpdate(body: UpdateMonitorBody): Partial<MonitorSettings> {
  const changes: Partial<MonitorSettings> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value !== undefined) (changes as Record<string, unknown>)[key] = value;
  }
  if (body.url !== undefined) changes.url = normaliseUrl(body.url).href;
  if (body.expectedStatus !== undefined) checkStatusRanges(body.expectedStatus);
  return changes;
}

/**
 * A new next check time when the change affects the schedule: a different interval moves the monitor to
 * its new grid, and unpausing starts it from now (rather than from a time long past); otherwise undefined.
 */
export function rescheduledAt(
  current: MonitorRow,
  changes: Partial<MonitorSettings>,
  now: number,
): Date | undefined {
  const interval = changes.intervalSeconds ?? current.intervalSeconds;
  const intervalChanged = interval !== current.intervalSeconds;
  const unpaused = current.paused && changes.paused === false;
  return intervalChanged || unpaused ? new Date(nextSlotAfter(current.id, interval, now)) : undefined;
}
