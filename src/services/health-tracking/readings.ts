import {
  describeRange,
  displayUnit,
  inRange,
  metricDef,
  type GlucoseContext,
  type MetricDef,
  type MetricType,
  type PlausibleRange,
} from './catalog.js';
import { classifyBloodPressure, classifyBmi, classifyGlucose, type Classification } from './guidelines.js';
import { EARLIEST_MS, parseInstant } from './time.js';
import { acceptedUnitNames, applyLinear, resolveUnit, tidy } from './units.js';

/** A reading as the API receives it (after schema validation). */
export interface ReadingInput {
  metric_type: string;
  value: number | { systolic: number; diastolic: number };
  unit: string;
  timestamp?: string;
  source?: string;
  context?: GlucoseContext;
  notes?: string;
}

/** A validated reading in canonical units. */
export interface Reading {
  def: MetricDef;
  type: MetricType;
  /** Canonical value (systolic for blood pressure). */
  value: number;
  /** Diastolic, canonical; null for everything else. */
  value2: number | null;
  inputValue: number;
  inputValue2: number | null;
  inputUnit: string;
  ms: number;
  offsetMinutes: number | null;
  source: string;
  context: GlucoseContext | null;
  notes: string | null;
}

export interface Problem {
  field: string;
  problem: string;
  range?: { min: number; max: number; min_exclusive?: boolean; unit: string; source: string };
}

export const DEFAULT_SOURCE = 'manual';
/** Clocks drift and phones lag; a reading further in the future than this is a clock or time-zone error. */
export const FUTURE_TOLERANCE_MS = 10 * 60_000;

const fmt = (n: number) => String(tidy(n, 6));

function rangeProblem(
  def: MetricDef,
  field: string,
  what: string,
  range: PlausibleRange,
  canonical: number,
  sent: number,
  unitName: string,
): Problem | undefined {
  if (inRange(range, canonical)) return undefined;
  const unit = displayUnit(def);
  const converted = unitName === unit ? '' : ` (${fmt(canonical)} ${unit})`;
  return {
    field,
    problem:
      `${fmt(sent)} ${unitName}${converted} is outside the plausible range for ${def.type}${what}: ` +
      `${describeRange(range, unit)}`,
    range: {
      min: range.min,
      max: range.max,
      ...(range.minExclusive ? { min_exclusive: true } : {}),
      unit,
      source: range.source,
    },
  };
}

/**
 * Validates a reading against the catalogue (type, unit, plausible range, shape of the value, context,
 * time) and converts it to the canonical unit. Returns every problem found, each naming its field.
 */
export function normalizeReading(input: ReadingInput, now = Date.now()): Reading | { problems: Problem[] } {
  const problems: Problem[] = [];
  const def = metricDef(input.metric_type);
  if (!def) {
    return {
      problems: [{ field: 'metric_type', problem: `"${input.metric_type}" is not a known metric type` }],
    };
  }
  const unit = resolveUnit(def, input.unit);
  if (!unit) {
    problems.push({
      field: 'unit',
      problem: `"${input.unit}" is not a unit of ${def.type}; use one of: ${acceptedUnitNames(def).join(', ')}`,
    });
  }
  let value = NaN;
  let value2: number | null = null;
  let inputValue = NaN;
  let inputValue2: number | null = null;
  if (def.kind === 'blood_pressure') {
    if (typeof input.value !== 'object') {
      problems.push({
        field: 'value',
        problem: 'must be an object {"systolic": number, "diastolic": number} for blood_pressure',
      });
    } else {
      inputValue = input.value.systolic;
      inputValue2 = input.value.diastolic;
      if (unit) {
        value = tidy(applyLinear(unit.toCanonical, inputValue));
        value2 = tidy(applyLinear(unit.toCanonical, inputValue2));
        const sys = rangeProblem(
          def,
          'value.systolic',
          ' (systolic)',
          def.range,
          value,
          inputValue,
          unit.name,
        );
        const dia = rangeProblem(
          def,
          'value.diastolic',
          ' (diastolic)',
          def.diastolicRange!,
          value2,
          inputValue2,
          unit.name,
        );
        if (sys) problems.push(sys);
        if (dia) problems.push(dia);
        if (!sys && !dia && value2 >= value) {
          problems.push({ field: 'value.diastolic', problem: 'must be lower than the systolic value' });
        }
      }
    }
  } else if (typeof input.value !== 'number') {
    problems.push({ field: 'value', problem: `must be a number for ${def.type}` });
  } else {
    inputValue = input.value;
    if (unit) {
      value = tidy(applyLinear(unit.toCanonical, inputValue));
      const p = rangeProblem(def, 'value', '', def.range, value, inputValue, unit.name);
      if (p) problems.push(p);
    }
  }
  if (input.context !== undefined && !def.contexts?.includes(input.context)) {
    problems.push({ field: 'context', problem: `applies only to blood_glucose, not ${def.type}` });
  }
  let ms = now;
  let offsetMinutes: number | null = null;
  if (input.timestamp !== undefined) {
    const parsed = parseInstant(input.timestamp);
    if ('problem' in parsed) {
      problems.push({ field: 'timestamp', problem: parsed.problem });
    } else if (parsed.ms > now + FUTURE_TOLERANCE_MS) {
      problems.push({ field: 'timestamp', problem: 'is in the future: check the clock and the UTC offset' });
    } else if (parsed.ms < EARLIEST_MS) {
      problems.push({ field: 'timestamp', problem: 'is before 1900' });
    } else {
      ms = parsed.ms;
      offsetMinutes = parsed.offsetMinutes;
    }
  }
  const source = input.source?.trim() || DEFAULT_SOURCE;
  const notes = input.notes?.trim() || null;
  if (problems.length > 0) return { problems };
  return {
    def,
    type: def.type,
    value,
    value2,
    inputValue,
    inputValue2,
    inputUnit: unit!.name,
    ms,
    offsetMinutes,
    source,
    context: input.context ?? null,
    notes,
  };
}

/** The guideline class of a canonical reading, where a guideline exists for its metric. */
export function classify(
  type: string,
  value: number,
  value2: number | null,
  context: GlucoseContext | null,
): Classification | null {
  switch (type) {
    case 'blood_pressure':
      return value2 === null ? null : classifyBloodPressure(value, value2);
    case 'bmi':
      return classifyBmi(value);
    case 'blood_glucose':
      return classifyGlucose(value, context);
    default:
      return null;
  }
}

/** A reading can live in series storage: one number, no notes, no context. */
export const seriesEligible = (r: Reading) =>
  r.def.kind === 'scalar' && r.notes === null && r.context === null;
