import { describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  useTestApp,
  type SignedIn,
} from '../../test-support/harness.js';

const t = useTestApp();

const BASE = '/health-tracking/api/v1';
const post = (user: SignedIn, path: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `${BASE}${path}`,
    headers: { ...bearer(user.accessToken), ...headers },
    payload: payload as object,
  });
const get = (user: SignedIn, path: string) =>
  t.app.inject({ method: 'GET', url: `${BASE}${path}`, headers: bearer(user.accessToken) });
const send = (user: SignedIn, method: 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: unknown) =>
  t.app.inject({
    method,
    url: `${BASE}${path}`,
    headers: bearer(user.accessToken),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

async function events(userId: string) {
  const { rows } = await t.db.query<{
    event: { type: string; subject: string; data: Record<string, unknown> };
  }>(
    `SELECT event FROM platform.outbox WHERE topic = 'health-events' AND event->>'subject' = $1 ORDER BY id`,
    [userId],
  );
  return rows.map((r) => r.event);
}

describe('seed smoke tests', () => {
  it('answers /health without a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health-tracking/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', service: 'health-tracking' });
  });

  it('records the seed bodies and lists them', async () => {
    const user = await registerAndLogin(t.app);
    const weight = await post(user, '/metrics', { metric_type: 'weight', value: 75.5, unit: 'kg' });
    expect(weight.statusCode).toBe(201);
    expect(weight.json()).toMatchObject({
      metric_type: 'weight',
      value: 75.5,
      unit: 'kg',
      ucum_unit: 'kg',
      canonical_value: 75.5,
      canonical_unit: 'kg',
      source: 'manual',
      storage: 'entry',
    });
    const hr = await post(user, '/metrics', { metric_type: 'heart_rate', value: 72, unit: 'bpm' });
    expect(hr.statusCode).toBe(201);
    expect(hr.json()).toMatchObject({ metric_type: 'heart_rate', value: 72, unit: 'bpm', ucum_unit: '/min' });
    expect(hr.json().id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await get(user, '/metrics');
    expect(list.statusCode).toBe(200);
    const items = list.json().items;
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ metric_type: 'heart_rate', value: 72 });
    expect(items[1]).toMatchObject({ metric_type: 'weight', value: 75.5 });
    expect(list.json().next_cursor).toBeNull();
  });

  it('needs a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/metrics` });
    expect(res.statusCode).toBe(401);
  });
});

