import { describe, expect, it } from 'vitest';
import { builtBackendServices } from '../../catalog.js';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp({ CORS_ORIGINS: 'https://app.example.org', AUTH_RATE_LIMIT_PER_MINUTE: '5' });

describe('gateway', () => {
  it('lists every served service and its state, and serves each service health under its slug', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const built = builtBackendServices().map((s) => s.slug);
    expect(res.json()).toMatchObject({ status: 'ok', shape: 'all-in-one' });
    expect(res.json().services).toEqual(
      built.map((service) => ({ service, status: 'up', http_status: 200 })),
    );
    for (const slug of built) {
      const health = await t.app.inject({ method: 'GET', url: `/${slug}/health` });
      expect(health.json()).toMatchObject({ status: 'ok', service: slug });
      const ready = await t.app.inject({ method: 'GET', url: `/${slug}/ready` });
      expect(ready.statusCode).toBe(200);
      expect(Object.values(ready.json().checks)).toEqual(['ok', 'ok']);
    }
  });

  it('does not serve services that are not built', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/genomics/health' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'not_found' });
    expect(res.json().error.request_id).toBeTruthy();
  });

  it('propagates a caller-supplied request id and makes one otherwise', async () => {
    const given = await t.app.inject({
      method: 'GET',
      url: '/auth/health',
      headers: { 'x-request-id': 'trace-abc-123456' },
    });
    expect(given.headers['x-request-id']).toBe('trace-abc-123456');
    const made = await t.app.inject({
      method: 'GET',
      url: '/auth/health',
      headers: { 'x-request-id': 'bad id!' },
    });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const error = await t.app.inject({
      method: 'GET',
      url: '/auth/api/v1/auth/me',
      headers: { 'x-request-id': 'trace-err-123456' },
    });
    expect(error.json().error.request_id).toBe('trace-err-123456');
  });

  it('sets security headers and answers CORS only for allowed origins', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://app.example.org' },
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.org');
    const other = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rate-limits sign-in routes more strictly than the rest', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/api/v1/auth/login',
        payload: { email: 'rate@example.org', password: 'Whatever-123' },
        remoteAddress: '10.50.0.1',
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(errorCode(res)).toBe('rate_limited');
        expect(res.headers['retry-after']).toBeDefined();
      }
    }
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
    expect(statuses[6]).toBe(429);
    const elsewhere = await t.app.inject({ method: 'GET', url: '/auth/health', remoteAddress: '10.50.0.1' });
    expect(elsewhere.statusCode).toBe(200);
  });

  it('keeps in-process service calls out of the per-client limit', async () => {
    const user = await registerAndLogin(t.app);
    // Profile creation calls auth in-process; the caller's auth budget (5/min) must not be spent by it.
    for (let i = 0; i < 3; i += 1) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/user-profile/api/v1/profile',
        headers: bearer(user.accessToken),
      });
      expect(res.statusCode).toBe(200);
    }
  });

  it('gathers the services’ OpenAPI documents', async () => {
    const merged = await t.app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(merged.statusCode).toBe(200);
    const paths = Object.keys(merged.json().paths);
    expect(paths).toContain('/auth/api/v1/auth/register');
    expect(paths).toContain('/user-profile/api/v1/profile');
    const own = await t.app.inject({ method: 'GET', url: '/auth/docs' });
    expect(own.json().paths['/api/v1/auth/login']).toBeDefined();
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/html/);
  });

  it('exposes Prometheus metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/http_requests_total\{service="auth"/);
  });
});
