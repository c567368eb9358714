import { createTransport, type Transporter } from 'nodemailer';
import type { NotificationSettings } from '@better-uptime/config';
import type { SendResult } from './http.js';

/**
 * Sends mail through SMTP_URL. One transport per process; every mail is bounded by the notification
 * timeout (connect, greeting and each socket wait). A 5xx answer is final; anything else is tried again.
 */
export function createMailer(settings: NotificationSettings) {
  let transport: Transporter | undefined;
  return async function sendMail(mail: {
    to: string[];
    subject: string;
    text: string;
    html: string;
  }): Promise<SendResult> {
    if (!settings.smtpUrl)
      return {
        ok: false,
        statusCode: null,
        error: 'SMTP_URL is not set: email cannot be sent',
        retryable: false,
      };
    transport ??= createTransport({
      url: settings.smtpUrl,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        transport.sendMail({ from: settings.smtpFrom, ...mail }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                Object.assign(new Error(`no answer within ${settings.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
              ),
            settings.timeoutMs,
          );
        }),
      ]);
      return { ok: true, statusCode: null };
    } catch (error) {
      const failure = error as { responseCode?: number; code?: string; message?: string };
      const code = typeof failure.responseCode === 'number' ? failure.responseCode : null;
      return {
        ok: false,
        statusCode: code,
        error: `SMTP ${failure.code ?? 'error'}: ${String(failure.message ?? error)}`.slice(0, 300),
        retryable: code === null || code < 500,
      };
    } finally {
      clearTimeout(timer);
    }
  };
}
