import { LRUCache } from 'lru-cache';
import type { Cache } from './cache.js';

export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries: LRUCache<string, string>;

  constructor(maxEntries = 100_000) {
    this.entries = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: false });
  }

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const current = this.entries.get(key);
    if (current === undefined) {
      this.entries.set(key, '1', { ttl: ttlSeconds * 1000 });
      return 1;
    }
    const next = Number(current) + 1;
    // Keep the original expiry: a counter window does not slide with each hit.
    this.entries.set(key, String(next), { noUpdateTTL: true });
    return next;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }
}
