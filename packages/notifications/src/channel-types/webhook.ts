import { createHmac } from 'node:crypto';
import { newId } from '@better-uptime/db';
import { post } from '../http.js';
import type { Message } from '../message.js';
import { Type } from '@sinclair/typebox';
import { type ChannelDefinition, refineUrl, urlSchema } from './definition.js';

export const SIGNATURE_HEADER = 'X-BetterUptime-Signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed by the channel's secret. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * The webhook body: the event itself (its `id` is unique per event), or for an alert storm
 * `{id, type: "group", createdAt, events: [...]}` with each event as it would have come alone.
 */
export function webhookBody(message: Message, now: number): string {
  if (!message.grouped) return JSON.stringify(message.events[0]);
  return JSON.stringify({
    id: newId(now),
    type: 'group',
    createdAt: new Date(now).toISOString(),
    events: message.events,
  });
}

export const webhook: ChannelDefinition<{ url: string }> = {
  type: 'webhook',
  config: Type.Object(
    {
      url: urlSchema('Any endpoint; requests are signed with the channel secret (X-BetterUptime-Signature)'),
    },
    { additionalProperties: false, title: 'webhook channel config' },
  ),
  secretFields: ['url'],
  groups: true,
  refine: (config) => ({ url: refineUrl(config.url, 'url') }),
  userUrls: (config) => [config.url],
  send(message, channel, context) {
    const now = Date.now();
    const body = webhookBody(message, now);
    return post({
      url: channel.config.url,
      body,
      headers: {
        [SIGNATURE_HEADER]: signature(channel.secret, body, Math.floor(now / 1000)),
        'X-BetterUptime-Event': message.grouped ? 'group' : message.events[0]!.type,
      },
      timeoutMs: context.settings.timeoutMs,
      guard: { allowPrivateTargets: context.allowPrivateTargets },
    });
  },
};
