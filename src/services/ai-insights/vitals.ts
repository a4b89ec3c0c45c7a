import type { MetricItem, UserData } from './gather.js';
import { fmt, q, type InsightDraft, type Severity } from './insight.js';
import { localDate } from '../../platform/time.js';
import { localDateTime } from './time.js';

/**
 * Readings outside guideline ranges, as health tracking classifies them (2017 ACC/AHA blood pressure,
 * WHO BMI, ADA glucose): the classes, labels, notes and guideline names are its API's output, used as
 * given; nothing here re-derives a threshold.
 */

/** Health tracking's blood-pressure class codes, lowest first. */
const BP_ORDER = ['normal', 'elevated', 'stage_1', 'stage_2', 'severe'];

const bpText = (m: MetricItem) => {
  const v = m.canonical_value as { systolic: number; diastolic: number };
  return `${fmt(v.systolic, 0)}/${fmt(v.diastolic, 0)} mmHg`;
};

function ids(items: MetricItem[]): string[] {
  return items.map((m) => m.id).filter((id): id is string => id !== null);
}

export function bloodPressureInsights(data: UserData): InsightDraft[] {
  const bp = data.bloodPressure;
  if (!bp) return [];
  const classified = bp.items.filter((m) => m.classification && BP_ORDER.includes(m.classification.class));
  if (classified.length === 0) return [];
  const rank = (m: MetricItem) => BP_ORDER.indexOf(m.classification!.class);
  const dayOf = (m: MetricItem) => localDate(Date.parse(m.timestamp), data.tz);
  const guideline = classified[0]!.classification!.guideline;
  const rule = {
    id: 'vitals.blood_pressure.acc_aha_2017',
    name: 'Blood pressure readings by 2017 ACC/AHA category',
    citation: guideline,
  };
  const base = {
    kind: 'out_of_range' as const,
    metric_types: ['blood_pressure'],
    rule,
    depends_on: ['health-tracking' as const],
  };
  const out: InsightDraft[] = [];

  const severe = classified.filter((m) => m.classification!.class === 'severe');
  if (severe.length > 0) {
    const newest = severe[0]!;
    const c = newest.classification!;
    out.push({
      ...base,
      fingerprint: `${rule.id}:blood_pressure:severe:${newest.timestamp}`,
      severity: 'high',
      title: `Blood pressure of ${bpText(newest)}: ${c.label}`,
      explanation:
        `Your reading of ${bpText(newest)} on ${localDateTime(Date.parse(newest.timestamp), data.tz)} is in the ` +
        `class "${c.label}" of the 2017 ACC/AHA guideline` +
        (severe.length > 1 ? `, as are ${severe.length - 1} other reading(s) in the last 30 days` : '') +
        `. ${c.note ?? ''}`.trimEnd(),
      evidence: {
        from: bp.from,
        to: bp.to,
        sample_count: classified.length,
        record_ids: ids(severe),
        values: {
          systolic: q((newest.canonical_value as { systolic: number }).systolic, 'mm[Hg]'),
          diastolic: q((newest.canonical_value as { diastolic: number }).diastolic, 'mm[Hg]'),
          readings_in_class: q(severe.length, '1'),
        },
      },
    });
  }

  // The guideline categorises on 2 or more readings on 2 or more occasions: the highest class reached
  // (at or above) on at least two different days.
  let sustained = -1;
  for (let level = BP_ORDER.length - 2; level >= 1; level -= 1) {
    const days = new Set(classified.filter((m) => rank(m) >= level).map(dayOf));
    if (days.size >= 2) {
      sustained = level;
      break;
    }
  }
  const highestSingle = Math.max(...classified.map(rank));
  const level = sustained >= 1 ? sustained : highestSingle >= 2 && highestSingle < 4 ? highestSingle : -1;
  if (level >= 1) {
    const inClass = classified.filter((m) => rank(m) >= level);
    const days = new Set(inClass.map(dayOf));
    const lowest = inClass.reduce((a, m) => (rank(m) < rank(a) ? m : a));
    const label = lowest.classification!.label;
    const orHigher = inClass.some((m) => rank(m) > rank(lowest));
    const meanOf = (part: 'systolic' | 'diastolic') =>
      inClass.reduce((a, m) => a + (m.canonical_value as Record<string, number>)[part]!, 0) / inClass.length;
    const repeated = days.size >= 2;
    const severity: Severity = !repeated ? 'info' : level >= 3 ? 'moderate' : level === 2 ? 'low' : 'info';
    const className = BP_ORDER[level]!;
    out.push({
      ...base,
      fingerprint: `${rule.id}:blood_pressure:${className}${repeated ? '' : ':single'}`,
      severity,
      title: repeated
        ? `Blood pressure: ${label} on ${days.size} days`
        : `One blood pressure reading: ${label}`,
      explanation:
        `In the last 30 days, ${inClass.length} of your ${classified.length} blood pressure readings` +
        (repeated ? `, on ${days.size} different days,` : '') +
        ` were in the class "${label}"${orHigher ? ' or higher' : ''} of the 2017 ACC/AHA guideline ` +
        `(their average: ${fmt(meanOf('systolic'), 0)}/${fmt(meanOf('diastolic'), 0)} mmHg). ` +
        'The guideline categorises blood pressure on the average of 2 or more readings taken on 2 or more ' +
        'occasions' +
        (repeated
          ? '; discuss these readings with your clinician.'
          : ': one reading does not categorise it.'),
      evidence: {
        from: bp.from,
        to: bp.to,
        sample_count: classified.length,
        record_ids: ids(inClass),
        values: {
          readings_in_class: q(inClass.length, '1'),
          days_in_class: q(days.size, 'd'),
          mean_systolic: q(meanOf('systolic'), 'mm[Hg]'),
          mean_diastolic: q(meanOf('diastolic'), 'mm[Hg]'),
        },
      },
    });
  }
  return out;
}

