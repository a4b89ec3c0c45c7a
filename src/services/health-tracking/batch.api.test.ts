import { describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  useTestApp,
  type SignedIn,
} from '../../test-support/harness.js';
import { heartRateDay } from './test-data.js';

const t = useTestApp();

const BASE = '/health-tracking/api/v1';
const batch = (user: SignedIn, items: unknown[], headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `${BASE}/metrics/batch`,
    headers: { ...bearer(user.accessToken), ...headers },
    payload: { items },
  });
const get = (user: SignedIn, path: string) =>
  t.app.inject({ method: 'GET', url: `${BASE}${path}`, headers: bearer(user.accessToken) });

async function countAll(user: SignedIn, query = ''): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const res = await get(user, `/metrics?limit=500${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    n += res.json().items.length;
    cursor = res.json().next_cursor;
  } while (cursor);
  return n;
}

const minuteHeartRate = (day: string, seed: number, source = 'watch') =>
  heartRateDay(Date.parse(`${day}T00:00:00Z`), seed).map((s) => ({
    metric_type: 'heart_rate',
    value: s.value,
    unit: 'bpm',
    timestamp: s.timestamp,
    source,
  }));

describe('batch ingest', () => {
  it('validates item by item and stores nothing when any item is invalid, listing errors by index', async () => {
    const user = await registerAndLogin(t.app);
    const good = { metric_type: 'heart_rate', value: 70, unit: 'bpm', timestamp: '2024-01-01T00:00:00Z' };
    const res = await batch(user, [
      good,
      { ...good, unit: 'kg' },
      { ...good, timestamp: '2024-01-01T00:01:00Z' },
      { ...good, value: 1000 },
      { metric_type: 'heart_rate', unit: 'bpm', extra: true },
      { ...good, value: 'seventy' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('validation_error');
    expect(res.json().error.message).toMatch(/4 of 6 readings are invalid; nothing was stored/);
    const details = res.json().error.details as { index: number; field: string; problem: string }[];
    expect([...new Set(details.map((d) => d.index))].sort()).toEqual([1, 3, 4, 5]);
    expect(details.find((d) => d.index === 1)).toMatchObject({ field: 'unit' });
    expect(details.find((d) => d.index === 3)!.problem).toMatch(/from 20 to 300 bpm/);
    expect(
      details
        .filter((d) => d.index === 4)
        .map((d) => d.field)
        .sort(),
    ).toEqual(['extra', 'value']);
    expect(details.find((d) => d.index === 5)).toMatchObject({ field: 'value' });
    expect(await countAll(user)).toBe(0);
  });

  it('refuses a body that is not a batch', async () => {
    const user = await registerAndLogin(t.app);
    for (const payload of [{}, { items: [] }, { items: 'x' }, { items: [], source: 'x' }]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${BASE}/metrics/batch`,
        headers: bearer(user.accessToken),
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.details[0].field).toMatch(/items|source/);
    }
  });

  it('stores thousands of samples in one request, and re-ingesting them adds nothing', async () => {
    const user = await registerAndLogin(t.app);
    const day1 = minuteHeartRate('2024-02-10', 1);
    const day2 = minuteHeartRate('2024-02-11', 2);
    const first = await batch(user, [...day1, ...day2.slice(0, 720)]);
    expect(first.statusCode, first.body.slice(0, 300)).toBe(201);
    expect(first.json()).toMatchObject({
      received: 2160,
      created: 2160,
      duplicates: 0,
      series_samples: 2160,
    });

    const again = await batch(user, [...day1, ...day2.slice(0, 720)]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ received: 2160, created: 0, duplicates: 2160 });

    // Overlapping upload: the first half of day 2 again plus its second half.
    const overlap = await batch(user, day2);
    expect(overlap.json()).toMatchObject({ received: 1440, created: 720, duplicates: 720 });
    expect(await countAll(user, '&metric_type=heart_rate')).toBe(2880);

    const { rows } = await t.db.query<{ n: number }>(
      `SELECT sum(n)::integer AS n FROM health_tracking.series_chunks WHERE user_id = $1`,
      [user.userId],
    );
    expect(rows[0]!.n).toBe(2880);

    // One event per metric type and batch, with the time range and never values or notes.
    const { rows: events } = await t.db.query<{ event: { type: string; data: Record<string, unknown> } }>(
      `SELECT event FROM platform.outbox WHERE event->>'subject' = $1 ORDER BY id`,
      [user.userId],
    );
    expect(events.map((e) => e.event.type)).toEqual([
      'org.pha.health.metrics.ingested',
      'org.pha.health.metrics.ingested',
    ]);
    expect(events[0]!.event.data).toMatchObject({
      metric_type: 'heart_rate',
      count: 2160,
      sources: ['watch'],
      time_range: { from: '2024-02-10T00:00:00.000Z', to: '2024-02-11T11:59:00.000Z' },
    });
  });

  it('lists device samples with entries, newest first, across pages', async () => {
    const user = await registerAndLogin(t.app);
    await batch(user, minuteHeartRate('2024-02-10', 3).slice(0, 10));
    const entry = await t.app.inject({
      method: 'POST',
      url: `${BASE}/metrics`,
      headers: bearer(user.accessToken),
      payload: { metric_type: 'heart_rate', value: 99, unit: 'bpm', timestamp: '2024-02-10T00:04:30Z' },
    });
    expect(entry.statusCode).toBe(201);
    const page1 = (await get(user, '/metrics?limit=4')).json();
    expect(page1.items.map((m: { timestamp: string; storage: string }) => [m.timestamp, m.storage])).toEqual([
      ['2024-02-10T00:09:00.000Z', 'series'],
      ['2024-02-10T00:08:00.000Z', 'series'],
      ['2024-02-10T00:07:00.000Z', 'series'],
      ['2024-02-10T00:06:00.000Z', 'series'],
    ]);
    expect(page1.items[0]).toMatchObject({ id: null, unit: 'bpm', ucum_unit: '/min', source: 'watch' });
    const page2 = (await get(user, `/metrics?limit=4&cursor=${page1.next_cursor}`)).json();
    expect(page2.items.map((m: { timestamp: string }) => m.timestamp)).toEqual([
      '2024-02-10T00:05:00.000Z',
      '2024-02-10T00:04:30.000Z',
      '2024-02-10T00:04:00.000Z',
      '2024-02-10T00:03:00.000Z',
    ]);
    expect(await countAll(user)).toBe(11);
    expect(
      (await get(user, '/metrics?from=2024-02-10T00:02:00Z&to=2024-02-10T00:05:00Z')).json().items,
    ).toHaveLength(4);
  });

  it('treats a reading as the same record across both storages', async () => {
    const user = await registerAndLogin(t.app);
    const item = {
      metric_type: 'heart_rate',
      value: 70,
      unit: 'bpm',
      timestamp: '2024-01-01T10:00:00Z',
      source: 'strap',
    };
    const single = await t.app.inject({
      method: 'POST',
      url: `${BASE}/metrics`,
      headers: bearer(user.accessToken),
      payload: item,
    });
    expect(single.statusCode).toBe(201);
    expect((await batch(user, [item])).json()).toMatchObject({ created: 0, duplicates: 1 });

    const sample = { ...item, timestamp: '2024-01-01T10:01:00Z' };
    expect((await batch(user, [sample])).json()).toMatchObject({ created: 1, series_samples: 1 });
    const clash = await t.app.inject({
      method: 'POST',
      url: `${BASE}/metrics`,
      headers: bearer(user.accessToken),
      payload: sample,
    });
    expect(clash.statusCode).toBe(409);
    expect(await countAll(user)).toBe(2);
  });

  it('keeps readings with notes, context or two values as editable entries', async () => {
    const user = await registerAndLogin(t.app);
    const res = await batch(user, [
      { metric_type: 'heart_rate', value: 70, unit: 'bpm', timestamp: '2024-01-01T10:00:00Z', source: 'w' },
      {
        metric_type: 'heart_rate',
        value: 71,
        unit: 'bpm',
        timestamp: '2024-01-01T10:01:00Z',
        notes: 'stairs',
      },
      {
        metric_type: 'blood_glucose',
        value: 6.1,
        unit: 'mmol/L',
        timestamp: '2024-01-01T07:00:00Z',
        context: 'fasting',
      },
      {
        metric_type: 'blood_pressure',
        value: { systolic: 121, diastolic: 79 },
        unit: 'mmHg',
        timestamp: '2024-01-01T07:00:00Z',
      },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ created: 4, series_samples: 1 });
    expect(res.json().entries.map((e: { index: number }) => e.index)).toEqual([1, 2, 3]);
    const glucose = (await get(user, `/metrics/${res.json().entries[1].id}`)).json();
    expect(glucose).toMatchObject({ metric_type: 'blood_glucose', value: 6.1, context: 'fasting' });
    expect(glucose.classification.class).toBe('prediabetes');
  });

  it('honours Idempotency-Key: a retried batch does not double the data', async () => {
    const user = await registerAndLogin(t.app);
    const items = [
      {
        metric_type: 'steps',
        value: 1200,
        unit: 'steps',
        timestamp: '2024-01-01T10:00:00Z',
        source: 'phone',
      },
      {
        metric_type: 'steps',
        value: 800,
        unit: 'steps',
        timestamp: '2024-01-01T11:00:00Z',
        source: 'phone',
        notes: 'walk',
      },
    ];
    const key = { 'idempotency-key': '5f0c7d8e-batch' };
    const first = await batch(user, items, key);
    expect(first.statusCode).toBe(201);
    const retry = await batch(user, items, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(await countAll(user)).toBe(2);
  });

  it('deletes device samples in a time range', async () => {
    const user = await registerAndLogin(t.app);
    await batch(user, minuteHeartRate('2024-02-10', 4));
    await batch(user, minuteHeartRate('2024-02-10', 5, 'ring').slice(0, 60));
    const del = (query: string) =>
      t.app.inject({
        method: 'DELETE',
        url: `${BASE}/metrics/series?${query}`,
        headers: bearer(user.accessToken),
      });
    const res = await del(
      'metric_type=heart_rate&source=watch&from=2024-02-10T00:00:00Z&to=2024-02-10T01:00:00Z',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted: 60 });
    expect(await countAll(user, '&source=watch')).toBe(1380);
    expect(await countAll(user, '&source=ring')).toBe(60);
    expect((await del('from=2024-02-10T00:00:00Z&to=2024-02-11T00:00:00Z')).json()).toEqual({
      deleted: 1440,
    });
    expect(await countAll(user)).toBe(0);
    expect(
      (await t.db.query(`SELECT 1 FROM health_tracking.series_chunks WHERE user_id = $1`, [user.userId]))
        .rows,
    ).toEqual([]);
    expect((await del('from=2024-02-10T00:00:00Z')).statusCode).toBe(400);
  });
});
