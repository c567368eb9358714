import { escapeHtml, plainText } from '../message.js';
import { Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '@better-uptime/checker';
import type { ChannelDefinition } from './definition.js';

const ADDRESS = '^[^\\s@<>(),;:"]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$';
export const MAX_RECIPIENTS = 20;

/** Mail through SMTP_URL from SMTP_FROM, with a plain-text and an HTML part. */
export const email: ChannelDefinition<{ to: string[] }> = {
  type: 'email',
  config: Type.Object(
    {
      to: Type.Array(
        Type.String({
          maxLength: 254,
          pattern: ADDRESS,
          [PATTERN_MESSAGE]: 'must be an email address',
        }),
        {
          minItems: 1,
          maxItems: MAX_RECIPIENTS,
          description: 'Recipients (the server and sender are the SMTP_URL and SMTP_FROM settings)',
        },
      ),
    },
    { additionalProperties: false, title: 'email channel config' },
  ),
  secretFields: [],
  groups: true,
  refine: (config) => ({ to: [...new Set(config.to)] }),
  userUrls: () => [],
  send(message, channel, context) {
    const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escapeHtml(message.title)}</h2>
<ul>${message.lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
<p><a href="${escapeHtml(message.link)}">Open in Better Uptime</a></p>
</body></html>`;
    return context.sendMail({
      to: channel.config.to,
      subject: message.title,
      text: plainText(message),
      html,
    });
  },
};
