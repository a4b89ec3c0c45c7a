import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();

const HT = '/health-tracking/api/v1';
const AI = '/ai-insights/api/v1';
const DAY = 86_400_000;
const MIN = 60_000;

const api = (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: bearer(token),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

interface InsightJson {
  id: string;
  kind: string;
  severity: string;
  status: string;
  title: string;
  explanation: string;
  metric_types: string[];
  evidence: {
    from: string;
    to: string;
    sample_count: number;
    record_ids: string[];
    values: Record<string, { value: number; unit: string }>;
  };
  rule: { id: string; name: string; citation: string };
}

async function insights(token: string, query = '') {
  const res = await api(token, 'GET', `${AI}/insights${query}`);
  expect(res.statusCode).toBe(200);
  return res.json() as {
    insights: InsightJson[];
    narrative: unknown;
    generated_at: string;
    stale: boolean;
    sources: { service: string; status: string; message: string | null }[];
    disclaimer: string;
  };
}

async function batch(token: string, items: object[]) {
  const res = await api(token, 'POST', `${HT}/metrics/batch`, { items });
  expect(res.statusCode, res.body).toBe(201);
}

const todayUtc = () => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
};
/** An instant `daysAgo` days before today (UTC) at `hour`. */
const at = (daysAgo: number, hour: number) =>
  new Date(todayUtc() - daysAgo * DAY + hour * 3_600_000).toISOString();

const byRule = (list: InsightJson[], ruleId: string) => list.filter((i) => i.rule.id === ruleId);

function lab(
  id: string,
  loinc: string,
  display: string,
  value: number,
  unit: string,
  range: [number, number],
  when: string,
) {
  return {
    resource: {
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
          ],
        },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: loinc, display }] },
      effectiveDateTime: when,
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
      referenceRange: [
        { low: { value: range[0], unit, code: unit }, high: { value: range[1], unit, code: unit } },
      ],
    },
  };
}

/** Two months of resting heart rate rising and sleep falling, a week of high blood pressure, an unusual day. */
async function seedVitals(token: string) {
  const items: object[] = [];
  for (let daysAgo = 60; daysAgo >= 1; daysAgo -= 1) {
    const i = 60 - daysAgo;
    const wobble = (i % 3) - 1;
    items.push({
      metric_type: 'resting_heart_rate',
      value: 55 + i * 0.25 + wobble,
      unit: 'bpm',
      timestamp: at(daysAgo, 8),
      source: 'test-watch',
    });
    // Bedtime at 23:00 the evening before: the night ending `daysAgo` days ago.
    items.push({
      metric_type: 'sleep_duration',
      value: Math.round((8.5 - i * 0.04 + wobble * 0.2) * 100) / 100,
      unit: 'h',
      timestamp: at(daysAgo + 1, 23),
      source: 'test-watch',
    });
  }
  for (let daysAgo = 35; daysAgo >= 2; daysAgo -= 1) {
    items.push({
      metric_type: 'heart_rate',
      value: 70 + ((daysAgo % 5) - 2),
      unit: 'bpm',
      timestamp: at(daysAgo, 12),
      source: 'test-watch',
    });
  }
  items.push({
    metric_type: 'heart_rate',
    value: 95,
    unit: 'bpm',
    timestamp: at(1, 12),
    source: 'test-watch',
  });
  for (const daysAgo of [3, 2, 1]) {
    items.push({
      metric_type: 'blood_pressure',
      value: { systolic: 150, diastolic: 95 },
      unit: 'mmHg',
      timestamp: at(daysAgo, 9),
      source: 'cuff',
    });
  }
  await batch(token, items);
}

