import type { CheckTask } from './task.js';

/**
 * Version of the encoded task format. Bump it when the shape changes incompatibly; a worker that meets a
 * version it does not know decodes the entry as null (and dead-letters it) instead of guessing.
 */
export const TASK_FORMAT_VERSION = 1;

/** The stream entry field that holds the encoded task. */
export const TASK_FIELD = 'task';

/** Encodes a task as the JSON payload stored in the stream. Only the known fields are written. */
export function encodeTask(task: CheckTask): string {
  return JSON.stringify({
    v: TASK_FORMAT_VERSION,
    monitorId: task.monitorId,
    url: task.url,
    scheduledAt: task.scheduledAt,
    intervalSeconds: task.intervalSeconds,
    timeoutMs: task.timeoutMs,
    method: task.method,
    expectedStatus: task.expectedStatus,
    keyword: task.keyword,
    keywordMode: task.keywordMode,
    followRedirects: task.followRedirects,
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
  if (!isRecord(value) || value.v !== TASK_FORMAT_VERSION) return null;
  const {
    monitorId,
    url,
    scheduledAt,
    intervalSeconds,
    timeoutMs,
    method,
    expectedStatus,
    keyword,
    keywordMode,
    followRedirects,
    regions,
  } = value;
  if (
    !isNonEmptyString(monitorId) ||
    !isNonEmptyString(url) ||
    !isFiniteNumber(scheduledAt) ||
    !isPositiveNumber(intervalSeconds) ||
    !isPositiveNumber(timeoutMs) ||
    (method !== 'GET' && method !== 'HEAD') ||
    !isStringArray(expectedStatus) ||
    (keyword !== null && typeof keyword !== 'string') ||
    (keywordMode !== 'present' && keywordMode !== 'absent') ||
    typeof followRedirects !== 'boolean' ||
    !isStringArray(regions)
  ) {
    return null;
  }
  return {
    monitorId,
    url,
    scheduledAt,
    intervalSeconds,
    timeoutMs,
    method,
    expectedStatus,
    keyword,
    keywordMode,
    followRedirects,
    regions,
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
