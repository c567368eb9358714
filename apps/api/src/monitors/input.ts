import { Type } from '@sinclair/typebox';
import {
  isProblem,
  judgedRegions,
  keepSecrets,
  type KindSettings,
  monitorKind,
  type MonitorKind,
  refineSettings,
} from '@better-uptime/checker';
import type { MonitorRow, monitorQueries, probeQueries } from '@better-uptime/db';
import { nextSlotAfter } from '@better-uptime/scheduler';
import { ApiError, invalid } from '../errors.js';
import {
  COMMON_FIELDS,
  type CommonInput,
  kindInput,
  MONITOR_DEFAULTS,
  type MonitorBody,
  TAG_CHARACTERS,
  TAG_CHARACTERS_MESSAGE,
} from '../schemas/monitor.js';
import { problemOf } from '../validation.js';

type MonitorSettings = monitorQueries.MonitorSettings;
type CommonFields = CommonInput;

/** A body's common fields and its kind's settings, apart. */
function splitBody(body: MonitorBody): { common: CommonFields; fields: KindSettings } {
  const common: Record<string, unknown> = {};
  const fields: KindSettings = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || key === 'kind') continue;
    (COMMON_FIELDS.has(key) ? common : fields)[key] = value;
  }
  return { common: common as CommonFields, fields };
}

/** The kind's own fields as an object schema: complete (a new monitor or kind) or partial (an edit). */
const kindSchemas = new Map<string, ReturnType<typeof Type.Object>>();
function kindSchema(kind: MonitorKind, partial: boolean) {
  const key = `${kind.name}:${partial}`;
  let schema = kindSchemas.get(key);
  if (!schema) {
    schema = Type.Object(kindInput(kind, partial), { additionalProperties: false });
    kindSchemas.set(key, schema);
  }
  return schema;
}

/** Settings to store: the kind's defaults under the given fields, checked by the kind; a 400 naming the field. */
function refined(kind: MonitorKind, fields: KindSettings): KindSettings {
  const settings = refineSettings(kind, fields);
  if (isProblem(settings)) throw invalid(`body/${settings.field}`, settings.problem);
  return settings;
}

function kindNamed(name: string): MonitorKind {
  const kind = monitorKind(name);
  // The route's schema allows only known kinds; a stored kind this version does not know cannot be edited.
  if (!kind) throw invalid('body/kind', `is not a kind this server knows (${name})`);
  return kind;
}

/** Tags as stored: trimmed, each once (case kept), in the order given; a 400 names a tag of other characters. */
export function normalisedTags(tags: readonly string[]): string[] {
  const trimmed = tags.map((tag, i) => {
    if (!TAG_CHARACTERS.test(tag)) throw invalid(`body/tags/${i}`, TAG_CHARACTERS_MESSAGE);
    return tag.trim();
  });
  return [...new Set(trimmed)];
}

/** A complete set of settings for a new monitor, defaults filled in. */
export function settingsForCreate(body: MonitorBody): MonitorSettings {
  const kind = kindNamed(body.kind ?? MONITOR_DEFAULTS.kind);
  const { common, fields } = splitBody(body);
  const settings = refined(kind, fields);
  const target = kind.target(settings as never);
  if (kind.pushRegion !== undefined) refuseRegions(common.regions);
  return {
    name: common.name ?? kind.defaultName?.(settings as never) ?? target,
    kind: kind.name,
    settings,
    target,
    intervalSeconds: common.intervalSeconds ?? MONITOR_DEFAULTS.intervalSeconds,
    timeoutMs:
      common.timeoutMs ?? defaultTimeoutMs(common.intervalSeconds ?? MONITOR_DEFAULTS.intervalSeconds),
    regions: common.regions ?? [...MONITOR_DEFAULTS.regions],
    paused: common.paused ?? MONITOR_DEFAULTS.paused,
    publicBadges: common.publicBadges ?? MONITOR_DEFAULTS.publicBadges,
    failureThreshold: common.failureThreshold ?? MONITOR_DEFAULTS.failureThreshold,
    recoveryThreshold: common.recoveryThreshold ?? MONITOR_DEFAULTS.recoveryThreshold,
    regionQuorum: common.regionQuorum ?? MONITOR_DEFAULTS.regionQuorum,
    retryIntervalSeconds: common.retryIntervalSeconds ?? MONITOR_DEFAULTS.retryIntervalSeconds,
    tags: normalisedTags(common.tags ?? []),
  };
}

/** A push kind is judged once, in its own region: it is not checked from regions. */
function refuseRegions(regions: readonly string[] | undefined): void {
  if (regions !== undefined && regions.length > 0)
    throw invalid('body/regions', 'must be empty: a heartbeat monitor is judged once, not from regions');
}

/**
 * Each region named must be one of the instance's: the configured ones or a probe's (read again when one is
 * not known here, so a probe just created through another process counts). A 400 names every other one.
 */
