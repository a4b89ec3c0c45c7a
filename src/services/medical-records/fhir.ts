import { createHash } from 'node:crypto';

/**
 * FHIR R4 import: plain functions, no SQL. `flatten` walks a Bundle (any type, nested Bundles too) or a
 * single resource into entries; `mapResource` turns one resource into a record, or says why it is skipped.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type FhirResource = JsonObject & { resourceType: string };

export const RECORD_TYPES = [
  'lab',
  'vital_sign',
  'observation',
  'diagnostic_report',
  'condition',
  'medication',
  'allergy',
  'immunization',
  'procedure',
  'encounter',
  'document',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const LOINC = 'http://loinc.org';

export const isObject = (x: unknown): x is JsonObject =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const arr = (x: unknown): Json[] => (Array.isArray(x) ? (x as Json[]) : []);

/** One resource found in the upload, with where it was found (for the report). */
export interface FoundEntry {
  /** JSON path of the entry in the upload, e.g. `entry[3].resource.entry[0].resource`. */
  path: string;
  resource?: FhirResource;
  fullUrl?: string;
  /** Why this entry carries nothing to import (no resource, not an object...). */
  problem?: string;
  resourceType?: string;
}

/** PostgreSQL stores neither U+0000 (text, jsonb) nor a lone UTF-16 surrogate (jsonb). */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first place in `value` (a JSON path) that cannot be stored, or that nests deeper than `maxDepth`
 * levels: walked without recursion, so that no upload can exhaust the stack.
 */
