import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../platform/cache/cache.js';
import { loadConfig } from '../../platform/config.js';
import type { Db } from '../../platform/db/db.js';
import { startServices, type Runtime } from '../../runtime.js';
import {
  bearer,
  CapturingMailer,
  freshCache,
  freshDatabase,
  PASSWORD,
  TEST_JWT_SECRET,
  uniqueEmail,
} from '../../test-support/harness.js';
import { INCOMPLETE_HEADER } from './export-routes.js';
import { validateFhir } from './test-support.js';

/**
 * The distributed shape with health-tracking down: medical-records reaches it over HTTP at an address
 * where nothing listens (connection refused), as when its process has died. The export and the summary
 * must still answer, and say what is missing.
 */
let runtime: Runtime;
let db: Db;
let cache: Cache;
let dataDir: string;
const app = (slug: string): FastifyInstance => runtime.apps.find((a) => a.slug === slug)!.app;

/** A loopback port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pha-outage-'));
  db = await freshDatabase();
  cache = freshCache();
  const config = loadConfig(
    {
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      SECRET_KEY: 'test-field-encryption-key-0123456789abcdef',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      HEALTH_TRACKING_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      HTTP_CLIENT_TIMEOUT_MS: '2000',
    },
    'distributed',
  );
  runtime = await startServices(config, ['auth', 'user-profile', 'medical-records'], {
    listen: false,
    infrastructure: { db, cache, logger: pino({ level: 'silent' }), mailer: new CapturingMailer() },
  });
});

afterAll(async () => {
  await runtime?.close();
  await cache?.close();
  await db?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(): Promise<string> {
  const email = uniqueEmail('outage');
  const auth = app('auth');
  const registered = await auth.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: PASSWORD, full_name: 'Outage Tester' },
  });
  expect(registered.statusCode, registered.body).toBe(201);
  const login = await auth.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: PASSWORD },
  });
  return login.json().access_token as string;
}

describe('health-tracking does not answer', () => {
  it('the export is still given, says what is missing, and validates', async () => {
    const token = await signIn();
    const records = app('medical-records');
    const imported = await records.inject({
      method: 'POST',
      url: '/api/v1/fhir/import',
      headers: bearer(token),
      payload: {
        resourceType: 'Condition',
        id: 'c1',
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
        },
        code: { text: 'Asthma' },
      },
    });
    expect(imported.statusCode).toBe(200);

    const res = await records.inject({ method: 'GET', url: '/api/v1/fhir/export', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    expect(res.headers[INCOMPLETE_HEADER]).toBe('health-tracking');
    const bundle = res.json() as {
      entry: { fullUrl: string; resource: { resourceType: string; issue?: unknown[]; subject?: unknown } }[];
    };
    expect(validateFhir(bundle).errors).toEqual([]);
    const types = bundle.entry.map((e) => e.resource.resourceType).sort();
    expect(types).toEqual(['Condition', 'OperationOutcome', 'Patient']);
    const outcome = bundle.entry.find((e) => e.resource.resourceType === 'OperationOutcome')!.resource;
    expect(outcome.issue).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'transient',
        diagnostics: expect.stringMatching(/health-tracking/),
      }),
      // The Condition was uploaded without the subject R4 requires: the export names the owner.
      expect.objectContaining({ severity: 'information', diagnostics: expect.stringMatching(/^1 resource/) }),
    ]);
    // The account Patient still comes from user-profile, which is up.
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!;
    expect(JSON.stringify(patient)).toContain('Outage Tester');
    const condition = bundle.entry.find((e) => e.resource.resourceType === 'Condition')!;
    expect(condition.resource.subject).toEqual({ reference: patient.fullUrl });

    const plain = await records.inject({
      method: 'GET',
      url: '/api/v1/fhir/export?vitals=none',
      headers: bearer(token),
    });
    expect(plain.headers[INCOMPLETE_HEADER]).toBeUndefined();
  });

  it('the summary and its page are still given, with the vitals marked unavailable', async () => {
    const token = await signIn();
    const records = app('medical-records');
    const res = await records.inject({ method: 'GET', url: '/api/v1/summary', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    const summary = res.json();
    expect(summary.vitals).toMatchObject({ status: 'unavailable', items: [] });
    expect(summary.vitals.message).toMatch(/health-tracking/);
    expect(summary.patient.name).toBe('Outage Tester');
    expect(summary.sources).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'health-tracking', status: 'unavailable' })]),
    );
    const page = await records.inject({ method: 'GET', url: '/api/v1/summary.html', headers: bearer(token) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/Not included: the health-tracking service did not answer/);
  });
});
