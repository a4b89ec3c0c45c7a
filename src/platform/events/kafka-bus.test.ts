import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import {
  CLOUDEVENTS_CONTENT_TYPE,
  describeKafkaSecurity,
  kafkaConnection,
  KafkaEventBus,
  parseBootstrapServers,
  toKafkaMessage,
} from './kafka-bus.js';
import type { CloudEvent } from './outbox.js';

const event: CloudEvent = {
  specversion: '1.0',
  id: '0190a000-0000-7000-8000-000000000001',
  source: '/pha/health-tracking',
  type: 'org.pha.health.metric.recorded',
  subject: 'user-1',
  time: '2026-01-01T07:00:00.000Z',
  datacontenttype: 'application/json',
  data: { metric: 'heart_rate', value: 61, unit: '/min' },
};

const settings = (env: Record<string, string>) => loadConfig(env, 'all-in-one').kafka;

describe('Kafka client options from the configuration', () => {
  it('uses plaintext without SASL when no credentials are set (a local broker)', () => {
    const connection = kafkaConnection(settings({ KAFKA_BOOTSTRAP_SERVERS: 'localhost:9092' }));
    expect(connection).toEqual({
      bootstrapBrokers: ['localhost:9092'],
      connectTimeout: 10_000,
      timeout: 15_000,
    });
    expect(describeKafkaSecurity(connection)).toBe('no SASL, plaintext');
  });

  it('uses SASL SCRAM-SHA-256 over TLS with SNI when credentials are set (Upstash)', () => {
    const connection = kafkaConnection(
      settings({
        KAFKA_BOOTSTRAP_SERVERS: 'pet-shark-1234-eu1-kafka.upstash.io:9092',
        KAFKA_SASL_USERNAME: 'cGV0LXNoYXJr',
        KAFKA_SASL_PASSWORD: 'kafka-password-value',
      }),
    );
    expect(connection).toMatchObject({
      bootstrapBrokers: ['pet-shark-1234-eu1-kafka.upstash.io:9092'],
      tls: {},
      tlsServerName: true,
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'cGV0LXNoYXJr', password: 'kafka-password-value' },
    });
    expect(describeKafkaSecurity(connection)).toBe('SASL SCRAM-SHA-256, TLS');
  });

  it('takes the mechanism from KAFKA_SASL_MECHANISM, in any case', () => {
    for (const [value, mechanism] of [
      ['PLAIN', 'PLAIN'],
      ['scram-sha-512', 'SCRAM-SHA-512'],
    ]) {
      const connection = kafkaConnection(
        settings({
          KAFKA_BOOTSTRAP_SERVERS: 'broker:9093',
          KAFKA_SASL_USERNAME: 'user',
          KAFKA_SASL_PASSWORD: 'secret',
          KAFKA_SASL_MECHANISM: value!,
        }),
      );
      expect(connection.sasl?.mechanism).toBe(mechanism);
      expect(connection.tls).toEqual({});
    }
  });

  it('rejects an unknown mechanism at start-up', () => {
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'GSSAPI' })).toThrow(ConfigError);
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'GSSAPI' })).toThrow(
      'KAFKA_SASL_MECHANISM must be one of SCRAM-SHA-256, SCRAM-SHA-512, PLAIN (got "GSSAPI")',
    );
  });

  it('lets KAFKA_TLS override the default either way', () => {
    const saslPlaintext = kafkaConnection(
      settings({
        KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092',
        KAFKA_SASL_USERNAME: 'user',
        KAFKA_SASL_PASSWORD: 'secret',
        KAFKA_TLS: 'false',
      }),
    );
    expect(saslPlaintext.tls).toBeUndefined();
    expect(saslPlaintext.sasl?.mechanism).toBe('SCRAM-SHA-256');
    expect(describeKafkaSecurity(saslPlaintext)).toBe('SASL SCRAM-SHA-256, plaintext');

    const tlsOnly = kafkaConnection(settings({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9093', KAFKA_TLS: 'true' }));
    expect(tlsOnly).toMatchObject({ tls: {}, tlsServerName: true });
    expect(tlsOnly.sasl).toBeUndefined();
  });

  it('needs the username and the password together', () => {
    expect(() =>
      kafkaConnection(settings({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092', KAFKA_SASL_PASSWORD: 'secret' })),
    ).toThrow('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set together');
  });

  it('splits and checks the bootstrap servers', () => {
    expect(parseBootstrapServers(' a.example.org:9092 , b.example.org:9093,')).toEqual([
      'a.example.org:9092',
      'b.example.org:9093',
    ]);
    expect(parseBootstrapServers('SASL_SSL://a.example.org:9092')).toEqual(['a.example.org:9092']);
    expect(parseBootstrapServers('[::1]:9092')).toEqual(['[::1]:9092']);
    expect(() => parseBootstrapServers('a.example.org')).toThrow(
      'KAFKA_BOOTSTRAP_SERVERS must be a comma-separated list of host:port (got "a.example.org")',
    );
    expect(() => parseBootstrapServers(' , ')).toThrow(/host:port/);
    expect(() => kafkaConnection(settings({}))).toThrow('KAFKA_BOOTSTRAP_SERVERS is not set');
  });
});

describe('Kafka messages', () => {
  it('are structured-mode CloudEvents keyed by subject', () => {
    const message = toKafkaMessage('health-events', event);
    expect(message).toEqual({
      topic: 'health-events',
      key: 'user-1',
      value: JSON.stringify(event),
      headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
    });
    expect(CLOUDEVENTS_CONTENT_TYPE).toBe('application/cloudevents+json; charset=UTF-8');
    expect(JSON.parse(message.value as string)).toEqual(event);
  });

  it('have no key when the event has no subject', () => {
    const { subject: _subject, ...anonymous } = event;
    expect(toKafkaMessage('health-events', anonymous as CloudEvent)).not.toHaveProperty('key');
  });
});

describe('Kafka bus without a broker', () => {
  it('describes itself without credentials', async () => {
    const bus = new KafkaEventBus({
      settings: settings({
        KAFKA_BOOTSTRAP_SERVERS: 'broker.example.org:9092',
        KAFKA_SASL_USERNAME: 'user',
        KAFKA_SASL_PASSWORD: 'kafka-password-value',
      }),
      logger: pino({ level: 'silent' }),
    });
    expect(bus.kind).toBe('kafka');
    expect(bus.description).toBe('Kafka broker.example.org:9092 (SASL SCRAM-SHA-256, TLS)');
    expect(bus.description).not.toContain('kafka-password-value');
    await bus.close();
  });

  it('fails to publish when no broker answers, and still closes', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const bus = new KafkaEventBus({
      settings: settings({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' }),
      logger: pino({ level: 'silent' }),
    });
    await expect(bus.publish('health-events', [event])).rejects.toThrow();
    await bus.close();
    await expect(bus.publish('health-events', [event])).rejects.toThrow(/closed/);
  });
});
