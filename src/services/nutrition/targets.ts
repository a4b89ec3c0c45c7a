/**
 * Daily targets from a profile. Plain functions.
 *
 * Resting energy: Mifflin MD, St Jeor ST, Hill LA, Scott BJ, Daugherty SA, Koh YO. A new predictive
 * equation for resting energy expenditure in healthy individuals. Am J Clin Nutr 1990;51:241-7:
 *   REE (kcal/day) = 10 × weight (kg) + 6.25 × height (cm) − 5 × age (y) + 5 (men) or − 161 (women).
 * Total energy = REE × an activity factor (the conventional multipliers used with predictive REE
 * equations: sedentary 1.2, light 1.375, moderate 1.55, active 1.725, very active 1.9).
 *
 * Macronutrient ranges: Acceptable Macronutrient Distribution Ranges for adults, Institute of
 * Medicine, Dietary Reference Intakes for Energy, Carbohydrate, Fiber, Fat, Fatty Acids,
 * Cholesterol, Protein, and Amino Acids (2005): carbohydrate 45–65 %, fat 20–35 %, protein 10–35 %
 * of energy; fiber Adequate Intake 14 g per 1,000 kcal. Saturated fat under 10 % of energy (Dietary
 * Guidelines for Americans 2020–2025). Sodium: under 2,300 mg/day, the Chronic Disease Risk
 * Reduction intake (NASEM, DRIs for Sodium and Potassium, 2019). Energy per gram (Atwater): 4 kcal
 * protein and carbohydrate, 9 kcal fat.
 */
export const ACTIVITY_FACTORS = {
  sedentary: 1.2,
  light: 1.375,
  moderate: 1.55,
  active: 1.725,
  very_active: 1.9,
} as const;
export type ActivityLevel = keyof typeof ACTIVITY_FACTORS;

export type Sex = 'female' | 'male' | 'intersex' | 'unknown';

export interface TargetInputs {
  weight_kg: number | null;
  height_cm: number | null;
  age: number | null;
  sex: Sex | null;
}

export interface Range {
  min: number | null;
  max: number | null;
  unit: string;
}

export interface DailyTargets {
  energy: {
    value: number;
    unit: 'kcal';
    resting: number;
    activity_level: ActivityLevel;
    activity_factor: number;
  };
  protein: Range;
  fat: Range;
  carbohydrate: Range;
  fiber: Range;
  saturated_fat: Range;
  sodium: Range;
  method: string;
  notes: string[];
}

export const METHOD =
  'Energy: Mifflin-St Jeor resting energy (Am J Clin Nutr 1990;51:241-7) × activity factor. ' +
  'Macros: IOM 2005 AMDR (carbohydrate 45-65 %, fat 20-35 %, protein 10-35 % of energy); fiber 14 g/1000 kcal; ' +
  'saturated fat < 10 % of energy (DGA 2020-2025); sodium < 2300 mg (NASEM 2019).';

/** Mifflin-St Jeor resting energy expenditure, kcal/day. Sex-neutral: the midpoint of the constants. */
export function mifflinStJeor(weightKg: number, heightCm: number, age: number, sex: Sex): number {
  const constant = sex === 'male' ? 5 : sex === 'female' ? -161 : (5 - 161) / 2;
  return 10 * weightKg + 6.25 * heightCm - 5 * age + constant;
}

/** The profile fields missing for a target; empty when one can be computed. */
export function missingInputs(inputs: TargetInputs): string[] {
  const missing: string[] = [];
  if (inputs.weight_kg === null) missing.push('weight');
  if (inputs.height_cm === null) missing.push('height');
  if (inputs.age === null) missing.push('date_of_birth');
  if (inputs.sex === null) missing.push('sex');
  return missing;
}

const r = (x: number) => Math.round(x);

export function dailyTargets(inputs: TargetInputs, activity: ActivityLevel): DailyTargets | null {
  if (missingInputs(inputs).length > 0) return null;
  const sex = inputs.sex!;
  const notes: string[] = [];
  if (sex !== 'male' && sex !== 'female') {
    notes.push('Mifflin-St Jeor has male and female constants; the midpoint (-78 kcal) was used.');
  }
  if (inputs.age! < 19)
    notes.push('These ranges are for adults (19 and over); ask a clinician for younger people.');
  const resting = mifflinStJeor(inputs.weight_kg!, inputs.height_cm!, inputs.age!, sex);
  const factor = ACTIVITY_FACTORS[activity];
  const energy = resting * factor;
  return {
    energy: {
      value: r(energy),
      unit: 'kcal',
      resting: r(resting),
      activity_level: activity,
      activity_factor: factor,
    },
    protein: { min: r((energy * 0.1) / 4), max: r((energy * 0.35) / 4), unit: 'g' },
    fat: { min: r((energy * 0.2) / 9), max: r((energy * 0.35) / 9), unit: 'g' },
    carbohydrate: { min: r((energy * 0.45) / 4), max: r((energy * 0.65) / 4), unit: 'g' },
    fiber: { min: r((energy / 1000) * 14), max: null, unit: 'g' },
    saturated_fat: { min: null, max: r((energy * 0.1) / 9), unit: 'g' },
    sodium: { min: null, max: 2300, unit: 'mg' },
    method: METHOD,
    notes,
  };
}
