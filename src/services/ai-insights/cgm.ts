import { mean, median, sampleSd } from './stats.js';

/**
 * CGM metrics of the International Consensus on Time in Range: Battelino T, Danne T, Bergenstal RM, et
 * al. Clinical Targets for Continuous Glucose Monitoring Data Interpretation: Recommendations From the
 * International Consensus on Time in Range. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028.
 * Ranges (mg/dL): very low <54, low 54-69, in range 70-180, high 181-250, very high >250; 14 days of data
 * with at least 70 % of possible readings; glycaemic variability as %CV with the 36 % threshold.
 */
export const BATTELINO_2019 =
  'Battelino T, Danne T, Bergenstal RM, et al. Clinical Targets for Continuous Glucose Monitoring Data ' +
  'Interpretation: Recommendations From the International Consensus on Time in Range. Diabetes Care ' +
  '2019;42(8):1593-1603. doi:10.2337/dci19-0028';

/**
 * GMI (%) = 3.31 + 0.02392 x mean glucose (mg/dL); GMI (mmol/mol) = 12.71 + 4.70587 x mean glucose
 * (mmol/L): Bergenstal RM, Beck RW, Close KL, et al. Glucose Management Indicator (GMI): A New Term for
 * Estimating A1C From Continuous Glucose Monitoring. Diabetes Care 2018;41(11):2275-2280.
 * doi:10.2337/dc18-1581.
 */
export const BERGENSTAL_2018 =
  'Bergenstal RM, Beck RW, Close KL, et al. Glucose Management Indicator (GMI): A New Term for Estimating ' +
  'A1C From Continuous Glucose Monitoring. Diabetes Care 2018;41(11):2275-2280. doi:10.2337/dc18-1581';

export const CGM_WINDOW_DAYS = 14;
/** Battelino 2019: at least 70 % of possible CGM readings over the 14 days. */
export const CGM_MIN_COVERAGE = 0.7;
/** Battelino 2019: %CV <= 36 % is stable glucose; above it, unstable. */
export const CV_THRESHOLD_PERCENT = 36;
/** Readings further apart than this (median gap) are meter readings, not a CGM. */
export const CGM_MAX_INTERVAL_MIN = 15;
/** 1 mmol/L of glucose (C6H12O6, 180.156 g/mol from IUPAC standard atomic weights) is 18.0156 mg/dL. */
const MGDL_PER_MMOLL = 18.0156;

export interface GlucoseReading {
  ms: number;
  mgdl: number;
}

export interface CgmTarget {
  id: 'tir' | 'tbr70' | 'tbr54' | 'tar180' | 'tar250' | 'cv';
  label: string;
  measured: number;
  /** The consensus target, e.g. ">70 %". */
  target: string;
  met: boolean;
}

export interface CgmMetrics {
  readings: number;
  intervalMinutes: number;
  /** Share of the window's possible readings present, 0-1. */
  coverage: number;
  sufficient: boolean;
  /** Percent of readings in each range. */
  veryLow: number;
  low: number;
  inRange: number;
  high: number;
  veryHigh: number;
  meanMgdl: number;
  sdMgdl: number;
  cvPercent: number;
  gmiPercent: number;
  gmiMmolMol: number;
  /** Consensus targets for most adults with type 1 or type 2 diabetes (Battelino 2019). */
  targets: CgmTarget[];
}

/** Median gap between consecutive readings, in minutes (readings sorted by time). */
export function samplingIntervalMinutes(sorted: readonly GlucoseReading[]): number | null {
  if (sorted.length < 2) return null;
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i += 1) gaps.push(sorted[i]!.ms - sorted[i - 1]!.ms);
  return median(gaps) / 60_000;
}

/**
 * The consensus metrics of one CGM's readings in [fromMs, toMs). Null when the readings are not CGM
 * data (fewer than 2, or a median gap over 15 minutes: meter readings). Readings at the same instant
 * count once. Percentages are of readings, which for a CGM's evenly spaced readings is of time.
 */
export function cgmMetrics(
  readings: readonly GlucoseReading[],
  fromMs: number,
  toMs: number,
): CgmMetrics | null {
  const byTime = new Map<number, number>();
  for (const r of readings) if (r.ms >= fromMs && r.ms < toMs && !byTime.has(r.ms)) byTime.set(r.ms, r.mgdl);
  const sorted = [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([ms, mgdl]) => ({ ms, mgdl }));
  const interval = samplingIntervalMinutes(sorted);
  if (interval === null || interval <= 0 || interval > CGM_MAX_INTERVAL_MIN) return null;
  // Coverage: distinct reading slots of the sensor's interval, over the slots the window holds.
  const slotMs = interval * 60_000;
  const slots = new Set(sorted.map((r) => Math.floor((r.ms - fromMs) / slotMs))).size;
  const possible = Math.max(1, Math.floor((toMs - fromMs) / slotMs));
  const coverage = Math.min(1, slots / possible);

  const values = sorted.map((r) => r.mgdl);
  const n = values.length;
  const percent = (predicate: (v: number) => boolean) => (100 * values.filter(predicate).length) / n;
  const veryLow = percent((v) => v < 54);
  const low = percent((v) => v >= 54 && v < 70);
  const inRange = percent((v) => v >= 70 && v <= 180);
  const high = percent((v) => v > 180 && v <= 250);
  const veryHigh = percent((v) => v > 250);
  const meanMgdl = mean(values);
  const sdMgdl = sampleSd(values);
  const cvPercent = (100 * sdMgdl) / meanMgdl;
  const targets: CgmTarget[] = [
    { id: 'tir', label: 'Time in range 70-180 mg/dL', measured: inRange, target: '>70 %', met: inRange > 70 },
    {
      id: 'tbr70',
      label: 'Time below 70 mg/dL (including below 54)',
      measured: veryLow + low,
      target: '<4 %',
      met: veryLow + low < 4,
    },
    { id: 'tbr54', label: 'Time below 54 mg/dL', measured: veryLow, target: '<1 %', met: veryLow < 1 },
    {
      id: 'tar180',
      label: 'Time above 180 mg/dL (including above 250)',
      measured: high + veryHigh,
      target: '<25 %',
      met: high + veryHigh < 25,
    },
    { id: 'tar250', label: 'Time above 250 mg/dL', measured: veryHigh, target: '<5 %', met: veryHigh < 5 },
    {
      id: 'cv',
      label: 'Coefficient of variation',
      measured: cvPercent,
      target: `<=${CV_THRESHOLD_PERCENT} %`,
      met: cvPercent <= CV_THRESHOLD_PERCENT,
    },
  ];
  return {
    readings: n,
    intervalMinutes: interval,
    coverage,
    sufficient: coverage >= CGM_MIN_COVERAGE,
    veryLow,
    low,
    inRange,
    high,
    veryHigh,
    meanMgdl,
    sdMgdl,
    cvPercent,
    gmiPercent: 3.31 + 0.02392 * meanMgdl,
    gmiMmolMol: 12.71 + 4.70587 * (meanMgdl / MGDL_PER_MMOLL),
    targets,
  };
}
