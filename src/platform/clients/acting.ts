import type { ServiceSlug } from '../../catalog.js';
import type { ActingGrant, ActingPermission, ActingTokenIssuer } from '../auth/acting.js';
import { scopeEntry } from '../auth/acting.js';
import type { Role } from '../auth/principal.js';
import type { CallOptions, CallResult, ServiceClients } from './clients.js';

/** The user a service acts for, with the role of the request that started the work when known. */
export interface ActingUser {
  userId: string;
  role?: Role;
}

/** A token is renewed when less than this is left of it, so no call goes out with one about to expire. */
const RENEW_BEFORE_MS = 60_000;
const MAX_CACHED_TOKENS = 1000;

/**
 * Service-to-service calls on behalf of a user, for work that has no request of that user at hand
 * (background imports, scheduled syncs). Each call carries a short-lived acting token (auth/acting.ts)
 * that permits only the calls declared in `scope` for this actor; tokens are reused until shortly
 * before they expire.
 */
export class ActingClients {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    private readonly clients: ServiceClients,
    private readonly issuer: ActingTokenIssuer,
    /** The service that acts. */
    readonly actor: ServiceSlug,
    /** Every call this service makes for users, the only ones its tokens permit. */
    private readonly scope: readonly ActingPermission[],
  ) {
    if (scope.length === 0) throw new Error('ActingClients needs at least one permitted call');
  }

  /** Calls `slug` as `user`, for `purpose`; the call must be one of the scope's. */
  async call<T = unknown>(
    user: ActingUser,
    purpose: string,
    slug: ServiceSlug,
    options: Omit<CallOptions, 'token'>,
  ): Promise<CallResult<T>> {
    const route = options.path.split('?')[0]!;
    const permitted = this.scope.some(
      (p) => p.service === slug && p.method === options.method && routeMatches(p.route, route),
    );
    if (!permitted) {
      throw new Error(`${this.actor} may not call ${slug} ${options.method} ${route} for a user`);
    }
    const token = await this.tokenFor(user, purpose);
    return this.clients.call<T>(slug, { ...options, token });
  }

  /** A valid acting token for this user and purpose (cached until shortly before it expires). */
  async tokenFor(user: ActingUser, purpose: string): Promise<string> {
    const key = `${user.userId}\u0000${user.role ?? ''}\u0000${purpose}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - Date.now() > RENEW_BEFORE_MS) return cached.token;
    const grant: ActingGrant = {
      userId: user.userId,
      ...(user.role ? { role: user.role } : {}),
      actor: this.actor,
      purpose,
      scope: this.scope,
    };
    const fresh = await this.issuer.sign(grant);
    this.tokens.delete(key);
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.dropExpired();
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  /** The scope entries of this client's tokens ("service:METHOD /route"). */
  get scopeEntries(): string[] {
    return this.scope.map(scopeEntry);
  }

  private dropExpired() {
    const now = Date.now();
    for (const [key, value] of this.tokens)
      if (value.expiresAt - now <= RENEW_BEFORE_MS) this.tokens.delete(key);
  }
}

/** A concrete path against a declared route with `:param` segments. */
function routeMatches(route: string, path: string): boolean {
  const a = route.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((segment, i) => segment.startsWith(':') || segment === b[i]);
}
