import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  registerAndLogin,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '../../test-support/harness.js';
import { heartRateDay } from './test-data.js';

let t: TestApp;
let user: SignedIn;
/** Every heart-rate reading stored for `user`, as the reference the summaries are checked against. */
const stored: { t: number; v: number; source: string }[] = [];

const BASE = '/health-tracking/api/v1';
const get = (who: SignedIn, path: string) =>
  t.app.inject({ method: 'GET', url: `${BASE}${path}`, headers: bearer(who.accessToken) });

async function ingest(who: SignedIn, items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 5000) {
    const res = await t.app.inject({
      method: 'POST',
      url: `${BASE}/metrics/batch`,
      headers: bearer(who.accessToken),
      payload: { items: items.slice(i, i + 5000) },
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
  }
}

beforeAll(async () => {
  t = await startTestApp();
  user = await registerAndLogin(t.app);
  // Three UTC days around the start of summer time in Europe (2024-03-31), one minute apart.
  const items: Record<string, unknown>[] = [];
  ['2024-03-30', '2024-03-31', '2024-04-01'].forEach((day, i) => {
    for (const s of heartRateDay(Date.parse(`${day}T00:00:00Z`), 10 + i)) {
      items.push({
        metric_type: 'heart_rate',
        value: s.value,
        unit: 'bpm',
        timestamp: s.timestamp,
        source: 'watch',
      });
      stored.push({ t: Date.parse(s.timestamp), v: s.value, source: 'watch' });
    }
  });
  // A second source, at 30 seconds past the minute.
  for (let m = 0; m < 30; m += 1) {
    const ms = Date.parse('2024-03-31T06:00:30Z') + m * 60_000;
    items.push({
      metric_type: 'heart_rate',
      value: 100 + m,
      unit: 'bpm',
      timestamp: new Date(ms).toISOString(),
      source: 'ring',
    });
    stored.push({ t: ms, v: 100 + m, source: 'ring' });
  }
  await ingest(user, items);
  // An entry among the samples.
  const entry = await t.app.inject({
    method: 'POST',
    url: `${BASE}/metrics`,
    headers: bearer(user.accessToken),
    payload: {
      metric_type: 'heart_rate',
      value: 150,
      unit: 'bpm',
      timestamp: '2024-03-31T12:00:30+02:00',
      notes: 'sprint',
    },
  });
  expect(entry.statusCode).toBe(201);
  stored.push({ t: Date.parse('2024-03-31T10:00:30Z'), v: 150, source: 'manual' });
});
afterAll(async () => {
  await t.close();
});

/** Reference statistics computed here from the raw readings, independently of the service. */
function reference(fromMs: number, toMs: number, key: (ms: number) => string, source?: string) {
  const groups = new Map<string, number[]>();
  for (const s of stored) {
    if (s.t < fromMs || s.t >= toMs || (source && s.source !== source)) continue;
    const k = key(s.t);
    groups.set(k, [...(groups.get(k) ?? []), s.v]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, vs]) => ({
      key: k,
      count: vs.length,
      min: Math.min(...vs),
      max: Math.max(...vs),
      mean: vs.reduce((a, b) => a + b, 0) / vs.length,
    }));
}

const localDate = (tz: string) => (ms: number) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);

type BucketOut = { start: string; count: number; min: number; max: number; mean: number };

function expectMatches(buckets: BucketOut[], ref: ReturnType<typeof reference>) {
  expect(buckets.map((b) => b.count)).toEqual(ref.map((r) => r.count));
  buckets.forEach((b, i) => {
    expect(b.min).toBe(ref[i]!.min);
    expect(b.max).toBe(ref[i]!.max);
    expect(b.mean).toBeCloseTo(ref[i]!.mean, 4);
  });
}

