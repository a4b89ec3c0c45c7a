import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cgmMetrics, samplingIntervalMinutes, type GlucoseReading } from './cgm.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1);
const series = (values: number[], stepMin = 5, start = T0): GlucoseReading[] =>
  values.map((mgdl, i) => ({ ms: start + i * stepMin * MIN, mgdl }));

describe('cgmMetrics', () => {
  it('computes time in ranges, mean, CV and GMI by hand', () => {
    // 20 readings every 5 minutes filling a 100-minute window.
    const values = [50, 50, 60, 60, ...Array<number>(12).fill(120), 200, 200, 200, 300];
    const m = cgmMetrics(series(values), T0, T0 + 100 * MIN)!;
    expect(m).toMatchObject({ readings: 20, intervalMinutes: 5, coverage: 1, sufficient: true });
    // 2, 2, 12, 3 and 1 of 20 readings
    expect([m.veryLow, m.low, m.inRange, m.high, m.veryHigh]).toEqual([10, 10, 60, 15, 5]);
    // mean (100 + 120 + 1440 + 600 + 300) / 20 = 128 mg/dL
    expect(m.meanMgdl).toBe(128);
    // sample SD 59.5244 (NumPy std ddof=1); CV = 59.5244 / 128 = 46.50 %
    expect(m.sdMgdl).toBeCloseTo(59.524431, 5);
    expect(m.cvPercent).toBeCloseTo(46.503462, 5);
    // GMI = 3.31 + 0.02392 x 128 = 6.37176 %; 12.71 + 4.70587 x (128 / 18.0156) = 46.145 mmol/mol
    expect(m.gmiPercent).toBeCloseTo(6.37176, 10);
    expect(m.gmiMmolMol).toBeCloseTo(46.144987, 5);
    const met = Object.fromEntries(m.targets.map((t) => [t.id, t.met]));
    // TIR 60 (not > 70), below 70: 20 (not < 4), below 54: 10, above 180: 20 (< 25), above 250: 5 (not < 5)
    expect(met).toEqual({ tir: false, tbr70: false, tbr54: false, tar180: true, tar250: false, cv: false });
  });

  it('puts the range limits where the consensus does: 54 and 70 low/in, 180 in, 250 high', () => {
    const m = cgmMetrics(series([53.9, 54, 69.9, 70, 180, 180.1, 250, 250.1]), T0, T0 + 40 * MIN)!;
    expect([m.veryLow, m.low, m.inRange, m.high, m.veryHigh]).toEqual([12.5, 25, 25, 25, 12.5]);
  });

  it('reports coverage below 70 % of the 14 days as insufficient', () => {
    // 9 days of 5-minute readings in a 14-day window: 9/14 = 64.3 %
    const values = Array<number>(9 * 288).fill(110);
    const m = cgmMetrics(series(values), T0, T0 + 14 * 1440 * MIN)!;
    expect(m.coverage).toBeCloseTo(9 / 14, 10);
    expect(m.sufficient).toBe(false);
    expect(m.targets.every((t) => t.id === 'cv' || t.id === 'tir' || t.met)).toBe(true);
  });

  it('is not CGM data when readings are hours apart (a meter), or too few', () => {
    expect(cgmMetrics(series([100, 140, 95, 180], 360), T0, T0 + 1440 * MIN)).toBeNull();
    expect(cgmMetrics(series([100]), T0, T0 + 1440 * MIN)).toBeNull();
  });

  it('counts a reading repeated at the same instant once and ignores readings outside the window', () => {
    const readings = [...series([100, 100, 100, 100]), { ms: T0, mgdl: 40 }, { ms: T0 - MIN, mgdl: 40 }];
    const m = cgmMetrics(readings, T0, T0 + 20 * MIN)!;
    expect(m.readings).toBe(4);
    expect(m.veryLow).toBe(0);
  });

  it('infers the sampling interval from the median gap', () => {
    expect(samplingIntervalMinutes(series([1, 2, 3, 4], 1))).toBe(1);
    expect(samplingIntervalMinutes(series([1]))).toBeNull();
  });
});

const CLARITY = '/work/shared/fixtures/cgm/dexcom-clarity-export-14d.csv';

describe.skipIf(!existsSync(CLARITY))('cgmMetrics on a real Dexcom Clarity export', () => {
  it('matches an independent NumPy computation of the first 14 days', () => {
    // Needs /work/shared/fixtures (cgm/dexcom-clarity-export-14d.csv, MIT): skipped when it is absent.
    const lines = readFileSync(CLARITY, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/);
    const readings: GlucoseReading[] = [];
    for (const line of lines.slice(1)) {
      const cells = line.split('","').map((c) => c.replace(/^"|"$/g, ''));
      // Clarity writes local times; read as UTC here, as the reference did (only differences matter).
      if (cells[2] === 'EGV' && /^\d+$/.test(cells[7] ?? '')) {
        readings.push({ ms: Date.parse(`${cells[1]}Z`), mgdl: Number(cells[7]) });
      }
    }
    expect(readings).toHaveLength(4030); // 4,032 EGV rows, 2 of them "Low" (no number)
    const from = readings[0]!.ms;
    const m = cgmMetrics(readings, from, from + 14 * 1440 * MIN)!;
    // NumPy: 3,855 readings, 5-min median gap, 3,832 of 4,032 slots; ranges 1.2970 / 10.4280 / 75.1492 /
    // 11.6213 / 1.5045 %; mean 125.34838, SD 48.63041, CV 38.79620 %, GMI 6.308333 %, 45.452355 mmol/mol.
    expect(m.readings).toBe(3855);
    expect(m.intervalMinutes).toBe(5);
    expect(m.coverage).toBeCloseTo(3832 / 4032, 10);
    expect(m.veryLow).toBeCloseTo(1.297017, 5);
    expect(m.low).toBeCloseTo(10.428016, 5);
    expect(m.inRange).toBeCloseTo(75.149157, 5);
    expect(m.high).toBeCloseTo(11.621271, 5);
    expect(m.veryHigh).toBeCloseTo(1.50454, 5);
    expect(m.meanMgdl).toBeCloseTo(125.348379, 5);
    expect(m.cvPercent).toBeCloseTo(38.796202, 5);
    expect(m.gmiPercent).toBeCloseTo(6.308333, 5);
    expect(m.gmiMmolMol).toBeCloseTo(45.452355, 5);
    const unmet = m.targets.filter((t) => !t.met).map((t) => t.id);
    expect(unmet).toEqual(['tbr70', 'tbr54', 'cv']);
  });
});
