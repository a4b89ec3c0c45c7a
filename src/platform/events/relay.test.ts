import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase } from '../../test-support/harness.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, Queryable } from '../db/db.js';
import { consumeOnce, idempotent } from './consumer.js';
import { InProcessEventBus } from './memory-bus.js';
import { appendEvent, type CloudEvent, type Topic } from './outbox.js';
import { OutboxRelay } from './relay.js';
import { RecordingBus } from './test-support.js';

const silent = pino({ level: 'silent' });
const onPostgres = Boolean(process.env.DATABASE_URL);

let db: Db;

beforeAll(async () => {
  db = await freshDatabase();
  await db.exec('CREATE TABLE public.relay_test_effects (event_id text NOT NULL, consumer text NOT NULL)');
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await db.exec(
    'DELETE FROM platform.outbox; DELETE FROM platform.consumed_events; DELETE FROM public.relay_test_effects;',
  );
});

/** Commits one event per item, each in its own transaction, in order. */
async function commit(items: { subject?: string; topic?: Topic; data?: unknown; source?: string }[]) {
  const events: CloudEvent[] = [];
  for (const item of items) {
    events.push(
      await db.transaction((tx) =>
        appendEvent(tx, item.source ?? 'health-tracking', {
          topic: item.topic ?? 'health-events',
          type: 'org.pha.test.happened',
          ...(item.subject === undefined ? {} : { subject: item.subject }),
          data: item.data ?? { n: events.length },
        }),
      ),
    );
  }
  return events;
}

async function pending(): Promise<{ id: string; attempts: number; last_error: string | null }[]> {
  const { rows } = await db.query<{ id: string; attempts: number; last_error: string | null }>(
    'SELECT id, attempts, last_error FROM platform.outbox WHERE published_at IS NULL ORDER BY seq',
  );
  return rows;
}

const ids = (list: { event: CloudEvent }[]) => list.map((p) => p.event.id);

