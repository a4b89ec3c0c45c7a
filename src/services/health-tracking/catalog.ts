/**
 * The metric catalogue: every metric type this service accepts, its canonical UCUM unit, the units it
 * accepts (plain names such as "bpm" and UCUM codes), and its plausible range.
 *
 * Plausible ranges are data-quality guards, not clinical thresholds: a value outside them is almost
 * surely a typing or unit mistake (a weight in grams sent as kilograms, a temperature in °F sent as °C)
 * and is refused with the range named. Each range says where its limits come from.
 */

export const METRIC_TYPES = [
  'heart_rate',
  'resting_heart_rate',
  'blood_pressure',
  'blood_glucose',
  'weight',
  'height',
  'bmi',
  'body_temperature',
  'oxygen_saturation',
  'respiratory_rate',
  'steps',
  'sleep_duration',
  'body_fat_percentage',
  'active_energy',
  'heart_rate_variability_sdnn',
  'heart_rate_variability_rmssd',
  'walking_running_distance',
] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export const GLUCOSE_CONTEXTS = ['fasting', 'before_meal', 'after_meal', 'random'] as const;
export type GlucoseContext = (typeof GLUCOSE_CONTEXTS)[number];

/** A unit the API accepts: its UCUM code and every name that may be sent for it. */
export interface UnitDef {
  ucum: string;
  /** Names accepted in `unit`, the first being the one shown; the UCUM code is always accepted too. */
  names: readonly string[];
}

export interface PlausibleRange {
  /** In the canonical unit. */
  min: number;
  max: number;
  /** The minimum itself is not plausible (a glucose of exactly 0). */
  minExclusive?: boolean;
  source: string;
}

export interface MetricDef {
  type: MetricType;
  name: string;
  /** 'blood_pressure' readings are one systolic/diastolic pair; everything else is one number. */
  kind: 'scalar' | 'blood_pressure';
  /** Canonical UCUM unit: what is stored and what summaries are in. */
  canonical: string;
  units: readonly UnitDef[];
  range: PlausibleRange;
  /** Blood pressure: the range of the diastolic value (the systolic uses `range`). */
  diastolicRange?: PlausibleRange;
  /** Molar mass for mol <-> mass conversions (g/mol). */
  molarMass?: { value: number; source: string };
  contexts?: readonly GlucoseContext[];
  /** The guideline its readings are classified by, when one exists. */
  guideline?: string;
}

const BEATS: UnitDef = { ucum: '/min', names: ['bpm', '/min', '{beats}/min', 'beats/min', '1/min'] };
const HEART_RATE_RANGE: PlausibleRange = {
  min: 20,
  max: 300,
  source:
    'Data-quality limits: the maximal sinus rate is about 208 - 0.7 x age /min (Tanaka, Monahan & Seals, ' +
    'J Am Coll Cardiol 2001;37:153-156), so 300 /min leaves room for tachyarrhythmias; below 20 /min a ' +
    'living person is in arrest-level bradycardia and the reading is an artefact.',
};

const HRV_RANGE: PlausibleRange = {
  min: 0,
  max: 500,
  minExclusive: true,
  source:
    'Data-quality limits: 24-hour SDNN in healthy adults is about 141 +/- 39 ms and short-term RMSSD ' +
    'rarely exceeds 200 ms (Task Force of the ESC and NASPE, Circulation 1996;93:1043-1065; Nunan et al., ' +
    'Pacing Clin Electrophysiol 2010;33:1407-1417); 500 ms leaves room for ectopy-laden recordings.',
};

/**
 * Glucose C6H12O6: 6 x 12.011 + 12 x 1.008 + 6 x 15.999 = 180.156 g/mol, from the IUPAC standard atomic
 * weights (conventional values, CIAAW/IUPAC 2021). 1 mmol/L = 18.0156 mg/dL.
 */
export const GLUCOSE_MOLAR_MASS = 180.156;

