import { describe, expect, it } from 'vitest';
import { parseCloudEvent, PublishError } from './bus.js';
import { InProcessEventBus } from './memory-bus.js';
import type { CloudEvent } from './outbox.js';

let counter = 0;
function event(subject?: string): CloudEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `event-${counter}`,
    source: '/pha/test',
    type: 'org.pha.test.happened',
    ...(subject === undefined ? {} : { subject }),
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n: counter },
  };
}

describe('in-process event bus', () => {
  it('hands every event to every consumer of the topic, in order', async () => {
    const bus = new InProcessEventBus();
    const seen: string[] = [];
    bus.subscribe('health-events', 'a', async (e, ctx) => {
      seen.push(`${ctx.consumer}:${ctx.topic}:${e.id}`);
    });
    bus.subscribe('health-events', 'b', async (e, ctx) => {
      seen.push(`${ctx.consumer}:${ctx.topic}:${e.id}`);
    });
    bus.subscribe('device-data-events', 'c', async (e, ctx) => {
      seen.push(`${ctx.consumer}:${e.id}`);
    });
    const [e1, e2] = [event('u1'), event('u2')];
    await bus.publish('health-events', [e1, e2]);
    expect(seen).toEqual([
      `a:health-events:${e1.id}`,
      `b:health-events:${e1.id}`,
      `a:health-events:${e2.id}`,
      `b:health-events:${e2.id}`,
    ]);
  });

  it('accepts events nobody listens to', async () => {
    await expect(new InProcessEventBus().publish('medical-record-events', [event('u1')])).resolves.toBe(
      undefined,
    );
  });

  it('refuses the same consumer twice on a topic', () => {
    const bus = new InProcessEventBus();
    bus.subscribe('health-events', 'a', async () => {});
    expect(() => bus.subscribe('health-events', 'a', async () => {})).toThrow(/already subscribes/);
    bus.subscribe('device-data-events', 'a', async () => {});
  });

  it('when a handler fails, holds back that subject’s later events and delivers the others', async () => {
    const bus = new InProcessEventBus();
    const seen: string[] = [];
    bus.subscribe('health-events', 'a', async (e) => {
      if (e.subject === 'u1') throw new Error('nope');
      seen.push(e.id);
    });
    const batch = [event('u1'), event('u2'), event('u1'), event(), event('u2')];
    const error = await bus.publish('health-events', batch).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toBe('Consumer a of health-events failed: Error: nope');
    expect((error as PublishError).delivered).toEqual([batch[1]!.id, batch[3]!.id, batch[4]!.id]);
    expect(seen).toEqual([batch[1]!.id, batch[3]!.id, batch[4]!.id]);
  });

  it('refuses to publish or subscribe once closed', async () => {
    const bus = new InProcessEventBus();
    await bus.close();
    await expect(bus.publish('health-events', [event('u1')])).rejects.toThrow(/closed/);
    expect(() => bus.subscribe('health-events', 'a', async () => {})).toThrow(/closed/);
  });
});

describe('parseCloudEvent', () => {
  it('accepts a structured-mode CloudEvent and rejects anything else', () => {
    const e = event('u1');
    expect(parseCloudEvent(JSON.stringify(e))).toEqual(e);
    expect(parseCloudEvent('not json')).toBeUndefined();
    expect(parseCloudEvent('null')).toBeUndefined();
    expect(parseCloudEvent(JSON.stringify({ ...e, specversion: '0.3' }))).toBeUndefined();
    expect(parseCloudEvent(JSON.stringify({ ...e, id: '' }))).toBeUndefined();
    expect(parseCloudEvent(JSON.stringify({ ...e, subject: 42 }))).toBeUndefined();
    const { source: _source, ...withoutSource } = e;
    expect(parseCloudEvent(JSON.stringify(withoutSource))).toBeUndefined();
  });
});
