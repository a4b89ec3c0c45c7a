import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SignJWT, decodeJwt } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../cache/memory.js';
import { createHttpApp } from '../http/server.js';
import { ACTING_TTL_MAX_SECONDS, ActingTokenIssuer, actingSessionId, type ActingGrant } from './acting.js';
import { installAuthGuard, principalOf } from './guard.js';
import { CacheRevocations } from './revocations.js';
import { AUDIENCE, ISSUER, TokenIssuer, TokenVerifier } from './tokens.js';

const SECRET = 'pha-test-jwt-secret-0123456789abcdefghijkl';
const USER = '0190a0a0-0000-7000-8000-0000000000aa';

const GRANT: ActingGrant = {
  userId: USER,
  role: 'doctor',
  actor: 'device-data',
  purpose: 'import:0190a0a0-0000-7000-8000-0000000000bb',
  scope: [{ service: 'health-tracking', method: 'POST', route: '/api/v1/metrics/batch' }],
};

function setup() {
  const revocations = new CacheRevocations(new MemoryCache());
  return {
    issuer: new ActingTokenIssuer(SECRET),
    verifier: new TokenVerifier(SECRET, revocations),
    revocations,
  };
}

/** An acting token signed by hand, to try claims the issuer would never write. */
function handMade(claims: Record<string, unknown>, lifetimeSeconds: number) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    typ: 'acting',
    sid: 'acting:device-data:x',
    role: 'patient',
    act: { sub: 'device-data' },
    purpose: 'x',
    scope: ['health-tracking:POST /api/v1/metrics/batch'],
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(USER)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

describe('acting tokens', () => {
  it('name the user, their role, the acting service, the purpose and the calls permitted', async () => {
    const { issuer, verifier } = setup();
    const before = Date.now();
    const { token, expiresAt } = await issuer.sign(GRANT);
    const principal = await verifier.verify(token);
    expect(principal).toMatchObject({
      userId: USER,
      role: 'doctor',
      sessionId: actingSessionId('device-data', GRANT.purpose),
      acting: {
        actor: 'device-data',
        purpose: GRANT.purpose,
        scope: ['health-tracking:POST /api/v1/metrics/batch'],
      },
    });
    expect(principal.expiresAt).toBe(expiresAt);
    expect(expiresAt - before).toBeLessThanOrEqual(300_000 + 1000);
    expect(decodeJwt(token).act).toEqual({ sub: 'device-data' });
  });

  it('carry the least role (patient) when the original role is not known', async () => {
    const { issuer, verifier } = setup();
    const { role: _role, ...unknownRole } = GRANT;
    const principal = await verifier.verify((await issuer.sign(unknownRole)).token);
    expect(principal.role).toBe('patient');
  });

  it('live minutes at most, permit at least one call, and name their purpose', async () => {
    expect(() => new ActingTokenIssuer(SECRET, ACTING_TTL_MAX_SECONDS + 1)).toThrow(/10 to 600/);
    expect(() => new ActingTokenIssuer(SECRET, 5)).toThrow(/10 to 600/);
    const { issuer } = setup();
    await expect(issuer.sign({ ...GRANT, scope: [] })).rejects.toThrow(/at least one call/);
    await expect(issuer.sign({ ...GRANT, purpose: '' })).rejects.toThrow(/purpose/);
  });

  it('are refused when they live longer than the maximum or lack their acting claims', async () => {
    const { verifier } = setup();
    await expect(verifier.verify(await handMade({}, ACTING_TTL_MAX_SECONDS + 60))).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
    await expect(verifier.verify(await handMade({ scope: [] }, 60))).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(await handMade({ act: 'device-data' }, 60))).rejects.toMatchObject({
      status: 401,
    });
    // The same claims with a good lifetime pass: the refusals above are about what they changed.
    await expect(verifier.verify(await handMade({}, 60))).resolves.toMatchObject({ userId: USER });
  });

  it('end when their acting session is revoked', async () => {
    const { issuer, verifier, revocations } = setup();
    const { token } = await issuer.sign(GRANT);
    await verifier.verify(token);
    await revocations.revoke(actingSessionId('device-data', GRANT.purpose), 600);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'session_revoked' });
  });
});

describe('the guard with acting tokens', () => {
  const { issuer, verifier } = setup();
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let actingToken: string;
  let accessToken: string;

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    app = createHttpApp({ logger, bodyLimitBytes: 1024 * 1024, trustProxy: false, serviceLabel: 'test' });
    await app.register(
      async (scope) => {
        installAuthGuard(scope, verifier, { slug: 'health-tracking', prefix: '/health-tracking' });
        const who = async (request: Parameters<typeof principalOf>[0]) => ({
          user: principalOf(request).userId,
          role: principalOf(request).role,
        });
        scope.post('/api/v1/metrics/batch', who);
        scope.get('/api/v1/metrics', who);
        scope.delete('/api/v1/account/data', who);
      },
      { prefix: '/health-tracking' },
    );
    // A scope whose guard does not say which service it protects.
    bare = createHttpApp({ logger, bodyLimitBytes: 1024 * 1024, trustProxy: false, serviceLabel: 'test' });
    await bare.register(async (scope) => {
      installAuthGuard(scope, verifier);
      scope.post('/api/v1/metrics/batch', async () => ({ ok: true }));
    });
    await Promise.all([app.ready(), bare.ready()]);
    actingToken = (await issuer.sign(GRANT)).token;
    accessToken = await new TokenIssuer(SECRET, 600).signAccess({
      userId: USER,
      sessionId: 'session-1',
      role: 'patient',
      email: 'a@example.org',
    });
  });
  afterAll(async () => {
    await Promise.all([app.close(), bare.close()]);
  });

  const call = (target: FastifyInstance, method: 'GET' | 'POST' | 'DELETE', url: string, token: string) =>
    target.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it('admits an acting token on the calls its scope lists, as the user with their role', async () => {
    const res = await call(app, 'POST', '/health-tracking/api/v1/metrics/batch', actingToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: USER, role: 'doctor' });
  });

  it('refuses it everywhere else: another route, another method, an unnamed service', async () => {
    for (const [method, url] of [
      ['GET', '/health-tracking/api/v1/metrics'],
      ['DELETE', '/health-tracking/api/v1/account/data'],
    ] as const) {
      const res = await call(app, method, url, actingToken);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect((await call(bare, 'POST', '/api/v1/metrics/batch', actingToken)).statusCode).toBe(403);
  });

  it('leaves access tokens as they were', async () => {
    expect((await call(app, 'GET', '/health-tracking/api/v1/metrics', accessToken)).statusCode).toBe(200);
    expect((await call(bare, 'POST', '/api/v1/metrics/batch', accessToken)).statusCode).toBe(200);
  });
});
