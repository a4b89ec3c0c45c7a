import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Cache } from '../platform/cache/cache.js';
import { MemoryCache } from '../platform/cache/memory.js';
import { openRedis } from '../platform/cache/redis.js';
import { loadConfig, type Config } from '../platform/config.js';
import type { Db } from '../platform/db/db.js';
import { openPgliteMemory } from '../platform/db/pglite.js';
import { openPostgres } from '../platform/db/postgres.js';
import type { MailMessage, Mailer } from '../platform/mail/mailer.js';
import { startAllInOne, type Runtime } from '../runtime.js';

/** Keeps sent mail in memory so tests can follow the links in it. */
export class CapturingMailer implements Mailer {
  readonly description = 'test mailbox';
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  /** The token of the newest message to `to` whose subject matches. */
  lastToken(to: string, subject: RegExp): string {
    const message = [...this.sent].reverse().find((m) => m.to === to && subject.test(m.subject));
    const token = message?.text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
    if (!token) throw new Error(`no mail to ${to} matching ${subject}`);
    return token;
  }
}

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** A fresh database for one test file: a copy of the migrated template (PGlite dump or PostgreSQL template). */
export async function freshDatabase(): Promise<Db> {
  const template = inject('postgresTemplate');
  const url = process.env.DATABASE_URL;
  if (template && url) {
    const name = `${template}_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const fileUrl = new URL(url);
    fileUrl.pathname = `/${name}`;
    return openPostgres(fileUrl.toString(), 4);
  }
  const dumpFile = inject('pgliteTemplate');
  return openPgliteMemory(new Blob([readFileSync(dumpFile)]));
}

/** Memory cache, or the real Redis (under a prefix of its own) when REDIS_URL is set. */
export function freshCache(): Cache {
  const url = process.env.REDIS_URL;
  return url ? openRedis(url, `pha-test:${randomBytes(6).toString('hex')}:`) : new MemoryCache();
}

export interface TestApp {
  app: FastifyInstance;
  runtime: Runtime;
  config: Config;
  db: Db;
  cache: Cache;
  mailer: CapturingMailer;
  close(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pha-data-'));
  const config = loadConfig(
    {
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      SECRET_KEY: 'test-field-encryption-key-0123456789abcdef',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
    'all-in-one',
  );
  const db = await freshDatabase();
  const cache = freshCache();
  const mailer = new CapturingMailer();
  const runtime = await startAllInOne(config, {
    listen: false,
    infrastructure: { db, cache, mailer, logger: pino({ level: 'silent' }) },
  });
  return {
    app: runtime.apps[0]!.app,
    runtime,
    config,
    db,
    cache,
    mailer,
    async close() {
      await runtime.close();
      await cache.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A unique address per call, so tests sharing a database never collide. */
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}@example.org`;
}

export const PASSWORD = 'TestPass123!';

export interface SignedIn {
  email: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

export async function registerAndLogin(app: FastifyInstance, fullName = 'Test User'): Promise<SignedIn> {
  const email = uniqueEmail();
  const registered = await app.inject({
    method: 'POST',
    url: '/auth/api/v1/auth/register',
    payload: { email, password: PASSWORD, full_name: fullName },
  });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  const login = await app.inject({
    method: 'POST',
    url: '/auth/api/v1/auth/login',
    payload: { email, password: PASSWORD },
  });
  const body = login.json();
  return { email, userId: body.user.id, accessToken: body.access_token, refreshToken: body.refresh_token };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function errorCode(response: LightMyRequestResponse): string | undefined {
  return (response.json() as { error?: { code?: string } }).error?.code;
}

/**
 * Starts one test app for the enclosing test file (before its tests, closed after them). The returned
 * object forwards to the running app, so tests read `t.app`, `t.db`, `t.mailer` as usual.
 */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  let started: TestApp | undefined;
  beforeAll(async () => {
    started = await startTestApp(env);
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as TestApp, {
    get(_target, key) {
      if (!started) throw new Error('The test app is not started yet: use it inside a test or hook');
      return started[key as keyof TestApp];
    },
  });
}