/** Health tracking's per-reading glucose classes (ADA Standards of Care 2025). */
const HYPO = ['hypoglycemia_level_2', 'hypoglycemia_level_1'];

/**
 * Glucose readings by ADA class over the last 14 days. The readings of a CGM are left to the CGM
 * metrics (cgmSource), which put hypoglycaemia in its time context; meters and entries are read here.
 */
export function glucoseReadingInsights(data: UserData, cgmSource: string | null): InsightDraft[] {
  const g = data.glucose;
  if (!g) return [];
  const items = g.items.filter((m) => m.classification && m.source !== cgmSource);
  if (items.length === 0) return [];
  const guideline = items[0]!.classification!.guideline;
  const rule = {
    id: 'vitals.blood_glucose.ada_2025',
    name: 'Glucose readings by ADA class',
    citation: guideline,
  };
  const out: InsightDraft[] = [];
  const dayOf = (m: MetricItem) => localDate(Date.parse(m.timestamp), data.tz);
  const make = (
    cls: string,
    severity: Severity,
    fingerprintSubject: string,
    explain: (group: MetricItem[], days: number, label: string) => string,
  ) => {
    const group = items.filter((m) => m.classification!.class === cls);
    if (group.length === 0) return;
    const newest = group[0]!;
    const days = new Set(group.map(dayOf)).size;
    const label = newest.classification!.label;
    const values = group.map((m) => m.canonical_value as number);
    out.push({
      fingerprint: `${rule.id}:blood_glucose:${fingerprintSubject}`,
      kind: 'out_of_range',
      severity,
      title:
        group.length === 1
          ? `Glucose ${fmt(values[0]!, 0)} mg/dL: ${label}`
          : `${group.length} glucose readings: ${label}`,
      explanation: `${explain(group, days, label)} ${newest.classification!.note ?? ''}`.trim(),
      metric_types: ['blood_glucose'],
      evidence: {
        from: g.from,
        to: g.to,
        sample_count: items.length,
        record_ids: ids(group),
        values: {
          readings_in_class: q(group.length, '1'),
          days_in_class: q(days, 'd'),
          lowest: q(Math.min(...values), 'mg/dL'),
          highest: q(Math.max(...values), 'mg/dL'),
        },
      },
      rule,
      depends_on: ['health-tracking'],
    });
  };
  const when = (m: MetricItem) => localDateTime(Date.parse(m.timestamp), data.tz);
  const summary = (group: MetricItem[], label: string) =>
    `${group.length} of your ${items.length} glucose readings in the last 14 days` +
    ` were "${label}" (ADA Standards of Care), the latest ${fmt(group[0]!.canonical_value as number, 0)} mg/dL on ${when(group[0]!)}.`;
  // Each new hypoglycaemic reading is news: its time is part of the identity.
  for (const cls of HYPO) {
    const newest = items.find((m) => m.classification!.class === cls);
    if (!newest) continue;
    make(cls, cls === HYPO[0] ? 'high' : 'moderate', `${cls}:${newest.timestamp}`, (group, _d, label) =>
      summary(group, label),
    );
  }
  make(
    'diabetes_range',
    'moderate',
    'diabetes_range',
    (group, days, label) =>
      `${summary(group, label)} They were marked fasting, on ${days} day(s); discuss these readings with your clinician.`,
  );
  make(
    'prediabetes',
    'low',
    'prediabetes',
    (group, days, label) => `${summary(group, label)} They were marked fasting, on ${days} day(s).`,
  );
  make('diabetes_range_if_symptomatic', 'low', 'diabetes_range_if_symptomatic', (group, _d, label) =>
    summary(group, label),
  );
  return out;
}

const BMI_MODERATE = [
  'severe_thinness',
  'moderate_thinness',
  'obese_class_1',
  'obese_class_2',
  'obese_class_3',
];

/** The latest BMI reading, when the WHO classification puts it outside the normal range. */
export function bmiInsights(data: UserData): InsightDraft[] {
  const latest = data.latest.find((m) => m.metric_type === 'bmi');
  const c = latest?.classification;
  if (!latest || !c || c.class === 'normal') return [];
  const value = latest.canonical_value as number;
  return [
    {
      fingerprint: `vitals.bmi.who:bmi:${c.class}`,
      kind: 'out_of_range',
      severity: BMI_MODERATE.includes(c.class) ? 'moderate' : 'low',
      title: `BMI ${fmt(value, 1)}: ${c.label}`,
      explanation:
        `Your latest BMI, ${fmt(value, 1)} kg/m² on ${localDate(Date.parse(latest.timestamp), data.tz)}, is in the ` +
        `WHO class "${c.label}". ${c.note ?? ''}`.trim(),
      metric_types: ['bmi'],
      evidence: {
        from: latest.timestamp,
        to: latest.timestamp,
        sample_count: 1,
        record_ids: latest.id ? [latest.id] : [],
        values: { bmi: q(value, 'kg/m2') },
      },
      rule: { id: 'vitals.bmi.who', name: 'Body mass index by WHO class', citation: c.guideline },
      depends_on: ['health-tracking'],
    },
  ];
}
