import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { isRole, type Principal, type Role } from '../../platform/auth/principal.js';
import type { SessionRevocations } from '../../platform/auth/revocations.js';
import { unauthorized } from '../../platform/http/errors.js';

/**
 * Short-lived signed links to one resource of one user (the printable summary, a document's file), so
 * a browser tab can open it without the bearer token. A link token is
 * `v1.<payload>.<HMAC-SHA256(payload)>` (base64url) under a key derived from SECRET_KEY for its purpose
 * alone (HKDF, as FieldCipher does): a summary link never verifies as a document link. The payload names
 * the user, the resource, the session that made it (so logout and account deletion end it at once) and
 * when it expires. Nothing is stored: a link is valid until it expires or its session ends.
 */

export type LinkPurpose = 'summary' | 'document';

/** How long a link works: enough to open or print, short enough that a leaked URL is soon useless. */
export const LINK_TTL_SECONDS = 300;

export interface LinkClaims {
  purpose: LinkPurpose;
  userId: string;
  /** The resource (document id); '' for the summary, which is one per user. */
  resource: string;
  role: Role;
  sessionId?: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

interface Payload {
  p: LinkPurpose;
  u: string;
  r: string;
  ro: Role;
  s?: string;
  e: number;
}

const MAC_BYTES = 32;

export class LinkSigner {
  private readonly keys: Record<LinkPurpose, Buffer>;

  constructor(
    secretKey: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    const derive = (purpose: LinkPurpose) =>
      Buffer.from(
        hkdfSync('sha256', secretKey, 'personal-health-assistant', `medical-records:link:${purpose}`, 32),
      );
    this.keys = { summary: derive('summary'), document: derive('document') };
  }

  /**
   * A link token for `principal` to `resource`, expiring in LINK_TTL_SECONDS or with the access token
   * that asked for it, whichever is sooner: a link never outlives the sign-in, so revoking the session
   * (whose revocation lasts as long as its tokens) always covers it.
   */
  sign(purpose: LinkPurpose, principal: Principal, resource = ''): { token: string; expiresAt: Date } {
    const expires = Math.min(
      Math.floor(this.now() / 1000) + LINK_TTL_SECONDS,
      Math.floor(principal.expiresAt / 1000),
    );
    const payload: Payload = {
      p: purpose,
      u: principal.userId,
      r: resource,
      ro: principal.role,
      ...(principal.sessionId ? { s: principal.sessionId } : {}),
      e: expires,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return {
      token: `v1.${body}.${this.mac(purpose, body).toString('base64url')}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /** The claims of a link valid for `purpose` and `resource` now; throws a 401 naming what is wrong. */
  verify(purpose: LinkPurpose, token: string, resource = ''): LinkClaims {
    const invalid = () => unauthorized('This link is not valid; ask for a new one', 'link_invalid');
    const [version, body, mac, extra] = token.split('.');
    if (version !== 'v1' || !body || !mac || extra !== undefined) throw invalid();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, this.mac(purpose, body))) throw invalid();
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      throw invalid();
    }
    if (
      payload.p !== purpose ||
      typeof payload.u !== 'string' ||
      typeof payload.r !== 'string' ||
      !isRole(payload.ro) ||
      typeof payload.e !== 'number'
    ) {
      throw invalid();
    }
    if (payload.e * 1000 <= this.now()) {
      throw unauthorized('This link has expired; ask for a new one', 'link_expired');
    }
    if (payload.r !== resource) {
      throw unauthorized('This link is for another resource than this one', 'link_other_resource');
    }
    return {
      purpose,
      userId: payload.u,
      resource: payload.r,
      role: payload.ro,
      ...(payload.s ? { sessionId: payload.s } : {}),
      expiresAt: payload.e,
    };
  }

  private mac(purpose: LinkPurpose, body: string): Buffer {
    return createHmac('sha256', this.keys[purpose]).update(`${purpose}\u0000${body}`).digest();
  }
}

/** Requests answered through a link (not a token): calls they make for the user need an acting token. */
const linkedRequests = new WeakMap<FastifyRequest, LinkClaims>();

export const linkOf = (request: FastifyRequest): LinkClaims | undefined => linkedRequests.get(request);

/**
 * For a route's `config.signedLink` (see the auth guard): the principal of a valid `?link=` for this
 * route's resource, or undefined when the request has no link. The session that made the link must
 * still be live.
 */
export function linkAuthenticator(
  signer: LinkSigner,
  revocations: SessionRevocations,
  purpose: LinkPurpose,
  resourceOf: (request: FastifyRequest) => string = () => '',
) {
  return async (request: FastifyRequest): Promise<Principal | undefined> => {
    const token = (request.query as { link?: unknown } | undefined)?.link;
    if (token === undefined) return undefined;
    if (typeof token !== 'string') throw unauthorized('Give one link', 'link_invalid');
    const claims = signer.verify(purpose, token, resourceOf(request));
    if (claims.sessionId && (await revocations.isRevoked(claims.sessionId))) {
      throw unauthorized('The sign-in that made this link has ended', 'session_revoked');
    }
    linkedRequests.set(request, claims);
    return {
      userId: claims.userId,
      role: claims.role,
      ...(claims.sessionId ? { sessionId: claims.sessionId } : {}),
      source: 'pha',
      // No bearer token to forward: calls to other services go with an acting token (see linkOf).
      token: '',
      expiresAt: claims.expiresAt * 1000,
    };
  };
}

/** Headers of every response served through a link: not cached, and the URL not sent on as a Referer. */
export const LINK_RESPONSE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
} as const;
