import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActingTokenIssuer, type ActingPermission } from '../auth/acting.js';
import { installAuthGuard, principalOf } from '../auth/guard.js';
import { CacheRevocations } from '../auth/revocations.js';
import { TokenVerifier } from '../auth/tokens.js';
import { MemoryCache } from '../cache/memory.js';
import { loadConfig } from '../config.js';
import { createHttpApp } from '../http/server.js';
import { ActingClients } from './acting.js';
import { ServiceClients } from './clients.js';

const SECRET = 'pha-test-jwt-secret-0123456789abcdefghijkl';
const USER = '0190a0a0-0000-7000-8000-0000000000cc';
const SCOPE: ActingPermission[] = [
  { service: 'health-tracking', method: 'POST', route: '/api/v1/metrics/batch' },
  { service: 'health-tracking', method: 'GET', route: '/api/v1/metrics/:id' },
];

describe('ActingClients', () => {
  const verifier = new TokenVerifier(SECRET, new CacheRevocations(new MemoryCache()));
  let target: FastifyInstance;
  const seen: { token: string; user: string; role: string; body: unknown }[] = [];

  function clients() {
    const c = new ServiceClients(loadConfig({}).serviceUrls, 2000);
    c.registerLocal('health-tracking', { app: target, prefix: '/health-tracking' });
    return c;
  }

  beforeAll(async () => {
    target = createHttpApp({
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 1024 * 1024,
      trustProxy: false,
      serviceLabel: 'test',
    });
    await target.register(
      async (scope) => {
        installAuthGuard(scope, verifier, { slug: 'health-tracking', prefix: '/health-tracking' });
        const record = async (request: Parameters<typeof principalOf>[0]) => {
          const p = principalOf(request);
          seen.push({ token: p.token, user: p.userId, role: p.role, body: request.body });
          return { ok: true };
        };
        scope.post('/api/v1/metrics/batch', record);
        scope.get('/api/v1/metrics/:id', record);
        scope.delete('/api/v1/account/data', record);
      },
      { prefix: '/health-tracking' },
    );
    await target.ready();
  });
  afterAll(() => target.close());

  it('calls another service as the user, with their role, and reuses the token while it is fresh', async () => {
    seen.length = 0;
    const acting = new ActingClients(clients(), new ActingTokenIssuer(SECRET), 'device-data', SCOPE);
    const user = { userId: USER, role: 'caregiver' as const };
    const first = await acting.call(user, 'import:1', 'health-tracking', {
      method: 'POST',
      path: '/api/v1/metrics/batch',
      json: '{"items":[1]}',
    });
    const second = await acting.call(user, 'import:1', 'health-tracking', {
      method: 'GET',
      path: '/api/v1/metrics/abc?x=1',
    });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(seen.map((s) => [s.user, s.role])).toEqual([
      [USER, 'caregiver'],
      [USER, 'caregiver'],
    ]);
    // A body sent already encoded arrives as JSON.
    expect(seen[0]!.body).toEqual({ items: [1] });
    expect(seen[1]!.token).toBe(seen[0]!.token);
    expect(decodeJwt(seen[0]!.token)).toMatchObject({
      sub: USER,
      purpose: 'import:1',
      act: { sub: 'device-data' },
    });
    // Encoded bytes (a view into a larger buffer) are sent as they are.
    const bytes = Buffer.from('xx{"items":[2]}yy').subarray(2, 15);
    await acting.call(user, 'import:1', 'health-tracking', {
      method: 'POST',
      path: '/api/v1/metrics/batch',
      json: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
    expect(seen.at(-1)!.body).toEqual({ items: [2] });
    seen.splice(2);
    // Another purpose (or user) gets its own token.
    await acting.call(user, 'import:2', 'health-tracking', { method: 'POST', path: '/api/v1/metrics/batch' });
    expect(seen[2]!.token).not.toBe(seen[0]!.token);
  });

  it('renews a token that is about to expire', async () => {
    seen.length = 0;
    // 10 s tokens are always within the renewal margin (60 s): each call signs a new one.
    const acting = new ActingClients(clients(), new ActingTokenIssuer(SECRET, 10), 'device-data', SCOPE);
    for (let i = 0; i < 2; i += 1) {
      await acting.call({ userId: USER }, 'sync:x', 'health-tracking', {
        method: 'POST',
        path: '/api/v1/metrics/batch',
      });
    }
    expect(seen[1]!.token).not.toBe(seen[0]!.token);
    expect(seen.map((s) => s.role)).toEqual(['patient', 'patient']);
  });

  it('refuses, before sending anything, a call its scope does not list', async () => {
    seen.length = 0;
    const acting = new ActingClients(clients(), new ActingTokenIssuer(SECRET), 'device-data', SCOPE);
    for (const [method, path] of [
      ['DELETE', '/api/v1/account/data'],
      ['POST', '/api/v1/metrics/abc'],
      ['GET', '/api/v1/metrics/abc/more'],
    ] as const) {
      await expect(
        acting.call({ userId: USER }, 'x', 'health-tracking', { method, path }),
        `${method} ${path}`,
      ).rejects.toThrow(/may not call/);
    }
    await expect(
      acting.call({ userId: USER }, 'x', 'user-profile', { method: 'POST', path: '/api/v1/metrics/batch' }),
    ).rejects.toThrow(/may not call/);
    expect(seen).toEqual([]);
    expect(() => new ActingClients(clients(), new ActingTokenIssuer(SECRET), 'device-data', [])).toThrow();
  });
});
