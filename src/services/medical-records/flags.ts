import { parseFhirDate, type Demographics, type Measured, type Quantity, type RangeInput } from './fhir.js';

/**
 * Lab flags, computed by the server from the value, the reference range the source reported (the one
 * that applies to the person's sex and age, when known) and a cited table of critical limits. A flag
 * the client sent (Observation.interpretation) is kept as `source_interpretation` and never used here.
 */

/** HL7 v3 ObservationInterpretation codes: LL/HH critical, L/H outside the reference range, N inside. */
export type Flag = 'LL' | 'L' | 'N' | 'H' | 'HH';

export interface LabFlags {
  flag: Flag | null;
  abnormal: boolean | null;
  critical: boolean;
  /** The reference range used, as the source gave it. */
  reference_range: { low: Quantity | null; high: Quantity | null; text: string | null } | null;
  critical_limits: { low: number | null; high: number | null; unit: string; source: string } | null;
  /** Why a flag could not be computed, when it could not. */
  note: string | null;
}

export const CRITICAL_SOURCE =
  'Kost GJ. Critical limits for urgent clinician notification at US medical centers. JAMA. 1990;263(5):704-707. ' +
  'doi:10.1001/jama.263.5.704 (mean adult limits of the surveyed centres)';

interface CriticalLimit {
  analyte: string;
  loinc: readonly string[];
  /** Canonical unit of the limits (UCUM). */
  unit: string;
  low: number | null;
  high: number | null;
  /** Factor that converts a value in the given unit (lower-case UCUM) to the canonical unit. */
  factors: Record<string, number>;
}

/** Adult critical limits (Kost 1990, table of mean limits). */
export const CRITICAL_LIMITS: readonly CriticalLimit[] = [
  {
    analyte: 'glucose',
    loinc: ['2345-7', '2339-0', '15074-8', '14749-6', '41653-7', '2341-6'],
    unit: 'mmol/L',
    low: 2.6,
    high: 26.9,
    // Glucose 180.16 g/mol: mg/dL / 18.016 = mmol/L.
    factors: { 'mmol/l': 1, 'mg/dl': 1 / 18.016 },
  },
  {
    analyte: 'potassium',
    loinc: ['2823-3', '6298-4', '77142-8'],
    unit: 'mmol/L',
    low: 2.8,
    high: 6.2,
    factors: { 'mmol/l': 1, 'meq/l': 1 },
  },
  {
    analyte: 'sodium',
    loinc: ['2951-2', '2947-0', '77139-4'],
    unit: 'mmol/L',
    low: 120,
    high: 158,
    factors: { 'mmol/l': 1, 'meq/l': 1 },
  },
  {
    analyte: 'calcium (total)',
    loinc: ['17861-6', '2000-8', '49765-1'],
    unit: 'mmol/L',
    low: 1.65,
    high: 3.22,
    // Calcium 40.08 g/mol: mg/dL / 4.008 = mmol/L.
    factors: { 'mmol/l': 1, 'mg/dl': 1 / 4.008 },
  },
  {
    analyte: 'haemoglobin',
    loinc: ['718-7', '30313-1', '30350-3', '30351-1', '20509-6'],
    unit: 'g/L',
    low: 66,
    high: 199,
    // Haemoglobin (monomer, as reported in mmol/L in the Netherlands) 16.114 g/mmol.
    factors: { 'g/l': 1, 'g/dl': 10, 'mmol/l': 16.114 },
  },
  {
    analyte: 'platelets',
    loinc: ['777-3', '26515-7', '778-1'],
    unit: '10*9/L',
    low: 37,
    high: 910,
    factors: { '10*9/l': 1, '10*3/ul': 1, '10^9/l': 1, '10^3/ul': 1, 'k/ul': 1 },
  },
  {
    analyte: 'white blood cells',
    loinc: ['6690-2', '26464-8', '804-5'],
    unit: '10*9/L',
    low: 2.0,
    high: 37.0,
    factors: { '10*9/l': 1, '10*3/ul': 1, '10^9/l': 1, '10^3/ul': 1, 'k/ul': 1 },
  },
];

const BY_LOINC = new Map(CRITICAL_LIMITS.flatMap((l) => l.loinc.map((code) => [code, l] as const)));

