import { jwtVerify, SignJWT } from 'jose';
import { isUuid } from '@better-uptime/db';

const ISSUER = 'better-uptime';
const AUDIENCE = 'better-uptime-api';

export interface TokenClaims {
  userId: string;
  sessionId: string;
}

export interface TokenService {
  /** An HS256 JWT naming the user (`sub`) and the session (`sid`), valid until `expiresAt`. */
  sign(claims: TokenClaims, expiresAt: Date): Promise<string>;
  /** The claims of a genuine, unexpired token; null for anything else. */
  verify(token: string): Promise<TokenClaims | null>;
}

/** How many verified tokens createTokenService remembers (a few MB at most). */
export const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * HS256 JWTs. A token's signature and claims never change, so a token once verified is remembered with its
 * expiry, until then: a client sends the same token with every request, and verifying it again each time
 * (WebCrypto, asynchronous) was a large part of a small request's CPU. This is not a cache of sessions:
 * whether the session is still live (not revoked, not expired in the database) is checked on every request
 * all the same. Only genuine tokens are kept, at most VERIFIED_TOKENS_KEPT (the oldest go first).
 */
export function createTokenService(secret: string, now: () => number = Date.now): TokenService {
  const key = new TextEncoder().encode(secret);
  const verified = new Map<string, { claims: TokenClaims; exp: number }>();
  return {
    sign: ({ userId, sessionId }, expiresAt) =>
      new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key),

    async verify(token) {
      const known = verified.get(token);
      if (known) {
        // jose's own rule: expired once `exp` is at or before the current whole second.
        if (known.exp > Math.floor(now() / 1000)) return known.claims;
        verified.delete(token);
        return null;
      }
      try {
        // Only HS256: a token declaring "none" or an asymmetric algorithm is refused outright.
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['exp', 'sub', 'sid'],
          currentDate: new Date(now()),
        });
        const { sub, sid, exp } = payload;
        // Checked here so a well-signed but odd token cannot reach the database as a non-UUID.
        if (typeof sub !== 'string' || typeof sid !== 'string' || !isUuid(sub) || !isUuid(sid)) return null;
        const claims = { userId: sub, sessionId: sid };
        if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
        verified.set(token, { claims, exp: exp! });
        return claims;
      } catch {
        return null;
      }
    },
  };
}
