import { describe, expect, it } from 'vitest';
import { CATALOG, inRange } from './catalog.js';
import { normalizeReading, type Problem, type Reading } from './readings.js';

const NOW = Date.UTC(2024, 5, 1, 12);
const ok = (input: Parameters<typeof normalizeReading>[0]) => {
  const r = normalizeReading(input, NOW);
  if ('problems' in r) throw new Error(JSON.stringify(r.problems));
  return r as Reading;
};
const problems = (input: Parameters<typeof normalizeReading>[0]): Problem[] => {
  const r = normalizeReading(input, NOW);
  return 'problems' in r ? r.problems : [];
};

describe('catalogue ranges and reading validation', () => {
  it("accepts the seed's bodies", () => {
    const w = ok({ metric_type: 'weight', value: 75.5, unit: 'kg' });
    expect(w).toMatchObject({ type: 'weight', value: 75.5, inputUnit: 'kg', source: 'manual', ms: NOW });
    expect(ok({ metric_type: 'heart_rate', value: 72, unit: 'bpm' }).value).toBe(72);
  });

  it('every catalogue entry has a cited, non-empty range that contains typical values', () => {
    const typical: Record<string, number> = {
      heart_rate: 70,
      resting_heart_rate: 60,
      blood_pressure: 120,
      blood_glucose: 95,
      weight: 70,
      height: 170,
      bmi: 22,
      body_temperature: 36.8,
      oxygen_saturation: 97,
      respiratory_rate: 14,
      steps: 8000,
      sleep_duration: 7.5,
      body_fat_percentage: 22,
      active_energy: 450,
      heart_rate_variability_sdnn: 45,
      heart_rate_variability_rmssd: 38,
      walking_running_distance: 5200,
    };
    for (const def of CATALOG) {
      expect(def.range.source.length, def.type).toBeGreaterThan(20);
      expect(def.range.min).toBeLessThan(def.range.max);
      expect(inRange(def.range, typical[def.type]!), def.type).toBe(true);
    }
  });

  it('refuses an impossible value naming the range, in the unit sent and the canonical one', () => {
    const [p] = problems({ metric_type: 'heart_rate', value: 900, unit: 'bpm' });
    expect(p!.field).toBe('value');
    expect(p!.problem).toContain('from 20 to 300 bpm');
    expect(p!.range).toMatchObject({ min: 20, max: 300, unit: 'bpm' });
    const [w] = problems({ metric_type: 'weight', value: 75500, unit: 'kg' });
    expect(w!.problem).toMatch(/plausible range for weight: from 0.2 to 650 kg/);
    const [lb] = problems({ metric_type: 'weight', value: 2000, unit: 'lb' });
    expect(lb!.problem).toContain('2000 lb (907.185 kg)');
    const [t] = problems({ metric_type: 'body_temperature', value: 98.6, unit: '°C' });
    expect(t!.problem).toContain('from 13 to 47 °C');
    expect(problems({ metric_type: 'blood_glucose', value: 0, unit: 'mg/dL' })[0]!.problem).toContain(
      'above 0 to 1000',
    );
    expect(problems({ metric_type: 'oxygen_saturation', value: 101, unit: '%' })).toHaveLength(1);
  });

  it('keeps range bounds inclusive where they are', () => {
    expect(ok({ metric_type: 'heart_rate', value: 20, unit: 'bpm' }).value).toBe(20);
    expect(ok({ metric_type: 'heart_rate', value: 300, unit: 'bpm' }).value).toBe(300);
    expect(problems({ metric_type: 'heart_rate', value: 19.9, unit: 'bpm' })).toHaveLength(1);
  });

  it('refuses a unit the metric does not accept, listing the ones it does', () => {
    const [p] = problems({ metric_type: 'heart_rate', value: 72, unit: 'kg' });
    expect(p).toMatchObject({ field: 'unit' });
    expect(p!.problem).toContain('bpm');
  });

  it('takes blood pressure as one systolic/diastolic reading', () => {
    const r = ok({ metric_type: 'blood_pressure', value: { systolic: 16, diastolic: 10.7 }, unit: 'kPa' });
    expect(r.value).toBeCloseTo(120.01, 2);
    expect(r.value2).toBeCloseTo(80.26, 2);
    expect(problems({ metric_type: 'blood_pressure', value: 120, unit: 'mmHg' })[0]!.field).toBe('value');
    expect(
      problems({ metric_type: 'blood_pressure', value: { systolic: 80, diastolic: 120 }, unit: 'mmHg' })[0],
    ).toMatchObject({ field: 'value.diastolic' });
    expect(
      problems({ metric_type: 'blood_pressure', value: { systolic: 400, diastolic: 10 }, unit: 'mmHg' }).map(
        (p) => p.field,
      ),
    ).toEqual(['value.systolic', 'value.diastolic']);
    expect(
      problems({ metric_type: 'heart_rate', value: { systolic: 1, diastolic: 1 }, unit: 'bpm' })[0],
    ).toMatchObject({ field: 'value' });
  });

  it('allows a context only on glucose', () => {
    expect(ok({ metric_type: 'blood_glucose', value: 5.5, unit: 'mmol/L', context: 'fasting' }).context).toBe(
      'fasting',
    );
    expect(problems({ metric_type: 'weight', value: 70, unit: 'kg', context: 'fasting' })[0]!.field).toBe(
      'context',
    );
  });

  it('keeps the original UTC offset and refuses times without one, in the future or before 1900', () => {
    const r = ok({ metric_type: 'weight', value: 70, unit: 'kg', timestamp: '2024-05-01T07:00:00+02:00' });
    expect(r.ms).toBe(Date.UTC(2024, 4, 1, 5));
    expect(r.offsetMinutes).toBe(120);
    const field = (timestamp: string) =>
      problems({ metric_type: 'weight', value: 70, unit: 'kg', timestamp })[0];
    expect(field('2024-05-01T07:00:00')!.problem).toMatch(/offset/);
    expect(field('2024-13-01T07:00:00Z')!.field).toBe('timestamp');
    expect(field('2024-02-30T07:00:00Z')!.field).toBe('timestamp');
    expect(field('2030-01-01T00:00:00Z')!.problem).toMatch(/future/);
    expect(field('1850-01-01T00:00:00Z')!.problem).toMatch(/1900/);
    expect(field('yesterday')!.field).toBe('timestamp');
  });

  it('reports every problem of a reading at once', () => {
    const all = problems({
      metric_type: 'weight',
      value: 70,
      unit: 'bpm',
      timestamp: 'no',
      context: 'fasting',
    });
    expect(all.map((p) => p.field).sort()).toEqual(['context', 'timestamp', 'unit']);
  });
});
