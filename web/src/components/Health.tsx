import type { Formatters, Preferences } from '../format';
import { SelectField } from './Form';
import {
  isBloodPressure,
  type Catalog,
  type Classification,
  type MetricInfo,
  type Reading,
  type Value,
} from '../health';

/** How a guideline class reads at a glance; the words always say it, the colour only repeats them. */
const TONES: Record<string, 'ok' | 'warn' | 'alert'> = {
  normal: 'ok',
  normal_fasting: 'ok',
  below_random_threshold: 'ok',
  elevated: 'warn',
  stage_1: 'warn',
  prediabetes: 'warn',
  hypoglycemia_level_1: 'warn',
  pre_obese: 'warn',
  mild_thinness: 'warn',
  moderate_thinness: 'warn',
  stage_2: 'alert',
  severe: 'alert',
  diabetes_range: 'alert',
  diabetes_range_if_symptomatic: 'alert',
  hypoglycemia_level_2: 'alert',
  severe_thinness: 'alert',
  obese_class_1: 'alert',
  obese_class_2: 'alert',
  obese_class_3: 'alert',
};

export const GLUCOSE_CONTEXTS: Record<string, string> = {
  fasting: 'Fasting (nothing to eat or drink but water for 8 hours or more)',
  before_meal: 'Before a meal',
  after_meal: 'After a meal',
  random: 'Any other time',
};

export const CONTEXT_SHORT: Record<string, string> = {
  fasting: 'fasting',
  before_meal: 'before a meal',
  after_meal: 'after a meal',
  random: 'random',
};

/** Longer names for the units whose symbol is not obvious to everyone. */
const UNIT_NAMES: Record<string, string> = {
  lb: 'lb (pounds)',
  st: 'st (stone)',
  in: 'in (inches)',
  ft: 'ft (feet)',
  h: 'hours',
  min: 'minutes',
  kJ: 'kJ (kilojoules)',
  kcal: 'kcal (calories)',
  kPa: 'kPa (kilopascals)',
};

/** The units a metric accepts, for a unit picker: the value sent is the unit's first name. */
export function unitOptions(info: MetricInfo): { value: string; label: string }[] {
  return info.units.map((u) => {
    const name = u.names[0] ?? u.ucum;
    return { value: name, label: UNIT_NAMES[name] ?? name };
  });
}

/** The unit of a reading, chosen from the measurement's units (on its own: blood pressure has two numbers). */
export function UnitField({
  form,
  info,
  value,
  onValue,
  error,
}: {
  form: string;
  info: MetricInfo;
  value: string;
  onValue(unit: string): void;
  error?: string | undefined;
}) {
  return (
    <SelectField
      form={form}
      name="unit"
      label="Unit"
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
    >
      {unitOptions(info).map((u) => (
        <option key={u.value} value={u.value}>
          {u.label}
        </option>
      ))}
    </SelectField>
  );
}

/** When a reading was taken (fasting, before a meal...), for the measurements whose thresholds depend on it. */
export function ContextField({
  form,
  contexts,
  hint,
  value,
  onValue,
  error,
}: {
  form: string;
  contexts: string[];
  hint?: string;
  value: string;
  onValue(context: string): void;
  error?: string | undefined;
}) {
  return (
    <SelectField
      form={form}
      name="context"
      label="When was it measured?"
      hint={hint}
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
    >
      <option value="">Not given</option>
      {contexts.map((c) => (
        <option key={c} value={c}>
          {GLUCOSE_CONTEXTS[c] ?? c}
        </option>
      ))}
    </SelectField>
  );
}

const IMPERIAL = new Set(['lb', 'in', '°F']);

/** The unit a new reading starts in: the imperial one for users who chose imperial units. */
export function defaultUnit(info: MetricInfo, prefs: Preferences): string {
  const names = info.units.map((u) => u.names[0] ?? u.ucum);
  if (prefs.unitSystem === 'imperial') {
    const imperial = names.find((n) => IMPERIAL.has(n));
    if (imperial) return imperial;
  }
  return info.canonical_unit.name;
}

/** The name a UCUM code is shown with for a metric (the canonical unit's name, usually). */
export function unitName(catalog: Catalog, type: string, ucum: string): string {
  const info = catalog.byType.get(type);
  const unit = info?.units.find((u) => u.ucum === ucum);
  return unit?.names[0] ?? ucum;
}

/** A name inside a sentence: "body weight", but "oxygen saturation (SpO2)" keeps its capitals. */
export const lower = (name: string) =>
  /^[A-Z][a-z]/.test(name) ? name.charAt(0).toLowerCase() + name.slice(1) : name;

export function formatValue(value: Value, unit: string, fmt: Formatters, exact = true): string {
  const n = exact ? fmt.exact : fmt.figure;
  const spaced = unit === '%' ? ' %' : ` ${unit}`;
  if (isBloodPressure(value)) return `${n(value.systolic)}/${n(value.diastolic)}${spaced}`;
  return `${n(value)}${spaced}`;
}

/** The value as the user entered it ("154 lb"). */
export const enteredValue = (r: Reading, fmt: Formatters) => formatValue(r.value, r.unit, fmt);

/** The value in the canonical unit the service stores ("69.9 kg"). */
export const canonicalValue = (r: Reading, catalog: Catalog, fmt: Formatters) =>
  formatValue(r.canonical_value, unitName(catalog, r.metric_type, r.canonical_unit), fmt, false);

/** True when the stored value is in another unit than the one entered. */
export const converted = (r: Reading) => r.ucum_unit !== r.canonical_unit;

export function sourceText(source: string): string {
  return source === 'manual' ? 'entered by hand' : `from ${source}`;
}

export function ClassBadge({ classification }: { classification: Classification }) {
  const tone = TONES[classification.class] ?? 'warn';
  return (
    <span className={`class-badge class-badge--${tone}`} data-class={classification.class}>
      {classification.label}
    </span>
  );
}

/**
 * A reading's guideline class, with the guideline named (the catalogue's short name, then the full
 * reference) and the guideline's own caveat.
 */
export function ClassificationText({
  classification,
  info,
}: {
  classification: Classification;
  info: MetricInfo | undefined;
}) {
  return (
    <div className="classification">
      <p>
        <ClassBadge classification={classification} />{' '}
        <span className="classification__by">by the {info?.guideline ?? 'guideline named below'}</span>
      </p>
      {classification.note ? <p className="hint">{classification.note}</p> : null}
      <p className="hint citation">Source: {classification.guideline}</p>
    </div>
  );
}
