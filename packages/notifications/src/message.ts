import type { EventPayload } from './events.js';

export type Severity = 'critical' | 'warning' | 'info' | 'ok';

/**
 * What a channel says, before it is shaped for its receiver: a title, plain-text lines and a link to the
 * dashboard. A grouped message (an alert storm) tells of several events at once.
 */
export interface Message {
  events: readonly EventPayload[];
  grouped: boolean;
  title: string;
  lines: string[];
  link: string;
  severity: Severity;
}

/** A grouped message lists this many monitors and counts the rest. */
export const GROUP_LIST_LIMIT = 50;

export function messageFor(events: readonly EventPayload[], publicUrl: string): Message {
  if (events.length === 1) return single(events[0]!, publicUrl);
  const down = events.filter((e) => e.type === 'incident.opened');
  const up = events.filter((e) => e.type === 'incident.resolved');
  const counts = [
    down.length > 0 ? `${down.length} down` : null,
    up.length > 0 ? `${up.length} up again` : null,
  ].filter(Boolean);
  const lines = events.slice(0, GROUP_LIST_LIMIT).map((e) => {
    const name = e.monitor?.name ?? 'a deleted monitor';
    return e.type === 'incident.opened'
      ? `🔴 ${name} is down: ${causeText(e)}`
      : `✅ ${name} is up again${e.incident?.durationMs != null ? ` after ${duration(e.incident.durationMs)}` : ''}`;
  });
  if (events.length > GROUP_LIST_LIMIT) lines.push(`… and ${events.length - GROUP_LIST_LIMIT} more`);
  return {
    events,
    grouped: true,
    title: `${events.length} monitors changed state: ${counts.join(', ')}`,
    lines,
    link: `${publicUrl}/incidents`,
    severity: down.length > 0 ? 'critical' : 'ok',
  };
}

function single(event: EventPayload, publicUrl: string): Message {
  const name = event.monitor?.name ?? 'A deleted monitor';
  const incident = event.incident;
  const incidentLink = incident ? `${publicUrl}/incidents/${incident.id}` : `${publicUrl}/`;
  const target = event.monitor ? [`Target: ${event.monitor.url}`] : [];
  switch (event.type) {
    case 'incident.opened':
      return {
        events: [event],
        grouped: false,
        title: `🔴 ${name} is down`,
        lines: [
          ...target,
          `Cause: ${causeText(event)}`,
          ...regionLines(event),
          `Since: ${incident?.startedAt}`,
        ],
        link: incidentLink,
        severity: 'critical',
      };
    case 'incident.reminder':
      return {
        events: [event],
        grouped: false,
        title: `🔔 ${name} is still down`,
        lines: [
          ...target,
          `Cause: ${causeText(event)}`,
          ...regionLines(event),
          `Down since ${incident?.startedAt} (${duration(Date.parse(event.createdAt) - Date.parse(incident?.startedAt ?? event.createdAt))})`,
        ],
        link: incidentLink,
        severity: 'critical',
      };
    case 'incident.resolved': {
      const how =
        incident?.resolution && incident.resolution !== 'recovered'
          ? [`Resolved because: ${incident.resolution.replace(/_/g, ' ')}`]
          : [];
      return {
        events: [event],
        grouped: false,
        title: `✅ ${name} is up again`,
        lines: [
          ...target,
          `Down for ${duration(incident?.durationMs ?? 0)}, from ${incident?.startedAt} to ${incident?.resolvedAt}`,
          ...how,
        ],
        link: incidentLink,
        severity: 'ok',
      };
    }
    case 'certificate.expiring': {
      const cert = event.certificate!;
      return {
        events: [event],
        grouped: false,
        title: `⚠️ The certificate of ${name} expires in ${cert.daysLeft} ${cert.daysLeft === 1 ? 'day' : 'days'}`,
        lines: [...target, `Expires at ${cert.expiresAt}`],
        link: event.monitor ? `${publicUrl}/monitors/${event.monitor.id}` : `${publicUrl}/`,
        severity: 'warning',
      };
    }
    case 'test':
      return {
        events: [event],
        grouped: false,
        title: 'Test message from Better Uptime',
        lines: [`The channel “${event.channel?.name ?? ''}” works: this is what alerts will look like here.`],
        link: `${publicUrl}/`,
        severity: 'info',
      };
  }
}

/** What failed, as one phrase: reason, status code and message. */
export function causeText(event: EventPayload): string {
  const cause = event.incident?.cause;
  if (!cause) return 'unknown';
  const parts = [cause.reason ?? 'failed'];
  if (cause.statusCode !== null && !(cause.message ?? '').includes(String(cause.statusCode)))
    parts.push(`HTTP ${cause.statusCode}`);
  if (cause.message) parts.push(cause.message);
  return parts.join(': ');
}

function regionLines(event: EventPayload): string[] {
  const regions = event.incident?.cause?.regions ?? [];
  if (regions.length === 0) return [];
  return [
    `Regions: ${regions
      .map(
        (r) =>
          `${r.region} (${[r.reason, r.statusCode].filter((v) => v !== null).join(' ')}, since ${r.since})`,
      )
      .join('; ')}`,
  ];
}

/** 3725000 -> "1h 2m 5s". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/** The message as plain text: title, lines, link. */
export function plainText(message: Message): string {
  return [message.title, '', ...message.lines, '', message.link].join('\n');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
