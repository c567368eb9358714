import type {
  CheckResultRow,
  incidentQueries,
  maintenanceWindowQueries,
  monitorQueries,
  notificationQueries,
  resultQueries,
  sessionQueries,
  UserRow,
} from '@better-uptime/db';
import { maskSecrets, monitorKind, withDefaults } from '@better-uptime/checker';
import type { SecretBox } from '@better-uptime/config';
import { currentOrNext, windowRule, activeAt } from '@better-uptime/incidents';
import { maskedConfig } from '@better-uptime/notifications';
import type { ChannelJson, DeliveryJson } from './schemas/channel.js';
import type { CheckJson } from './schemas/check.js';
import type { IncidentCause, IncidentJson } from './schemas/incident.js';
import type { MaintenanceWindowJson } from './schemas/maintenance.js';
import { WEEKDAYS } from './schemas/maintenance.js';
import type { MonitorJson } from './schemas/monitor.js';
import type { Static } from '@sinclair/typebox';

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

export function monitorJson(m: monitorQueries.MonitorWithState): MonitorJson {
  return monitorViewJson({
    ...m,
    stateSince: m.stateSince.toISOString(),
    nextCheckAt: m.nextCheckAt.toISOString(),
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  });
}

/**
 * A listed monitor (timestamps already ISO text): the one shape of a monitor. Its kind's settings sit
 * beside the common fields, secrets masked; a kind this version does not know shows no settings.
 */
