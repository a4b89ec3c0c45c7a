import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/platform/config.js';
import { createHttpApp } from '../src/platform/http/server.js';
import { startServices } from '../src/runtime.js';
import { serveWebApp, WEB_APP_CSP } from '../src/services/api-gateway/web.js';
import {
  CapturingMailer,
  TEST_JWT_SECRET,
  freshCache,
  freshDatabase,
  startTestApp,
} from '../src/test-support/harness.js';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head></html>';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pha-web-'));
  dirs.push(dir);
  return dir;
}

async function appServing(root: string): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 1024,
    trustProxy: false,
    serviceLabel: 'api-gateway',
  });
  app.get('/health', async () => ({ status: 'ok' }));
  await serveWebApp(app, { root });
  await app.ready();
  return app;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('web app serving (built)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const root = tempDir();
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'assets', 'app-1a2b3c.js'), 'console.log("app")');
    app = await appServing(root);
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves index.html at / with a strict CSP and no caching', async () => {
    for (const headers of [HTML, {}]) {
      const res = await app.inject({ method: 'GET', url: '/', headers });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-security-policy']).toBe(WEB_APP_CSP);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    expect(WEB_APP_CSP).toContain("default-src 'self'");
    expect(WEB_APP_CSP).toContain("script-src 'self'");
    expect(WEB_APP_CSP).not.toContain('unsafe-inline');
  });

  it('answers app paths that ask for HTML with index.html (the app routes on the client)', async () => {
    for (const url of ['/settings', '/sign-in?next=%2Fprofile', '/reset-password?token=abc', '/a/b/c']) {
      const res = await app.inject({ method: 'GET', url, headers: HTML });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-security-policy']).toBe(WEB_APP_CSP);
    }
    const head = await app.inject({ method: 'HEAD', url: '/settings', headers: HTML });
    expect(head.statusCode).toBe(200);
  });

  it('serves built files, hashed assets cached for good', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/app-1a2b3c.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('keeps JSON 404s for API paths, missing files, non-HTML requests and other methods', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/auth/api/v1/nothing', HTML],
      ['GET', '/user-profile/nothing', HTML],
      ['GET', '/genomics/api/v1/genomes', HTML],
      ['GET', '/docs/nothing', HTML],
      ['GET', '/health/nothing', HTML],
      ['GET', '/ready/nothing', HTML],
      ['GET', '/api/v1/anything', HTML],
      ['GET', '/assets/missing-123.js', HTML],
      ['GET', '/settings', { accept: 'application/json' }],
      ['GET', '/settings', {}],
      ['POST', '/settings', HTML],
    ];
    for (const [method, url, headers] of cases) {
      const res = await app.inject({ method: method as 'GET', url, headers });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'not_found' });
    }
    // Routes of their own still answer.
    expect((await app.inject({ method: 'GET', url: '/health', headers: HTML })).json()).toEqual({
      status: 'ok',
    });
  });

  it('never serves files outside its folder', async () => {
    for (const url of [
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fpackage.json',
      '/assets/..%2f..%2f..%2fpackage.json',
    ]) {
      const res = await app.inject({ method: 'GET', url, headers: HTML });
      // Either refused, or (where the URL parser already resolved the dots) the app's own page.
      if (res.statusCode === 200) expect(res.body, url).toBe(INDEX);
      else expect(res.statusCode, url).toBe(404);
    }
  });
});

describe('web app serving (not built)', () => {
  it('says how to build the app instead of failing', async () => {
    const app = await appServing(join(tempDir(), 'missing'));
    for (const url of ['/', '/settings']) {
      const res = await app.inject({ method: 'GET', url, headers: HTML });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('The web app is not built');
      expect(res.body).toContain('npm run build');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'");
    }
    expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(404);
    await app.close();
  });
});

describe('web app in both shapes', () => {
  it('is served at / by the all-in-one server, next to the API', async () => {
    const t = await startTestApp();
    try {
      const page = await t.app.inject({ method: 'GET', url: '/', headers: HTML });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const health = await t.app.inject({ method: 'GET', url: '/health', headers: HTML });
      expect(health.json()).toMatchObject({ status: 'ok' });
      const docs = await t.app.inject({ method: 'GET', url: '/docs/openapi.json' });
      expect(docs.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('is served at / by the distributed gateway', async () => {
    const dataDir = tempDir();
    const db = await freshDatabase();
    const cache = freshCache();
    const config = loadConfig(
      {
        JWT_SECRET_KEY: TEST_JWT_SECRET,
        SECRET_KEY: TEST_JWT_SECRET,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      },
      'distributed',
    );
    const gateway = await startServices(config, ['api-gateway'], {
      listen: false,
      infrastructure: { db, cache, logger: pino({ level: 'silent' }), mailer: new CapturingMailer() },
    });
    try {
      const app = gateway.apps[0]!.app;
      const page = await app.inject({ method: 'GET', url: '/sign-in', headers: HTML });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const unknown = await app.inject({ method: 'GET', url: '/genomics/api/v1/x', headers: HTML });
      expect(unknown.statusCode).toBe(404);
    } finally {
      await gateway.close();
      await cache.close();
      await db.close();
    }
  });
});
