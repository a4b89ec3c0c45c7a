import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/http/errors.js';
import { analyze } from './analyze.js';
import { gather, type Caller, type DailySeries, type MetricItem, type UserData } from './gather.js';
import { mealGlucoseRises } from './glucose-rules.js';
import { labInsights } from './labs.js';
import { anomalyInsights, trendInsights } from './series-rules.js';
import { addDays, localMidnight } from '../../platform/time.js';
import { bloodPressureInsights } from './vitals.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');
const TODAY = '2024-06-15';

function data(over: Partial<UserData> = {}): UserData {
  return {
    now: NOW,
    tz: 'UTC',
    today: TODAY,
    catalog: new Map(),
    latest: [],
    series: [],
    window: { from: '2024-03-17T00:00:00.000Z', to: '2024-06-15T00:00:00.000Z' },
    bloodPressure: null,
    glucose: null,
    meals: null,
    labs: null,
    sources: [],
    ...over,
  };
}

function series(key: string, values: [number, number][], aggregate: 'mean' | 'sum' = 'mean'): DailySeries {
  return {
    key,
    metricType: key,
    label: 'Weight',
    unit: 'kg',
    ucum: 'kg',
    aggregate,
    source: null,
    days: values.map(([daysAgo, value]) => ({ day: addDays(TODAY, -daysAgo), value, count: 1 })),
    from: '2024-03-17T00:00:00.000Z',
    to: '2024-06-15T00:00:00.000Z',
  };
}

const bp = (
  id: string,
  ts: string,
  systolic: number,
  diastolic: number,
  cls: string,
  label = cls,
): MetricItem => ({
  id,
  metric_type: 'blood_pressure',
  canonical_value: { systolic, diastolic },
  canonical_unit: 'mm[Hg]',
  timestamp: ts,
  source: 'manual',
  context: null,
  classification: { class: cls, label, guideline: 'ACC/AHA 2017 (test)', note: 'One reading.' },
});

describe('blood pressure classes', () => {
  const window = { from: '2024-05-16T12:00:00.000Z', to: '2024-06-15T12:00:00.000Z' };

  it('says one reading is one reading (info), without categorising the person', () => {
    const out = bloodPressureInsights(
      data({
        bloodPressure: {
          ...window,
          items: [
            bp('a', '2024-06-14T09:00:00Z', 142, 88, 'stage_2', 'Stage 2'),
            bp('b', '2024-06-10T09:00:00Z', 118, 76, 'normal'),
          ],
        },
      }),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'info', title: 'One blood pressure reading: Stage 2' });
    expect(out[0]!.explanation).toMatch(/one reading does not categorise it/);
  });

  it('takes the highest class reached on two different days, and counts higher readings with it', () => {
    const out = bloodPressureInsights(
      data({
        bloodPressure: {
          ...window,
          items: [
            bp('a', '2024-06-14T09:00:00Z', 142, 88, 'stage_2', 'Stage 2'),
            bp('b', '2024-06-14T20:00:00Z', 144, 90, 'stage_2', 'Stage 2'), // same day: one occasion
            bp('c', '2024-06-12T09:00:00Z', 132, 82, 'stage_1', 'Stage 1'),
            bp('d', '2024-06-11T09:00:00Z', 119, 70, 'normal'),
          ],
        },
      }),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ severity: 'low', title: 'Blood pressure: Stage 1 on 2 days' });
    // a, b and c: (142 + 144 + 132) / 3 = 139.3; (88 + 90 + 82) / 3 = 86.7
    expect(out[0]!.explanation).toMatch(
      /3 of your 4 blood pressure readings, on 2 different days, were in the class "Stage 1" or higher/,
    );
    expect(out[0]!.explanation).toMatch(/139\/87 mmHg/);
    expect(out[0]!.evidence.record_ids).toEqual(['a', 'b', 'c']);
  });

  it('reports a severe reading on its own, keyed by its time', () => {
    const out = bloodPressureInsights(
      data({
        bloodPressure: { ...window, items: [bp('s', '2024-06-14T09:00:00Z', 190, 100, 'severe', 'Severe')] },
      }),
    );
    expect(out.map((i) => [i.severity, i.fingerprint])).toEqual([
      ['high', 'vitals.blood_pressure.acc_aha_2017:blood_pressure:severe:2024-06-14T09:00:00Z'],
    ]);
  });
});

