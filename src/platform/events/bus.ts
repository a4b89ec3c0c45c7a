import type { CloudEvent } from './outbox.js';

/** What a handler is told besides the event itself. */
export interface DeliveryContext {
  topic: string;
  /** The subscribing consumer's name. */
  consumer: string;
}

/**
 * Handles one event. Delivery is at least once: the same event can arrive again (after a retry, a
 * crash, a rebalance), so a handler must be idempotent; `consumeOnce` in consumer.ts makes it so.
 * Throwing means "not handled": the event is delivered again later.
 */
export type EventHandler = (event: CloudEvent, context: DeliveryContext) => Promise<void>;

/**
 * The EventBus port. Producers never call `publish` directly: they write to the outbox (appendEvent)
 * in the transaction of their state change, and the relay publishes. Services `subscribe`.
 *
 * Ordering: events of one topic with the same subject (user id) are delivered in the order published.
 */
export interface EventBus {
  readonly kind: 'in-process' | 'kafka';
  /** A one-line description for logs and `pha doctor` (never credentials). */
  readonly description: string;
  /**
   * Publishes a batch to a topic. Resolves when every event is durably accepted (Kafka) or handled by
   * every subscriber (in-process). Throws a PublishError naming the events that did get through when
   * only some did; any other error means none may be taken as delivered.
   */
  publish(topic: string, events: readonly CloudEvent[]): Promise<void>;
  /**
   * Registers `handler` as consumer `consumer` of `topic`. Each consumer name gets every event once
   * (at least once); several processes subscribing under the same name share the work (Kafka).
   * Subscribe at start-up, before the relay starts.
   */
  subscribe(topic: string, consumer: string, handler: EventHandler): void;
  close(): Promise<void>;
}

/** Raised by `publish` when part of a batch was delivered: the relay marks those and retries the rest. */
export class PublishError extends Error {
  constructor(
    message: string,
    /** Ids of the events that were delivered despite the failure. */
    readonly delivered: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** An error as one short line for logs and `last_error`: its class and message, never a payload. */
export function describeError(err: unknown, max = 500): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Checks the shape of a CloudEvents 1.0 structured-mode JSON event received from outside. */
export function parseCloudEvent(json: string): CloudEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  const nonEmpty = (v: unknown) => typeof v === 'string' && v !== '';
  if (e.specversion !== '1.0' || !nonEmpty(e.id) || !nonEmpty(e.source) || !nonEmpty(e.type)) {
    return undefined;
  }
  if (e.subject !== undefined && typeof e.subject !== 'string') return undefined;
  return value as CloudEvent;
}
