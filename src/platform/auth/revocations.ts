import type { Cache } from '../cache/cache.js';

/**
 * Sessions ended by logout, password change, refresh-token reuse or account deletion. Every service
 * asks this before accepting an access token, so a logout takes effect everywhere at once.
 */
export interface SessionRevocations {
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

const key = (sessionId: string) => `revoked-session:${sessionId}`;

export class CacheRevocations implements SessionRevocations {
  /** Remote caches (Redis) are asked at most once per `memoMs` per session, to stay within free-tier quotas. */
  private readonly memo = new Map<string, number>();

  constructor(
    private readonly cache: Cache,
    private readonly memoMs = cache.kind === 'memory' ? 0 : 2000,
  ) {}

  async revoke(sessionId: string, ttlSeconds: number): Promise<void> {
    await this.cache.set(key(sessionId), '1', Math.max(1, ttlSeconds));
    this.memo.delete(sessionId);
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    if (this.memoMs > 0) {
      const checkedUntil = this.memo.get(sessionId);
      if (checkedUntil !== undefined && checkedUntil > Date.now()) return false;
    }
    const revoked = (await this.cache.get(key(sessionId))) !== undefined;
    if (!revoked && this.memoMs > 0) {
      if (this.memo.size > 10_000) this.memo.clear();
      this.memo.set(sessionId, Date.now() + this.memoMs);
    }
    return revoked;
  }
}
