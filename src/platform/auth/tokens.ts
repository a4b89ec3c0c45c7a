import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { unauthorized } from '../http/errors.js';
import { ACTING_TOKEN_TYPE, ACTING_TTL_MAX_SECONDS, actingClaimsOf } from './acting.js';
import { isRole, type Principal, type Role } from './principal.js';
import type { SessionRevocations } from './revocations.js';

export const ISSUER = 'personal-health-assistant';
export const AUDIENCE = 'personal-health-assistant';

export type TokenPurpose = 'access' | 'mfa';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: Role;
  email: string;
}

const encoder = new TextEncoder();

/** Signs the platform's own tokens (HS256 with JWT_SECRET_KEY). Only the auth service issues them. */
export class TokenIssuer {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly accessTtlSeconds: number,
  ) {
    this.key = encoder.encode(secret);
  }

  signAccess(claims: AccessClaims): Promise<string> {
    return new SignJWT({ sid: claims.sessionId, role: claims.role, email: claims.email, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.accessTtlSeconds}s`)
      .sign(this.key);
  }

  /** A short-lived token that only proves the password step of an MFA login. */
  signMfaChallenge(userId: string, ttlSeconds = 300): Promise<string> {
    return new SignJWT({ typ: 'mfa' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }

  async verifyMfaChallenge(token: string): Promise<string> {
    const payload = await verifyHs256(token, this.key, { issuer: ISSUER, audience: AUDIENCE });
    if (payload.typ !== 'mfa' || typeof payload.sub !== 'string') {
      throw unauthorized('The MFA token is not valid', 'invalid_token');
    }
    return payload.sub;
  }
}

async function verifyHs256(
  token: string,
  key: Uint8Array,
  options: { issuer?: string; audience?: string },
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], ...options });
    return payload;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired)
      throw unauthorized('The access token has expired', 'token_expired');
    throw unauthorized('The access token is not valid', 'invalid_token');
  }
}

/**
 * Verifies bearer tokens locally in every service: signature (HS256 only, so `alg: none` and
 * algorithm swaps are refused), expiry, issuer, audience, purpose, and that the session is not revoked.
 */
export class TokenVerifier {
  private readonly key: Uint8Array;
  private readonly supabaseKey?: Uint8Array;
  private readonly verified = new LRUCache<string, Principal>({ max: 10_000 });

  constructor(
    secret: string,
    private readonly revocations: SessionRevocations,
    supabaseJwtSecret?: string,
  ) {
    this.key = encoder.encode(secret);
    if (supabaseJwtSecret) this.supabaseKey = encoder.encode(supabaseJwtSecret);
  }

  async verify(token: string): Promise<Principal> {
    // A token verified before is not verified again until it expires (signature checks dominate the
    // cost of a request); the session is still checked every time, so a logout takes effect at once.
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) {
      if (known.sessionId && (await this.revocations.isRevoked(known.sessionId))) {
        throw unauthorized('This session has ended; sign in again', 'session_revoked');
      }
      return known;
    }
    const principal = await this.verifyUncached(token);
    this.verified.set(token, principal, { ttl: Math.max(1, principal.expiresAt - Date.now()) });
    return principal;
  }

  private async verifyUncached(token: string): Promise<Principal> {
    if (this.supabaseKey && looksLikeSupabase(token)) return this.verifySupabase(token, this.supabaseKey);
    const payload = await verifyHs256(token, this.key, { issuer: ISSUER, audience: AUDIENCE });
    // Acting tokens (acting.ts): a service calling for a user, only for the calls their scope lists.
    const acting = payload.typ === ACTING_TOKEN_TYPE ? actingClaimsOf(payload) : undefined;
    if (
      (payload.typ !== 'access' && !acting) ||
      (acting &&
        (typeof payload.iat !== 'number' ||
          typeof payload.exp !== 'number' ||
          payload.exp - payload.iat > ACTING_TTL_MAX_SECONDS)) ||
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      !isRole(payload.role) ||
      typeof payload.exp !== 'number'
    ) {
      throw unauthorized('The access token is not valid', 'invalid_token');
    }
    if (await this.revocations.isRevoked(payload.sid)) {
      throw unauthorized('This session has ended; sign in again', 'session_revoked');
    }
    return {
      userId: payload.sub,
      sessionId: payload.sid,
      role: payload.role,
      email: typeof payload.email === 'string' ? payload.email : undefined,
      source: 'pha',
      token,
      expiresAt: payload.exp * 1000,
      ...(acting ? { acting } : {}),
    };
  }

  /** Supabase Auth access tokens: HS256 with the project's JWT secret, audience "authenticated". */
  private async verifySupabase(token: string, key: Uint8Array): Promise<Principal> {
    const payload = await verifyHs256(token, key, { audience: 'authenticated' });
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') {
      throw unauthorized('The access token is not valid', 'invalid_token');
    }
    if (typeof payload.session_id === 'string' && (await this.revocations.isRevoked(payload.session_id))) {
      throw unauthorized('This session has ended; sign in again', 'session_revoked');
    }
    const metadata = payload.user_metadata as { full_name?: unknown; name?: unknown } | undefined;
    const name = typeof metadata?.full_name === 'string' ? metadata.full_name : metadata?.name;
    return {
      userId: payload.sub,
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof payload.session_id === 'string' ? { sessionId: payload.session_id } : {}),
      role: 'patient',
      email: typeof payload.email === 'string' ? payload.email : undefined,
      source: 'supabase',
      token,
      expiresAt: payload.exp * 1000,
    };
  }
}

function looksLikeSupabase(token: string): boolean {
  const [, body] = token.split('.');
  if (!body) return false;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JWTPayload;
    return payload.iss !== ISSUER && payload.aud === 'authenticated';
  } catch {
    return false;
  }
}
