import {
  BATTELINO_2019,
  BERGENSTAL_2018,
  CGM_MIN_COVERAGE,
  CGM_WINDOW_DAYS,
  cgmMetrics,
  type CgmMetrics,
  type GlucoseReading,
} from './cgm.js';
import type { MetricItem, UserData } from './gather.js';
import { fmt, pText, q, type InsightDraft, type Severity } from './insight.js';
import { median, spearman } from './stats.js';
import { localDateTime } from './time.js';

export const ADA_POSTPRANDIAL =
  'American Diabetes Association, Standards of Care in Diabetes-2025 (Diabetes Care 2025;48 Suppl 1), ' +
  'section 6, Glycemic Goals and Hypoglycemia: peak postprandial capillary plasma glucose <180 mg/dL for ' +
  'many nonpregnant adults with diabetes, measured 1-2 h after the beginning of the meal';
/** ADA 2025 section 6: the postprandial goal for many nonpregnant adults with diabetes. */
export const POSTPRANDIAL_PEAK_GOAL_MGDL = 180;

const toReading = (m: MetricItem): GlucoseReading => ({
  ms: Date.parse(m.timestamp),
  mgdl: m.canonical_value as number,
});

/** The CGM among the glucose sources: the source with the most readings, if they are CGM data. */
export function findCgm(data: UserData): { source: string; metrics: CgmMetrics } | null {
  const g = data.glucose;
  if (!g || g.items.length === 0) return null;
  const bySource = new Map<string, MetricItem[]>();
  for (const m of g.items) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m]);
  const [source, items] = [...bySource.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
  const metrics = cgmMetrics(items.map(toReading), Date.parse(g.from), Date.parse(g.to));
  return metrics ? { source, metrics } : null;
}

const pct = (v: number) => `${fmt(v, 1)} %`;

export function cgmInsights(
  data: UserData,
  cgm: { source: string; metrics: CgmMetrics } | null,
): InsightDraft[] {
  if (!cgm || !data.glucose) return [];
  const m = cgm.metrics;
  const unmet = m.targets.filter((t) => !t.met);
  let severity: Severity = 'info';
  if (m.sufficient) {
    const ids = new Set(unmet.map((t) => t.id));
    if (ids.has('tbr54')) severity = 'high';
    else if (ids.has('tbr70') || ids.has('tir') || ids.has('tar250')) severity = 'moderate';
    else if (ids.size > 0) severity = 'low';
  }
  const subject = !m.sufficient
    ? 'insufficient'
    : unmet.length === 0
      ? 'all_met'
      : unmet.map((t) => t.id).join(',');
  const figures =
    `${pct(m.inRange)} of readings were in 70-180 mg/dL, ${pct(m.veryLow + m.low)} below 70 ` +
    `(${pct(m.veryLow)} below 54) and ${pct(m.high + m.veryHigh)} above 180 (${pct(m.veryHigh)} above 250). ` +
    `Mean glucose ${fmt(m.meanMgdl, 0)} mg/dL; GMI ${fmt(m.gmiPercent, 1)} % (${fmt(m.gmiMmolMol, 0)} mmol/mol); ` +
    `coefficient of variation ${pct(m.cvPercent)}.`;
  const targets =
    'The consensus targets for most adults with type 1 or type 2 diabetes are: time in range >70 %, below 70 ' +
    '<4 %, below 54 <1 %, above 180 <25 %, above 250 <5 %, coefficient of variation <=36 %.';
  const verdict = !m.sufficient
    ? `The consensus asks for at least ${CGM_MIN_COVERAGE * 100} % of possible readings over ${CGM_WINDOW_DAYS} days before these metrics are read against its targets; these data cover ${pct(100 * m.coverage)}.`
    : unmet.length === 0
      ? 'All of them were met.'
      : `Not met: ${unmet.map((t) => `${t.label.charAt(0).toLowerCase()}${t.label.slice(1)} (${pct(t.measured)}, target ${t.target})`).join('; ')}. Targets differ for older or high-risk adults and in pregnancy; discuss them with your clinician.`;
  return [
    {
      fingerprint: `cgm.battelino_2019:blood_glucose:${subject}`,
      kind: 'cgm',
      severity,
      title: `CGM over ${CGM_WINDOW_DAYS} days: ${fmt(m.inRange, 0)} % time in range`,
      explanation:
        `Over the last ${CGM_WINDOW_DAYS} days (${m.readings} readings from "${cgm.source}", one every ` +
        `${fmt(m.intervalMinutes, 0)} minutes: ${pct(100 * m.coverage)} of the possible readings), ${figures} ` +
        `${targets} ${verdict}`,
      metric_types: ['blood_glucose'],
      evidence: {
        from: data.glucose.from,
        to: data.glucose.to,
        sample_count: m.readings,
        record_ids: [],
        values: {
          time_below_54: q(m.veryLow, '%'),
          time_54_69: q(m.low, '%'),
          time_in_range_70_180: q(m.inRange, '%'),
          time_181_250: q(m.high, '%'),
          time_above_250: q(m.veryHigh, '%'),
          mean_glucose: q(m.meanMgdl, 'mg/dL'),
          sd_glucose: q(m.sdMgdl, 'mg/dL'),
          coefficient_of_variation: q(m.cvPercent, '%'),
          gmi: q(m.gmiPercent, '%'),
          gmi_ifcc: q(m.gmiMmolMol, 'mmol/mol'),
          data_sufficiency: q(100 * m.coverage, '%'),
          sampling_interval: q(m.intervalMinutes, 'min'),
        },
      },
      rule: {
        id: 'cgm.battelino_2019',
        name: 'CGM metrics against the International Consensus on Time in Range',
        citation: `${BATTELINO_2019}; GMI: ${BERGENSTAL_2018}`,
      },
      depends_on: ['health-tracking'],
    },
  ];
}