describe('trends and unusual days', () => {
  it('reports no trend in noise, and a trend in a steady rise', () => {
    const noise = series(
      'weight',
      Array.from({ length: 30 }, (_, i) => [30 - i, 80 + ((i * 7) % 5) - 2] as [number, number]),
    );
    expect(trendInsights(data({ series: [noise] }))).toEqual([]);
    const rise = series(
      'weight',
      Array.from({ length: 30 }, (_, i) => [30 - i, 80 + i * 0.1 + ((i * 7) % 3) * 0.05] as [number, number]),
    );
    const out = trendInsights(data({ series: [rise] }));
    expect(out).toHaveLength(1);
    expect(out[0]!.fingerprint).toBe('trend.theil_sen_mann_kendall:weight:up');
  });

  it('needs 14 days', () => {
    const short = series(
      'weight',
      Array.from({ length: 13 }, (_, i) => [13 - i, 80 + i] as [number, number]),
    );
    expect(trendInsights(data({ series: [short] }))).toEqual([]);
  });

  it('flags a recent day by the modified z-score and skips a baseline without spread', () => {
    // Baseline (days 27..8 ago): 20 days alternating 80 and 81 kg: median 80.5, MAD 0.5.
    const baseline: [number, number][] = Array.from({ length: 20 }, (_, i) => [27 - i, 80 + (i % 2)]);
    // 83 kg: 0.6745 x 2.5 / 0.5 = 3.37, not beyond 3.5; 84 kg: 0.6745 x 3.5 / 0.5 = 4.72
    expect(anomalyInsights(data({ series: [series('weight', [...baseline, [1, 83]])] }))).toEqual([]);
    const out = anomalyInsights(data({ series: [series('weight', [...baseline, [2, 84], [1, 80]])] }));
    expect(out).toHaveLength(1);
    expect(out[0]!.fingerprint).toBe(`anomaly.modified_z:weight:high:${addDays(TODAY, -2)}`);
    expect(out[0]!.evidence.values.modified_z).toEqual({ value: 4.721, unit: '1' }); // 4 significant figures
    expect(out[0]!.evidence.values.baseline_median).toEqual({ value: 80.5, unit: 'kg' });
    const flat: [number, number][] = Array.from({ length: 20 }, (_, i) => [27 - i, 80]);
    expect(anomalyInsights(data({ series: [series('weight', [...flat, [1, 95]])] }))).toEqual([]);
  });
});

const glucose = (ms: number, mgdl: number, id: string | null = null): MetricItem => ({
  id,
  metric_type: 'blood_glucose',
  canonical_value: mgdl,
  canonical_unit: 'mg/dL',
  timestamp: new Date(ms).toISOString(),
  source: 'meter',
  context: null,
  classification: null,
});

describe('glucose after meals', () => {
  it('takes the last reading up to 30 min before and the peak within 2 h, if one is 1-2 h after', () => {
    const meal = Date.parse('2024-06-14T12:00:00Z');
    const min = 60_000;
    const items = [
      glucose(meal - 40 * min, 90), // too early for the baseline
      glucose(meal - 20 * min, 95, 'g1'),
      glucose(meal - 5 * min, 98, 'g2'), // the baseline
      glucose(meal + 45 * min, 170, 'g3'),
      glucose(meal + 75 * min, 160, 'g4'),
      glucose(meal + 130 * min, 200), // after 2 h: not counted
    ];
    const meals = [
      { id: 'm1', name: 'Lunch', eaten_at: new Date(meal).toISOString(), carbohydrate_g: 60 },
      // No reading 1-2 h after this one: left out.
      { id: 'm2', name: 'Snack', eaten_at: new Date(meal - 3 * 3_600_000).toISOString(), carbohydrate_g: 10 },
    ];
    const rises = mealGlucoseRises(
      data({
        glucose: { from: '2024-06-01T12:00:00Z', to: '2024-06-15T12:00:00Z', items, complete: true },
        meals: { from: '2024-06-01T12:00:00Z', to: '2024-06-15T12:00:00Z', items: meals },
      }),
    );
    expect(rises).toEqual([{ meal: meals[0], baseline: 98, peak: 170, rise: 72, readingIds: ['g2', 'g3'] }]);
  });
});

describe('lab results', () => {
  it('gives the direction against the previous result in the same unit', () => {
    const out = labInsights(
      data({
        labs: {
          from: '2022-06-15T00:00:00Z',
          results: [
            {
              record_id: 'r3',
              loinc: '4548-4',
              display: 'Hemoglobin A1c',
              effective_at: '2024-06-01T08:00:00Z',
              value: { value: 6.1, unit: '%', code: '%' },
              flag: 'H',
              critical: false,
              reference_text: '4-5.6 %',
              critical_source: null,
              history: [
                {
                  record_id: 'r0',
                  effective_at: '2023-01-01T08:00:00Z',
                  value: { value: 48, unit: 'mmol/mol', code: 'mmol/mol' },
                  flag: 'H',
                },
                {
                  record_id: 'r1',
                  effective_at: '2023-06-01T08:00:00Z',
                  value: { value: 5.9, unit: '%', code: '%' },
                  flag: 'H',
                },
                {
                  record_id: 'r2',
                  effective_at: '2023-12-01T08:00:00Z',
                  value: { value: 6.4, unit: '%', code: '%' },
                  flag: 'H',
                },
                {
                  record_id: 'r3',
                  effective_at: '2024-06-01T08:00:00Z',
                  value: { value: 6.1, unit: '%', code: '%' },
                  flag: 'H',
                },
              ],
            },
          ],
        },
      }),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      severity: 'low',
      fingerprint: 'lab.flags:4548-4:H:r3',
      metric_types: ['loinc:4548-4'],
    });
    expect(out[0]!.explanation).toMatch(/reference range 4-5.6 %/);
    expect(out[0]!.explanation).toMatch(
      /previous result was 6.4 % on 2023-12-01 \(H\): it has gone down by 0.3/,
    );
    expect(out[0]!.explanation).toMatch(/4 of your 4 results of this test were out of range/);
    expect(out[0]!.evidence.values.change_from_previous!.value).toBeCloseTo(-0.3, 10);
  });
});