describe('AI insights', () => {
  it('answers a user with no data: no insights, every source read, nothing made up', async () => {
    const user = await registerAndLogin(t.app);
    const body = await insights(user.accessToken);
    expect(body.insights).toEqual([]);
    expect(body.narrative).toBeNull();
    expect(body.stale).toBe(false);
    expect(Date.parse(body.generated_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.sources).toEqual([
      { service: 'user-profile', status: 'ok', message: null },
      { service: 'health-tracking', status: 'ok', message: null },
      { service: 'medical-records', status: 'ok', message: null },
      { service: 'nutrition', status: 'not_needed', message: expect.stringMatching(/no glucose readings/) },
    ]);
    expect(body.disclaimer).toMatch(/not a diagnosis/);
    expect((await t.app.inject({ method: 'GET', url: `${AI}/insights` })).statusCode).toBe(401);
    const docs = await t.app.inject({ method: 'GET', url: '/ai-insights/docs' });
    expect(Object.keys(docs.json().paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/insights',
        '/api/v1/insights/refresh',
        '/api/v1/insights/{id}/dismiss',
      ]),
    );
  });

  it('finds trends, an unusual day, a correlation and blood pressure out of range in data sent through health tracking', async () => {
    const user = await registerAndLogin(t.app);
    await seedVitals(user.accessToken);
    const { insights: list } = await insights(user.accessToken);

    const bp = byRule(list, 'vitals.blood_pressure.acc_aha_2017');
    expect(bp).toHaveLength(1);
    expect(bp[0]).toMatchObject({
      kind: 'out_of_range',
      severity: 'moderate',
      status: 'active',
      metric_types: ['blood_pressure'],
    });
    expect(bp[0]!.title).toBe('Blood pressure: Stage 2 hypertension range on 3 days');
    expect(bp[0]!.explanation).toMatch(/3 of your 3 blood pressure readings, on 3 different days/);
    expect(bp[0]!.explanation).toMatch(/150\/95 mmHg/);
    expect(bp[0]!.rule.citation).toMatch(/Whelton et al/); // the guideline as health tracking names it
    expect(bp[0]!.evidence.values.mean_systolic).toEqual({ value: 150, unit: 'mm[Hg]' });
    expect(bp[0]!.evidence.record_ids).toHaveLength(3); // blood pressure readings are entries, with ids

    const trends = byRule(list, 'trend.theil_sen_mann_kendall');
    const rhr = trends.find((i) => i.metric_types[0] === 'resting_heart_rate')!;
    expect(rhr.title).toMatch(/^Resting heart rate: rising \(\+1\.75 bpm a week\)$/);
    // Theil-Sen ignores the wobble: 0.25 bpm a day
    expect(rhr.evidence.values.slope_per_day).toEqual({ value: 0.25, unit: '/min/d' });
    expect(rhr.evidence.values.days_with_data!.value).toBe(60);
    expect(rhr.evidence.values.p_value!.value).toBeLessThan(0.05);
    expect(rhr.rule.citation).toMatch(/Hamed KH, Rao AR/);
    const sleep = trends.find((i) => i.metric_types[0] === 'sleep_duration')!;
    expect(sleep.title).toMatch(/^Sleep duration: falling/);
    expect(sleep.explanation).toMatch(/nightly sleep fell/);

    const anomaly = byRule(list, 'anomaly.modified_z');
    expect(anomaly).toHaveLength(1);
    expect(anomaly[0]!.title).toBe(`Heart rate unusually high on ${at(1, 0).slice(0, 10)}`);
    // Baseline: the 28 days before the last week, values 68-72 -> median 70, MAD 1; z = 0.6745 x 25 / 1
    expect(anomaly[0]!.evidence.values.baseline_median).toEqual({ value: 70, unit: '/min' });
    expect(anomaly[0]!.evidence.values.modified_z!.value).toBeCloseTo(16.86, 2);

    const correlation = byRule(list, 'correlation.spearman.sleep_resting_heart_rate');
    expect(correlation).toHaveLength(1);
    expect(correlation[0]!.title).toBe('After shorter nights, your resting heart rate was higher');
    expect(correlation[0]!.evidence.values.spearman_rho!.value).toBeLessThan(-0.5);
    expect(correlation[0]!.evidence.values.pairs!.value).toBe(60);
    expect(correlation[0]!.explanation).toMatch(/does not show that one causes the other/);

    // Most severe first.
    expect(list[0]!.severity).toBe('moderate');
  });

  it('reads lab results out of range from an imported FHIR bundle, with their direction', async () => {
    const user = await registerAndLogin(t.app);
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        lab('ldl-1', '2089-1', 'Cholesterol in LDL', 140, 'mg/dL', [0, 130], at(180, 8)),
        lab('ldl-2', '2089-1', 'Cholesterol in LDL', 165, 'mg/dL', [0, 130], at(30, 8)),
        lab('k-1', '2823-3', 'Potassium', 6.8, 'mmol/L', [3.5, 5.1], at(10, 8)),
        lab('na-1', '2951-2', 'Sodium', 140, 'mmol/L', [135, 145], at(10, 8)),
      ],
    };
    const imported = await api(user.accessToken, 'POST', '/medical-records/api/v1/fhir/import', bundle);
    expect(imported.statusCode).toBe(200);
    expect(imported.json().counts.imported).toBe(4);
    const list = (await insights(user.accessToken)).insights.filter((i) => i.kind === 'lab');
    expect(list.map((i) => i.metric_types[0]).sort()).toEqual(['loinc:2089-1', 'loinc:2823-3']); // sodium is normal
    const ldl = list.find((i) => i.metric_types[0] === 'loinc:2089-1')!;
    expect(ldl).toMatchObject({
      severity: 'low',
      title: 'Cholesterol in LDL: above the reference range (165 mg/dL)',
    });
    expect(ldl.explanation).toMatch(/previous result was 140 mg\/dL .* \(H\): it has gone up by 25/);
    expect(ldl.explanation).toMatch(/2 of your 2 results of this test were out of range/);
    expect(ldl.evidence.values.change_from_previous).toEqual({ value: 25, unit: 'mg/dL' });
    expect(ldl.evidence.record_ids).toHaveLength(2);
    const potassium = list.find((i) => i.metric_types[0] === 'loinc:2823-3')!;
    expect(potassium.severity).toBe('high');
    expect(potassium.explanation).toMatch(/critical limit/);
    expect(potassium.rule.citation).toMatch(/Kost/);
    // The filters.
    expect((await insights(user.accessToken, '?kind=lab&severity=high')).insights.map((i) => i.id)).toEqual([
      potassium.id,
    ]);
    const bad = await api(user.accessToken, 'GET', `${AI}/insights?kind=horoscope`);
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('validation_error');
  });

  it('computes CGM metrics and the rise of glucose after meals logged in nutrition', async () => {
    const user = await registerAndLogin(t.app);
    // 4,020 CGM readings every 5 minutes from 14 days ago (+10 min): 100 mg/dL, 50 for half an hour once,
    // and 200 from 30 to 90 minutes after each of three meals.
    const start = Date.now() - 14 * DAY + 10 * MIN;
    const meals = [1000, 2000, 3000].map((k) => start + k * 5 * MIN);
    const items = [];
    for (let k = 0; k < 4020; k += 1) {
      const ms = start + k * 5 * MIN;
      const afterMeal = meals.some((m) => ms >= m + 30 * MIN && ms <= m + 90 * MIN);
      const value = afterMeal ? 200 : k >= 500 && k < 506 ? 50 : 100;
      items.push({
        metric_type: 'blood_glucose',
        value,
        unit: 'mg/dL',
        timestamp: new Date(ms).toISOString(),
        source: 'test-cgm',
      });
    }
    await batch(user.accessToken, items);
    const mealIds: string[] = [];
    for (const m of meals) {
      const res = await api(user.accessToken, 'POST', '/nutrition/api/v1/meals', {
        name: 'Breakfast',
        description: 'Oatmeal with berries',
        eaten_at: new Date(m).toISOString(),
      });
      expect(res.statusCode).toBe(201);
      mealIds.push(res.json().id);
    }
    const body = await insights(user.accessToken);
    expect(body.sources.find((s) => s.service === 'nutrition')!.status).toBe('ok');

    const cgm = body.insights.filter((i) => i.kind === 'cgm');
    expect(cgm).toHaveLength(1);
    const v = cgm[0]!.evidence.values;
    // By hand: 6 of 4,020 below 54 (0.1493 %), 39 at 200 (0.9701 %), the rest in range (98.88 %);
    // mean (300 + 7,800 + 397,500) / 4,020 = 100.8955 mg/dL; GMI 3.31 + 0.02392 x 100.8955 = 5.723 %.
    expect(v.time_below_54).toEqual({ value: 0.1493, unit: '%' });
    expect(v.time_54_69).toEqual({ value: 0, unit: '%' });
    expect(v.time_in_range_70_180).toEqual({ value: 98.88, unit: '%' });
    expect(v.time_181_250).toEqual({ value: 0.9701, unit: '%' });
    expect(v.mean_glucose).toEqual({ value: 100.9, unit: 'mg/dL' });
    expect(v.gmi).toEqual({ value: 5.723, unit: '%' });
    expect(v.data_sufficiency!.value).toBeCloseTo((100 * 4020) / 4032, 1);
    expect(cgm[0]!.severity).toBe('info'); // every consensus target met
    expect(cgm[0]!.explanation).toMatch(/All of them were met/);
    expect(cgm[0]!.rule.citation).toMatch(/Battelino T.*Diabetes Care 2019.*Bergenstal RM/);
    // The CGM's own low readings are not repeated reading by reading.
    expect(body.insights.filter((i) => i.rule.id === 'vitals.blood_glucose.ada_2025')).toEqual([]);

    const meal = body.insights.filter((i) => i.rule.id === 'meal_glucose.ada_2025');
    expect(meal).toHaveLength(1);
    expect(meal[0]).toMatchObject({ kind: 'correlation', severity: 'moderate' });
    expect(meal[0]!.title).toBe('After meals, glucose rose by a median of 100 mg/dL');
    expect(meal[0]!.evidence.values.meals_peak_at_or_above_180).toEqual({ value: 3, unit: '1' });
    expect(meal[0]!.evidence.record_ids).toEqual(expect.arrayContaining(mealIds));
    expect(meal[0]!.rule.citation).toMatch(/Standards of Care in Diabetes-2025/);
  });

  it('keeps a dismissal across recomputation, restores it, and lets nobody else touch it', async () => {
    const user = await registerAndLogin(t.app);
    await batch(
      user.accessToken,
      [2, 1].map((d) => ({
        metric_type: 'blood_pressure',
        value: { systolic: 135, diastolic: 85 },
        unit: 'mmHg',
        timestamp: at(d, 9),
      })),
    );
    const first = (await insights(user.accessToken)).insights;
    expect(first).toHaveLength(1);
    const id = first[0]!.id;
    expect(first[0]).toMatchObject({
      severity: 'low',
      title: 'Blood pressure: Stage 1 hypertension range on 2 days',
    });

    const other = await registerAndLogin(t.app);
    expect((await insights(other.accessToken)).insights).toEqual([]);
    for (const action of ['dismiss', 'restore']) {
      const res = await api(other.accessToken, 'POST', `${AI}/insights/${id}/${action}`);
      expect(res.statusCode).toBe(404);
      expect(errorCode(res)).toBe('not_found');
    }

    const dismissed = await api(user.accessToken, 'POST', `${AI}/insights/${id}/dismiss`);
    expect(dismissed.statusCode).toBe(200);
    expect(dismissed.json()).toMatchObject({ id, status: 'dismissed' });
    expect((await insights(user.accessToken)).insights).toEqual([]);

    // A recomputation finds the same reading pattern: same id, still dismissed.
    const refreshed = await api(user.accessToken, 'POST', `${AI}/insights/refresh`);
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().insights).toEqual([]);
    const all = (await insights(user.accessToken, '?include_dismissed=true')).insights;
    expect(all.map((i) => [i.id, i.status])).toEqual([[id, 'dismissed']]);
    // The refresh answers like the list: the dismissed one too when asked, and bad values are a 400.
    const refreshedAll = await api(user.accessToken, 'POST', `${AI}/insights/refresh?include_dismissed=true`);
    expect(refreshedAll.statusCode).toBe(200);
    expect(refreshedAll.json().insights.map((i: InsightJson) => [i.id, i.status])).toEqual([
      [id, 'dismissed'],
    ]);
    const badFlag = await api(user.accessToken, 'POST', `${AI}/insights/refresh?include_dismissed=maybe`);
    expect(badFlag.statusCode).toBe(400);
    expect(errorCode(badFlag)).toBe('validation_error');

    const restored = await api(user.accessToken, 'POST', `${AI}/insights/${id}/restore`);
    expect(restored.json()).toMatchObject({ id, status: 'active' });
    expect((await insights(user.accessToken)).insights.map((i) => i.id)).toEqual([id]);

    expect((await api(user.accessToken, 'POST', `${AI}/insights/not-a-uuid/dismiss`)).statusCode).toBe(400);
    expect(
      (await api(user.accessToken, 'POST', `${AI}/insights/0190a0b4-0000-7000-8000-000000000000/dismiss`))
        .statusCode,
    ).toBe(404);
  });

  it('recomputes after new data arrive: the health-tracking event marks the insights stale', async () => {
    const user = await registerAndLogin(t.app);
    expect((await insights(user.accessToken)).insights).toEqual([]);
    const version = async () =>
      (
        await t.db.query<{ data_version: string; computed_version: string }>(
          'SELECT data_version::text, computed_version::text FROM ai_insights.states WHERE user_id = $1',
          [user.userId],
        )
      ).rows[0]!;
    expect(await version()).toEqual({ data_version: '0', computed_version: '0' });
    // Without a new event the stored insights are served as they are.
    const again = await insights(user.accessToken);
    expect(again.generated_at).toBe((await insights(user.accessToken)).generated_at);

    await batch(user.accessToken, [
      { metric_type: 'blood_glucose', value: 48, unit: 'mg/dL', timestamp: at(0, 0), context: 'before_meal' },
    ]);
    // The event reaches this service through the outbox relay.
    const deadline = Date.now() + 10_000;
    while ((await version()).data_version === '0' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await version()).toEqual({ data_version: '1', computed_version: '0' });

    const after = await insights(user.accessToken);
    expect(after.stale).toBe(false);
    expect(await version()).toEqual({ data_version: '1', computed_version: '1' });
    expect(after.insights).toHaveLength(1);
    expect(after.insights[0]).toMatchObject({
      kind: 'out_of_range',
      severity: 'high',
      rule: { id: 'vitals.blood_glucose.ada_2025' },
    });
    expect(after.insights[0]!.title).toBe('Glucose 48 mg/dL: Level 2 hypoglycaemia (<54 mg/dL)');
    expect(after.insights[0]!.evidence.record_ids).toHaveLength(1);
  });

  it('answers with what it could compute when a service is down, and keeps what came from it', async () => {
    const user = await registerAndLogin(t.app);
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [lab('ldl-9', '2089-1', 'Cholesterol in LDL', 170, 'mg/dL', [0, 130], at(5, 8))],
    };
    expect(
      (await api(user.accessToken, 'POST', '/medical-records/api/v1/fhir/import', bundle)).statusCode,
    ).toBe(200);
    await batch(
      user.accessToken,
      [2, 1].map((d) => ({
        metric_type: 'blood_pressure',
        value: { systolic: 135, diastolic: 85 },
        unit: 'mmHg',
        timestamp: at(d, 9),
      })),
    );
    const before = (await insights(user.accessToken)).insights;
    expect(before.map((i) => i.kind).sort()).toEqual(['lab', 'out_of_range']);

    // medical-records answers 503 and user-profile cannot be reached at all.
    const down = Fastify();
    down.all('/*', async (_request, reply) =>
      reply.status(503).send({ error: { code: 'service_unavailable' } }),
    );
    await down.ready();
    const clients = t.runtime.clients;
    clients.registerLocal('medical-records', { app: down, prefix: '' });
    const gone = Fastify();
    await gone.close();
    clients.registerLocal('user-profile', { app: gone, prefix: '' });
    try {
      const res = await api(user.accessToken, 'POST', `${AI}/insights/refresh`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.stale).toBe(true);
      expect(body.sources.find((s: { service: string }) => s.service === 'medical-records')).toEqual({
        service: 'medical-records',
        status: 'unavailable',
        message: 'The medical-records service answered HTTP 503 (service_unavailable)',
      });
      expect(body.sources.find((s: { service: string }) => s.service === 'user-profile').status).toBe(
        'unavailable',
      );
      expect(body.sources.find((s: { service: string }) => s.service === 'health-tracking').status).toBe(
        'ok',
      );
      // The lab insight is kept as it was (same id); blood pressure is recomputed (in UTC, the default).
      expect(body.insights.map((i: InsightJson) => i.id).sort()).toEqual(before.map((i) => i.id).sort());
    } finally {
      clients.registerLocal('medical-records', { app: t.app, prefix: '/medical-records' });
      clients.registerLocal('user-profile', { app: t.app, prefix: '/user-profile' });
      await down.close();
    }
    const back = await api(user.accessToken, 'POST', `${AI}/insights/refresh`);
    expect(back.json().stale).toBe(false);
    expect(
      back.json().sources.every((s: { status: string }) => s.status === 'ok' || s.status === 'not_needed'),
    ).toBe(true);
  });

  it('exports and erases what it holds for the account', async () => {
    const user = await registerAndLogin(t.app);
    await batch(user.accessToken, [
      { metric_type: 'blood_glucose', value: 50, unit: 'mg/dL', timestamp: at(0, 0) },
    ]);
    const { insights: list } = await insights(user.accessToken);
    const exported = await api(user.accessToken, 'GET', `${AI}/account/export`);
    expect(exported.statusCode).toBe(200);
    expect(exported.json().data.insights.map((i: { id: string }) => i.id)).toEqual(list.map((i) => i.id));
    expect((await api(user.accessToken, 'DELETE', `${AI}/account/data`)).statusCode).toBe(204);
    const rows = await t.db.query(
      'SELECT 1 FROM ai_insights.insights WHERE user_id = $1 UNION ALL SELECT 1 FROM ai_insights.states WHERE user_id = $1',
      [user.userId],
    );
    expect(rows.rowCount).toBe(0);
  });
});
