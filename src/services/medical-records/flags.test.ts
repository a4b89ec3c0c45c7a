import { describe, expect, it } from 'vitest';
import type { Measured, RangeInput } from './fhir.js';
import { ageAt, chooseRange, computeFlags } from './flags.js';

const q = (value: number, unit = 'g/dL') => ({ value, unit, code: unit });
const range = (low: number, high: number, extra: Partial<RangeInput> = {}): RangeInput => ({
  low: q(low),
  high: q(high),
  type: null,
  applies_to: [],
  age_low_years: null,
  age_high_years: null,
  text: null,
  ...extra,
});
const measured = (value: number, ranges: RangeInput[], unit = 'g/dL'): Measured => ({
  value: q(value, unit),
  value_text: null,
  components: [],
  reference_ranges: ranges,
  source_interpretation: ['N'],
});

describe('lab flags', () => {
  const bySex = [range(13.5, 17.5, { applies_to: ['male'] }), range(12, 15.5, { applies_to: ['female'] })];

  it('chooses the range for the sex and age when known', () => {
    expect(chooseRange(bySex, 'female', 40)?.high?.value).toBe(15.5);
    expect(chooseRange(bySex, 'male', 40)?.high?.value).toBe(17.5);
    expect(chooseRange(bySex, null, null)).toBeNull();
    const byAge = [range(1, 2, { age_high_years: 17 }), range(3, 4, { age_low_years: 18 })];
    expect(chooseRange(byAge, null, 30)?.low?.value).toBe(3);
  });

  it('flags against the range and the cited critical limits, never the source interpretation', () => {
    const demo = { gender: 'female', birth_date: '1980-06-01' };
    const at = new Date('2024-01-01T00:00:00Z');
    expect(computeFlags('718-7', measured(16, bySex), demo, at).flag).toBe('H');
    expect(computeFlags('718-7', measured(16, bySex), { gender: 'male', birth_date: null }, at).flag).toBe(
      'N',
    );
    expect(computeFlags('718-7', measured(6.0, bySex), demo, at)).toMatchObject({
      flag: 'LL',
      critical: true,
    });
    // 3.9 mmol/L haemoglobin (Dutch units) = 62.8 g/L: critical.
    expect(computeFlags('718-7', measured(3.9, [], 'mmol/L'), demo, at).flag).toBe('LL');
    // Adult critical limits are not applied to a child.
    const child = computeFlags(
      '718-7',
      measured(6.0, bySex),
      { gender: 'female', birth_date: '2015-01-01' },
      at,
    );
    expect(child.critical).toBe(false);
    expect(child.note).toMatch(/under 18/);
  });

  it('computes age at the time of the result', () => {
    expect(ageAt('1980-06-01', new Date('2024-05-31T00:00:00Z'))).toBe(43);
    expect(ageAt('1980-06-01', new Date('2024-06-01T00:00:00Z'))).toBe(44);
    expect(ageAt(null, new Date())).toBeNull();
  });
});
