import { describe, expect, it } from 'vitest';
import {
  ACC_AHA_2017,
  ADA_2025,
  WHO_BMI,
  classifyBloodPressure,
  classifyBmi,
  classifyGlucose,
} from './guidelines.js';

describe('2017 ACC/AHA blood pressure categories', () => {
  const cls = (s: number, d: number) => classifyBloodPressure(s, d).class;
  it('classifies at every boundary', () => {
    expect(cls(119, 79)).toBe('normal');
    expect(cls(120, 79)).toBe('elevated');
    expect(cls(129, 79)).toBe('elevated');
    expect(cls(130, 70)).toBe('stage_1');
    expect(cls(110, 80)).toBe('stage_1');
    expect(cls(139, 89)).toBe('stage_1');
    expect(cls(140, 70)).toBe('stage_2');
    expect(cls(118, 90)).toBe('stage_2');
    expect(cls(180, 120)).toBe('stage_2');
    expect(cls(181, 100)).toBe('severe');
    expect(cls(150, 121)).toBe('severe');
  });
  it('puts a reading with systolic and diastolic in different categories in the higher one', () => {
    expect(cls(125, 85)).toBe('stage_1');
    expect(cls(135, 95)).toBe('stage_2');
  });
  it('names the guideline', () => {
    expect(classifyBloodPressure(120, 80).guideline).toBe(ACC_AHA_2017);
    expect(ACC_AHA_2017).toMatch(/2017 ACC\/AHA/);
  });
});

describe('WHO adult BMI classes', () => {
  const cls = (b: number) => classifyBmi(b).class;
  it('classifies at every boundary', () => {
    expect(cls(15.9)).toBe('severe_thinness');
    expect(cls(16)).toBe('moderate_thinness');
    expect(cls(17)).toBe('mild_thinness');
    expect(cls(18.49)).toBe('mild_thinness');
    expect(cls(18.5)).toBe('normal');
    expect(cls(24.99)).toBe('normal');
    expect(cls(25)).toBe('pre_obese');
    expect(cls(30)).toBe('obese_class_1');
    expect(cls(35)).toBe('obese_class_2');
    expect(cls(40)).toBe('obese_class_3');
    expect(classifyBmi(22).guideline).toBe(WHO_BMI);
  });
});

describe('ADA glucose classes', () => {
  it('classifies fasting readings', () => {
    expect(classifyGlucose(99, 'fasting').class).toBe('normal_fasting');
    expect(classifyGlucose(100, 'fasting').class).toBe('prediabetes');
    expect(classifyGlucose(125, 'fasting').class).toBe('prediabetes');
    expect(classifyGlucose(126, 'fasting').class).toBe('diabetes_range');
    // 7.0 mmol/L is 126.1 mg/dL: the diabetes threshold.
    expect(classifyGlucose(126.1092, 'fasting').class).toBe('diabetes_range');
  });
  it('applies hypoglycaemia levels in every context', () => {
    for (const context of ['fasting', 'after_meal', 'random', null] as const) {
      expect(classifyGlucose(53.9, context).class).toBe('hypoglycemia_level_2');
      expect(classifyGlucose(54, context).class).toBe('hypoglycemia_level_1');
      expect(classifyGlucose(69.9, context).class).toBe('hypoglycemia_level_1');
    }
  });
  it('does not apply fasting thresholds to other readings', () => {
    expect(classifyGlucose(150, 'after_meal').class).toBe('below_random_threshold');
    expect(classifyGlucose(130, null).class).toBe('below_random_threshold');
    expect(classifyGlucose(200, 'random').class).toBe('diabetes_range_if_symptomatic');
    expect(classifyGlucose(250, 'before_meal').class).toBe('diabetes_range_if_symptomatic');
    expect(classifyGlucose(250, 'random').guideline).toBe(ADA_2025);
  });
});