describe('summaries', () => {
  it('gives day buckets in a time zone, across the change to summer time', async () => {
    const from = '2024-03-30T00:00:00+01:00';
    const to = '2024-04-02T00:00:00+02:00';
    const res = await get(
      user,
      `/metrics/summary?metric_type=heart_rate&bucket=day&tz=Europe/Paris&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      metric_type: 'heart_rate',
      unit: '/min',
      bucket: 'day',
      tz: 'Europe/Paris',
    });
    expect(body.buckets.map((b: BucketOut) => b.start)).toEqual([
      '2024-03-30T00:00:00.000+01:00',
      '2024-03-31T00:00:00.000+01:00',
      '2024-04-01T00:00:00.000+02:00',
    ]);
    const ref = reference(Date.parse(from), Date.parse(to), localDate('Europe/Paris'));
    expect(ref.map((r) => r.key)).toEqual(['2024-03-30', '2024-03-31', '2024-04-01']);
    expectMatches(body.buckets, ref);
    expect(body.overall.count).toBe(ref.reduce((a, r) => a + r.count, 0));
  });

  it('gives hour buckets over a range that starts and ends mid-quarter-hour', async () => {
    const fromMs = Date.parse('2024-03-30T10:07:30Z');
    const toMs = Date.parse('2024-03-31T15:52:10Z');
    const res = await get(
      user,
      `/metrics/summary?metric_type=heart_rate&bucket=hour&from=2024-03-30T10:07:30Z&to=2024-03-31T15:52:10Z`,
    );
    expect(res.statusCode).toBe(200);
    const buckets = res.json().buckets as BucketOut[];
    const ref = reference(fromMs, toMs, (ms) =>
      new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString(),
    );
    expect(buckets.map((b) => b.start)).toEqual(ref.map((r) => r.key));
    expectMatches(buckets, ref);
    expect(buckets[0]!.start).toBe('2024-03-30T10:00:00.000Z');
    expect(buckets[0]!.count).toBe(52); // 10:08 ... 10:59
  });

  it('aligns day buckets in a zone with a quarter-hour offset (Asia/Kathmandu, +05:45)', async () => {
    const fromMs = Date.parse('2024-03-30T00:00:00Z');
    const toMs = Date.parse('2024-04-02T00:00:00Z');
    const res = await get(
      user,
      '/metrics/summary?metric_type=heart_rate&bucket=day&tz=Asia/Kathmandu&from=2024-03-30T00:00:00Z&to=2024-04-02T00:00:00Z',
    );
    const buckets = res.json().buckets as BucketOut[];
    expect(buckets[0]!.start).toBe('2024-03-30T00:00:00.000+05:45');
    expectMatches(buckets, reference(fromMs, toMs, localDate('Asia/Kathmandu')));
  });

  it('gives weeks from Monday and months, and filters by source', async () => {
    const week = (
      await get(
        user,
        '/metrics/summary?metric_type=heart_rate&bucket=week&tz=Europe/Paris&from=2024-03-20T00:00:00Z&to=2024-04-10T00:00:00Z',
      )
    ).json();
    expect(week.buckets.map((b: BucketOut) => b.start)).toEqual([
      '2024-03-25T00:00:00.000+01:00',
      '2024-04-01T00:00:00.000+02:00',
    ]);
    const month = (
      await get(
        user,
        '/metrics/summary?metric_type=heart_rate&bucket=month&tz=Europe/Paris&from=2024-03-01T00:00:00Z&to=2024-05-01T00:00:00Z',
      )
    ).json();
    expect(month.buckets.map((b: BucketOut) => [b.start, b.count])).toEqual([
      // April begins at 2024-03-31T22:00Z (+02:00): the last 2 UTC hours of March 31 are April's.
      ['2024-03-01T00:00:00.000+01:00', 1440 + 22 * 60 + 30 + 1],
      ['2024-04-01T00:00:00.000+02:00', 2 * 60 + 1440],
    ]);
    const ring = (
      await get(
        user,
        '/metrics/summary?metric_type=heart_rate&bucket=day&source=ring&from=2024-03-01T00:00:00Z&to=2024-05-01T00:00:00Z',
      )
    ).json();
    expect(ring.buckets).toEqual([
      { start: '2024-03-31T00:00:00.000Z', count: 30, min: 100, max: 129, mean: 114.5, sum: 3435 },
    ]);
  });

  it('summarises blood pressure as systolic and diastolic', async () => {
    const who = await registerAndLogin(t.app);
    await ingest(who, [
      {
        metric_type: 'blood_pressure',
        value: { systolic: 120, diastolic: 80 },
        unit: 'mmHg',
        timestamp: '2024-05-01T08:00:00Z',
      },
      {
        metric_type: 'blood_pressure',
        value: { systolic: 130, diastolic: 86 },
        unit: 'mmHg',
        timestamp: '2024-05-01T20:00:00Z',
      },
      {
        metric_type: 'blood_pressure',
        value: { systolic: 16, diastolic: 10 },
        unit: 'kPa',
        timestamp: '2024-05-02T08:00:00Z',
      },
    ]);
    const body = (
      await get(
        who,
        '/metrics/summary?metric_type=blood_pressure&bucket=day&from=2024-05-01T00:00:00Z&to=2024-05-03T00:00:00Z',
      )
    ).json();
    expect(body.unit).toBe('mm[Hg]');
    expect(body.buckets[0]).toEqual({
      start: '2024-05-01T00:00:00.000Z',
      count: 2,
      systolic: { min: 120, max: 130, mean: 125 },
      diastolic: { min: 80, max: 86, mean: 83 },
    });
    expect(body.buckets[1].systolic.min).toBeCloseTo(120.0102, 3);
    expect(body.overall.count).toBe(3);
  });

  it('answers an empty range with no buckets, and refuses bad parameters', async () => {
    const empty = (
      await get(user, '/metrics/summary?metric_type=weight&from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z')
    ).json();
    expect(empty.buckets).toEqual([]);
    expect(empty.overall).toBeNull();
    for (const bad of [
      '/metrics/summary',
      '/metrics/summary?metric_type=heart_rate&tz=Mars/Olympus',
      '/metrics/summary?metric_type=heart_rate&bucket=fortnight',
      '/metrics/summary?metric_type=heart_rate&bucket=hour&from=2020-01-01T00:00:00Z&to=2024-01-01T00:00:00Z',
      '/metrics/summary?metric_type=heart_rate&from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z',
      '/metrics/summary?metric_type=heart_rate&from=2024-02-01',
    ]) {
      expect((await get(user, bad)).statusCode, bad).toBe(400);
    }
  });

  it('shows only my data', async () => {
    const other = await registerAndLogin(t.app);
    const body = (
      await get(
        other,
        '/metrics/summary?metric_type=heart_rate&from=2024-03-01T00:00:00Z&to=2024-05-01T00:00:00Z',
      )
    ).json();
    expect(body.buckets).toEqual([]);
  });
});

describe('series storage', () => {
  it('keeps minute-level samples under 32 bytes each on disk, indexes included', async () => {
    const who = await registerAndLogin(t.app);
    const items: Record<string, unknown>[] = [];
    for (let d = 0; d < 14; d += 1) {
      for (const s of heartRateDay(Date.UTC(2024, 0, 1 + d), d)) {
        items.push({
          metric_type: 'heart_rate',
          value: s.value,
          unit: 'bpm',
          timestamp: s.timestamp,
          source: 'watch',
        });
      }
    }
    await ingest(who, items);
    const { rows } = await t.db.query<{ bytes: number; samples: number }>(
      `SELECT pg_total_relation_size('health_tracking.series_chunks')::float8 AS bytes,
              (SELECT sum(n) FROM health_tracking.series_chunks)::float8 AS samples`,
    );
    const perSample = rows[0]!.bytes / rows[0]!.samples;
    expect(rows[0]!.samples).toBeGreaterThanOrEqual(14 * 1440);
    expect(perSample).toBeLessThan(32);
  });
});