describe('recording readings', () => {
  it('keeps the original offset, the unit sent and the canonical value', async () => {
    const user = await registerAndLogin(t.app);
    const res = await post(user, '/metrics', {
      metric_type: 'body_temperature',
      value: 98.6,
      unit: '°F',
      timestamp: '2024-05-01T07:00:00-05:00',
      source: 'thermometer',
      notes: 'after a run',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      value: 98.6,
      unit: '°F',
      ucum_unit: '[degF]',
      canonical_unit: 'Cel',
      timestamp: '2024-05-01T07:00:00.000-05:00',
      source: 'thermometer',
      notes: 'after a run',
    });
    expect(body.canonical_value).toBeCloseTo(37, 9);
  });

  it('converts glucose in mmol/L and classifies it by its context', async () => {
    const user = await registerAndLogin(t.app);
    const res = await post(user, '/metrics', {
      metric_type: 'blood_glucose',
      value: 7.0,
      unit: 'mmol/L',
      context: 'fasting',
      timestamp: '2024-05-01T07:00:00+02:00',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().canonical_value).toBeCloseTo(126.1092, 6);
    expect(res.json().classification).toMatchObject({ class: 'diabetes_range' });
    expect(res.json().classification.guideline).toMatch(/ADA|American Diabetes Association/);
  });

  it('records blood pressure as one reading with its ACC/AHA category', async () => {
    const user = await registerAndLogin(t.app);
    const res = await post(user, '/metrics', {
      metric_type: 'blood_pressure',
      value: { systolic: 128, diastolic: 78 },
      unit: 'mmHg',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      value: { systolic: 128, diastolic: 78 },
      canonical_value: { systolic: 128, diastolic: 78 },
      canonical_unit: 'mm[Hg]',
      classification: { class: 'elevated' },
    });
    expect(res.json().classification.guideline).toMatch(/2017 ACC\/AHA/);
  });

  it('classifies BMI by the WHO adult classes', async () => {
    const user = await registerAndLogin(t.app);
    const res = await post(user, '/metrics', { metric_type: 'bmi', value: 31.2, unit: 'kg/m2' });
    expect(res.json().classification).toMatchObject({ class: 'obese_class_1' });
    expect(res.json().classification.guideline).toMatch(/WHO/);
  });

  it('refuses every kind of bad input with the field named, storing nothing', async () => {
    const user = await registerAndLogin(t.app);
    const cases: [unknown, string, RegExp?][] = [
      [{ metric_type: 'heart_rate', value: '72', unit: 'bpm' }, 'value'],
      [{ metric_type: 'heart_rate', unit: 'bpm' }, 'value'],
      [{ metric_type: 'heart_rate', value: 72 }, 'unit'],
      [{ value: 72, unit: 'bpm' }, 'metric_type'],
      [{ metric_type: 'heart_rate', value: 72, unit: 'bpm', mood: 'good' }, 'mood', /not an accepted field/],
      [{ metric_type: 'pulse_rate', value: 72, unit: 'bpm' }, 'metric_type'],
      [{ metric_type: 'heart_rate', value: 900, unit: 'bpm' }, 'value', /from 20 to 300 bpm/],
      [{ metric_type: 'weight', value: 75500, unit: 'kg' }, 'value', /from 0\.2 to 650 kg/],
      [{ metric_type: 'weight', value: 75.5, unit: 'stone-ish' }, 'unit', /use one of: kg/],
      [{ metric_type: 'heart_rate', value: 72, unit: 'kg' }, 'unit'],
      [
        { metric_type: 'heart_rate', value: 72, unit: 'bpm', timestamp: '2024-05-01T07:00:00' },
        'timestamp',
        /offset/,
      ],
      [
        { metric_type: 'heart_rate', value: 72, unit: 'bpm', timestamp: '2099-05-01T07:00:00Z' },
        'timestamp',
        /future/,
      ],
      [{ metric_type: 'heart_rate', value: 72, unit: 'bpm', context: 'fasting' }, 'context'],
      [{ metric_type: 'blood_glucose', value: 90, unit: 'mg/dL', context: 'sometimes' }, 'context'],
      [{ metric_type: 'blood_pressure', value: 120, unit: 'mmHg' }, 'value'],
      [{ metric_type: 'blood_pressure', value: { systolic: 120 }, unit: 'mmHg' }, 'value.diastolic'],
      [
        { metric_type: 'blood_pressure', value: { systolic: 70, diastolic: 90 }, unit: 'mmHg' },
        'value.diastolic',
      ],
      [{ metric_type: 'heart_rate', value: 72, unit: 'bpm', source: '' }, 'source'],
    ];
    for (const [payload, field, message] of cases) {
      const res = await post(user, '/metrics', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorCode(res)).toBe('validation_error');
      const fields = res.json().error.details.map((d: { field: string }) => d.field);
      expect(fields, JSON.stringify(payload)).toContain(field);
      if (message) expect(res.json().error.message).toMatch(message);
    }
    const range = (
      await post(user, '/metrics', { metric_type: 'heart_rate', value: 900, unit: 'bpm' })
    ).json();
    expect(range.error.details[0].range).toMatchObject({ min: 20, max: 300, unit: 'bpm' });
    const notJson = await t.app.inject({
      method: 'POST',
      url: `${BASE}/metrics`,
      headers: { ...bearer(user.accessToken), 'content-type': 'application/json' },
      payload: '{"metric_type":',
    });
    expect(notJson.statusCode).toBe(400);
    expect((await get(user, '/metrics')).json().items).toEqual([]);
  });

  it('answers the same reading sent twice with the stored one, and a different value with 409', async () => {
    const user = await registerAndLogin(t.app);
    const body = {
      metric_type: 'weight',
      value: 70,
      unit: 'kg',
      timestamp: '2024-05-01T07:00:00Z',
      source: 'scale',
    };
    const first = await post(user, '/metrics', body);
    expect(first.statusCode).toBe(201);
    const again = await post(user, '/metrics', body);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const changed = await post(user, '/metrics', { ...body, value: 71 });
    expect(changed.statusCode).toBe(409);
    expect(errorCode(changed)).toBe('duplicate_reading');
    expect((await get(user, '/metrics')).json().items).toHaveLength(1);
  });
});

describe('idempotency', () => {
  it('replays the first answer to a retried POST and adds nothing', async () => {
    const user = await registerAndLogin(t.app);
    const key = { 'idempotency-key': 'retry-0001' };
    const body = { metric_type: 'heart_rate', value: 72, unit: 'bpm' };
    const first = await post(user, '/metrics', body, key);
    expect(first.statusCode).toBe(201);
    const retry = await post(user, '/metrics', body, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    // Without the key the same body (no timestamp: "now") is a new reading.
    expect((await get(user, '/metrics')).json().items).toHaveLength(1);
    const reused = await post(user, '/metrics', { ...body, value: 80 }, key);
    expect(reused.statusCode).toBe(422);
    expect(errorCode(reused)).toBe('idempotency_key_reused');
    const bad = await post(user, '/metrics', body, { 'idempotency-key': 'x'.repeat(300) });
    expect(bad.statusCode).toBe(400);
    // Keys belong to their user.
    const other = await registerAndLogin(t.app);
    expect((await post(other, '/metrics', body, key)).statusCode).toBe(201);
  });

  it('does not remember a refused request', async () => {
    const user = await registerAndLogin(t.app);
    const key = { 'idempotency-key': 'retry-0002' };
    expect(
      (await post(user, '/metrics', { metric_type: 'heart_rate', value: 900, unit: 'bpm' }, key)).statusCode,
    ).toBe(400);
    expect(
      (await post(user, '/metrics', { metric_type: 'heart_rate', value: 90, unit: 'bpm' }, key)).statusCode,
    ).toBe(201);
  });
});

describe('editing and ownership', () => {
  it('updates with PUT and PATCH, deletes, and emits an event for each change', async () => {
    const user = await registerAndLogin(t.app);
    const created = (
      await post(user, '/metrics', {
        metric_type: 'weight',
        value: 165,
        unit: 'lb',
        timestamp: '2024-05-01T07:00:00+02:00',
        notes: 'morning',
      })
    ).json();
    expect(created.canonical_value).toBeCloseTo(74.84274105, 8);

    const patched = await send(user, 'PATCH', `/metrics/${created.id}`, { value: 164, notes: null });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      value: 164,
      unit: 'lb',
      notes: null,
      timestamp: created.timestamp,
    });
    expect(patched.json().canonical_value).toBeCloseTo(74.38914868, 8);

    const put = await send(user, 'PUT', `/metrics/${created.id}`, {
      metric_type: 'weight',
      value: 74,
      unit: 'kg',
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      value: 74,
      unit: 'kg',
      canonical_value: 74,
      timestamp: created.timestamp,
    });
    expect((await get(user, `/metrics/${created.id}`)).json()).toMatchObject({ value: 74 });

    const invalid = await send(user, 'PATCH', `/metrics/${created.id}`, { value: 9000 });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.details[0].field).toBe('value');
    expect((await send(user, 'PATCH', `/metrics/${created.id}`, {})).statusCode).toBe(400);

    expect((await send(user, 'DELETE', `/metrics/${created.id}`)).statusCode).toBe(204);
    expect((await get(user, `/metrics/${created.id}`)).statusCode).toBe(404);
    expect((await send(user, 'DELETE', `/metrics/${created.id}`)).statusCode).toBe(404);

    const types = (await events(user.userId)).map((e) => e.type);
    expect(types).toEqual([
      'org.pha.health.metric.recorded',
      'org.pha.health.metric.updated',
      'org.pha.health.metric.updated',
      'org.pha.health.metric.deleted',
    ]);
    const recorded = (await events(user.userId))[0]!;
    expect(recorded.data).toMatchObject({
      entry_id: created.id,
      metric_type: 'weight',
      time_range: { from: '2024-05-01T05:00:00.000Z', to: '2024-05-01T05:00:00.000Z' },
    });
    expect(JSON.stringify(recorded)).not.toContain('morning');
  });

  it("answers 404 for another user's entry and never changes it", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const entry = (
      await post(alice, '/metrics', { metric_type: 'heart_rate', value: 64, unit: 'bpm' })
    ).json();
    expect((await get(bob, `/metrics/${entry.id}`)).statusCode).toBe(404);
    expect((await send(bob, 'PATCH', `/metrics/${entry.id}`, { value: 100 })).statusCode).toBe(404);
    expect(
      (await send(bob, 'PUT', `/metrics/${entry.id}`, { metric_type: 'heart_rate', value: 100, unit: 'bpm' }))
        .statusCode,
    ).toBe(404);
    expect((await send(bob, 'DELETE', `/metrics/${entry.id}`)).statusCode).toBe(404);
    expect((await get(bob, '/metrics')).json().items).toEqual([]);
    expect((await get(alice, `/metrics/${entry.id}`)).json().value).toBe(64);
    expect((await get(alice, '/metrics/not-a-uuid')).statusCode).toBe(400);
  });
});

