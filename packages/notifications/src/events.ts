import { type incidentQueries, newId } from '@better-uptime/db';

/** Event types a channel can be told of. */
export const EVENT_TYPES = [
  'incident.opened',
  'incident.resolved',
  'incident.reminder',
  'certificate.expiring',
  'test',
] as const;
export type NotificationEventType = (typeof EVENT_TYPES)[number];

/** A confirmed change of a monitor's state: the events an alert storm groups. */
export const STATE_CHANGE_TYPES: readonly NotificationEventType[] = ['incident.opened', 'incident.resolved'];

export interface MonitorSnapshot {
  id: string;
  name: string;
  url: string;
}

export interface RegionCause {
  region: string;
  reason: string | null;
  statusCode: number | null;
  message: string | null;
  since: string;
}

export interface IncidentSnapshot {
  id: string;
  startedAt: string;
  confirmedAt?: string | null;
  resolvedAt: string | null;
  resolution?: string | null;
  durationMs?: number | null;
  cause: {
    reason: string | null;
    statusCode: number | null;
    message: string | null;
    regions?: RegionCause[];
  } | null;
}

/**
 * An event as stored in the outbox and as a webhook receives it: `id` is unique per event, so receivers
 * can drop a second delivery of the same one.
 */
export interface EventPayload {
  id: string;
  type: NotificationEventType;
  createdAt: string;
  monitor: MonitorSnapshot | null;
  incident?: IncidentSnapshot;
  certificate?: { expiresAt: string; daysLeft: number; thresholdDays: number };
  channel?: { id: string; name: string };
}

/** The test message of one channel. */
export function testEvent(userId: string, channel: { id: string; name: string }, now: number) {
  const id = newId(now);
  const payload: EventPayload = {
    id,
    type: 'test',
    createdAt: new Date(now).toISOString(),
    monitor: null,
    channel: { id: channel.id, name: channel.name },
  };
  return {
    id,
    userId,
    monitorId: null,
    incidentId: null,
    type: 'test',
    payload,
  } satisfies incidentQueries.OutboxEvent;
}

/** A certificate crossing a threshold of days before it expires. */
export function certificateEvent(
  certificate: { monitorId: string; userId: string; name: string; url: string; expiresAt: number },
  thresholdDays: number,
  now: number,
): incidentQueries.OutboxEvent {
  const id = newId(now);
  const payload: EventPayload = {
    id,
    type: 'certificate.expiring',
    createdAt: new Date(now).toISOString(),
    monitor: { id: certificate.monitorId, name: certificate.name, url: certificate.url },
    certificate: {
      expiresAt: new Date(certificate.expiresAt).toISOString(),
      daysLeft: Math.max(0, Math.floor((certificate.expiresAt - now) / 86_400_000)),
      thresholdDays,
    },
  };
  return {
    id,
    userId: certificate.userId,
    monitorId: certificate.monitorId,
    incidentId: null,
    type: payload.type,
    payload,
  };
}
