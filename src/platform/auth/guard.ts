import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from '../http/errors.js';
import type { Principal, Role } from './principal.js';
import type { TokenVerifier } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The route answers without a token (health checks, register, login). Default: a token is required. */
    public?: boolean;
    /** Only these roles may call the route. */
    roles?: readonly Role[];
    /**
     * The route also admits a signed link (e.g. `?link=`) in place of a token: returns the principal the
     * link stands for (throwing when it is not valid for this request), or undefined when there is none.
     */
    signedLink?: (request: FastifyRequest) => Promise<Principal | undefined>;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"', 'invalid_token');
  return match[1];
}

/** The service a guard protects: acting tokens are checked against its name and routes. */
export interface GuardedService {
  slug: string;
  /** Where its routes are mounted ('' on its own port, '/<slug>' in the all-in-one server). */
  prefix: string;
}

/**
 * Installs the guard on a service's scope: every route needs a valid access token unless it is marked
 * public, and routes that name roles admit only those. Secure by default, checked in this one place.
 * An acting token (a service calling for a user) is admitted only on the routes its scope lists, and
 * only where the guard knows which service it protects.
 */
export function installAuthGuard(
  app: FastifyInstance,
  verifier: TokenVerifier,
  service?: GuardedService,
): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config?.public) return;
    // Unknown routes fall through to the 404 handler without a token check.
    if (request.routeOptions.url === undefined) return;
    const linked = config?.signedLink ? await config.signedLink(request) : undefined;
    const token = bearerToken(request);
    if (linked && !token) {
      request.principal = linked;
      return;
    }
    if (!token) throw unauthorized('Authentication required: send "Authorization: Bearer <access_token>"');
    const principal = await verifier.verify(token);
    // A link sent along with a token must be the same account's: never one account's page in another's session.
    if (linked && linked.userId !== principal.userId) {
      throw unauthorized('This link belongs to another account', 'link_other_user');
    }
    if (principal.acting) assertActingScope(request, principal.acting.scope, service);
    if (config?.roles && !config.roles.includes(principal.role)) {
      throw forbidden(`This action needs one of the roles: ${config.roles.join(', ')}`);
    }
    request.principal = principal;
  });
}

function assertActingScope(request: FastifyRequest, scope: readonly string[], service?: GuardedService) {
  const route = request.routeOptions.url ?? '';
  const relative = service && route.startsWith(service.prefix) ? route.slice(service.prefix.length) : route;
  const entry = service ? `${service.slug}:${request.method} ${relative}` : undefined;
  if (entry === undefined || !scope.includes(entry)) {
    throw forbidden('This token was issued to a service for other calls than this one');
  }
}

/** The authenticated caller; routes behind the guard always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/**
 * The one ownership rule: a user reaches only their own records. Someone else's record answers 404,
 * so its existence is not disclosed. (Consent grants will widen this in the consent service.)
 */
export function assertOwnedBy(request: FastifyRequest, ownerId: string | undefined): void {
  const principal = principalOf(request);
  if (ownerId === undefined || ownerId !== principal.userId) throw notFound();
}

/** For routes that name a user in the path: only that user (or an admin, for account administration). */
export function assertSelfOrAdmin(request: FastifyRequest, userId: string): void {
  const principal = principalOf(request);
  if (principal.userId !== userId && principal.role !== 'admin') throw forbidden();
}