const MIN = 60_000;

interface MealRise {
  meal: { id: string; name: string; eaten_at: string; carbohydrate_g: number | null };
  baseline: number;
  peak: number;
  rise: number;
  readingIds: string[];
}

/**
 * Post-meal glucose: for each meal, the glucose reading closest before it (up to 30 minutes before) and
 * the highest reading in the 2 hours after it, with at least one reading 1-2 h after (the ADA's time for
 * the postprandial peak). Three meals or more make an insight; with 8 or more of known carbohydrate, the
 * rise is also set against the carbohydrate (Spearman).
 */
export function mealGlucoseRises(data: UserData): MealRise[] {
  if (!data.glucose || !data.meals) return [];
  const readings = data.glucose.items.map((m) => ({ ...toReading(m), id: m.id })).sort((a, b) => a.ms - b.ms);
  const rises: MealRise[] = [];
  for (const meal of data.meals.items) {
    const t = Date.parse(meal.eaten_at);
    const before = readings.filter((r) => r.ms >= t - 30 * MIN && r.ms <= t);
    const after = readings.filter((r) => r.ms > t && r.ms <= t + 120 * MIN);
    if (before.length === 0 || !after.some((r) => r.ms >= t + 60 * MIN)) continue;
    const baseline = before[before.length - 1]!;
    const peak = after.reduce((a, r) => (r.mgdl > a.mgdl ? r : a));
    rises.push({
      meal,
      baseline: baseline.mgdl,
      peak: peak.mgdl,
      rise: peak.mgdl - baseline.mgdl,
      readingIds: [baseline.id, peak.id].filter((id): id is string => id !== null),
    });
  }
  return rises;
}

export function mealGlucoseInsights(data: UserData): InsightDraft[] {
  const rises = mealGlucoseRises(data);
  if (rises.length < 3 || !data.meals) return [];
  const above = rises.filter((r) => r.peak >= POSTPRANDIAL_PEAK_GOAL_MGDL);
  const medianRise = median(rises.map((r) => r.rise));
  const medianPeak = median(rises.map((r) => r.peak));
  const withCarbs = rises.filter((r) => r.meal.carbohydrate_g !== null);
  const carbs =
    withCarbs.length >= 8
      ? spearman(
          withCarbs.map((r) => r.meal.carbohydrate_g!),
          withCarbs.map((r) => r.rise),
        )
      : null;
  const severity: Severity =
    above.length === 0 ? 'info' : above.length * 2 >= rises.length ? 'moderate' : 'low';
  const highest = rises.reduce((a, r) => (r.peak > a.peak ? r : a));
  const values: Record<string, ReturnType<typeof q>> = {
    meals: q(rises.length, '1'),
    median_rise: q(medianRise, 'mg/dL'),
    median_peak: q(medianPeak, 'mg/dL'),
    meals_peak_at_or_above_180: q(above.length, '1'),
    highest_peak: q(highest.peak, 'mg/dL'),
  };
  if (carbs) {
    values.carbohydrate_rise_rho = q(carbs.rho, '1');
    values.carbohydrate_rise_p_value = q(carbs.p, '1');
  }
  const carbText = carbs
    ? ` Across the ${carbs.n} meals with a known carbohydrate amount, the rise was ${
        carbs.p < 0.05
          ? carbs.rho > 0
            ? 'larger after meals with more carbohydrate'
            : 'smaller after meals with more carbohydrate'
          : 'not significantly related to the carbohydrate'
      } (Spearman ρ = ${fmt(carbs.rho, 2)}, ${pText(carbs.p)}).`
    : '';
  return [
    {
      fingerprint: `meal_glucose.ada_2025:blood_glucose:${above.length > 0 ? 'peak_at_or_above_180' : 'peak_below_180'}`,
      kind: 'correlation',
      severity,
      title: `After meals, glucose rose by a median of ${fmt(medianRise, 0)} mg/dL`,
      explanation:
        `For ${rises.length} meals in the last ${CGM_WINDOW_DAYS} days with glucose readings before and 1-2 hours ` +
        `after, your glucose rose by a median of ${fmt(medianRise, 0)} mg/dL to a median peak of ${fmt(medianPeak, 0)} mg/dL ` +
        `within 2 hours (highest: ${fmt(highest.peak, 0)} mg/dL after "${highest.meal.name}" on ` +
        `${localDateTime(Date.parse(highest.meal.eaten_at), data.tz)}). ${above.length} of them peaked at or above ` +
        `${POSTPRANDIAL_PEAK_GOAL_MGDL} mg/dL, the ADA's postprandial goal for many adults with diabetes.${carbText}`,
      metric_types: ['blood_glucose'],
      evidence: {
        from: data.meals.from,
        to: data.meals.to,
        sample_count: rises.length,
        record_ids: [...rises.map((r) => r.meal.id), ...rises.flatMap((r) => r.readingIds)],
        values,
      },
      rule: {
        id: 'meal_glucose.ada_2025',
        name: 'Glucose rise after meals (nutrition meal times and glucose readings)',
        citation:
          `${ADA_POSTPRANDIAL}; ${carbs ? 'rise against carbohydrate: Spearman C. Am J Psychol 1904;15:72-101' : ''}`.replace(
            /; $/,
            '',
          ),
      },
      depends_on: ['health-tracking', 'nutrition'],
    },
  ];
}
