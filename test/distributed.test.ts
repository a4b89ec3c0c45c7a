import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBackendServices, serviceBySlug, type ServiceSlug } from '../src/catalog.js';
import { loadConfig } from '../src/platform/config.js';
import type { Db } from '../src/platform/db/db.js';
import { startServices, type Runtime } from '../src/runtime.js';
import {
  CapturingMailer,
  TEST_JWT_SECRET,
  freshCache,
  freshDatabase,
  uniqueEmail,
} from '../src/test-support/harness.js';
import type { Cache } from '../src/platform/cache/cache.js';

/**
 * The distributed shape in one test: auth and user-profile as separate HTTP servers (their own
 * processes in production), and a gateway that reaches them over HTTP only.
 */
let services: Runtime;
let gateway: Runtime;
let db: Db;
let cache: Cache;
let dataDir: string;
let base: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pha-dist-'));
  db = await freshDatabase();
  cache = freshCache();
  const env = {
    JWT_SECRET_KEY: TEST_JWT_SECRET,
    SECRET_KEY: TEST_JWT_SECRET,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  };
  const logger = pino({ level: 'silent' });
  const backends = builtBackendServices();
  services = await startServices(
    loadConfig(env, 'distributed'),
    backends.map((s) => s.slug),
    {
      ports: Object.fromEntries(backends.map((s) => [s.slug, 0])),
      infrastructure: { db, cache, logger, mailer: new CapturingMailer() },
    },
  );
  const urls = Object.fromEntries(
    services.apps.map((a) => [
      serviceBySlug(a.slug as ServiceSlug)!.urlVariable,
      `http://127.0.0.1:${a.port}`,
    ]),
  );
  gateway = await startServices(loadConfig({ ...env, ...urls }, 'distributed'), ['api-gateway'], {
    ports: { 'api-gateway': 0 },
    infrastructure: { db, cache, logger, mailer: new CapturingMailer() },
  });
  base = `http://127.0.0.1:${gateway.apps[0]!.port}`;
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
  await cache?.close();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** POST from a chosen local address (the loopback range has many), returning the status. */
function postFrom(
  url: string,
  body: object,
  localAddress: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      localAddress,
      headers: { 'content-type': 'application/json', ...headers },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown> & { access_token?: string; status?: string },
});

describe('distributed shape', () => {
  it('runs the seed phase-1 steps through the gateway over HTTP', async () => {
    const health = await json(await fetch(`${base}/health`));
    expect(health.body).toMatchObject({ status: 'ok', shape: 'distributed' });
    const email = uniqueEmail();
    const register = await json(
      await fetch(`${base}/auth/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'dist-trace-000001' },
        body: JSON.stringify({ email, password: 'Test123!', full_name: 'Test' }),
      }),
    );
    expect(register.status).toBe(201);
    const login = await json(
      await fetch(`${base}/auth/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'Test123!' }),
      }),
    );
    expect(login.status).toBe(200);
    const profile = await fetch(`${base}/user-profile/api/v1/profile`, {
      headers: { authorization: `Bearer ${login.body.access_token}`, 'x-request-id': 'dist-trace-000002' },
    });
    expect(profile.status).toBe(200);
    expect(profile.headers.get('x-request-id')).toBe('dist-trace-000002');
    expect(((await profile.json()) as { full_name: string }).full_name).toBe('Test');
  });

  it('passes the real client address to auth for throttling, and ignores addresses clients claim', async () => {
    const email = uniqueEmail();
    await fetch(`${base}/auth/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'Test123!', full_name: 'T' }),
    });
    const login = (password: string, localAddress: string, claimed: string) =>
      postFrom(`${base}/auth/api/v1/auth/login`, { email, password }, localAddress, {
        'x-forwarded-for': claimed,
      });
    for (let i = 0; i < 5; i += 1) expect(await login('Wrong-123!', '127.0.0.2', `5.5.5.${i}`)).toBe(401);
    // Claiming another address does not escape the back-off of the address the gateway saw...
    expect(await login('Test123!', '127.0.0.2', '6.6.6.6')).toBe(429);
    // ...and the owner, from a different address, is not locked out.
    expect(await login('Test123!', '127.0.0.3', '5.5.5.0')).toBe(200);
  });

  it('lets a batch larger than the general body limit through to the route that accepts it', async () => {
    const email = uniqueEmail();
    await fetch(`${base}/auth/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'Test123!', full_name: 'T' }),
    });
    const login = await json(
      await fetch(`${base}/auth/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'Test123!' }),
      }),
    );
    const start = Date.parse('2024-01-01T00:00:00Z');
    const items = Array.from({ length: 12_000 }, (_, i) => ({
      metric_type: 'heart_rate',
      value: 60 + (i % 40),
      unit: 'bpm',
      timestamp: new Date(start + i * 60_000).toISOString(),
      source: 'test-device',
    }));
    const body = JSON.stringify({ items });
    expect(body.length).toBeGreaterThan(1_048_576);
    const response = await fetch(`${base}/health-tracking/api/v1/metrics/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.body.access_token}` },
      body,
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { created: number }).created).toBe(12_000);
  });

  it('refuses oversized bodies at the gateway', async () => {
    const response = await fetch(`${base}/auth/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail(), password: 'Test123!', full_name: 'x'.repeat(1_200_000) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('maps an unreachable service to 503 at the gateway', async () => {
    const broken = await startServices(
      loadConfig(
        {
          JWT_SECRET_KEY: TEST_JWT_SECRET,
          SECRET_KEY: TEST_JWT_SECRET,
          DATA_DIR: dataDir,
          HOST: '127.0.0.1',
          AUTH_SERVICE_URL: 'http://127.0.0.1:9',
          USER_PROFILE_SERVICE_URL: 'http://127.0.0.1:9',
        },
        'distributed',
      ),
      ['api-gateway'],
      {
        ports: { 'api-gateway': 0 },
        infrastructure: { db, cache, logger: pino({ level: 'silent' }), mailer: new CapturingMailer() },
      },
    );
    try {
      const url = `http://127.0.0.1:${broken.apps[0]!.port}`;
      const health = await json(await fetch(`${url}/health`));
      expect(health.body.status).toBe('degraded');
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(503);
      const call = await fetch(`${url}/auth/health`);
      expect(call.status).toBe(503);
      expect(((await call.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    } finally {
      await broken.close();
    }
  });
});
