import type { GlucoseContext } from './catalog.js';

/**
 * Guideline classes for single readings. Plain functions of canonical values; each result names the
 * guideline it used. A single reading informs; it does not diagnose: every guideline below classifies
 * people on repeated or confirmed measurements, and each class says so in its note.
 */
export interface Classification {
  class: string;
  label: string;
  guideline: string;
  note?: string;
}

export const ACC_AHA_2017 =
  '2017 ACC/AHA/AAPA/ABC/ACPM/AGS/APhA/ASH/ASPC/NMA/PCNA Guideline for the Prevention, Detection, ' +
  'Evaluation, and Management of High Blood Pressure in Adults (Whelton et al., Hypertension ' +
  '2018;71:e13-e115), Table 6 and section 11.2';

/**
 * Blood pressure categories of the 2017 ACC/AHA guideline (Table 6): normal <120 and <80 mmHg; elevated
 * 120-129 and <80; stage 1 hypertension 130-139 or 80-89; stage 2 hypertension >=140 or >=90. Section 11.2:
 * a hypertensive crisis is >180 and/or >120 mmHg. When systolic and diastolic fall in different categories,
 * the higher category applies (Table 6 footnote).
 */
export function classifyBloodPressure(systolic: number, diastolic: number): Classification {
  const note =
    'One reading. The guideline categorises on the average of 2 or more readings on 2 or more occasions.';
  const result = (cls: string, label: string, extra?: string): Classification => ({
    class: cls,
    label,
    guideline: ACC_AHA_2017,
    note: extra ? `${extra} ${note}` : note,
  });
  if (systolic > 180 || diastolic > 120) {
    return result(
      'severe',
      'Severe: hypertensive crisis range (>180 and/or >120 mmHg)',
      'Recheck; with symptoms such as chest pain, shortness of breath or weakness, seek emergency care.',
    );
  }
  if (systolic >= 140 || diastolic >= 90) return result('stage_2', 'Stage 2 hypertension range');
  if (systolic >= 130 || diastolic >= 80) return result('stage_1', 'Stage 1 hypertension range');
  if (systolic >= 120) return result('elevated', 'Elevated');
  return result('normal', 'Normal');
}

export const WHO_BMI =
  'WHO adult BMI classification: WHO Technical Report Series 894 (2000), Table 2.1; thinness grades from ' +
  'WHO Technical Report Series 854 (1995)';

/**
 * WHO adult classes: <16 severe thinness, 16-16.99 moderate, 17-18.49 mild (together: underweight <18.5);
 * 18.5-24.99 normal range; 25-29.99 pre-obese; 30-34.99 obese class I; 35-39.99 class II; >=40 class III.
 */
export function classifyBmi(bmi: number): Classification {
  const note = 'Adult classes (18 years and over); children and adolescents use the WHO growth references.';
  const result = (cls: string, label: string): Classification => ({
    class: cls,
    label,
    guideline: WHO_BMI,
    note,
  });
  if (bmi < 16) return result('severe_thinness', 'Underweight: severe thinness');
  if (bmi < 17) return result('moderate_thinness', 'Underweight: moderate thinness');
  if (bmi < 18.5) return result('mild_thinness', 'Underweight: mild thinness');
  if (bmi < 25) return result('normal', 'Normal range');
  if (bmi < 30) return result('pre_obese', 'Pre-obese (overweight)');
  if (bmi < 35) return result('obese_class_1', 'Obese class I');
  if (bmi < 40) return result('obese_class_2', 'Obese class II');
  return result('obese_class_3', 'Obese class III');
}

export const ADA_2025 =
  'American Diabetes Association, Standards of Care in Diabetes-2025 (Diabetes Care 2025;48 Suppl 1): ' +
  'section 2 (diagnosis: fasting plasma glucose, random plasma glucose) and section 6 (hypoglycemia levels)';

/**
 * ADA Standards of Care 2025. Hypoglycaemia (section 6): level 1 <70 mg/dL and >=54; level 2 <54 mg/dL
 * (level 3 is a severe event defined by altered mental or physical state, not by a number). Diagnosis
 * (section 2): fasting (no caloric intake for at least 8 h) plasma glucose <100 normal, 100-125
 * prediabetes (impaired fasting glucose), >=126 diabetes; a random plasma glucose >=200 mg/dL in a person
 * with classic symptoms of hyperglycaemia. The fasting thresholds apply only to fasting readings.
 */
export function classifyGlucose(mgdl: number, context: GlucoseContext | null): Classification {
  const note =
    'ADA thresholds are for laboratory plasma glucose; meter and sensor readings are not diagnostic, and a ' +
    'diagnosis needs confirmation by repeated testing.';
  const result = (cls: string, label: string, extra?: string): Classification => ({
    class: cls,
    label,
    guideline: ADA_2025,
    note: extra ? `${extra} ${note}` : note,
  });
  if (mgdl < 54) {
    return result(
      'hypoglycemia_level_2',
      'Level 2 hypoglycaemia (<54 mg/dL)',
      'Clinically significant: treat now (fast-acting carbohydrate) and recheck.',
    );
  }
  if (mgdl < 70) return result('hypoglycemia_level_1', 'Level 1 hypoglycaemia (54-69 mg/dL)');
  if (context === 'fasting') {
    if (mgdl < 100) return result('normal_fasting', 'Normal fasting glucose (<100 mg/dL)');
    if (mgdl < 126)
      return result('prediabetes', 'Prediabetes range: impaired fasting glucose (100-125 mg/dL)');
    return result('diabetes_range', 'Diabetes range for fasting glucose (>=126 mg/dL)');
  }
  if (mgdl >= 200) {
    return result(
      'diabetes_range_if_symptomatic',
      'At or above 200 mg/dL: the random-glucose criterion for diabetes, when there are classic symptoms',
    );
  }
  return result(
    'below_random_threshold',
    'Not fasting: below the 200 mg/dL random-glucose criterion',
    'Fasting thresholds (100 and 126 mg/dL) apply only to readings marked fasting.',
  );
}
