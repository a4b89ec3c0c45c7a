import { describe, expect, it } from 'vitest';
import type { Cache } from '../cache/cache.js';
import { MemoryCache } from '../cache/memory.js';
import { CacheRevocations } from './revocations.js';

/** A cache that records what it is asked, standing in for a remote (Redis) or memory cache. */
function recordingCache(kind: 'memory' | 'redis') {
  const store = new Map<string, string>();
  const calls: string[] = [];
  const sets: { key: string; value: string; ttl: number }[] = [];
  const cache: Cache = {
    kind,
    async get(key) {
      calls.push(`get ${key}`);
      return store.get(key);
    },
    async set(key, value, ttl) {
      calls.push(`set ${key}`);
      sets.push({ key, value, ttl });
      store.set(key, value);
    },
    async del(key) {
      store.delete(key);
    },
    async increment() {
      return 1;
    },
    async ping() {},
    async close() {},
  };
  return { cache, calls, sets, store };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CacheRevocations', () => {
  it('reports a revoked session, and only that one', async () => {
    const revocations = new CacheRevocations(new MemoryCache());
    expect(await revocations.isRevoked('s1')).toBe(false);
    await revocations.revoke('s1', 900);
    expect(await revocations.isRevoked('s1')).toBe(true);
    expect(await revocations.isRevoked('s2')).toBe(false);
  });

  it('stores the revocation under revoked-session:<id> for the given time, at least one second', async () => {
    const { cache, sets } = recordingCache('memory');
    const revocations = new CacheRevocations(cache);
    await revocations.revoke('s1', 900);
    await revocations.revoke('s2', 0);
    await revocations.revoke('s3', -5);
    expect(sets).toEqual([
      { key: 'revoked-session:s1', value: '1', ttl: 900 },
      { key: 'revoked-session:s2', value: '1', ttl: 1 },
      { key: 'revoked-session:s3', value: '1', ttl: 1 },
    ]);
  });

  it('forgets a revocation once its time is up (the token has expired by then)', async () => {
    const revocations = new CacheRevocations(new MemoryCache());
    await revocations.revoke('s1', 1);
    expect(await revocations.isRevoked('s1')).toBe(true);
    await sleep(1100);
    expect(await revocations.isRevoked('s1')).toBe(false);
  });

  it('asks a memory cache every time', async () => {
    const { cache, calls } = recordingCache('memory');
    const revocations = new CacheRevocations(cache);
    await revocations.isRevoked('s1');
    await revocations.isRevoked('s1');
    await revocations.isRevoked('s1');
    expect(calls).toEqual(Array(3).fill('get revoked-session:s1'));
  });

  it('asks a remote cache at most once per memo period for a session that is not revoked', async () => {
    const { cache, calls } = recordingCache('redis');
    const revocations = new CacheRevocations(cache);
    expect(await revocations.isRevoked('s1')).toBe(false);
    expect(await revocations.isRevoked('s1')).toBe(false);
    expect(await revocations.isRevoked('s2')).toBe(false);
    expect(calls).toEqual(['get revoked-session:s1', 'get revoked-session:s2']);
  });

  it('sees its own revocation at once, despite the memo', async () => {
    const { cache } = recordingCache('redis');
    const revocations = new CacheRevocations(cache);
    expect(await revocations.isRevoked('s1')).toBe(false);
    await revocations.revoke('s1', 60);
    expect(await revocations.isRevoked('s1')).toBe(true);
    expect(await revocations.isRevoked('s1')).toBe(true); // revoked answers are never memoised
  });

  it('sees another instance’s revocation once the memo period is over', async () => {
    const { cache, calls } = recordingCache('redis');
    const here = new CacheRevocations(cache, 50);
    const elsewhere = new CacheRevocations(cache, 50);
    expect(await here.isRevoked('s1')).toBe(false);
    await elsewhere.revoke('s1', 60);
    expect(await here.isRevoked('s1')).toBe(false); // still inside the memo period
    await sleep(70);
    expect(await here.isRevoked('s1')).toBe(true);
    expect(calls.filter((c) => c.startsWith('get'))).toHaveLength(2);
  });

  it('bounds the memo: beyond 10 000 sessions it starts over', async () => {
    const { cache, calls } = recordingCache('redis');
    const revocations = new CacheRevocations(cache, 60_000);
    for (let i = 0; i <= 10_001; i += 1) await revocations.isRevoked(`s${i}`);
    calls.length = 0;
    await revocations.isRevoked('s0'); // dropped when the memo was cleared
    await revocations.isRevoked('s10001'); // remembered after the clear
    expect(calls).toEqual(['get revoked-session:s0']);
  });
});