describe('listing', () => {
  it('pages with an opaque cursor and filters by type, source and time', async () => {
    const user = await registerAndLogin(t.app);
    for (let i = 0; i < 7; i += 1) {
      const res = await post(user, '/metrics', {
        metric_type: i % 2 === 0 ? 'heart_rate' : 'weight',
        value: i % 2 === 0 ? 60 + i : 70 + i,
        unit: i % 2 === 0 ? 'bpm' : 'kg',
        timestamp: `2024-03-0${i + 1}T08:00:00+01:00`,
        source: i < 4 ? 'phone' : 'watch',
      });
      expect(res.statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(user, `/metrics?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.items.map((m: { timestamp: string }) => m.timestamp));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(seen[0]).toBe('2024-03-07T08:00:00.000+01:00');
    expect([...seen].sort().reverse()).toEqual(seen);

    const hr = (await get(user, '/metrics?metric_type=heart_rate')).json().items;
    expect(hr.map((m: { value: number }) => m.value)).toEqual([66, 64, 62, 60]);
    const both = (await get(user, '/metrics?metric_type=heart_rate,weight&source=watch')).json().items;
    expect(both).toHaveLength(3);
    const range = (
      await get(user, '/metrics?from=2024-03-02T00:00:00%2B01:00&to=2024-03-04T08:00:00%2B01:00')
    ).json().items;
    expect(range.map((m: { timestamp: string }) => m.timestamp)).toEqual([
      '2024-03-03T08:00:00.000+01:00',
      '2024-03-02T08:00:00.000+01:00',
    ]);
    // A '+' left unencoded in the query string still works.
    expect((await get(user, '/metrics?from=2024-03-06T00:00:00+01:00')).json().items).toHaveLength(2);

    for (const bad of [
      '/metrics?metric_type=pulse',
      '/metrics?limit=0',
      '/metrics?limit=5001',
      '/metrics?cursor=garbage',
      '/metrics?from=yesterday',
      '/metrics?from=2024-03-05T00:00:00Z&to=2024-03-01T00:00:00Z',
      '/metrics?colour=blue',
    ]) {
      const res = await get(user, bad);
      expect(res.statusCode, bad).toBe(400);
    }
  });

  it('gives the latest reading of each type', async () => {
    const user = await registerAndLogin(t.app);
    await post(user, '/metrics', {
      metric_type: 'weight',
      value: 80,
      unit: 'kg',
      timestamp: '2024-01-01T08:00:00Z',
    });
    await post(user, '/metrics', {
      metric_type: 'weight',
      value: 79,
      unit: 'kg',
      timestamp: '2024-02-01T08:00:00Z',
    });
    await post(user, '/metrics', {
      metric_type: 'heart_rate',
      value: 61,
      unit: 'bpm',
      timestamp: '2024-01-15T08:00:00Z',
    });
    const latest = (await get(user, '/metrics/latest')).json().items;
    expect(latest.map((m: { metric_type: string; value: number }) => [m.metric_type, m.value])).toEqual([
      ['heart_rate', 61],
      ['weight', 79],
    ]);
    const one = (await get(user, '/metrics/latest?metric_type=weight')).json().items;
    expect(one).toHaveLength(1);
  });
});

describe('catalogue', () => {
  it('lists every type with units, conversions and a cited range, without a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/metrics/catalog` });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as {
      metric_type: string;
      units: { ucum: string; names: string[]; to_canonical: string }[];
      plausible_range: { min: number; max: number; source: string };
      molar_mass?: { value: number };
      contexts?: string[];
    }[];
    const glucose = items.find((i) => i.metric_type === 'blood_glucose')!;
    expect(glucose.molar_mass?.value).toBe(180.156);
    expect(glucose.contexts).toEqual(['fasting', 'before_meal', 'after_meal', 'random']);
    expect(glucose.units.find((u) => u.ucum === 'mmol/L')!.to_canonical).toBe('mg/dL = 18.0156 x value');
    const temp = items.find((i) => i.metric_type === 'body_temperature')!;
    expect(temp.units.find((u) => u.ucum === '[degF]')!.to_canonical).toMatch(
      /0\.5555555556 x value - 17\.77777778/,
    );
    const hr = items.find((i) => i.metric_type === 'heart_rate')!;
    expect(hr.units[0]!.names).toContain('bpm');
    expect(hr.plausible_range).toMatchObject({ min: 20, max: 300 });
    for (const item of items) expect(item.plausible_range.source.length).toBeGreaterThan(20);
  });
});

describe('account hooks', () => {
  it('exports and erases everything this service holds about me', async () => {
    const user = await registerAndLogin(t.app);
    const other = await registerAndLogin(t.app);
    await post(user, '/metrics', { metric_type: 'weight', value: 70, unit: 'kg', notes: 'mine' });
    await post(user, '/metrics/batch', {
      items: [
        {
          metric_type: 'heart_rate',
          value: 60,
          unit: 'bpm',
          timestamp: '2024-01-01T00:00:00Z',
          source: 'watch',
        },
      ],
    });
    await post(other, '/metrics', { metric_type: 'weight', value: 90, unit: 'kg', notes: 'theirs' });
    const exported = await get(user, '/account/export');
    expect(exported.statusCode).toBe(200);
    const data = exported.json().data;
    expect(data.metrics).toHaveLength(1);
    expect(data.series).toEqual([
      expect.objectContaining({
        metric_type: 'heart_rate',
        day: '2024-01-01',
        offsets_ms: [0],
        values: [60],
      }),
    ]);
    expect(JSON.stringify(exported.json())).not.toContain('theirs');

    expect((await send(user, 'DELETE', '/account/data')).statusCode).toBe(204);
    expect((await get(user, '/metrics')).json().items).toEqual([]);
    expect((await get(other, '/metrics')).json().items).toHaveLength(1);
    expect((await events(user.userId)).map((e) => e.type)).toContain('org.pha.health.account.erased');
  });
});
