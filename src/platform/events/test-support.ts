import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBus, EventHandler } from './bus.js';
import type { CloudEvent } from './outbox.js';

/** A bus for tests: records what is published, and can be told to fail or to be slow. */
export class RecordingBus implements EventBus {
  readonly kind = 'in-process' as const;
  readonly description = 'recording test bus';
  /** Returns an error to throw instead of publishing this batch. */
  failWhen: ((topic: string, events: readonly CloudEvent[]) => Error | undefined) | undefined;
  delayMs = 0;

  /** Buses given the same `published` array record into one log, in publication order. */
  constructor(
    readonly name = 'bus',
    readonly published: { topic: string; event: CloudEvent; by: string }[] = [],
  ) {}

  async publish(topic: string, events: readonly CloudEvent[]): Promise<void> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    const error = this.failWhen?.(topic, events);
    if (error) throw error;
    for (const event of events) this.published.push({ topic, event, by: this.name });
  }

  subscribe(_topic: string, _consumer: string, _handler: EventHandler): void {
    throw new Error('RecordingBus does not deliver');
  }

  async close(): Promise<void> {}
}