export function jsonProblem(
  value: Json,
  maxDepth: number,
  checkText = true,
): { path: string; problem: string } | null {
  const stack: [Json, string, number][] = [[value, '', 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    const at = path || '$';
    if (depth > maxDepth) return { path: at, problem: `nests deeper than ${maxDepth} levels` };
    if (typeof v === 'string') {
      if (checkText && UNSTORABLE.test(v))
        return { path: at, problem: 'contains a NUL character or a lone surrogate, which cannot be stored' };
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${path}[${i}]`, depth + 1]));
    } else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        const child = path ? `${path}.${k}` : k;
        if (checkText && UNSTORABLE.test(k))
          return { path: child, problem: 'has a name with a NUL character or a lone surrogate' };
        stack.push([x, child, depth + 1]);
      }
    }
  }
  return null;
}

/** Deeper than any FHIR R4 resource or Bundle nests (a Questionnaire's items rarely pass 20). */
export const MAX_JSON_DEPTH = 100;

/** Walks a Bundle (and Bundles inside it) depth-first; a non-Bundle resource is one entry. */
export function flatten(root: FhirResource, path = '', fullUrl?: string): FoundEntry[] {
  if (root.resourceType !== 'Bundle') {
    const bad = jsonProblem(root, MAX_JSON_DEPTH);
    if (bad) {
      const where = `${path || '$'}${bad.path === '$' ? '' : `.${bad.path}`}`;
      return [{ path: path || '$', resourceType: root.resourceType, problem: `${where} ${bad.problem}` }];
    }
    return [{ path: path || '$', resource: root, ...(fullUrl ? { fullUrl } : {}) }];
  }
  const out: FoundEntry[] = [];
  const entries = root.entry;
  if (entries !== undefined && !Array.isArray(entries)) {
    return [
      { path: `${path || '$'}.entry`, problem: 'Bundle.entry must be an array', resourceType: 'Bundle' },
    ];
  }
  arr(entries).forEach((entry, i) => {
    const at = `${path ? `${path}.` : ''}entry[${i}]`;
    if (!isObject(entry)) {
      out.push({ path: at, problem: 'entry is not an object' });
      return;
    }
    const request = isObject(entry.request) ? entry.request : undefined;
    const resource = entry.resource;
    if (resource === undefined) {
      const method = str(request?.method);
      out.push({
        path: at,
        problem: method
          ? `a ${method} ${str(request?.url) ?? ''} entry carries no resource; there is nothing to import`.replace(
              '  ',
              ' ',
            )
          : 'entry has no resource',
      });
      return;
    }
    if (!isObject(resource) || typeof resource.resourceType !== 'string') {
      out.push({ path: `${at}.resource`, problem: 'resource is not an object with a resourceType' });
      return;
    }
    const method = str(request?.method);
    if (method === 'DELETE' || method === 'GET' || method === 'HEAD') {
      out.push({
        path: `${at}.resource`,
        resourceType: resource.resourceType,
        problem: `a ${method} entry is a request, not data; nothing imported`,
      });
      return;
    }
    out.push(...flatten(resource as FhirResource, `${at}.resource`, str(entry.fullUrl)));
  });
  return out;
}

/** Stable JSON (sorted keys): the same resource always hashes the same. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const contentHash = (resource: Json) =>
  createHash('sha256').update(canonicalJson(resource)).digest('hex');

/** The id a resource has at its source: its id, else the Bundle entry's fullUrl, else its content hash. */
export function sourceIdOf(resource: FhirResource, fullUrl?: string): string {
  return str(resource.id) ?? fullUrl ?? `sha256:${contentHash(resource)}`;
}

/** The source system: meta.source when the resource names one, else what the upload said. */
export function sourceSystemOf(resource: FhirResource, fallback: string): string {
  const meta = isObject(resource.meta) ? resource.meta : undefined;
  return str(meta?.source) ?? fallback;
}

// ---- dates --------------------------------------------------------------------------------------------

const FHIR_DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** A FHIR date/dateTime/instant as a UTC instant (partial dates at their start, in UTC), or undefined. */
export function parseFhirDate(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const m = FHIR_DATE.exec(text);
  if (!m) return undefined;
  if (m[4] !== undefined) {
    const ms = Date.parse(m[7] ? text : `${text}Z`);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const [year, month, day] = [Number(m[1]), m[2] ? Number(m[2]) : 1, m[3] ? Number(m[3]) : 1];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0-99 as 1900-1999
  // Month 13, day 45 roll over (2024-13-45 would be 2025-02-14): a date not on the calendar is no date.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  return date;
}

function firstDate(resource: JsonObject, paths: string[]): string | undefined {
  for (const p of paths) {
    let cur: Json | undefined = resource;
    for (const part of p.split('.')) cur = isObject(cur) ? cur[part] : undefined;
    const text = str(cur);
    if (text && parseFhirDate(text)) return text;
  }
  return undefined;
}

const DATE_PATHS: Record<string, string[]> = {
  Observation: [
    'effectiveDateTime',
    'effectivePeriod.start',
    'effectiveInstant',
    'effectiveTiming.event',
    'issued',
  ],
  DiagnosticReport: ['effectiveDateTime', 'effectivePeriod.start', 'issued'],
  Condition: ['onsetDateTime', 'onsetPeriod.start', 'recordedDate', 'abatementDateTime'],
  MedicationRequest: ['authoredOn', 'dispenseRequest.validityPeriod.start'],
  MedicationStatement: ['effectiveDateTime', 'effectivePeriod.start', 'dateAsserted'],
  AllergyIntolerance: ['onsetDateTime', 'onsetPeriod.start', 'recordedDate', 'lastOccurrence'],
  Immunization: ['occurrenceDateTime', 'recorded'],
  Procedure: ['performedDateTime', 'performedPeriod.start'],
  Encounter: ['period.start'],
  DocumentReference: ['date', 'context.period.start'],
  Composition: ['date'],
};

// ---- codes ----------------------------------------------------------------------------------------------

export interface Coded {
  system?: string;
  code?: string;
  display?: string;
}

/** The first coding of a CodeableConcept (LOINC preferred), with its text. */
export function codingOf(concept: Json | undefined, prefer = LOINC): Coded & { text?: string } {
  if (!isObject(concept)) return {};
  const codings = arr(concept.coding).filter(isObject);
  const chosen = codings.find((c) => c.system === prefer) ?? codings[0];
  const text = str(concept.text);
  return {
    ...(chosen && str(chosen.system) ? { system: str(chosen.system)! } : {}),
    ...(chosen && str(chosen.code) ? { code: str(chosen.code)! } : {}),
    ...(chosen && str(chosen.display) ? { display: str(chosen.display)! } : {}),
    ...(text ? { text } : {}),
  };
}

function hasCategory(resource: JsonObject, code: string): boolean {
  return arr(resource.category).some(
    (c) => isObject(c) && arr(c.coding).some((x) => isObject(x) && x.code === code),
  );
}

/** The 13 LOINC codes of the official FHIR R4 vital-signs ValueSet (observation-vitalsignresult). */
export const VITAL_SIGN_LOINC = new Set([
  '85353-1',
  '9279-1',
  '8867-4',
  '2708-6',
  '8310-5',
  '8302-2',
  '9843-4',
  '29463-7',
  '39156-5',
  '85354-9',
  '8480-6',
  '8462-4',
  '8478-0',
]);

// ---- mapping ----------------------------------------------------------------------------------------------

export interface Quantity {
  value: number;
  unit: string | null;
  /** The UCUM code when the source gave one. */
  code: string | null;
}

export interface RangeInput {
  low: Quantity | null;
  high: Quantity | null;
  type: string | null;
  applies_to: string[];
  age_low_years: number | null;
  age_high_years: number | null;
  text: string | null;
}

export interface Measured {
  value: Quantity | null;
  value_text: string | null;
  components: { code: string | null; display: string; value: Quantity | null }[];
  reference_ranges: RangeInput[];
  /** What the source said (never used for the flags). */
  source_interpretation: string[];
}

export interface MappedRecord {
  record_type: RecordType;
  display: string;
  code_system: string | null;
  code: string | null;
  status: string | null;
  effective_text: string | null;
  measured: Measured | null;
  /** The Patient the resource is about (reference as written), for sex- and age-specific ranges. */
  subject: string | null;
}

/** Finds a resource of the same upload by reference ("Medication/x" or a fullUrl). */
export type Resolver = (reference: string) => FhirResource | undefined;

export type MapResult =
  { ok: true; record: MappedRecord } | { ok: false; reason: string; malformed?: boolean };

export function quantityOf(x: Json | undefined): Quantity | null {
  if (!isObject(x)) return null;
  const value = num(x.value);
  if (value === undefined) return null;
  return { value, unit: str(x.unit) ?? str(x.code) ?? null, code: str(x.code) ?? null };
}

const YEAR_UNITS = new Set(['a', 'yr', 'year', 'years', 'y']);
function ageYears(q: Json | undefined): number | null {
  const quantity = quantityOf(q);
  if (!quantity) return null;
  const unit = (quantity.code ?? quantity.unit ?? 'a').toLowerCase();
  if (YEAR_UNITS.has(unit)) return quantity.value;
  if (unit === 'mo') return quantity.value / 12;
  if (unit === 'wk') return quantity.value / 52.1775;
  if (unit === 'd') return quantity.value / 365.25;
  return null;
}

function rangesOf(resource: JsonObject): RangeInput[] {
  return arr(resource.referenceRange)
    .filter(isObject)
    .map((r) => {
      const age = isObject(r.age) ? r.age : undefined;
      return {
        low: quantityOf(r.low),
        high: quantityOf(r.high),
        type: codingOf(r.type).code ?? null,
        applies_to: arr(r.appliesTo).flatMap((c) => {
          const coded = codingOf(c);
          return [coded.code, coded.display, coded.text]
            .filter((x): x is string => !!x)
            .map((x) => x.toLowerCase());
        }),
        age_low_years: age ? ageYears(age.low) : null,
        age_high_years: age ? ageYears(age.high) : null,
        text: str(r.text) ?? null,
      };
    });
}

function measuredOf(resource: JsonObject): Measured {
  const valueCc = codingOf(resource.valueCodeableConcept);
  const valueText =
    str(resource.valueString) ??
    valueCc.text ??
    valueCc.display ??
    (typeof resource.valueBoolean === 'boolean' ? String(resource.valueBoolean) : undefined) ??
    (num(resource.valueInteger) !== undefined ? String(resource.valueInteger) : undefined);
  return {
    value: quantityOf(resource.valueQuantity),
    value_text: valueText ?? null,
    components: arr(resource.component)
      .filter(isObject)
      .map((c) => {
        const coded = codingOf(c.code);
        return {
          code: coded.code ?? null,
          display: coded.text ?? coded.display ?? coded.code ?? 'component',
          value: quantityOf(c.valueQuantity),
        };
      }),
    reference_ranges: rangesOf(resource),
    source_interpretation: arr(resource.interpretation).flatMap((i) => {
      const coded = codingOf(i, 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation');
      const v = coded.code ?? coded.text ?? coded.display;
      return v ? [v] : [];
    }),
  };
}

function observationType(
  resource: JsonObject,
  code: string | undefined,
  system: string | undefined,
): RecordType {
  if (hasCategory(resource, 'laboratory')) return 'lab';
  if (hasCategory(resource, 'vital-signs')) return 'vital_sign';
  if (arr(resource.category).length > 0) return 'observation';
  // No category (common in older exports): decide by code.
  if (system === LOINC && code && VITAL_SIGN_LOINC.has(code)) return 'vital_sign';
  if (system === LOINC && (isObject(resource.valueQuantity) || arr(resource.referenceRange).length > 0))
    return 'lab';
  return 'observation';
}

const SUPPORTED: Record<string, RecordType | 'observation-like'> = {
  Observation: 'observation-like',
  DiagnosticReport: 'diagnostic_report',
  Condition: 'condition',
  MedicationRequest: 'medication',
  MedicationStatement: 'medication',
  AllergyIntolerance: 'allergy',
  Immunization: 'immunization',
  Procedure: 'procedure',
  Encounter: 'encounter',
  DocumentReference: 'document',
  Composition: 'document',
};

export const SUPPORTED_RESOURCE_TYPES = [...Object.keys(SUPPORTED), 'Patient'];

/** The concept naming what the resource is, by type. */
function conceptOf(resource: FhirResource, resolve: Resolver): Json | undefined {
  switch (resource.resourceType) {
    case 'MedicationRequest':
    case 'MedicationStatement': {
      if (resource.medicationCodeableConcept) return resource.medicationCodeableConcept;
      const ref = isObject(resource.medicationReference) ? resource.medicationReference : undefined;
      const target = str(ref?.reference);
      if (target?.startsWith('#')) {
        const contained = arr(resource.contained).find(
          (c) => isObject(c) && c.resourceType === 'Medication' && c.id === target.slice(1),
        );
        if (isObject(contained) && contained.code) return contained.code;
      } else if (target) {
        const found = resolve(target);
        if (found?.resourceType === 'Medication' && found.code) return found.code;
      }
      if (ref && str(ref.display)) return { text: str(ref.display)! };
      return target ? { text: `Medication (${target})` } : undefined;
    }
    case 'Immunization':
      return resource.vaccineCode;
    case 'Encounter':
      return arr(resource.type)[0] ?? (isObject(resource.class) ? { coding: [resource.class] } : undefined);
    case 'DocumentReference':
    case 'Composition':
      return resource.type;
    default:
      return resource.code;
  }
}

/** Maps one resource to a record, or says why it is skipped. Patients are handled apart. */
export function mapResource(resource: FhirResource, resolve: Resolver = () => undefined): MapResult {
  const kind = Object.hasOwn(SUPPORTED, resource.resourceType) ? SUPPORTED[resource.resourceType] : undefined;
  if (!kind) {
    return {
      ok: false,
      reason: `unsupported resource type ${resource.resourceType} (this service imports ${SUPPORTED_RESOURCE_TYPES.join(', ')})`,
    };
  }
  const concept = conceptOf(resource, resolve);
  const coded = codingOf(concept);
  const title = str(resource.title);
  const description = str(resource.description);
  const display = coded.text ?? coded.display ?? title ?? description ?? coded.code;
  if (!display) {
    const field =
      resource.resourceType === 'Immunization'
        ? 'vaccineCode'
        : resource.resourceType.startsWith('Medication')
          ? 'medication[x]'
          : resource.resourceType === 'Encounter' ||
              resource.resourceType.startsWith('Doc') ||
              resource.resourceType === 'Composition'
            ? 'type'
            : 'code';
    return {
      ok: false,
      malformed: true,
      reason: `${resource.resourceType}.${field} is missing: nothing names what this record is`,
    };
  }
  const record_type =
    kind === 'observation-like' ? observationType(resource, coded.code, coded.system) : kind;
  const subjectRef = isObject(resource.subject)
    ? str(resource.subject.reference)
    : isObject(resource.patient)
      ? str(resource.patient.reference)
      : undefined;
  const status = str(resource.status) ?? codingOf(resource.clinicalStatus).code ?? null;
  return {
    ok: true,
    record: {
      record_type,
      display,
      code_system: coded.system ?? null,
      code: coded.code ?? null,
      status,
      effective_text: firstDate(resource, DATE_PATHS[resource.resourceType] ?? []) ?? null,
      measured: resource.resourceType === 'Observation' ? measuredOf(resource) : null,
      subject: subjectRef ?? null,
    },
  };
}

export interface Demographics {
  gender: string | null;
  birth_date: string | null;
}

export function demographicsOf(patient: FhirResource): Demographics {
  return { gender: str(patient.gender) ?? null, birth_date: str(patient.birthDate) ?? null };
}