describe(`outbox relay on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('publishes a committed event once, in commit order, as a CloudEvent', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent);
    const events = await commit([{ subject: 'u1' }, { subject: 'u2' }, { subject: 'u1' }]);

    expect(await relay.runOnce()).toEqual({ claimed: 3, published: 3, failed: 0 });
    expect(ids(bus.published)).toEqual(events.map((e) => e.id));
    expect(bus.published[0]).toMatchObject({
      topic: 'health-events',
      event: {
        specversion: '1.0',
        id: events[0]!.id,
        source: '/pha/health-tracking',
        type: 'org.pha.test.happened',
        subject: 'u1',
        datacontenttype: 'application/json',
        data: { n: 0 },
      },
    });
    expect(await pending()).toEqual([]);

    expect(await relay.runOnce()).toEqual({ claimed: 0, published: 0, failed: 0 });
    expect(bus.published).toHaveLength(3);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent);
    await expect(
      db.transaction(async (tx) => {
        await appendEvent(tx, 'health-tracking', {
          topic: 'health-events',
          type: 'org.pha.test.happened',
          subject: 'u1',
          data: {},
        });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');

    expect(await relay.runOnce()).toEqual({ claimed: 0, published: 0, failed: 0 });
    expect(bus.published).toEqual([]);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM platform.outbox');
    expect(rows[0]!.n).toBe(0);
  });

  it('retries a failed batch later, losing nothing and keeping the order', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent, { backoffBaseMs: 0 });
    const events = await commit([{ subject: 'u1' }, { subject: 'u1' }, { subject: 'u2' }]);

    bus.failWhen = () => new Error('broker unavailable');
    expect(await relay.runOnce()).toEqual({ claimed: 3, published: 0, failed: 3 });
    expect(bus.published).toEqual([]);
    const failed = await pending();
    expect(failed.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(failed.every((r) => r.attempts === 1 && r.last_error === 'Error: broker unavailable')).toBe(true);

    bus.failWhen = undefined;
    expect(await relay.runOnce()).toMatchObject({ published: 3, failed: 0 });
    expect(ids(bus.published)).toEqual(events.map((e) => e.id));
    expect(await pending()).toEqual([]);
  });

  it('holds back a user’s later events while an earlier one backs off, and lets other users through', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent, { backoffBaseMs: 60_000 });
    const [a1] = await commit([{ subject: 'alice' }]);
    bus.failWhen = (_topic, events) =>
      events.some((e) => e.id === a1!.id) ? new Error('refused') : undefined;
    expect(await relay.runOnce()).toEqual({ claimed: 1, published: 0, failed: 1 });
    bus.failWhen = undefined;

    const [a2, b1, a3, c1] = await commit([
      { subject: 'alice' },
      { subject: 'bob' },
      { subject: 'alice' },
      { subject: 'alice', topic: 'device-data-events' },
    ]);
    // a1 is waiting for its retry time: a2 and a3 must not overtake it; bob, and alice on another topic, go on.
    expect(await relay.runOnce()).toMatchObject({ published: 2, failed: 0 });
    expect(ids(bus.published)).toEqual([b1!.id, c1!.id]);
    expect((await pending()).map((r) => r.id)).toEqual([a1!.id, a2!.id, a3!.id]);

    await db.query('UPDATE platform.outbox SET next_attempt_at = now() WHERE id = $1', [a1!.id]);
    expect(await relay.runOnce()).toMatchObject({ published: 3 });
    expect(ids(bus.published)).toEqual([b1!.id, c1!.id, a1!.id, a2!.id, a3!.id]);
  });

  it('does not let one user’s backlog behind a failing event fill the batch', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent, { batchSize: 2, backoffBaseMs: 60_000 });
    await commit([{ subject: 'alice' }]);
    bus.failWhen = () => new Error('refused');
    await relay.runOnce();
    bus.failWhen = undefined;
    const [, , b1] = await commit([{ subject: 'alice' }, { subject: 'alice' }, { subject: 'bob' }]);
    expect(await relay.runOnce()).toEqual({ claimed: 1, published: 1, failed: 0 });
    expect(ids(bus.published)).toEqual([b1!.id]);
  });

  it('keeps payloads out of the log and out of last_error', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const bus = new InProcessEventBus();
    bus.subscribe('health-events', 'picky', async () => {
      throw new Error('cannot handle this kind of reading');
    });
    const relay = new OutboxRelay(db, bus, logger, { backoffBaseMs: 0 });
    await commit([{ subject: 'u1', data: { glucose: 'SECRET-READING-123' } }]);

    expect(await relay.runOnce()).toMatchObject({ published: 0, failed: 1 });
    const log = lines.join('');
    expect(log).toContain('events not published');
    expect(log).toContain('cannot handle this kind of reading');
    expect(log).not.toContain('SECRET-READING-123');
    const [row] = await pending();
    expect(row!.last_error).toContain('Consumer picky of health-events failed');
    expect(row!.last_error).not.toContain('SECRET-READING-123');
  });

  it('delivers in-process: a failing consumer holds back only that user, and the redelivery is skipped by the others', async () => {
    const bus = new InProcessEventBus();
    const seen: string[] = [];
    const record = idempotent(db, async (tx, event, context) => {
      await tx.query('INSERT INTO public.relay_test_effects (event_id, consumer) VALUES ($1, $2)', [
        event.id,
        context.consumer,
      ]);
    });
    bus.subscribe('health-events', 'recorder', async (event, context) => {
      seen.push(`${event.subject}:${(event.data as { n: number }).n}`);
      await record(event, context);
    });
    let failOnce = true;
    bus.subscribe('health-events', 'flaky', async (event) => {
      if (event.subject === 'u1' && failOnce) {
        failOnce = false;
        throw new Error('temporarily unavailable');
      }
    });
    const relay = new OutboxRelay(db, bus, silent, { backoffBaseMs: 0 });
    const events = await commit([
      { subject: 'u1', data: { n: 1 } },
      { subject: 'u2', data: { n: 2 } },
      { subject: 'u1', data: { n: 3 } },
    ]);

    expect(await relay.runOnce()).toEqual({ claimed: 3, published: 1, failed: 2 });
    expect((await pending()).map((r) => r.id)).toEqual([events[0]!.id, events[2]!.id]);
    expect(await relay.runOnce()).toMatchObject({ published: 2, failed: 0 });
    expect(await pending()).toEqual([]);
    // The recorder was handed u1:1 twice (at least once) but recorded it once (idempotent).
    expect(seen).toEqual(['u1:1', 'u2:2', 'u1:1', 'u1:3']);
    const { rows } = await db.query<{ event_id: string }>(
      'SELECT event_id FROM public.relay_test_effects ORDER BY event_id',
    );
    expect(rows.map((r) => r.event_id)).toEqual(events.map((e) => e.id).sort());
  });

  it('wakes promptly after a commit, idles on a timer, and stops cleanly', async () => {
    const bus = new InProcessEventBus();
    const received: string[] = [];
    bus.subscribe('health-events', 'recorder', async (event) => {
      received.push(event.id);
    });
    const relay = new OutboxRelay(db, bus, silent, { pollIntervalMs: 60_000, busyWindowMs: 2000 });
    relay.start();
    try {
      const [event] = await commit([{ subject: 'u1' }]);
      await vi.waitFor(() => expect(received).toEqual([event!.id]), { timeout: 3000, interval: 10 });
    } finally {
      await relay.stop();
    }
    await commit([{ subject: 'u1' }]);
    await sleep(200);
    expect(received).toHaveLength(1);
    expect(await pending()).toHaveLength(1);
  });

  it('notify() wakes the relay for rows committed by another process', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent, { pollIntervalMs: 60_000 });
    relay.start();
    try {
      await sleep(100); // the first round, at start, finds nothing
      // A row written without appendEvent, as another process would: only notify() (or the timer) finds it.
      await db.query(
        `INSERT INTO platform.outbox (id, topic, event) VALUES ('0190a000-0000-7000-8000-000000000001', 'health-events',
           '{"specversion":"1.0","id":"0190a000-0000-7000-8000-000000000001","source":"/pha/x","type":"t","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","data":{}}')`,
      );
      await sleep(200);
      expect(bus.published).toHaveLength(0);
      relay.notify();
      await vi.waitFor(() => expect(bus.published).toHaveLength(1), { timeout: 3000, interval: 10 });
    } finally {
      await relay.stop();
    }
  });

  it('relays only the given sources', async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(db, bus, silent, { sources: ['/pha/auth'] });
    const [mine, theirs] = await commit([
      { subject: 'u1', source: 'auth' },
      { subject: 'u1', source: 'nutrition' },
    ]);
    expect(await relay.runOnce()).toMatchObject({ published: 1 });
    expect(ids(bus.published)).toEqual([mine!.id]);
    expect((await pending()).map((r) => r.id)).toEqual([theirs!.id]);
  });

  it('prunes published rows and consumer records after their retention', async () => {
    const relay = new OutboxRelay(db, new RecordingBus(), silent, {
      retentionMs: 3600_000,
      consumedRetentionMs: 3600_000,
    });
    const [old, recent, unpublished] = await commit([
      { subject: 'u1' },
      { subject: 'u1' },
      { subject: 'u1' },
    ]);
    await db.query(`UPDATE platform.outbox SET published_at = now() - interval '2 hours' WHERE id = $1`, [
      old!.id,
    ]);
    await db.query(`UPDATE platform.outbox SET published_at = now() WHERE id = $1`, [recent!.id]);
    await db.query(
      `INSERT INTO platform.consumed_events (consumer, event_id, consumed_at)
       VALUES ('c', 'old', now() - interval '2 hours'), ('c', 'new', now())`,
    );

    expect(await relay.prune()).toEqual({ outbox: 1, consumed: 1 });
    const { rows } = await db.query<{ id: string }>('SELECT id FROM platform.outbox ORDER BY seq');
    expect(rows.map((r) => r.id)).toEqual([recent!.id, unpublished!.id]);
    const consumed = await db.query<{ event_id: string }>('SELECT event_id FROM platform.consumed_events');
    expect(consumed.rows.map((r) => r.event_id)).toEqual(['new']);
  });
});

describe(`idempotent consumer on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  const event = { id: '0190a000-0000-7000-8000-0000000000aa' };
  const effect = (consumer: string) => async (tx: Queryable) => {
    await tx.query('INSERT INTO public.relay_test_effects (event_id, consumer) VALUES ($1, $2)', [
      event.id,
      consumer,
    ]);
  };
  const effects = async () =>
    (
      await db.query<{ consumer: string }>('SELECT consumer FROM public.relay_test_effects ORDER BY consumer')
    ).rows.map((r) => r.consumer);

  it('skips a redelivered event, per consumer', async () => {
    expect(await consumeOnce(db, 'insights', event, effect('insights'))).toBe(true);
    expect(await consumeOnce(db, 'insights', event, effect('insights'))).toBe(false);
    expect(await consumeOnce(db, 'analytics', event, effect('analytics'))).toBe(true);
    expect(await effects()).toEqual(['analytics', 'insights']);
  });

  it('records nothing when the handler fails, so the event is handled on redelivery', async () => {
    await expect(
      consumeOnce(db, 'insights', event, async (tx) => {
        await effect('insights')(tx);
        throw new Error('half way');
      }),
    ).rejects.toThrow('half way');
    expect(await effects()).toEqual([]);
    expect(await consumeOnce(db, 'insights', event, effect('insights'))).toBe(true);
    expect(await effects()).toEqual(['insights']);
  });

  it('handles two concurrent deliveries of one event once', async () => {
    const results = await Promise.all([
      consumeOnce(db, 'insights', event, effect('insights')),
      consumeOnce(db, 'insights', event, effect('insights')),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await effects()).toEqual(['insights']);
  });
});

