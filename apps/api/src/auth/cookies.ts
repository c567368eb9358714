import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply } from 'fastify';

export const SESSION_COOKIE = 'bu_session';
export const CSRF_COOKIE = 'bu_csrf';

export interface CookieSettings {
  secure: boolean;
  maxAgeSeconds: number;
}

function options(settings: CookieSettings, httpOnly: boolean): CookieSerializeOptions {
  return { httpOnly, secure: settings.secure, sameSite: 'lax', path: '/', maxAge: settings.maxAgeSeconds };
}

/** The session token, out of reach of page scripts; and the CSRF token, which the dashboard must read. */
export function setAuthCookies(
  reply: FastifyReply,
  settings: CookieSettings,
  token: string,
  csrfToken: string,
): void {
  reply.setCookie(SESSION_COOKIE, token, options(settings, true));
  reply.setCookie(CSRF_COOKIE, csrfToken, options(settings, false));
}

export function clearAuthCookies(reply: FastifyReply, settings: CookieSettings): void {
  reply.clearCookie(SESSION_COOKIE, options(settings, true));
  reply.clearCookie(CSRF_COOKIE, options(settings, false));
}