export const CATALOG: readonly MetricDef[] = [
  {
    type: 'heart_rate',
    name: 'Heart rate',
    kind: 'scalar',
    canonical: '/min',
    units: [BEATS],
    range: HEART_RATE_RANGE,
  },
  {
    type: 'resting_heart_rate',
    name: 'Resting heart rate',
    kind: 'scalar',
    canonical: '/min',
    units: [BEATS],
    range: {
      min: 20,
      max: 250,
      source:
        'Data-quality limits: at rest a heart rate over 250 /min is a sustained tachyarrhythmia or an ' +
        'artefact; below 20 /min, as for heart_rate.',
    },
  },
  {
    type: 'blood_pressure',
    name: 'Blood pressure',
    kind: 'blood_pressure',
    canonical: 'mm[Hg]',
    units: [
      { ucum: 'mm[Hg]', names: ['mmHg', 'mm[Hg]', 'mm Hg'] },
      { ucum: 'kPa', names: ['kPa'] },
    ],
    range: {
      min: 40,
      max: 300,
      source:
        'Data-quality limits for a systolic reading: automated cuffs measure up to about 300 mmHg (the ' +
        'usual stated range of oscillometric devices is 0-299 mmHg), and below 40 mmHg no cuff finds a pulse.',
    },
    diastolicRange: {
      min: 20,
      max: 200,
      source:
        'Data-quality limits for a diastolic reading: the hypertensive-crisis threshold is >120 mmHg ' +
        '(2017 ACC/AHA guideline), 200 leaves room above it; below 20 mmHg is not measurable by a cuff.',
    },
    guideline: '2017 ACC/AHA high blood pressure guideline',
  },
  {
    type: 'blood_glucose',
    name: 'Blood glucose',
    kind: 'scalar',
    canonical: 'mg/dL',
    units: [
      { ucum: 'mg/dL', names: ['mg/dL', 'mg/dl'] },
      { ucum: 'mmol/L', names: ['mmol/L', 'mmol/l'] },
    ],
    range: {
      min: 0,
      minExclusive: true,
      max: 1000,
      source:
        "Tidepool's data model for blood glucose (tidepool-org/platform, data/blood/glucose): above 0 and " +
        'at most 1000 mg/dL (55 mmol/L).',
    },
    molarMass: {
      value: GLUCOSE_MOLAR_MASS,
      source: 'C6H12O6 from IUPAC standard atomic weights (C 12.011, H 1.008, O 15.999): 180.156 g/mol',
    },
    contexts: GLUCOSE_CONTEXTS,
    guideline: 'ADA Standards of Care in Diabetes 2025',
  },
  {
    type: 'weight',
    name: 'Body weight',
    kind: 'scalar',
    canonical: 'kg',
    units: [
      { ucum: 'kg', names: ['kg'] },
      { ucum: 'g', names: ['g'] },
      { ucum: '[lb_av]', names: ['lb', 'lbs', '[lb_av]'] },
      { ucum: '[stone_av]', names: ['st', '[stone_av]'] },
    ],
    range: {
      min: 0.2,
      max: 650,
      source:
        'Encloses the recorded extremes: the smallest surviving newborns weighed about 0.25 kg; the heaviest ' +
        'recorded person, Jon Brower Minnoch, about 635 kg (Guinness World Records).',
    },
  },
  {
    type: 'height',
    name: 'Body height',
    kind: 'scalar',
    canonical: 'cm',
    units: [
      { ucum: 'cm', names: ['cm'] },
      { ucum: 'm', names: ['m'] },
      { ucum: '[in_i]', names: ['in', '[in_i]'] },
      { ucum: '[ft_i]', names: ['ft', '[ft_i]'] },
    ],
    range: {
      min: 20,
      max: 275,
      source:
        'Encloses the recorded extremes: the tallest recorded person, Robert Wadlow, measured 272 cm ' +
        '(Guinness World Records); the smallest surviving newborns measure about 20-25 cm.',
    },
  },
  {
    type: 'bmi',
    name: 'Body mass index',
    kind: 'scalar',
    canonical: 'kg/m2',
    units: [{ ucum: 'kg/m2', names: ['kg/m2', 'kg/m²'] }],
    range: {
      min: 5,
      max: 200,
      source:
        'Encloses the extremes of survived body mass index: 635 kg at 185 cm (Minnoch) is 186 kg/m2; ' +
        'values under 10 kg/m2 are reported only in starvation.',
    },
    guideline: 'WHO adult BMI classification',
  },
  {
    type: 'body_temperature',
    name: 'Body temperature',
    kind: 'scalar',
    canonical: 'Cel',
    units: [
      { ucum: 'Cel', names: ['°C', 'C', 'Cel', 'degC'] },
      { ucum: '[degF]', names: ['°F', 'F', '[degF]', 'degF'] },
    ],
    range: {
      min: 13,
      max: 47,
      source:
        'Encloses the survived extremes: accidental hypothermia of 13.7 °C (Gilbert et al., Lancet ' +
        '2000;355:375-376) and heatstroke at 46.5 °C (Willie Jones, 1980, Guinness World Records).',
    },
  },
  {
    type: 'oxygen_saturation',
    name: 'Oxygen saturation (SpO2)',
    kind: 'scalar',
    canonical: '%',
    units: [{ ucum: '%', names: ['%'] }],
    range: {
      min: 50,
      max: 100,
      source:
        'A saturation cannot exceed 100 %. Pulse oximeters state their accuracy over 70-100 % SpO2 ' +
        '(ISO 80601-2-61); readings under 50 % are outside any such range and come from a probe off the finger.',
    },
  },
  {
    type: 'respiratory_rate',
    name: 'Respiratory rate',
    kind: 'scalar',
    canonical: '/min',
    units: [{ ucum: '/min', names: ['breaths/min', '/min', '{breaths}/min', 'brpm', '1/min'] }],
    range: {
      min: 2,
      max: 80,
      source:
        'Data-quality limits: newborns breathe up to about 60 /min at rest, so 80 leaves room for ' +
        'tachypnoea; under 2 /min is apnoea, not a rate.',
    },
  },
  {
    type: 'steps',
    name: 'Steps',
    kind: 'scalar',
    canonical: '{steps}',
    units: [{ ucum: '{steps}', names: ['steps', '{steps}', 'count'] }],
    range: {
      min: 0,
      max: 260000,
      source:
        'At most one day of running without a break: 24 h x 60 min x 180 steps/min (a running cadence) ' +
        '= 259,200 steps per entry.',
    },
  },
  {
    type: 'sleep_duration',
    name: 'Sleep duration',
    kind: 'scalar',
    canonical: 'h',
    units: [
      { ucum: 'h', names: ['h', 'hr', 'hours'] },
      { ucum: 'min', names: ['min', 'minutes'] },
    ],
    range: {
      min: 0,
      max: 24,
      source: 'One entry is one sleep period within a day: it cannot exceed 24 h.',
    },
  },
  {
    type: 'body_fat_percentage',
    name: 'Body fat',
    kind: 'scalar',
    canonical: '%',
    units: [{ ucum: '%', names: ['%'] }],
    range: {
      min: 1,
      max: 80,
      source:
        'Data-quality limits: essential fat is about 2-5 % in men and 10-13 % in women (American Council ' +
        'on Exercise body-fat categories); above 80 % is beyond any reported measurement.',
    },
  },
  {
    type: 'active_energy',
    name: 'Active energy burned',
    kind: 'scalar',
    canonical: 'kcal',
    units: [
      { ucum: 'kcal', names: ['kcal', 'Cal', '[Cal]'] },
      { ucum: 'kJ', names: ['kJ'] },
    ],
    range: {
      min: 0,
      max: 20000,
      source:
        'Tour de France riders expend up to about 9,000 kcal a day (Saris et al., Int J Sports Med ' +
        '1989;10 Suppl 1:S26-31); 20,000 kcal per entry leaves room above any recorded day.',
    },
  },
  // SDNN and RMSSD are different statistics of the same beat-to-beat intervals and are not interchangeable
  // (Task Force of the ESC and NASPE, Circulation 1996;93:1043-1065), so each has its own type: Apple
  // Watch reports SDNN, Oura reports RMSSD.
  {
    type: 'heart_rate_variability_sdnn',
    name: 'Heart rate variability (SDNN)',
    kind: 'scalar',
    canonical: 'ms',
    units: [{ ucum: 'ms', names: ['ms'] }],
    range: HRV_RANGE,
  },
  {
    type: 'heart_rate_variability_rmssd',
    name: 'Heart rate variability (RMSSD)',
    kind: 'scalar',
    canonical: 'ms',
    units: [{ ucum: 'ms', names: ['ms'] }],
    range: HRV_RANGE,
  },
  {
    type: 'walking_running_distance',
    name: 'Walking and running distance',
    kind: 'scalar',
    canonical: 'm',
    units: [
      { ucum: 'm', names: ['m'] },
      { ucum: 'km', names: ['km'] },
      { ucum: '[mi_i]', names: ['mi', '[mi_i]'] },
    ],
    range: {
      min: 0,
      max: 350000,
      source:
        'At most one day on foot without a break: the 24-hour running record is about 320 km (IAU ' +
        '24 Hour World Championships), so 350 km per entry leaves room above any recorded day.',
    },
  },
];

const BY_TYPE = new Map<string, MetricDef>(CATALOG.map((d) => [d.type, d]));

export function metricDef(type: string): MetricDef | undefined {
  return BY_TYPE.get(type);
}

/** The name a canonical unit is shown with (the first accepted name of that UCUM unit). */
export function displayUnit(def: MetricDef): string {
  return def.units.find((u) => u.ucum === def.canonical)?.names[0] ?? def.canonical;
}

export function inRange(range: PlausibleRange, value: number): boolean {
  return (range.minExclusive ? value > range.min : value >= range.min) && value <= range.max;
}

export function describeRange(range: PlausibleRange, unit: string): string {
  return `${range.minExclusive ? 'above' : 'from'} ${range.min} to ${range.max} ${unit}`;
}
