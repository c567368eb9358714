import { post, type SendResult } from '../http.js';
import { escapeHtml } from '../message.js';
import { Type } from '@sinclair/typebox';
import { ChannelConfigError, type ChannelDefinition, textField } from './definition.js';

/** Telegram's limit for a message's text. */
const MAX_TEXT = 4096;

/**
 * A Telegram bot's sendMessage (HTML parse mode) to a chat. The API's base URL is the TELEGRAM_API_URL
 * setting; the token is part of the request path, so neither URL nor token ever reaches an error.
 */
const CHAT_ID = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/;
const CHAT_ID_SAYS = 'must be a numeric chat id or an @channel name';

export const telegram: ChannelDefinition<{ botToken: string; chatId: string }> = {
  type: 'telegram',
  config: Type.Object(
    {
      botToken: textField({
        description: 'A bot token from @BotFather',
        maxLength: 121,
        pattern: '^\\d{3,20}:[A-Za-z0-9_-]{20,100}$',
        patternMessage: 'must be a bot token like 123456789:AAE...',
      }),
      chatId: Type.Union(
        [
          textField({
            description: 'A chat id or an @channel name',
            maxLength: 32,
            pattern: CHAT_ID.source,
            patternMessage: CHAT_ID_SAYS,
          }),
          Type.Integer({ description: 'A numeric chat id' }),
        ],
        { description: 'The chat (or @channel) the bot writes to; answers give it as text' },
      ),
    },
    { additionalProperties: false, title: 'telegram channel config' },
  ),
  secretFields: ['botToken'],
  groups: true,
  refine(config) {
    const chatId = String(config.chatId);
    if (!CHAT_ID.test(chatId)) throw new ChannelConfigError('chatId', CHAT_ID_SAYS);
    return { botToken: config.botToken, chatId };
  },
  userUrls: () => [],
  async send(message, channel, context): Promise<SendResult> {
    const html = [
      `<b>${escapeHtml(message.title)}</b>`,
      '',
      ...message.lines.map(escapeHtml),
      '',
      `<a href="${escapeHtml(message.link)}">Open in Better Uptime</a>`,
    ].join('\n');
    const result = await post({
      url: `${context.settings.telegramApiUrl}/bot${channel.config.botToken}/sendMessage`,
      body: JSON.stringify({
        chat_id: channel.config.chatId,
        text: html.slice(0, MAX_TEXT),
        parse_mode: 'HTML',
        disable_web_page_preview: true,
      }),
      timeoutMs: context.settings.timeoutMs,
      guard: null,
    });
    if (result.ok) return result;
    // Telegram explains itself in the body ({description, parameters: {retry_after}}).
    try {
      const answer = JSON.parse(result.answer) as {
        description?: string;
        parameters?: { retry_after?: number };
      };
      const retryAfter = answer.parameters?.retry_after;
      return {
        ...result,
        error: answer.description ? `${result.error}: ${answer.description.slice(0, 200)}` : result.error,
        ...(result.retryAfterMs === undefined && typeof retryAfter === 'number'
          ? { retryAfterMs: retryAfter * 1000 }
          : {}),
      };
    } catch {
      return result;
    }
  },
};
