import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
  type MessagesStream,
  type MessageToProduce,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { describeError, parseCloudEvent, type EventBus, type EventHandler } from './bus.js';
import { TOPICS, type CloudEvent } from './outbox.js';

/** The content type of a CloudEvents structured-mode message (CloudEvents Kafka protocol binding). */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

export type KafkaSettings = Config['kafka'];

/** The connection options every client (producer, consumer, admin) gets. */
export interface KafkaConnection {
  bootstrapBrokers: string[];
  tls?: Record<string, never>;
  tlsServerName?: boolean;
  sasl?: { mechanism: KafkaSettings['saslMechanism']; username: string; password: string };
  connectTimeout: number;
  timeout: number;
}

/** `host:port,host:port` (a `scheme://` prefix such as `SASL_SSL://` is tolerated) into brokers. */
export function parseBootstrapServers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((s) => s.trim().replace(/^[a-z_]+:\/\//i, ''))
    .filter((s) => s !== '');
  const bad = brokers.filter((b) => !/^[^\s:/]+:\d{1,5}$/.test(b) && !/^\[[0-9a-f:]+\]:\d{1,5}$/i.test(b));
  if (brokers.length === 0 || bad.length > 0) {
    throw new Error(
      `KAFKA_BOOTSTRAP_SERVERS must be a comma-separated list of host:port (got "${bad[0] ?? value}")`,
    );
  }
  return brokers;
}

/**
 * Maps the configuration to client options: SASL (SCRAM-SHA-256 unless KAFKA_SASL_MECHANISM says
 * otherwise) when a username and password are set, and TLS with SNI whenever SASL is used (hosted
 * Kafka such as Upstash accepts SASL only over TLS) unless KAFKA_TLS says otherwise.
 */
export function kafkaConnection(settings: KafkaSettings): KafkaConnection {
  if (!settings.bootstrapServers) throw new Error('KAFKA_BOOTSTRAP_SERVERS is not set');
  const bootstrapBrokers = parseBootstrapServers(settings.bootstrapServers);
  if (Boolean(settings.username) !== Boolean(settings.password)) {
    throw new Error('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set together');
  }
  const sasl =
    settings.username && settings.password
      ? { mechanism: settings.saslMechanism, username: settings.username, password: settings.password }
      : undefined;
  const tls = settings.tls ?? sasl !== undefined;
  return {
    bootstrapBrokers,
    ...(tls ? { tls: {}, tlsServerName: true } : {}),
    ...(sasl ? { sasl } : {}),
    connectTimeout: 10_000,
    timeout: 15_000,
  };
}

/** How the connection is secured, for logs and `pha doctor` (no credentials). */
export function describeKafkaSecurity(connection: KafkaConnection): string {
  const sasl = connection.sasl ? `SASL ${connection.sasl.mechanism}` : 'no SASL';
  return `${sasl}, ${connection.tls ? 'TLS' : 'plaintext'}`;
}

/** A structured-mode CloudEvents message, keyed by subject (the user id) to keep each user's order. */
export function toKafkaMessage(
  topic: string,
  event: CloudEvent,
): MessageToProduce<string, string, string, string> {
  return {
    topic,
    ...(event.subject ? { key: event.subject } : {}),
    value: JSON.stringify(event),
    headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
  };
}

export interface KafkaBusOptions {
  settings: KafkaSettings;
  logger: Logger;
  /** Prefix of consumer group ids: group = prefix + consumer name. */
  groupPrefix?: string;
  clientId?: string;
  /** Longest wait between two attempts at a failing handler. */
  maxRetryDelayMs?: number;
}

/**
 * The Kafka bus (@platformatic/kafka: pure JavaScript, SASL/SCRAM, TLS). Each subscription is a
 * consumer group `pha.<consumer>` reading from its committed offset (from the earliest retained
 * message the first time). Offsets are committed only after the handler succeeded; a handler that
 * throws is retried in place with back-off, so nothing is skipped and a partition's order is kept.
 */
export class KafkaEventBus implements EventBus {
  readonly kind = 'kafka' as const;
  readonly description: string;
  private readonly connection: KafkaConnection;
  private readonly clientId: string;
  private readonly producer: Producer<string, string, string, string>;
  private readonly subscriptions: KafkaSubscription[] = [];
  private closed = false;

  constructor(private readonly options: KafkaBusOptions) {
    this.connection = kafkaConnection(options.settings);
    this.clientId = options.clientId ?? `pha-${hostname()}-${process.pid}`.replace(/[^\w.-]/g, '-');
    this.description = `Kafka ${this.connection.bootstrapBrokers.join(',')} (${describeKafkaSecurity(this.connection)})`;
    this.producer = new Producer({
      ...this.connection,
      clientId: this.clientId,
      serializers: stringSerializers,
      acks: ProduceAcks.ALL,
    });
  }

  async publish(topic: string, events: readonly CloudEvent[]): Promise<void> {
    if (this.closed) throw new Error('The event bus is closed');
    if (events.length === 0) return;
    await this.producer.send({ messages: events.map((event) => toKafkaMessage(topic, event)) });
  }

  subscribe(topic: string, consumer: string, handler: EventHandler): void {
    if (this.closed) throw new Error('The event bus is closed');
    if (this.subscriptions.some((s) => s.topic === topic && s.consumer === consumer)) {
      throw new Error(`Consumer ${consumer} already subscribes to ${topic}`);
    }
    const subscription = new KafkaSubscription(topic, consumer, handler, {
      connection: this.connection,
      clientId: this.clientId,
      groupId: `${this.options.groupPrefix ?? 'pha.'}${consumer}`,
      logger: this.options.logger.child({ topic, consumer }),
      maxRetryDelayMs: this.options.maxRetryDelayMs ?? 60_000,
    });
    this.subscriptions.push(subscription);
    subscription.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.subscriptions.map((s) => s.close()));
    await this.producer.close();
  }
}

