import { post } from '../http.js';
import { webhookUrlChannel } from './definition.js';

/** A Microsoft Teams workflow ("Post to a channel when a webhook request is received"): an Adaptive Card. */
export const teams = webhookUrlChannel(
  'teams',
  'A Teams workflow ("when a webhook request is received") URL',
  (message, channel, context) => {
    const body = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              {
                type: 'TextBlock',
                text: message.title,
                weight: 'Bolder',
                size: 'Medium',
                wrap: true,
                color:
                  message.severity === 'critical'
                    ? 'Attention'
                    : message.severity === 'ok'
                      ? 'Good'
                      : 'Default',
              },
              ...message.lines.map((line) => ({
                type: 'TextBlock',
                text: line,
                wrap: true,
                spacing: 'Small',
              })),
            ],
            actions: [{ type: 'Action.OpenUrl', title: 'Open in Better Uptime', url: message.link }],
          },
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
