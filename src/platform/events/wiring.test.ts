import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServices } from '../../runtime.js';
import {
  CapturingMailer,
  freshCache,
  freshDatabase,
  startTestApp,
  TEST_JWT_SECRET,
  type TestApp,
} from '../../test-support/harness.js';
import type { Cache } from '../cache/cache.js';
import { loadConfig } from '../config.js';
import type { Db } from '../db/db.js';
import { appendEvent, type CloudEvent } from './outbox.js';

function append(db: Db, service: string, subject: string): Promise<CloudEvent> {
  return db.transaction((tx) =>
    appendEvent(tx, service, {
      topic: 'health-events',
      type: 'org.pha.test.wired',
      subject,
      data: { ok: true },
    }),
  );
}

describe('events in the all-in-one runtime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('relays an event committed by a service to a subscriber of the in-process bus', async () => {
    const { events } = t.runtime.infrastructure;
    expect(events.kind).toBe('in-process');
    expect(t.runtime.relay).toBeDefined();
    const received: CloudEvent[] = [];
    events.subscribe('health-events', 'wiring-test', async (event) => {
      received.push(event);
    });
    const event = await append(t.db, 'auth', 'user-1');
    await vi.waitFor(() => expect(received).toEqual([event]), { timeout: 5000, interval: 10 });
    // Marked published once the handlers are done (on PostgreSQL in the relay's own transaction).
    await vi.waitFor(
      async () => {
        const { rows } = await t.db.query<{ published: boolean }>(
          'SELECT published_at IS NOT NULL AS published FROM platform.outbox WHERE id = $1',
          [event.id],
        );
        expect(rows[0]?.published).toBe(true);
      },
      { timeout: 5000, interval: 20 },
    );
  });
});

describe('events in the distributed runtime', () => {
  let db: Db;
  let cache: Cache;
  let dataDir: string;
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const env = (extra: Record<string, string> = {}) =>
    loadConfig(
      {
        JWT_SECRET_KEY: TEST_JWT_SECRET,
        SECRET_KEY: TEST_JWT_SECRET,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        ...extra,
      },
      'distributed',
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pha-events-'));
    db = await freshDatabase();
    cache = freshCache();
  });
  afterAll(async () => {
    await cache.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('without Kafka: says once that events stay in the process, and relays only its own services’ events', async () => {
    lines.length = 0;
    const runtime = await startServices(env(), ['auth'], {
      listen: false,
      infrastructure: { db, cache, logger, mailer: new CapturingMailer() },
    });
    try {
      const warnings = lines.filter((l) => l.includes('events only reach consumers in this same process'));
      expect(warnings).toHaveLength(1);
      const received: string[] = [];
      runtime.infrastructure.events.subscribe('health-events', 'wiring-test', async (event) => {
        received.push(event.id);
      });
      const theirs = await append(db, 'nutrition', 'user-2');
      const mine = await append(db, 'auth', 'user-2');
      await vi.waitFor(() => expect(received).toEqual([mine.id]), { timeout: 5000, interval: 10 });
      await vi.waitFor(
        async () => {
          const { rows } = await db.query<{ id: string }>(
            'SELECT id FROM platform.outbox WHERE published_at IS NULL',
          );
          expect(rows.map((r) => r.id)).toEqual([theirs.id]);
        },
        { timeout: 5000, interval: 20 },
      );
      expect(received).toEqual([mine.id]);
    } finally {
      await runtime.close();
    }
  });

  it('with KAFKA_BOOTSTRAP_SERVERS: uses the Kafka bus, and closes cleanly', async () => {
    await db.query('DELETE FROM platform.outbox');
    lines.length = 0;
    const runtime = await startServices(env({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' }), ['auth'], {
      listen: false,
      infrastructure: { db, cache, logger, mailer: new CapturingMailer() },
    });
    try {
      expect(runtime.infrastructure.events.kind).toBe('kafka');
      expect(lines.join('')).toContain('events: Kafka 127.0.0.1:1 (no SASL, plaintext)');
      expect(lines.join('')).not.toContain('events only reach consumers');
    } finally {
      await runtime.close();
    }
  });

  it('a gateway-only process runs no relay', async () => {
    const runtime = await startServices(env(), ['api-gateway'], {
      listen: false,
      ports: { 'api-gateway': 0 },
      infrastructure: { db, cache, logger, mailer: new CapturingMailer() },
    });
    try {
      expect(runtime.relay).toBeUndefined();
    } finally {
      await runtime.close();
    }
  });
});