interface SubscriptionOptions {
  connection: KafkaConnection;
  clientId: string;
  groupId: string;
  logger: Logger;
  maxRetryDelayMs: number;
}

class KafkaSubscription {
  private readonly abort = new AbortController();
  private client: Consumer<string, string, string, string> | undefined;
  private stream: MessagesStream<string, string, string, string> | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly topic: string,
    readonly consumer: string,
    private readonly handler: EventHandler,
    private readonly options: SubscriptionOptions,
  ) {}

  start(): void {
    this.running = this.run();
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.stream?.close().catch(() => {});
    await this.running;
  }

  private get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Joins the group and consumes until closed; reconnects with back-off when the connection fails. */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        this.client = new Consumer({
          ...this.options.connection,
          clientId: this.options.clientId,
          groupId: this.options.groupId,
          deserializers: stringDeserializers,
          autocommit: false,
        });
        this.stream = await this.client.consume({
          topics: [this.topic],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.EARLIEST,
          autocommit: false,
        });
        failures = 0;
        for await (const message of this.stream) {
          if (this.closed) break;
          const handled = await this.handle(message.value, message.offset);
          if (!handled) break;
          await message.commit();
        }
      } catch (err) {
        if (this.closed) break;
        failures += 1;
        const delay = Math.min(this.options.maxRetryDelayMs, 1000 * 2 ** Math.min(failures, 10));
        this.options.logger.error(
          { error: describeError(err), retry_in_ms: delay },
          'Kafka consumer failed; reconnecting',
        );
        await this.cleanUp();
        await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => {});
        continue;
      }
      // The stream ended without close(): join again, after a pause so that this never spins.
      await this.cleanUp();
      await sleep(1000, undefined, { signal: this.abort.signal }).catch(() => {});
    }
    await this.cleanUp();
  }

  /** Handles one message, retrying until it succeeds; false when closed before it did. */
  private async handle(value: string, offset: bigint): Promise<boolean> {
    const event = typeof value === 'string' ? parseCloudEvent(value) : undefined;
    if (!event) {
      // Not ours to fix: skip it rather than block the partition forever.
      this.options.logger.error({ offset: String(offset) }, 'skipped a message that is not a CloudEvent');
      return true;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handler(event, { topic: this.topic, consumer: this.consumer });
        return true;
      } catch (err) {
        if (this.closed) return false;
        const delay = Math.min(this.options.maxRetryDelayMs, 500 * 2 ** Math.min(attempt, 12));
        this.options.logger.warn(
          { event_id: event.id, type: event.type, attempt, error: describeError(err), retry_in_ms: delay },
          'event handler failed; retrying',
        );
        await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => {});
        if (this.closed) return false;
      }
    }
  }

  private async cleanUp(): Promise<void> {
    const stream = this.stream;
    const client = this.client;
    this.stream = undefined;
    this.client = undefined;
    await stream?.close().catch(() => {});
    // Force: leave the group even if a stream is still open. Errors on the way out do not matter.
    if (client) await new Promise<void>((resolve) => client.close(true, () => resolve()));
  }
}

export interface KafkaCheck {
  security: string;
  topics: string[];
  missing: string[];
}

/** Connects with the real client (TLS, SASL) and lists topics: what `pha doctor` reports. */
export async function checkKafka(settings: KafkaSettings): Promise<KafkaCheck> {
  const connection = kafkaConnection(settings);
  const admin = new Admin({ ...connection, clientId: 'pha-doctor', retries: 0 });
  try {
    const topics = await admin.listTopics();
    return {
      security: describeKafkaSecurity(connection),
      topics,
      missing: TOPICS.filter((t) => !topics.includes(t)),
    };
  } finally {
    await Promise.resolve(admin.close()).catch(() => {});
  }
}
