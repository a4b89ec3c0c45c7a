import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import { kafkaConnection, KafkaEventBus } from './kafka-bus.js';
import type { CloudEvent } from './outbox.js';

/**
 * The Kafka adapter against a real broker. Runs only when KAFKA_BOOTSTRAP_SERVERS is set (with
 * KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM / KAFKA_TLS as the broker needs).
 * It creates a topic of its own and deletes it afterwards; where the broker does not allow creating
 * topics, set KAFKA_CONTRACT_TOPIC to an existing topic it may write test events to.
 */
const servers = process.env.KAFKA_BOOTSTRAP_SERVERS;
const title = servers
  ? `Kafka contract against ${servers}`
  : 'Kafka contract: skipped because KAFKA_BOOTSTRAP_SERVERS is not set (no broker on this machine)';

describe.skipIf(!servers)(title, () => {
  const run = `${Date.now()}-${randomBytes(4).toString('hex')}`;
  const existingTopic = process.env.KAFKA_CONTRACT_TOPIC;
  const topic = existingTopic ?? `pha-contract-${run}`;
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  let config: Config;
  let admin: Admin | undefined;
  const buses: KafkaEventBus[] = [];

  const openBus = () => {
    const bus = new KafkaEventBus({ settings: config.kafka, logger, groupPrefix: `pha-contract-${run}.` });
    buses.push(bus);
    return bus;
  };

  const events: CloudEvent[] = ['alice', 'bob', 'alice', 'alice', 'bob'].map((subject, n) => ({
    specversion: '1.0',
    id: `${run}-${n}`,
    source: '/pha/contract-test',
    type: 'org.pha.test.contract',
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n, note: 'ünïcode ✓' },
  }));
  const ours = (e: CloudEvent) => e.id.startsWith(run);
  const idsOf = (list: CloudEvent[], subject?: string) =>
    list.filter((e) => subject === undefined || e.subject === subject).map((e) => e.id);

  beforeAll(async () => {
    config = loadConfig(process.env, 'all-in-one');
    if (!existingTopic) {
      admin = new Admin({ ...kafkaConnection(config.kafka), clientId: 'pha-contract-test' });
      // Several partitions, so that keeping each subject's order depends on keying by subject.
      await admin.createTopics({ topics: [topic], partitions: 3 });
    }
    // A new topic takes a moment to reach every broker's metadata.
    const producer = openBus();
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.publish(topic, events);
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(1000);
      }
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    if (admin) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.close();
    }
  }, 60_000);

  it('consumes back what was published: the same CloudEvents, each subject in order', async () => {
    const received: CloudEvent[] = [];
    openBus().subscribe(topic, 'reader', async (event) => {
      if (ours(event)) received.push(event);
    });
    await vi.waitFor(() => expect(new Set(idsOf(received)).size).toBe(events.length), {
      timeout: 60_000,
      interval: 250,
    });
    // At least once: a rebalance may deliver an event twice; compare first deliveries.
    const firsts = received.filter((e, i) => received.findIndex((x) => x.id === e.id) === i);
    const byId = (a: CloudEvent, b: CloudEvent) => a.id.localeCompare(b.id);
    expect([...firsts].sort(byId)).toEqual([...events].sort(byId));
    for (const subject of ['alice', 'bob']) expect(idsOf(firsts, subject)).toEqual(idsOf(events, subject));
  }, 90_000);

  it('retries a failing handler in place: nothing skipped, order kept', async () => {
    const calls: string[] = [];
    let failed = false;
    openBus().subscribe(topic, 'flaky', async (event) => {
      if (!ours(event)) return;
      calls.push(event.id);
      if (!failed && event.subject === 'alice') {
        failed = true;
        throw new Error('not yet');
      }
    });
    await vi.waitFor(() => expect(new Set(calls).size).toBe(events.length), {
      timeout: 60_000,
      interval: 250,
    });
    const firstAlice = idsOf(events, 'alice')[0]!;
    expect(calls.filter((id) => id === firstAlice)).toHaveLength(2);
    const handled = calls.filter((id, i) => calls.indexOf(id) === i);
    for (const subject of ['alice', 'bob']) {
      expect(handled.filter((id) => idsOf(events, subject).includes(id))).toEqual(idsOf(events, subject));
    }
  }, 90_000);

  it('a consumer group that committed does not get the events again', async () => {
    // The 'reader' group of the first test committed its offsets; a new member of it starts after them.
    await Promise.all(buses.splice(1).map((bus) => bus.close()));
    const again: CloudEvent[] = [];
    openBus().subscribe(topic, 'reader', async (event) => {
      if (ours(event)) again.push(event);
    });
    await sleep(15_000);
    expect(again).toEqual([]);
  }, 90_000);
});
