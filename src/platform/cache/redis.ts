import { Redis } from 'ioredis';
import type { Cache } from './cache.js';

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;

  constructor(
    readonly client: Redis,
    /** Prefix of every key this cache writes (other Redis users, such as the rate limiter, share it). */
    readonly prefix = 'pha:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(this.prefix + key, value, 'EX', ttlSeconds);
  }

  async del(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    // One round trip: INCR, and EXPIRE only when the key is new (NX keeps a fixed window).
    const result = await this.client
      .multi()
      .incr(this.prefix + key)
      .expire(this.prefix + key, ttlSeconds, 'NX')
      .exec();
    const count = result?.[0]?.[1];
    return typeof count === 'number' ? count : Number(count);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

export function openRedis(url: string, prefix?: string): RedisCache {
  const client = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
  });
  // Connection errors surface through commands and /ready; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  return new RedisCache(client, prefix);
}
