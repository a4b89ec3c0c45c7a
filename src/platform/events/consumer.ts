import type { Db, Queryable } from '../db/db.js';
import type { DeliveryContext, EventBus, EventHandler } from './bus.js';
import type { CloudEvent } from './outbox.js';

/**
 * Runs `handle` for `event` at most once per consumer: the event id is recorded in
 * platform.consumed_events in the same transaction as the handler's writes (done through `tx`), so
 * a redelivered event is skipped, and a handler that throws leaves no record and is retried.
 * Returns false when the event had already been handled.
 */
export async function consumeOnce(
  db: Db,
  consumer: string,
  event: Pick<CloudEvent, 'id'>,
  handle: (tx: Queryable) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    // The insert takes the key's lock: a concurrent delivery of the same event waits here, then skips.
    const { rowCount } = await tx.query(
      'INSERT INTO platform.consumed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [consumer, event.id],
    );
    if (rowCount === 0) return false;
    await handle(tx);
    return true;
  });
}

export type IdempotentHandler = (tx: Queryable, event: CloudEvent, context: DeliveryContext) => Promise<void>;

/** Wraps a handler that writes through `tx` so that each event is handled once per consumer. */
export function idempotent(db: Db, handler: IdempotentHandler): EventHandler {
  return async (event, context) => {
    await consumeOnce(db, context.consumer, event, (tx) => handler(tx, event, context));
  };
}

/**
 * What a service usually wants: `subscribeOnce(ctx.events, ctx.db, 'health-events', 'ai-insights',
 * async (tx, event) => { ...writes through tx... })`.
 */
export function subscribeOnce(
  bus: EventBus,
  db: Db,
  topic: string,
  consumer: string,
  handler: IdempotentHandler,
): void {
  bus.subscribe(topic, consumer, idempotent(db, handler));
}