export async function checkRegionsKnown(
  regions: readonly string[] | undefined,
  instanceRegions: probeQueries.InstanceRegions,
): Promise<void> {
  if (regions === undefined || regions.length === 0) return;
  const known = await instanceRegions.including(regions);
  const problem = `must be one of: ${known.join(', ')}`;
  const details = regions.flatMap((region, i) =>
    known.includes(region) ? [] : [{ field: `regions/${i}`, message: problem }],
  );
  if (details.length > 0) {
    throw new ApiError(400, 'validation_error', `body/${details[0]!.field} ${problem}`, details);
  }
}

/**
 * The alert settings that depend on others: the quorum cannot exceed the regions checked from (all the
 * configured ones when the list is empty), nor the retry interval the interval.
 */
export function checkAlertSettings(
  settings: Pick<
    MonitorSettings,
    'kind' | 'regions' | 'regionQuorum' | 'intervalSeconds' | 'retryIntervalSeconds'
  >,
  configuredRegions: readonly string[],
): void {
  const regionCount = judgedRegions(settings, configuredRegions).length;
  if (settings.regionQuorum !== null && settings.regionQuorum > regionCount) {
    throw invalid(
      'body/regionQuorum',
      `must be at most the number of regions the monitor checks from (${regionCount})`,
    );
  }
  if (settings.retryIntervalSeconds > settings.intervalSeconds) {
    throw invalid(
      'body/retryIntervalSeconds',
      `must be at most intervalSeconds (${settings.intervalSeconds})`,
    );
  }
}

/**
 * A check must be over, and its result stored, before the monitor's next slot on its interval: so checks of
 * one monitor do not pile up on a target that hangs (one check slot per monitor at most, outside the retry
 * cadence of a failing monitor). Five seconds cover the start of a check late under load, the result's write
 * and the retries of a busy database.
 */
export const TIMEOUT_MARGIN_SECONDS = 5;

/** The longest timeout an interval allows. */
export function maxTimeoutMs(intervalSeconds: number): number {
  return (intervalSeconds - TIMEOUT_MARGIN_SECONDS) * 1000;
}

/** The default timeout, shortened to fit a short interval. */
export function defaultTimeoutMs(intervalSeconds: number): number {
  return Math.min(MONITOR_DEFAULTS.timeoutMs, maxTimeoutMs(intervalSeconds));
}

/**
 * The timeout must leave TIMEOUT_MARGIN_SECONDS of the interval. The 400 names `timeoutMs` when the
 * request set it, else `intervalSeconds` (an edit of the interval alone that no longer fits the timeout).
 */
export function checkTimeoutFitsInterval(
  settings: Pick<MonitorSettings, 'intervalSeconds' | 'timeoutMs'>,
  timeoutGiven: boolean,
): void {
  const { intervalSeconds, timeoutMs } = settings;
  if (timeoutMs <= maxTimeoutMs(intervalSeconds)) return;
  if (timeoutGiven) {
    throw invalid(
      'body/timeoutMs',
      `must be at most ${maxTimeoutMs(intervalSeconds)} (intervalSeconds × 1000 − ${TIMEOUT_MARGIN_SECONDS * 1000}): a check ends before the next one starts`,
    );
  }
  const minInterval = Math.ceil(timeoutMs / 1000) + TIMEOUT_MARGIN_SECONDS;
  throw invalid(
    'body/intervalSeconds',
    `must be at least ${minInterval} (timeoutMs ${timeoutMs} ms + ${TIMEOUT_MARGIN_SECONDS} s), or lower timeoutMs with it`,
  );
}

/**
 * Only the settings the request names; the others stay as they are. The kind's settings are merged over
 * the stored ones (or, for a new kind, over that kind's defaults) and checked whole; secrets left out or
 * sent back masked keep their stored value.
 */
export function settingsForUpdate(body: MonitorBody, current: MonitorRow): Partial<MonitorSettings> {
  const { common, fields } = splitBody(body);
  const changes: Partial<MonitorSettings> = {
    ...common,
    ...(common.tags === undefined ? {} : { tags: normalisedTags(common.tags) }),
  };
  const sameKind = body.kind === undefined || body.kind === current.kind;
  if (monitorKind(body.kind ?? current.kind)?.pushRegion !== undefined) {
    refuseRegions(common.regions);
    // Made a heartbeat: the regions it was checked from no longer apply.
    if (current.regions.length > 0) changes.regions = [];
  }
  if (sameKind && Object.keys(fields).length === 0) return changes;
  const kind = kindNamed(body.kind ?? current.kind);
  // The route checked the fields when the body named its kind; without one, only now is the kind known.
  const problem = problemOf(kindSchema(kind, sameKind), fields, 'body');
  if (problem) throw invalid(problem.field, problem.problem);
  const base = sameKind ? current.settings : {};
  const settings = refined(kind, keepSecrets(kind, base, { ...base, ...fields }));
  return { ...changes, kind: kind.name, settings, target: kind.target(settings as never) };
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
