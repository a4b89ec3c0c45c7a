import { describe, expect, it } from 'vitest';
import { CATALOG, GLUCOSE_MOLAR_MASS, metricDef } from './catalog.js';
import { acceptedUnitNames, applyLinear, conversion, fromCanonical, resolveUnit, tidy } from './units.js';

const toCanonical = (type: string, value: number, unit: string) => {
  const def = metricDef(type)!;
  const resolved = resolveUnit(def, unit);
  if (!resolved) throw new Error(`${unit} not accepted for ${type}`);
  return tidy(applyLinear(resolved.toCanonical, value));
};

describe('unit conversions (UCUM library)', () => {
  it('converts pounds and stones to kilograms exactly (1 lb = 0.45359237 kg)', () => {
    expect(toCanonical('weight', 165, 'lb')).toBeCloseTo(74.84274105, 9);
    expect(toCanonical('weight', 1, '[lb_av]')).toBeCloseTo(0.45359237, 12);
    expect(toCanonical('weight', 10, 'st')).toBeCloseTo(63.5029318, 7);
    expect(toCanonical('weight', 75500, 'g')).toBe(75.5);
  });

  it('converts Fahrenheit to Celsius, an affine conversion', () => {
    expect(toCanonical('body_temperature', 98.6, '°F')).toBeCloseTo(37, 9);
    expect(toCanonical('body_temperature', 212, 'F')).toBeCloseTo(100, 9);
    expect(toCanonical('body_temperature', 32, '[degF]')).toBeCloseTo(0, 9);
    expect(toCanonical('body_temperature', 37, '°C')).toBe(37);
  });

  it('converts glucose mmol/L to mg/dL with the molar mass 180.156 g/mol', () => {
    expect(GLUCOSE_MOLAR_MASS).toBe(180.156);
    expect(toCanonical('blood_glucose', 1, 'mmol/L')).toBeCloseTo(18.0156, 10);
    expect(toCanonical('blood_glucose', 5.5, 'mmol/L')).toBeCloseTo(99.0858, 10);
    expect(toCanonical('blood_glucose', 7.0, 'mmol/l')).toBeCloseTo(126.1092, 10);
    expect(toCanonical('blood_glucose', 100, 'mg/dL')).toBe(100);
  });

  it('converts the remaining units', () => {
    expect(toCanonical('height', 70, 'in')).toBeCloseTo(177.8, 10);
    expect(toCanonical('height', 6, 'ft')).toBeCloseTo(182.88, 10);
    expect(toCanonical('height', 1.8, 'm')).toBeCloseTo(180, 10);
    expect(toCanonical('blood_pressure', 16, 'kPa')).toBeCloseTo(120.01, 2);
    expect(toCanonical('sleep_duration', 450, 'min')).toBe(7.5);
    expect(toCanonical('active_energy', 418.4, 'kJ')).toBeCloseTo(100, 10);
    // 1 international mile = 1609.344 m exactly
    expect(toCanonical('walking_running_distance', 1, 'mi')).toBeCloseTo(1609.344, 9);
    expect(toCanonical('walking_running_distance', 5.2, 'km')).toBeCloseTo(5200, 9);
    expect(resolveUnit(metricDef('heart_rate_variability_sdnn')!, 'ms')?.ucum).toBe('ms');
  });

  it("accepts the seed's plain names mapped to UCUM codes", () => {
    expect(resolveUnit(metricDef('heart_rate')!, 'bpm')?.ucum).toBe('/min');
    expect(resolveUnit(metricDef('weight')!, 'kg')?.ucum).toBe('kg');
    expect(resolveUnit(metricDef('blood_glucose')!, 'mg/dL')?.ucum).toBe('mg/dL');
    expect(resolveUnit(metricDef('blood_pressure')!, 'mmHg')?.ucum).toBe('mm[Hg]');
    expect(resolveUnit(metricDef('heart_rate')!, 'kg')).toBeUndefined();
    expect(resolveUnit(metricDef('weight')!, 'furlong')).toBeUndefined();
  });

  it('converts back from canonical for display', () => {
    expect(fromCanonical(metricDef('weight')!, 'lb', 74.84274105)).toBeCloseTo(165, 9);
    expect(fromCanonical(metricDef('body_temperature')!, '°F', 37)).toBeCloseTo(98.6, 9);
  });

  it('every accepted unit of every metric converts to its canonical unit', () => {
    for (const def of CATALOG) {
      for (const name of acceptedUnitNames(def)) {
        const unit = resolveUnit(def, name);
        expect(unit, `${def.type} ${name}`).toBeDefined();
        expect(Number.isFinite(unit!.toCanonical.scale) && unit!.toCanonical.scale > 0).toBe(true);
      }
      // The canonical unit converts to itself.
      expect(conversion(def.canonical, def.canonical, def.molarMass?.value)).toEqual({ scale: 1, offset: 0 });
    }
  });

  it('refuses a conversion between incommensurable units', () => {
    expect(() => conversion('kg', 'cm')).toThrow(/cannot convert/);
  });
});
