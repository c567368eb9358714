import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF protection for cookie-authenticated writes, as a signed double submit: at login the server sets a
 * readable `bu_csrf` cookie holding HMAC(key, session id); the dashboard copies it into the
 * `x-csrf-token` header. A cross-site page can make the browser send the cookies but can neither read
 * them nor compute the HMAC, so it cannot produce the header. Tying the token to the session means a
 * token planted by an attacker (e.g. via a sibling subdomain) is useless with the victim's session.
 */
export interface Csrf {
  tokenFor(sessionId: string): string;
  matches(sessionId: string, provided: string | undefined): boolean;
}

export function createCsrf(secret: string): Csrf {
  // A key of its own, derived from the JWT secret, so a CSRF token can never double as a signature.
  const key = createHmac('sha256', secret).update('better-uptime csrf v1').digest();
  const tokenFor = (sessionId: string) => createHmac('sha256', key).update(sessionId).digest('base64url');
  return {
    tokenFor,
    matches(sessionId, provided) {
      if (provided === undefined) return false;
      const expected = Buffer.from(tokenFor(sessionId));
      const actual = Buffer.from(provided);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
