import { describeError, PublishError, type EventBus, type EventHandler } from './bus.js';
import type { CloudEvent } from './outbox.js';

interface Subscriber {
  consumer: string;
  handler: EventHandler;
}

/**
 * The in-process bus: `publish` hands each event to every subscriber of the topic in this process, in
 * order, and resolves when all have handled it. When a handler throws, that event and the later events
 * with the same subject in the batch are not delivered (so a user's events never overtake each other);
 * the other subjects go on, and a PublishError names what got through so the relay retries the rest.
 * Events published to a topic nobody in this process subscribes to are dropped.
 */
export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process' as const;
  readonly description = 'in-process (consumers in this process only)';
  private readonly subscribers = new Map<string, Subscriber[]>();
  private closed = false;

  subscribe(topic: string, consumer: string, handler: EventHandler): void {
    if (this.closed) throw new Error('The event bus is closed');
    const list = this.subscribers.get(topic) ?? [];
    if (list.some((s) => s.consumer === consumer)) {
      throw new Error(`Consumer ${consumer} already subscribes to ${topic}`);
    }
    list.push({ consumer, handler });
    this.subscribers.set(topic, list);
  }

  async publish(topic: string, events: readonly CloudEvent[]): Promise<void> {
    if (this.closed) throw new Error('The event bus is closed');
    const subscribers = [...(this.subscribers.get(topic) ?? [])];
    const held = new Set<string>();
    const delivered: string[] = [];
    let failure: { consumer: string; error: unknown } | undefined;
    for (const event of events) {
      const key = event.subject ?? '';
      if (held.has(key)) continue;
      let current = '';
      try {
        for (const { consumer, handler } of subscribers) {
          current = consumer;
          await handler(event, { topic, consumer });
        }
        delivered.push(event.id);
      } catch (error) {
        held.add(key);
        failure ??= { consumer: current, error };
      }
    }
    if (failure) {
      throw new PublishError(
        `Consumer ${failure.consumer} of ${topic} failed: ${describeError(failure.error)}`,
        delivered,
        { cause: failure.error },
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
  }
}
