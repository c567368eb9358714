import { type incidentQueries, newId } from '@better-uptime/db';

/** A line logged once the transaction that made the change has committed. */
export interface LogLine {
  fields: Record<string, unknown>;
  message: string;
}

export type EventType = 'incident.opened' | 'incident.resolved' | 'incident.reminder';

/**
 * An outbox event about an incident. The payload is a snapshot of what a receiver needs (the monitor's name
 * and URL, the incident's times and cause), so it can be sent after the monitor itself is gone.
 */
export function incidentEvent(
  type: EventType,
  monitor: { id: string; userId: string; name: string; target: string },
  incident: incidentQueries.IncidentRecord,
  now: number,
): incidentQueries.OutboxEvent {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const id = newId(now);
  return {
    id,
    userId: monitor.userId,
    monitorId: monitor.id,
    incidentId: incident.id,
    type,
    payload: {
      id,
      type,
      createdAt: new Date(now).toISOString(),
      // url: what is checked as people read it; for http monitors the URL, as before kinds.
      monitor: { id: monitor.id, name: monitor.name, url: monitor.target },
      incident: {
        id: incident.id,
        startedAt: iso(incident.startedAt),
        confirmedAt: iso(incident.confirmedAt),
        resolvedAt: iso(incident.resolvedAt),
        resolution: incident.resolution,
        durationMs: incident.resolvedAt === null ? null : incident.resolvedAt - incident.startedAt,
        cause: incident.cause,
      },
    },
  };
}
