import { post } from '../http.js';
import { plainText } from '../message.js';
import { webhookUrlChannel } from './definition.js';

/** Slack's mrkdwn needs &, < and > escaped. */
const mrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Slack incoming webhook: `text` (notifications, fallbacks) and Block Kit blocks. */
export const slack = webhookUrlChannel(
  'slack',
  'A Slack incoming-webhook URL (https://hooks.slack.com/services/...)',
  (message, channel, context) => {
    const body = {
      text: plainText(message),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150), emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(message.lines.join('\n')).slice(0, 3000) } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `<${message.link}|Open in Better Uptime>` }] },
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
