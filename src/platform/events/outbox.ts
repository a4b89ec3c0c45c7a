import { EventEmitter } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import type { Queryable } from '../db/db.js';

/** Topics from the deployment plan. */
export const TOPICS = ['health-events', 'device-data-events', 'medical-record-events'] as const;
export type Topic = (typeof TOPICS)[number];

/** A CloudEvents 1.0 envelope in JSON structured mode. */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

export interface NewEvent<T> {
  topic: Topic;
  /** Reverse-DNS style type, e.g. `org.pha.health.metric.recorded`. */
  type: string;
  /** The user the event is about (its id only: never names or values in the subject). */
  subject?: string;
  data: T;
}

const appended = new EventEmitter();
appended.setMaxListeners(0);

/**
 * Calls `listener` whenever appendEvent writes an event in this process (before its transaction
 * commits): the relay uses it to wake up promptly instead of polling often. Returns the unsubscriber.
 */
export function onEventAppended(listener: () => void): () => void {
  appended.on('appended', listener);
  return () => appended.off('appended', listener);
}

/**
 * Writes an event into the outbox inside the caller's transaction, so it exists exactly when the state
 * change it describes was committed. `service` is the emitting service's slug.
 */
export async function appendEvent<T>(
  tx: Queryable,
  service: string,
  event: NewEvent<T>,
): Promise<CloudEvent<T>> {
  const envelope: CloudEvent<T> = {
    specversion: '1.0',
    id: uuidv7(),
    source: `/pha/${service}`,
    type: event.type,
    ...(event.subject === undefined ? {} : { subject: event.subject }),
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: event.data,
  };
  await tx.query('INSERT INTO platform.outbox (id, topic, event) VALUES ($1, $2, $3)', [
    envelope.id,
    event.topic,
    JSON.stringify(envelope),
  ]);
  appended.emit('appended');
  return envelope;
}
