/**
 * "Act as user" tokens: what a service holds when it calls another service for a user without that
 * user's request at hand (background imports, scheduled syncs, uploads signed with an API secret).
 *
 * Unlike an access token, such a token
 * - names the acting service (`act`, as in RFC 8693's actor claim) and the purpose (for logs and audits),
 * - permits only the calls listed in its scope ("service:METHOD /route", checked by the guard of the
 *   service called, see guard.ts), so it cannot read or erase anything else of the user's,
 * - lives minutes (at most ACTING_TTL_MAX_SECONDS), and has its own session id, so ending the user's
 *   sign-in does not break an import already running, and the acting session can be revoked on its own,
 * - carries the user's real role when the original request gave it, and the least one (patient) when not.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ServiceSlug } from '../../catalog.js';
import type { Role } from './principal.js';
import { AUDIENCE, ISSUER } from './tokens.js';

export const ACTING_TOKEN_TYPE = 'acting';
export const ACTING_TTL_MAX_SECONDS = 600;
/** The role assumed when the original request's role is not known: the one with the fewest rights. */
export const LEAST_ROLE: Role = 'patient';

export type ActingMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One call a token permits: a route of a service, as the service declares it (e.g. /api/v1/metrics/:id). */
export interface ActingPermission {
  service: ServiceSlug;
  method: ActingMethod;
  route: string;
}

export interface ActingGrant {
  userId: string;
  /** The user's role from the original request; LEAST_ROLE when not known. */
  role?: Role;
  /** The service acting. */
  actor: ServiceSlug;
  /** Why (e.g. "import:<id>", "sync:dexcom"): becomes part of the acting session id. */
  purpose: string;
  scope: readonly ActingPermission[];
}

/** What the verifier finds in an acting token (see Principal.acting). */
export interface ActingClaims {
  actor: string;
  purpose: string;
  /** "service:METHOD /route" entries. */
  scope: string[];
}

export const scopeEntry = (p: ActingPermission) => `${p.service}:${p.method} ${p.route}`;

/** The acting session id: revoking it ends every token of that service and purpose. */
export const actingSessionId = (actor: string, purpose: string) => `acting:${actor}:${purpose}`;

const encoder = new TextEncoder();

/** Signs acting tokens with the platform's JWT secret (HS256), like the auth service's access tokens. */
export class ActingTokenIssuer {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds = 300,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 10 || ttlSeconds > ACTING_TTL_MAX_SECONDS) {
      throw new Error(`An acting token lives 10 to ${ACTING_TTL_MAX_SECONDS} seconds (got ${ttlSeconds})`);
    }
    this.key = encoder.encode(secret);
  }

  /** A token for `grant`, with the instant (ms) it expires. */
  async sign(grant: ActingGrant): Promise<{ token: string; expiresAt: number }> {
    if (grant.scope.length === 0) throw new Error('An acting token must permit at least one call');
    if (!/^[\x21-\x7e]{1,200}$/.test(grant.purpose)) {
      throw new Error('The purpose of an acting token is 1 to 200 printable ASCII characters');
    }
    const issuedAt = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      typ: ACTING_TOKEN_TYPE,
      sid: actingSessionId(grant.actor, grant.purpose),
      role: grant.role ?? LEAST_ROLE,
      act: { sub: grant.actor },
      purpose: grant.purpose,
      scope: grant.scope.map(scopeEntry),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(grant.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
    return { token, expiresAt: (issuedAt + this.ttlSeconds) * 1000 };
  }
}

/** Reads the acting claims of a verified payload; undefined when they are not well formed. */
export function actingClaimsOf(payload: Record<string, unknown>): ActingClaims | undefined {
  const act = payload.act as { sub?: unknown } | undefined;
  const scope = payload.scope;
  if (
    typeof act?.sub !== 'string' ||
    typeof payload.purpose !== 'string' ||
    !Array.isArray(scope) ||
    scope.length === 0 ||
    !scope.every((s) => typeof s === 'string')
  ) {
    return undefined;
  }
  return { actor: act.sub, purpose: payload.purpose, scope: scope as string[] };
}
