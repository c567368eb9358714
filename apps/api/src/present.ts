import type { CheckResultRow, MonitorRow, resultQueries, sessionQueries, UserRow } from '@better-uptime/db';
import type { CheckJson } from './schemas/check.js';
import type { MonitorJson } from './schemas/monitor.js';

/**
 * Rows to API JSON. Each function copies the public fields by name, so a column added to a table (a
 * password hash, an owner id) can never leak into a response by accident.
 */
export function userJson(user: UserRow) {
  return sessionUserJson({
    ...user,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  });
}

/** The signed-in user (already public fields, with ISO text timestamps): the one shape of a user. */
export function sessionUserJson(user: sessionQueries.SessionUser) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

export function monitorJson(m: MonitorRow): MonitorJson {
  return {
    id: m.id,
    name: m.name,
    url: m.url,
    intervalSeconds: m.intervalSeconds,
    timeoutMs: m.timeoutMs,
    method: m.method,
    expectedStatus: m.expectedStatus,
    keyword: m.keyword,
    keywordMode: m.keywordMode,
    followRedirects: m.followRedirects,
    regions: m.regions,
    paused: m.paused,
    nextCheckAt: m.nextCheckAt.toISOString(),
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

/** A stored row (Dates) as checkViewJson shows a listed one. */
export function checkJson(c: CheckResultRow): CheckJson {
  return checkViewJson({
    ...c,
    certExpiresAt: c.certExpiresAt?.toISOString() ?? null,
    scheduledAt: c.scheduledAt.toISOString(),
    checkedAt: c.checkedAt.toISOString(),
  });
}

/** A listed check (resultQueries.CheckView: plain values, timestamps already ISO text): the one shape of a check. */
export function checkViewJson(c: Omit<resultQueries.CheckView, 'position'>): CheckJson {
  return {
    monitorId: c.monitorId,
    location: c.region,
    status: c.status,
    responseTimeMs: c.responseTimeMs,
    statusCode: c.statusCode,
    reason: c.reason,
    message: c.message,
    timings: { dnsMs: c.dnsMs, connectMs: c.connectMs, tlsMs: c.tlsMs, firstByteMs: c.firstByteMs },
    certExpiresAt: c.certExpiresAt,
    scheduledAt: c.scheduledAt,
    checkedAt: c.checkedAt,
  };
}