describe.skipIf(!onPostgres)('two relays on one PostgreSQL database (DATABASE_URL)', () => {
  it('share the work: every event published once, each user’s events in order', async () => {
    const subjects = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
    const rows = Array.from({ length: 280 }, (_, i) => ({
      subject: subjects[i % subjects.length]!,
      topic: (i % 3 === 0 ? 'device-data-events' : 'health-events') as Topic,
      data: { n: i },
    }));
    // One multi-row transaction per 40 events: quicker than 280 commits.
    const events: CloudEvent[] = [];
    for (let i = 0; i < rows.length; i += 40) {
      await db.transaction(async (tx) => {
        for (const row of rows.slice(i, i + 40)) {
          events.push(
            await appendEvent(tx, 'health-tracking', {
              topic: row.topic,
              type: 'org.pha.test.happened',
              subject: row.subject,
              data: row.data,
            }),
          );
        }
      });
    }
    const log: { topic: string; event: CloudEvent; by: string }[] = [];
    const busA = new RecordingBus('A', log);
    const busB = new RecordingBus('B', log);
    // A slow publisher and a fast one: without the ordering guard the fast one would overtake.
    busA.delayMs = 6;
    busB.delayMs = 1;
    const relayA = new OutboxRelay(db, busA, silent, { batchSize: 15 });
    const relayB = new OutboxRelay(db, busB, silent, { batchSize: 15 });

    const drain = async (relay: OutboxRelay) => {
      for (let round = 0; round < 500; round++) {
        if ((await pending()).length === 0) return;
        if ((await relay.runOnce()).published === 0) await sleep(2);
      }
      throw new Error('the relays did not drain the outbox');
    };
    await Promise.all([drain(relayA), drain(relayB)]);

    expect(await pending()).toEqual([]);
    // Published once each: no two relays claimed the same row.
    expect(log.map((p) => p.event.id).sort()).toEqual(events.map((e) => e.id).sort());
    // Both relays did part of the work.
    expect(new Set(log.map((p) => p.by))).toEqual(new Set(['A', 'B']));
    // Per topic and user, the order of publication is the order of commit.
    for (const topic of ['health-events', 'device-data-events']) {
      for (const subject of subjects) {
        const expected = events
          .filter((_, i) => rows[i]!.topic === topic && rows[i]!.subject === subject)
          .map((e) => e.id);
        const actual = log
          .filter((p) => p.topic === topic && p.event.subject === subject)
          .map((p) => p.event.id);
        expect(actual).toEqual(expected);
      }
    }
  });
});
