import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from './cache.js';
import { MemoryCache } from './memory.js';
import { openRedis, type RedisCache } from './redis.js';

const REDIS_URL = process.env.REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let keyCounter = 0;
const newKey = (label: string) => `${label}:${++keyCounter}`;

/** The Cache port contract, run against each adapter. */
function cacheContract(kind: 'memory' | 'redis', open: () => Cache) {
  let cache: Cache;
  beforeAll(() => {
    cache = open();
  });
  afterAll(async () => {
    await cache?.close();
  });

  it(`reports its kind (${kind}) and answers ping`, async () => {
    expect(cache.kind).toBe(kind);
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('gives undefined for a missing key', async () => {
    expect(await cache.get(newKey('missing'))).toBeUndefined();
  });

  it('stores, overwrites and deletes values', async () => {
    const key = newKey('value');
    await cache.set(key, 'first', 60);
    expect(await cache.get(key)).toBe('first');
    await cache.set(key, 'second', 60);
    expect(await cache.get(key)).toBe('second');
    await cache.del(key);
    expect(await cache.get(key)).toBeUndefined();
    await expect(cache.del(key)).resolves.toBeUndefined(); // deleting again is harmless
  });

  it('keeps keys apart', async () => {
    const a = newKey('a');
    const b = newKey('b');
    await cache.set(a, 'A', 60);
    await cache.set(b, 'B', 60);
    await cache.del(a);
    expect(await cache.get(a)).toBeUndefined();
    expect(await cache.get(b)).toBe('B');
  });

  it('counts up from 1 per key', async () => {
    const key = newKey('counter');
    const other = newKey('counter');
    expect(await cache.increment(key, 60)).toBe(1);
    expect(await cache.increment(key, 60)).toBe(2);
    expect(await cache.increment(key, 60)).toBe(3);
    expect(await cache.increment(other, 60)).toBe(1);
    expect(await cache.get(key)).toBe('3');
    await cache.del(key);
    expect(await cache.increment(key, 60)).toBe(1);
  });

  it('counts concurrent increments exactly', async () => {
    const key = newKey('concurrent');
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.increment(key, 60)));
    expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('expires values after their TTL, and a counter window is fixed from the first hit', async () => {
    const value = newKey('expiring');
    const counter = newKey('window');
    const lasting = newKey('lasting');
    await cache.set(value, 'short-lived', 1);
    await cache.set(lasting, 'kept', 60);
    expect(await cache.increment(counter, 1)).toBe(1);
    await sleep(600);
    expect(await cache.get(value)).toBe('short-lived');
    // A later hit inside the window counts but must not push the window's end back.
    expect(await cache.increment(counter, 1)).toBe(2);
    await sleep(550);
    // 1.15 s after the first hit: a sliding window would still hold the counter (until 1.6 s).
    expect(await cache.get(value)).toBeUndefined();
    expect(await cache.get(counter)).toBeUndefined();
    expect(await cache.get(lasting)).toBe('kept');
    // A new window starts from 1.
    expect(await cache.increment(counter, 1)).toBe(1);
  });
}

describe('MemoryCache', () => {
  cacheContract('memory', () => new MemoryCache());

  it('evicts the least recently used entry beyond its capacity', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.get('a'); // a is now more recent than b
    await cache.set('c', '3', 60);
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBe('3');
  });

  it('forgets everything when closed', async () => {
    const cache = new MemoryCache();
    await cache.set('a', '1', 60);
    await cache.close();
    expect(await cache.get('a')).toBeUndefined();
  });
});

describe.skipIf(!REDIS_URL)(`RedisCache${REDIS_URL ? '' : ' (skipped: set REDIS_URL to run)'}`, () => {
  const prefix = `pha-unit:${randomBytes(6).toString('hex')}:`;
  let admin: RedisCache;
  beforeAll(() => {
    admin = openRedis(REDIS_URL!, 'unused:');
  });
  afterAll(async () => {
    const keys = await admin.client.keys(`${prefix}*`);
    if (keys.length > 0) await admin.client.del(...keys);
    await admin.close();
  });

  cacheContract('redis', () => openRedis(REDIS_URL!, prefix));

  it('stores keys under its prefix with the TTL in Redis', async () => {
    const cache = openRedis(REDIS_URL!, prefix);
    try {
      await cache.set('stored', 'v', 120);
      expect(await admin.client.get(`${prefix}stored`)).toBe('v');
      const ttl = await admin.client.ttl(`${prefix}stored`);
      expect(ttl).toBeGreaterThan(115);
      expect(ttl).toBeLessThanOrEqual(120);
    } finally {
      await cache.close();
    }
  });

  it('sets the counter TTL once: later increments with another TTL leave it alone', async () => {
    const cache = openRedis(REDIS_URL!, prefix);
    try {
      expect(await cache.increment('fixed', 100)).toBe(1);
      const first = await admin.client.pttl(`${prefix}fixed`);
      expect(first).toBeGreaterThan(95_000);
      expect(first).toBeLessThanOrEqual(100_000);
      expect(await cache.increment('fixed', 1000)).toBe(2);
      expect(await cache.increment('fixed', 5)).toBe(3);
      const later = await admin.client.pttl(`${prefix}fixed`);
      expect(later).toBeLessThanOrEqual(first);
      expect(later).toBeGreaterThan(95_000);
      expect(typeof (await cache.increment('fixed', 100))).toBe('number');
    } finally {
      await cache.close();
    }
  });

  it('keeps caches with different prefixes apart', async () => {
    const one = openRedis(REDIS_URL!, `${prefix}one:`);
    const two = openRedis(REDIS_URL!, `${prefix}two:`);
    try {
      await one.set('shared', 'from-one', 60);
      expect(await two.get('shared')).toBeUndefined();
      expect(await two.increment('shared-counter', 60)).toBe(1);
      expect(await one.get('shared-counter')).toBeUndefined();
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('rejects commands once closed', async () => {
    const cache = openRedis(REDIS_URL!, prefix);
    await cache.ping();
    await cache.close();
    await expect(cache.get('anything')).rejects.toThrow();
  });

  it('fails ping when the server cannot be reached, without crashing the process', async () => {
    const cache = openRedis('redis://127.0.0.1:1', prefix);
    try {
      await expect(cache.ping()).rejects.toThrow();
    } finally {
      cache.client.disconnect();
    }
  });
});
