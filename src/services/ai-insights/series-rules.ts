import type { DailySeries, UserData } from './gather.js';
import { fmt, pText, q, type InsightDraft } from './insight.js';
import {
  mannKendallHamedRao,
  median,
  mad,
  modifiedZ,
  MODIFIED_Z_OUTLIER,
  spearman,
  theilSen,
} from './stats.js';
import { addDays } from '../../platform/time.js';
import { daysBetween } from './time.js';

export const TREND_CITATION =
  'Theil H. A rank-invariant method of linear and polynomial regression analysis. Proc Kon Ned Akad ' +
  "Wetensch A 1950;53:386-392; Sen PK. Estimates of the regression coefficient based on Kendall's tau. " +
  'J Am Stat Assoc 1968;63:1379-1389; Mann HB. Nonparametric tests against trend. Econometrica ' +
  '1945;13:245-259; Kendall MG. Rank Correlation Methods. 4th ed. Griffin; 1975; Hamed KH, Rao AR. A ' +
  'modified Mann-Kendall trend test for autocorrelated data. J Hydrol 1998;204:182-196';
export const ANOMALY_CITATION =
  'Iglewicz B, Hoaglin DC. How to Detect and Handle Outliers. ASQC Quality Press; 1993 (modified z-score ' +
  '0.6745 (x - median) / MAD; |M| > 3.5 marks a potential outlier)';
export const CORRELATION_CITATION =
  'Spearman C. The proof and measurement of association between two things. Am J Psychol 1904;15:72-101 ' +
  '(rank correlation; p-value by the t approximation with n - 2 degrees of freedom)';

/** At least two weeks of days with data before a trend or a baseline is read. */
export const MIN_DAYS = 14;
export const ALPHA = 0.05;
export const RECENT_DAYS = 7;
export const BASELINE_DAYS = 28;

function what(s: DailySeries): string {
  if (s.metricType === 'sleep_duration') return 'nightly sleep';
  const name = s.label.charAt(0).toLowerCase() + s.label.slice(1);
  return s.aggregate === 'sum' ? `daily total ${name}` : `daily mean ${name}`;
}

const unitText = (s: DailySeries) => (s.unit ? ` ${s.unit}` : '');

/**
 * A trend over the series window (the 90 full days before today): Theil-Sen slope, significant when the
 * Mann-Kendall test with the Hamed-Rao correction gives p < 0.05, over at least 14 days with data.
 */
export function trendInsights(data: UserData): InsightDraft[] {
  const out: InsightDraft[] = [];
  const startDay = addDays(data.today, -90);
  for (const s of data.series) {
    if (s.days.length < MIN_DAYS) continue;
    const points = s.days.map((d) => ({ x: daysBetween(startDay, d.day), y: d.value }));
    const fit = theilSen(points);
    if (!fit || fit.slope === 0) continue;
    const test = mannKendallHamedRao(points);
    if (!(test.p < ALPHA) || Math.sign(test.s) !== Math.sign(fit.slope)) continue;
    const span = points[points.length - 1]!.x - points[0]!.x;
    const change = fit.slope * span;
    const up = fit.slope > 0;
    const per = Math.abs(fit.slope) * 7 >= 0.1 ? 'week' : 'day';
    const rate = per === 'week' ? fit.slope * 7 : fit.slope;
    const first = s.days[0]!.day;
    const last = s.days[s.days.length - 1]!.day;
    out.push({
      fingerprint: `trend.theil_sen_mann_kendall:${s.key}:${up ? 'up' : 'down'}`,
      kind: 'trend',
      severity: 'info',
      title: `${s.label}: ${up ? 'rising' : 'falling'} (${up ? '+' : ''}${fmt(rate, 2)}${unitText(s)} a ${per})`,
      explanation:
        `Across ${s.days.length} days with readings from ${first} to ${last}, your ${what(s)} ` +
        `${up ? 'rose' : 'fell'} by about ${fmt(Math.abs(rate), 2)}${unitText(s)} a ${per} ` +
        `(Theil-Sen slope; ${fmt(Math.abs(change), 1)}${unitText(s)} over the period). The Mann-Kendall ` +
        `test, corrected for day-to-day autocorrelation (Hamed-Rao), finds this trend significant (${pText(test.p)}).`,
      metric_types: [s.metricType],
      evidence: {
        from: s.from,
        to: s.to,
        sample_count: s.days.reduce((a, d) => a + d.count, 0),
        record_ids: [],
        values: {
          slope_per_day: q(fit.slope, `${s.ucum}/d`),
          change_over_period: q(change, s.ucum),
          days_with_data: q(s.days.length, 'd'),
          mann_kendall_s: q(test.s, '1'),
          z: q(test.z, '1'),
          p_value: q(test.p, '1'),
          autocorrelation_factor: q(test.correction, '1'),
        },
      },
      rule: {
        id: 'trend.theil_sen_mann_kendall',
        name: 'Trend: Theil-Sen slope with the Mann-Kendall test (Hamed-Rao correction)',
        citation: TREND_CITATION,
      },
      depends_on: ['health-tracking'],
    });
  }
  return out;
}

/**
 * Days of the last week far from the person's own baseline: each recent daily value against the 28 days
 * before the week (at least 14 with data), by the modified z-score; |M| > 3.5 is flagged.
 */
