import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActingClients, ActingUser } from '../../platform/clients/acting.js';
import type { CallOptions } from '../../platform/clients/clients.js';
import { BatchEncoder } from './parse-job.js';
import { encodedReadings, HealthWriter } from './health.js';

const device = {
  source: 'apple_health:Watch',
  name: 'Watch',
  provider: 'apple_health',
  device_type: 'smartwatch',
};

/** Three readings encoded as a parse job encodes them. */
function encoded() {
  const encoder = new BatchEncoder(100);
  for (const value of [61, 62, 63]) {
    encoder.add({
      kind: 'reading',
      ref: `line ${value}`,
      device,
      reading: {
        metric_type: 'heart_rate',
        value,
        unit: 'bpm',
        timestamp: '2024-01-01T00:00:00+01:00',
        source: 'apple_health:Watch',
      },
    });
  }
  return encoder.take(0).readings!;
}

const text = (body: string | Uint8Array) =>
  typeof body === 'string' ? body : Buffer.from(body).toString('utf8');

describe('HealthWriter', () => {
  it('sends an encoded batch as it is, and any part of it in the order asked', () => {
    const readings = encoded();
    const out = encodedReadings(readings);
    expect(out.body(null)).toBe(readings.body);
    const part = JSON.parse(text(out.body([2, 0]))) as { items: { value: number }[] };
    expect(part.items.map((i) => i.value)).toEqual([63, 61]);
  });

  it('takes out what health tracking refuses, sends the rest again as the same user, and reports by index', async () => {
    const calls: { user: ActingUser; purpose: string; options: Omit<CallOptions, 'token'> }[] = [];
    const answers = [
      {
        status: 400,
        body: {
          error: {
            code: 'validation_failed',
            details: [{ index: 1, field: 'value', problem: 'is too high' }],
          },
        },
      },
      { status: 201, body: { received: 2, created: 2, duplicates: 0 } },
    ];
    const acting = {
      call: async (user: ActingUser, purpose: string, _slug: string, options: Omit<CallOptions, 'token'>) => {
        calls.push({ user, purpose, options });
        return answers.shift()!;
      },
    } as unknown as ActingClients;
    const writer = new HealthWriter(acting, pino({ level: 'silent' }));
    const user = { userId: '0190a0a0-0000-7000-8000-0000000000dd', role: 'doctor' as const };
    const outcome = await writer.ingest(user, 'import:x', encodedReadings(encoded()));
    expect(outcome).toEqual({ created: 2, duplicates: 0, rejected: new Map([[1, 'value is too high']]) });
    expect(calls.map((c) => [c.user, c.purpose, c.options.method, c.options.path])).toEqual([
      [user, 'import:x', 'POST', '/api/v1/metrics/batch'],
      [user, 'import:x', 'POST', '/api/v1/metrics/batch'],
    ]);
    const second = JSON.parse(text(calls[1]!.options.json!)) as { items: { value: number }[] };
    expect(second.items.map((i) => i.value)).toEqual([61, 63]);
  });
});
