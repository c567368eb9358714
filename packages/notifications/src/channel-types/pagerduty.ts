import { post } from '../http.js';
import type { EventPayload } from '../events.js';
import { Type } from '@sinclair/typebox';
import { type ChannelDefinition, textField } from './definition.js';

/**
 * PagerDuty Events API v2 (the PAGERDUTY_EVENTS_URL setting). An incident's trigger, reminders and resolve
 * share its id as dedup key, so PagerDuty resolves what it opened; alert storms are not grouped here,
 * because a grouped trigger could not be resolved per monitor (PagerDuty groups alerts itself).
 */
export const pagerduty: ChannelDefinition<{ routingKey: string }> = {
  type: 'pagerduty',
  config: Type.Object(
    {
      routingKey: textField({
        description: 'The integration key of an Events API v2 integration',
        maxLength: 32,
        pattern: '^[A-Za-z0-9]{32}$',
        patternMessage: 'must be a 32-character integration key',
      }),
    },
    { additionalProperties: false, title: 'pagerduty channel config' },
  ),
  secretFields: ['routingKey'],
  groups: false,
  refine: (config) => config,
  userUrls: () => [],
  send(message, channel, context) {
    const event = message.events[0]!;
    const body =
      event.type === 'incident.resolved'
        ? { routing_key: channel.config.routingKey, event_action: 'resolve', dedup_key: dedupKey(event) }
        : {
            routing_key: channel.config.routingKey,
            event_action: 'trigger',
            dedup_key: dedupKey(event),
            payload: {
              summary: message.title.slice(0, 1024),
              source: event.monitor?.url ?? 'better-uptime',
              severity: message.severity === 'ok' ? 'info' : message.severity,
              timestamp: event.createdAt,
              component: event.monitor?.name,
              custom_details: { lines: message.lines, event },
            },
            links: [{ href: message.link, text: 'Open in Better Uptime' }],
            client: 'Better Uptime',
            client_url: message.link,
          };
    return post({
      url: context.settings.pagerdutyEventsUrl,
      body: JSON.stringify(body),
      timeoutMs: context.settings.timeoutMs,
      guard: null,
    });
  },
};

function dedupKey(event: EventPayload): string {
  if (event.incident) return `better-uptime-incident-${event.incident.id}`;
  if (event.certificate && event.monitor)
    return `better-uptime-certificate-${event.monitor.id}-${event.certificate.expiresAt}`;
  return `better-uptime-${event.id}`;
}
