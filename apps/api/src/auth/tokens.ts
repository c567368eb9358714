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

export function createTokenService(secret: string): TokenService {
  const key = new TextEncoder().encode(secret);
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
      try {
        // Only HS256: a token declaring "none" or an asymmetric algorithm is refused outright.
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['exp', 'sub', 'sid'],
        });
        const { sub, sid } = payload;
        // Checked here so a well-signed but odd token cannot reach the database as a non-UUID.
        if (typeof sub !== 'string' || typeof sid !== 'string' || !isUuid(sub) || !isUuid(sid)) return null;
        return { userId: sub, sessionId: sid };
      } catch {
        return null;
      }
    },
  };
}