describe('gather', () => {
  /** A caller answering from a table of path prefixes; anything else is a 503 AppError (unreachable). */
  function caller(routes: Record<string, unknown>, calls: string[] = []): Caller {
    return (async (slug: string, options: { path: string }) => {
      calls.push(`${slug} ${options.path}`);
      const key = Object.keys(routes).find((k) => `${slug} ${options.path}`.startsWith(k));
      if (key === undefined)
        throw new AppError(503, 'service_unavailable', `The ${slug} service did not answer`);
      const value = routes[key];
      if (typeof value === 'number') return { status: value, body: { error: { code: 'boom' } } };
      return { status: 200, body: value };
    }) as Caller;
  }

  it('groups sleep by night (noon to noon), splits blood pressure, and reports every source', async () => {
    const tz = 'Europe/Paris';
    const now = Date.parse('2024-06-15T10:00:00Z');
    const calls: string[] = [];
    const result = await gather(
      caller(
        {
          'user-profile /api/v1/profile': { preferences: { timezone: tz } },
          'health-tracking /api/v1/metrics/latest': {
            items: [
              { metric_type: 'sleep_duration', timestamp: '2024-06-15T06:00:00+02:00', source: 'ring' },
              { metric_type: 'blood_pressure', timestamp: '2024-06-10T06:00:00+02:00', source: 'cuff' },
            ],
          },
          'health-tracking /api/v1/metrics/catalog': { items: [] },
          'health-tracking /api/v1/metrics/summary?metric_type=sleep_duration': {
            unit: 'h',
            buckets: [
              { start: '2024-06-13T23:00:00+02:00', count: 1, sum: 5 }, // night of the 14th
              { start: '2024-06-14T02:00:00+02:00', count: 1, sum: 2 }, // night of the 14th
              { start: '2024-06-14T13:00:00+02:00', count: 1, sum: 0.5 }, // a nap: night of the 15th (not over)
            ],
          },
          'health-tracking /api/v1/metrics/summary?metric_type=blood_pressure': {
            unit: 'mm[Hg]',
            buckets: [
              {
                start: '2024-06-10T00:00:00+02:00',
                count: 2,
                systolic: { mean: 130 },
                diastolic: { mean: 80 },
              },
            ],
          },
          'health-tracking /api/v1/metrics?metric_type=blood_pressure': { items: [], next_cursor: null },
          'medical-records': 502,
        },
        calls,
      ),
      { now },
    );
    expect(result.tz).toBe(tz);
    expect(result.today).toBe('2024-06-15');
    expect(result.window.to).toBe(new Date(localMidnight('2024-06-15', tz)).toISOString());
    expect(result.window.to).toBe('2024-06-14T22:00:00.000Z');
    const sleep = result.series.find((s) => s.key === 'sleep_duration')!;
    expect(sleep.days).toEqual([{ day: '2024-06-14', value: 7, count: 2 }]);
    expect(sleep.source).toBe('ring'); // sums come from one source
    expect(
      calls.some(
        (c) =>
          c.includes('metric_type=sleep_duration') && c.includes('bucket=hour') && c.includes('source=ring'),
      ),
    ).toBe(true);
    expect(
      result.series.filter((s) => s.metricType === 'blood_pressure').map((s) => [s.key, s.days[0]!.value]),
    ).toEqual([
      ['blood_pressure.systolic', 130],
      ['blood_pressure.diastolic', 80],
    ]);
    expect(result.sources).toEqual([
      { service: 'user-profile', status: 'ok', message: null },
      { service: 'health-tracking', status: 'ok', message: null },
      {
        service: 'medical-records',
        status: 'unavailable',
        message: 'The medical-records service answered HTTP 502 (boom)',
      },
      { service: 'nutrition', status: 'not_needed', message: expect.stringMatching(/no glucose readings/) },
    ]);
    expect(result.labs).toBeNull();
    // The rules run on what could be read.
    expect(analyze(result)).toEqual([]);
  });

  it('falls back to UTC when the profile cannot be read, and says so', async () => {
    const result = await gather(
      caller({
        'health-tracking /api/v1/metrics/latest': { items: [] },
        'medical-records': { items: [], next_cursor: null },
      }),
      { now: NOW },
    );
    expect(result.tz).toBe('UTC');
    expect(result.sources[0]).toEqual({
      service: 'user-profile',
      status: 'unavailable',
      message: 'The user-profile service did not answer',
    });
  });
});
