/**
 * Normal ranges shaded on the dashboard's charts. Reference ranges for adults at rest, in each metric's
 * canonical unit (the unit summaries come in), each with the source it is taken from. They describe a
 * population, not a person: a chart says which range it shades and where the range comes from.
 *
 * | metric              | range              | source                                                       |
 * |---------------------|--------------------|--------------------------------------------------------------|
 * | blood_pressure      | <120 / <80 mmHg    | 2017 ACC/AHA guideline (Whelton et al., Hypertension 2018;   |
 * |                     |                    | 71:e13-e115), Table 6: normal is systolic <120 and diastolic  |
 * |                     |                    | <80 mmHg                                                      |
 * | resting_heart_rate, | 60-100 bpm         | American Heart Association, "All about heart rate (pulse)":  |
 * | heart_rate          |                    | a normal resting heart rate for adults is 60-100 beats a      |
 * |                     |                    | minute (so heart rate during activity is above it by design)  |
 * | blood_glucose       | 70-99 mg/dL        | ADA Standards of Care in Diabetes 2025: fasting plasma        |
 * |                     | (fasting)          | glucose <100 mg/dL is normal (section 2); <70 mg/dL is level 1|
 * |                     |                    | hypoglycaemia (section 6). Readings after meals run higher    |
 * | bmi                 | 18.5-24.9 kg/m2    | WHO Technical Report Series 894 (2000), Table 2.1: normal     |
 * |                     |                    | range 18.50-24.99                                             |
 * | oxygen_saturation   | 95-100 %           | Cleveland Clinic, "Blood oxygen level": a normal pulse-       |
 * |                     |                    | oximeter reading is 95-100 % (lower at altitude and in some   |
 * |                     |                    | lung diseases)                                                |
 * | body_temperature    | 36.5-37.3 °C       | MedlinePlus (U.S. National Library of Medicine), "Vital       |
 * |                     |                    | signs": 97.8-99.1 °F (36.5-37.3 °C) for a healthy adult       |
 * | respiratory_rate    | 12-18 breaths/min  | MedlinePlus, "Vital signs": 12-18 breaths a minute at rest    |
 * | sleep_duration      | 7-9 h              | National Sleep Foundation recommendation for adults 18-64     |
 * |                     |                    | (Hirshkowitz et al., Sleep Health 2015;1:40-43)               |
 *
 * Weight, height, steps, body fat and active energy have no range here: what is normal for them
 * depends on the person (height, sex, age, goals), so their charts shade nothing.
 */
export interface NormalRange {
  /** Lower limit (inclusive), canonical unit; null when the range has no floor. */
  low: number | null;
  /** Upper limit, canonical unit; null when the range has no ceiling. */
  high: number | null;
  /** Blood pressure: the diastolic limit, drawn as a dashed line (the shaded band is for systolic). */
  diastolicHigh?: number;
  /** Blood pressure: what the dashed line means, in words. */
  diastolicLabel?: string;
  /** What is shaded, in words, for the chart's caption. */
  label: string;
  /** Where the range comes from, as the chart names it. */
  source: string;
}

const HEART_RATE: NormalRange = {
  low: 60,
  high: 100,
  label: 'normal resting heart rate for adults, 60–100 bpm',
  source: 'American Heart Association, “All about heart rate (pulse)”',
};

export const NORMAL_RANGES: Record<string, NormalRange> = {
  blood_pressure: {
    low: null,
    high: 120,
    diastolicHigh: 80,
    label: 'normal systolic pressure, below 120 mmHg',
    diastolicLabel: 'normal diastolic pressure, below 80 mmHg',
    source: '2017 ACC/AHA high blood pressure guideline (Whelton et al., Hypertension 2018), Table 6',
  },
  resting_heart_rate: HEART_RATE,
  heart_rate: {
    ...HEART_RATE,
    label: 'normal resting heart rate for adults, 60–100 bpm (readings during activity are higher)',
  },
  blood_glucose: {
    low: 70,
    high: 99,
    label: 'normal fasting glucose, 70–99 mg/dL (readings after meals are higher)',
    source: 'ADA Standards of Care in Diabetes 2025, sections 2 and 6',
  },
  bmi: {
    low: 18.5,
    high: 24.9,
    label: 'normal range for adults, 18.5–24.9 kg/m²',
    source: 'WHO Technical Report Series 894 (2000), Table 2.1',
  },
  oxygen_saturation: {
    low: 95,
    high: 100,
    label: 'normal oxygen saturation at rest, 95–100 %',
    source: 'Cleveland Clinic, “Blood oxygen level”',
  },
  body_temperature: {
    low: 36.5,
    high: 37.3,
    label: 'normal body temperature for adults, 36.5–37.3 °C',
    source: 'MedlinePlus (U.S. National Library of Medicine), “Vital signs”',
  },
  respiratory_rate: {
    low: 12,
    high: 18,
    label: 'normal breathing rate for adults at rest, 12–18 breaths a minute',
    source: 'MedlinePlus (U.S. National Library of Medicine), “Vital signs”',
  },
  sleep_duration: {
    low: 7,
    high: 9,
    label: 'recommended sleep for adults, 7–9 hours',
    source: 'National Sleep Foundation (Hirshkowitz et al., Sleep Health 2015)',
  },
};