export function anomalyInsights(data: UserData): InsightDraft[] {
  const out: InsightDraft[] = [];
  const recentFrom = addDays(data.today, -RECENT_DAYS);
  const baselineFrom = addDays(recentFrom, -BASELINE_DAYS);
  for (const s of data.series) {
    const baseline = s.days.filter((d) => d.day >= baselineFrom && d.day < recentFrom);
    const recent = s.days.filter((d) => d.day >= recentFrom && d.day < data.today);
    if (baseline.length < MIN_DAYS || recent.length === 0) continue;
    const values = baseline.map((d) => d.value);
    const center = median(values);
    const spread = mad(values);
    const flagged = recent
      .map((d) => ({ ...d, z: modifiedZ(d.value, values) }))
      .filter((d): d is typeof d & { z: number } => d.z !== null && Math.abs(d.z) > MODIFIED_Z_OUTLIER);
    for (const direction of ['high', 'low'] as const) {
      const days = flagged.filter((d) => (direction === 'high' ? d.z > 0 : d.z < 0));
      if (days.length === 0) continue;
      const newest = days[days.length - 1]!;
      const list = days
        .map((d) => `${fmt(d.value, 1)}${unitText(s)} on ${d.day} (z ${fmt(d.z, 1)})`)
        .join(', ');
      out.push({
        fingerprint: `anomaly.modified_z:${s.key}:${direction}:${newest.day}`,
        kind: 'anomaly',
        severity: 'low',
        title:
          days.length === 1
            ? `${s.label} unusually ${direction} on ${newest.day}`
            : `${s.label} unusually ${direction} on ${days.length} of the last ${RECENT_DAYS} days`,
        explanation:
          `Your ${what(s)} was ${list}, against your own baseline: a median of ${fmt(center, 1)}${unitText(s)} ` +
          `(median absolute deviation ${fmt(spread, 2)}${unitText(s)}) over ${baseline.length} days with data ` +
          `from ${baselineFrom} to ${addDays(recentFrom, -1)}. A modified z-score beyond ${MODIFIED_Z_OUTLIER} ` +
          'marks a potential outlier (Iglewicz and Hoaglin). This compares you only with your own recent days.',
        metric_types: [s.metricType],
        evidence: {
          from: s.from,
          to: s.to,
          sample_count: [...baseline, ...recent].reduce((a, d) => a + d.count, 0),
          record_ids: [],
          values: {
            latest_flagged_value: q(newest.value, s.ucum),
            modified_z: q(newest.z, '1'),
            baseline_median: q(center, s.ucum),
            baseline_mad: q(spread, s.ucum),
            baseline_days: q(baseline.length, 'd'),
            flagged_days: q(days.length, 'd'),
          },
        },
        rule: {
          id: 'anomaly.modified_z',
          name: 'Unusual day against your own baseline (modified z-score)',
          citation: ANOMALY_CITATION,
        },
        depends_on: ['health-tracking'],
      });
    }
  }
  return out;
}

/**
 * Sleep and resting heart rate: the hours slept in a night (noon to noon) against the resting heart rate
 * of the day the night ends, over at least 14 pairs; reported when Spearman's p < 0.05.
 */
export function sleepHeartRateInsights(data: UserData): InsightDraft[] {
  const sleep = data.series.find((s) => s.key === 'sleep_duration');
  const rhr = data.series.find((s) => s.key === 'resting_heart_rate');
  if (!sleep || !rhr) return [];
  const byDay = new Map(rhr.days.map((d) => [d.day, d]));
  const pairs = sleep.days.filter((n) => byDay.has(n.day)).map((n) => ({ night: n, rhr: byDay.get(n.day)! }));
  if (pairs.length < MIN_DAYS) return [];
  const r = spearman(
    pairs.map((p) => p.night.value),
    pairs.map((p) => p.rhr.value),
  );
  if (!r || !(r.p < ALPHA)) return [];
  const negative = r.rho < 0;
  return [
    {
      fingerprint: `correlation.spearman:sleep_duration+resting_heart_rate:${negative ? 'negative' : 'positive'}`,
      kind: 'correlation',
      severity: 'info',
      title: negative
        ? 'After shorter nights, your resting heart rate was higher'
        : 'After longer nights, your resting heart rate was higher',
      explanation:
        `Over ${r.n} nights with both, the hours you slept and your resting heart rate on the day the night ` +
        `ended were ${negative ? 'negatively' : 'positively'} correlated (Spearman ρ = ${fmt(r.rho, 2)}, ` +
        `${pText(r.p)}). A correlation does not show that one causes the other.`,
      metric_types: ['sleep_duration', 'resting_heart_rate'],
      evidence: {
        from: sleep.from < rhr.from ? sleep.from : rhr.from,
        to: sleep.to > rhr.to ? sleep.to : rhr.to,
        sample_count: pairs.length,
        record_ids: [],
        values: {
          spearman_rho: q(r.rho, '1'),
          p_value: q(r.p, '1'),
          pairs: q(r.n, '1'),
          median_sleep: q(median(pairs.map((p) => p.night.value)), sleep.ucum),
          median_resting_heart_rate: q(median(pairs.map((p) => p.rhr.value)), rhr.ucum),
        },
      },
      rule: {
        id: 'correlation.spearman.sleep_resting_heart_rate',
        name: 'Sleep and next-day resting heart rate (Spearman rank correlation)',
        citation: CORRELATION_CITATION,
      },
      depends_on: ['health-tracking'],
    },
  ];
}
