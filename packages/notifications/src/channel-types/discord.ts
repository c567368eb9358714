import { post } from '../http.js';
import type { Severity } from '../message.js';
import { webhookUrlChannel } from './definition.js';

const COLOURS: Record<Severity, number> = {
  critical: 0xd92d20,
  warning: 0xf79009,
  info: 0x2e90fa,
  ok: 0x12b76a,
};

/** A Discord webhook: one embed (title, description up to Discord's 4096 characters, link, colour). */
export const discord = webhookUrlChannel(
  'discord',
  'A Discord webhook URL (https://discord.com/api/webhooks/...)',
  (message, channel, context) => {
    const body = {
      username: 'Better Uptime',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: message.title.slice(0, 256),
          description: message.lines.join('\n').slice(0, 4096),
          url: message.link,
          color: COLOURS[message.severity],
          timestamp: message.events[0]!.createdAt,
        },
      ],
    };
    return post({
      url: channel.config.url,
      body: JSON.stringify(body),
      timeoutMs: context.settings.timeoutMs,
      guard: { allowPrivateTargets: context.allowPrivateTargets },
    });
  },
);
