import { post } from '../http.js';
import { Type } from '@sinclair/typebox';
import { type ChannelDefinition, refineUrl, textField, urlSchema } from './definition.js';

const PRIORITY = { critical: 5, warning: 4, info: 3, ok: 3 } as const;
const TAGS = {
  critical: ['rotating_light'],
  warning: ['warning'],
  info: ['information_source'],
  ok: ['white_check_mark'],
};

/** ntfy's JSON publishing: POST to the server's root with the topic in the body. */
export const ntfy: ChannelDefinition<{ serverUrl: string; topic: string }> = {
  type: 'ntfy',
  config: Type.Object(
    {
      serverUrl: urlSchema('An ntfy server: https://ntfy.sh or your own'),
      topic: textField({
        description: 'The topic (a secret: whoever knows it can read the messages)',
        maxLength: 64,
        pattern: '^[-_A-Za-z0-9]{1,64}$',
        patternMessage: 'must be 1 to 64 letters, digits, - or _',
      }),
    },
    { additionalProperties: false, title: 'ntfy channel config' },
  ),
  secretFields: ['topic'],
  groups: true,
  refine: (config) => ({
    serverUrl: refineUrl(config.serverUrl, 'serverUrl').replace(/\/+$/, ''),
    topic: config.topic,
  }),
  userUrls: (config) => [config.serverUrl],
  send(message, channel, context) {
    const body = {
      topic: channel.config.topic,
      title: message.title,
      message: message.lines.join('\n'),
      priority: PRIORITY[message.severity],
      tags: TAGS[message.severity],
      click: message.link,
    };
    return post({
      url: `${channel.config.serverUrl}/`,
      body: JSON.stringify(body),
      timeoutMs: context.settings.timeoutMs,
      guard: { allowPrivateTargets: context.allowPrivateTargets },
    });
  },
};