export function monitorViewJson(
  m: monitorQueries.MonitorView &
    Partial<Pick<monitorQueries.MonitorListView, 'channelIds' | 'reminderIntervalMinutes'>>,
): MonitorJson {
  const kind = monitorKind(m.kind);
  return {
    // Settings stored before the kind gained a field show its default.
    ...(kind ? maskSecrets(kind, withDefaults(kind, m.settings)) : {}),
    id: m.id,
    name: m.name,
    kind: m.kind,
    target: m.target,
    intervalSeconds: m.intervalSeconds,
    timeoutMs: m.timeoutMs,
    regions: m.regions,
    paused: m.paused,
    publicBadges: m.publicBadges,
    failureThreshold: m.failureThreshold,
    recoveryThreshold: m.recoveryThreshold,
    regionQuorum: m.regionQuorum,
    retryIntervalSeconds: m.retryIntervalSeconds,
    tags: m.tags,
    ...(m.channelIds === undefined
      ? {}
      : { channelIds: m.channelIds, reminderIntervalMinutes: m.reminderIntervalMinutes ?? 0 }),
    state: m.state,
    stateSince: m.stateSince,
    openIncidentId: m.openIncidentId,
    nextCheckAt: m.nextCheckAt,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** A stored row (Dates) of a monitor of `kind`, as checkViewJson shows a listed one. */
export function checkJson(c: CheckResultRow, kind: string): CheckJson {
  return checkViewJson({
    ...c,
    kind,
    certExpiresAt: c.certExpiresAt?.toISOString() ?? null,
    scheduledAt: c.scheduledAt.toISOString(),
    checkedAt: c.checkedAt.toISOString(),
  });
}

/** A check's id: its idempotency key (monitor, region, slot), as opaque text. */
export function checkId(monitorId: string, region: string, scheduledAt: string): string {
  return Buffer.from(`${monitorId}|${region}|${scheduledAt}`, 'utf8').toString('base64url');
}

/** A listed check (resultQueries.CheckView: plain values, timestamps already ISO text): the one shape of a check. */
export function checkViewJson(c: Omit<resultQueries.CheckView, 'position'>): CheckJson {
  return {
    id: checkId(c.monitorId, c.region, c.scheduledAt),
    monitorId: c.monitorId,
    kind: c.kind,
    location: c.region,
    region: c.region,
    status: c.status,
    responseTimeMs: c.responseTimeMs,
    statusCode: c.statusCode,
    reason: c.reason,
    message: c.message,
    timings: { dnsMs: c.dnsMs, connectMs: c.connectMs, tlsMs: c.tlsMs, firstByteMs: c.firstByteMs },
    certExpiresAt: c.certExpiresAt,
    details: c.details ?? null,
    scheduledAt: c.scheduledAt,
    checkedAt: c.checkedAt,
  };
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function incidentJson(i: incidentQueries.IncidentView): IncidentJson {
  return {
    id: i.id,
    monitorId: i.monitorId,
    monitorName: i.monitorName,
    status: i.status,
    startedAt: new Date(i.startedAt).toISOString(),
    confirmedAt: new Date(i.confirmedAt).toISOString(),
    resolvedAt: isoOrNull(i.resolvedAt),
    resolution: i.resolution,
    durationMs: i.resolvedAt === null ? null : Math.round(i.resolvedAt - i.startedAt),
    acknowledgedAt: isoOrNull(i.acknowledgedAt),
    acknowledgedBy: i.acknowledgedBy,
    cause: i.cause as Static<typeof IncidentCause>,
  };
}

export function timelineJson(entry: incidentQueries.TimelineEntry) {
  return {
    at: new Date(entry.at).toISOString(),
    region: entry.region,
    from: entry.from,
    to: entry.to,
    reason: entry.reason,
    statusCode: entry.statusCode,
    message: entry.message,
  };
}

export function maintenanceJson(
  w: maintenanceWindowQueries.WindowRecord,
  now: number,
): MaintenanceWindowJson {
  const rule = windowRule(w);
  const next = currentOrNext(rule, now);
  return {
    id: w.id,
    name: w.name,
    monitorIds: w.monitorIds,
    startsAt: isoOrNull(w.startsAt),
    endsAt: isoOrNull(w.endsAt),
    weekly: rule.weekly
      ? {
          days: rule.weekly.days.map((d) => WEEKDAYS[d - 1]!),
          time: rule.weekly.time,
          durationMinutes: rule.weekly.durationMinutes,
        }
      : null,
    timeZone: w.timeZone,
    active: activeAt(rule, now) !== null,
    next: next
      ? { startsAt: new Date(next.start).toISOString(), endsAt: new Date(next.end).toISOString() }
      : null,
    createdAt: new Date(w.createdAt).toISOString(),
    updatedAt: new Date(w.updatedAt).toISOString(),
  };
}

/** A channel with its secrets masked; its signing secret never (that is shown once, at creation). */
export function channelJson(
  c: notificationQueries.ChannelRecord & { lastOutcome?: notificationQueries.LastOutcome | null },
  secrets: SecretBox,
): ChannelJson {
  return {
    id: c.id,
    type: c.type as ChannelJson['type'],
    name: c.name,
    config: maskedConfig(c.type, c.config, secrets),
    isDefault: c.isDefault,
    ...(c.lastOutcome === undefined
      ? {}
      : {
          lastOutcome: c.lastOutcome && {
            outcome: c.lastOutcome.outcome,
            at: new Date(c.lastOutcome.at).toISOString(),
            statusCode: c.lastOutcome.statusCode,
            error: c.lastOutcome.error,
          },
        }),
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

export function deliveryJson(d: notificationQueries.DeliveryView): DeliveryJson {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    channelId: d.channelId,
    channelName: d.channelName,
    channelType: d.channelType as DeliveryJson['channelType'],
    incidentId: d.incidentId,
    monitorId: d.monitorId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: isoOrNull(d.nextAttemptAt),
    deliveredAt: isoOrNull(d.deliveredAt),
    createdAt: new Date(d.createdAt).toISOString(),
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    history: d.history.map((a) => ({
      at: new Date(a.at).toISOString(),
      outcome: a.outcome as DeliveryJson['history'][number]['outcome'],
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      error: a.error,
      grouped: a.grouped,
    })),
  };
}
