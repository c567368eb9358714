import type { CheckTask } from './task.js';

/**
 * Version of the encoded task format. Bump it when the shape changes incompatibly and keep decoding the
 * versions still in streams; a worker that meets a version it does not know decodes the entry as null
 * (and dead-letters it) instead of guessing. v1 was an http check's fields, one by one; v2 is a kind and
 * its settings as one value, and the monitor's owner.
 */
export const TASK_FORMAT_VERSION = 2;

/** The stream entry field that holds the encoded task. */
export const TASK_FIELD = 'task';

/** Encodes a task as the JSON payload stored in the stream. Only the known fields are written. */
export function encodeTask(task: CheckTask): string {
  return JSON.stringify({
    v: TASK_FORMAT_VERSION,
    monitorId: task.monitorId,
    userId: task.userId,
    kind: task.kind,
    settings: task.settings,
    scheduledAt: task.scheduledAt,
    intervalSeconds: task.intervalSeconds,
    timeoutMs: task.timeoutMs,
    regions: task.regions,
  });
}

/**
 * Decodes a stream payload into a task, or null when it is not a valid task of a known format version.
 * Never throws: a bad entry must not stop a worker, it is dead-lettered instead.
 */
export function decodeTask(payload: string | undefined | null): CheckTask | null {
  if (typeof payload !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const common = decodeCommon(value);
  if (common === null) return null;
  if (value.v === 1) return decodeV1(value, common);
  if (value.v !== TASK_FORMAT_VERSION) return null;
  const { userId, kind, settings } = value;
  if (typeof userId !== 'string' || !isNonEmptyString(kind) || !isRecord(settings)) return null;
  return { ...common, userId, kind, settings };
}

type CommonFields = Omit<CheckTask, 'userId' | 'kind' | 'settings'>;

/** The fields every version has, in the same form. */
function decodeCommon(value: Record<string, unknown>): CommonFields | null {
  const { monitorId, scheduledAt, intervalSeconds, timeoutMs, regions } = value;
  if (
    !isNonEmptyString(monitorId) ||
    !isFiniteNumber(scheduledAt) ||
    !isPositiveNumber(intervalSeconds) ||
    !isPositiveNumber(timeoutMs) ||
    !isStringArray(regions)
  ) {
    return null;
  }
  return { monitorId, scheduledAt, intervalSeconds, timeoutMs, regions };
}

/** A v1 task (written before kinds) is an http check; its owner, when it carried one, is kept. */
function decodeV1(value: Record<string, unknown>, common: CommonFields): CheckTask | null {
  const { url, method, expectedStatus, keyword, keywordMode, followRedirects, userId } = value;
  if (
    !isNonEmptyString(url) ||
    (method !== 'GET' && method !== 'HEAD') ||
    !isStringArray(expectedStatus) ||
    (keyword !== null && typeof keyword !== 'string') ||
    (keywordMode !== 'present' && keywordMode !== 'absent') ||
    typeof followRedirects !== 'boolean'
  ) {
    return null;
  }
  return {
    ...common,
    userId: typeof userId === 'string' ? userId : '',
    kind: 'http',
    settings: { url, method, expectedStatus, keyword, keywordMode, followRedirects },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPositiveNumber(value: unknown): value is number {
  return isFiniteNumber(value) && value > 0;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