const unitKey = (q: Quantity | null) => (q?.code ?? q?.unit ?? '').trim().toLowerCase();

/** Age in whole years at `at`, from a FHIR birthDate (possibly partial). */
export function ageAt(birthDate: string | null, at: Date): number | null {
  const born = parseFhirDate(birthDate ?? undefined);
  if (!born) return null;
  let age = at.getUTCFullYear() - born.getUTCFullYear();
  const beforeBirthday =
    at.getUTCMonth() < born.getUTCMonth() ||
    (at.getUTCMonth() === born.getUTCMonth() && at.getUTCDate() < born.getUTCDate());
  if (beforeBirthday) age -= 1;
  return age >= 0 ? age : null;
}

const SEX_WORDS: Record<string, string[]> = {
  male: ['male', '248153007', 'm', 'man', 'men'],
  female: ['female', '248152002', 'f', 'woman', 'women'],
};

/** The reference range that applies: matching sex and age when the range says, normal ranges first. */
export function chooseRange(ranges: RangeInput[], sex: string | null, age: number | null): RangeInput | null {
  const usable = ranges.filter((r) => r.low || r.high);
  const fits = (r: RangeInput) => {
    const sexWords = Object.entries(SEX_WORDS).filter(([, words]) =>
      r.applies_to.some((a) => words.includes(a)),
    );
    if (sexWords.length > 0 && (sex === null || !sexWords.some(([s]) => s === sex))) return false;
    if ((r.age_low_years !== null || r.age_high_years !== null) && age === null) return false;
    if (r.age_low_years !== null && age! < r.age_low_years) return false;
    if (r.age_high_years !== null && age! > r.age_high_years) return false;
    return true;
  };
  const candidates = usable.filter(fits);
  return candidates.find((r) => r.type === null || r.type === 'normal') ?? candidates[0] ?? null;
}

export function computeFlags(
  loinc: string | null,
  measured: Measured,
  demographics: Demographics | null,
  effectiveAt: Date | null,
): LabFlags {
  const value = measured.value;
  const sex = demographics?.gender ?? null;
  const age = demographics && effectiveAt ? ageAt(demographics.birth_date, effectiveAt) : null;
  const range = chooseRange(measured.reference_ranges, sex, age);
  const result: LabFlags = {
    flag: null,
    abnormal: null,
    critical: false,
    reference_range: range ? { low: range.low, high: range.high, text: range.text } : null,
    critical_limits: null,
    note: null,
  };
  if (!value) {
    result.note = 'no numeric value';
    return result;
  }
  const notes: string[] = [];
  let flag: Flag | null = null;
  if (range) {
    const ends = [range.low, range.high].filter((q): q is Quantity => q !== null);
    const sameUnit = ends.every((q) => !unitKey(q) || !unitKey(value) || unitKey(q) === unitKey(value));
    if (!sameUnit) {
      notes.push('the reference range is in another unit than the value');
    } else if (range.low && value.value < range.low.value) flag = 'L';
    else if (range.high && value.value > range.high.value) flag = 'H';
    else flag = 'N';
  } else if (measured.reference_ranges.length > 0) {
    notes.push('no reference range applies to this person (sex or age unknown or outside the ranges given)');
  } else {
    notes.push('the source gave no reference range');
  }
  const limit = loinc ? BY_LOINC.get(loinc) : undefined;
  if (limit) {
    result.critical_limits = { low: limit.low, high: limit.high, unit: limit.unit, source: CRITICAL_SOURCE };
    const factor = limit.factors[unitKey(value)];
    if (age !== null && age < 18) {
      notes.push('critical limits are adult limits and are not applied under 18');
    } else if (factor === undefined) {
      notes.push(
        `critical limits not applied: unit ${value.code ?? value.unit ?? '(none)'} is not one known for ${limit.analyte}`,
      );
    } else {
      const canonical = value.value * factor;
      if (limit.low !== null && canonical < limit.low) flag = 'LL';
      else if (limit.high !== null && canonical > limit.high) flag = 'HH';
    }
  }
  result.flag = flag;
  result.abnormal = flag === null ? null : flag !== 'N';
  result.critical = flag === 'LL' || flag === 'HH';
  result.note = notes.length ? notes.join('; ') : null;
  return result;
}
