import {
  isObject,
  parseFhirDate,
  type FhirResource,
  type Json,
  type JsonObject,
  type Quantity,
} from './fhir.js';
import type { LabFlags } from './flags.js';
import type { PatientRow, RecordWithResource } from './export-queries.js';
import type { RecordRow } from './store.js';
import type { BloodPressure, Fetched, ProfileView, Reading } from './peers.js';
import { VITAL_CODES } from './vitals.js';

/**
 * The one-page patient summary: which conditions, medications and allergies are current, read from the
 * FHIR statuses as the R4 specification defines them, plus recent labs with the server's flags, the
 * latest readings from health-tracking and the demographics. Plain functions, no SQL, no HTTP.
 */

const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

const str = (x: Json | undefined): string | null => (typeof x === 'string' && x !== '' ? x : null);
const arr = (x: Json | undefined): Json[] => (Array.isArray(x) ? x : []);

/**
 * The code of a status CodeableConcept (the coding of `system` preferred), lower-cased. A plain string is
 * read too: exports written against older FHIR versions sent clinicalStatus as a code.
 */
export function statusCode(concept: Json | undefined, system: string): string | null {
  if (typeof concept === 'string') return concept.toLowerCase() || null;
  if (!isObject(concept)) return null;
  const codings = arr(concept.coding).filter(isObject);
  const chosen = codings.find((c) => c.system === system) ?? codings.find((c) => str(c.code));
  const code = str(chosen?.code) ?? str(concept.text);
  return code ? code.toLowerCase() : null;
}

export type Decision =
  { include: true; status: string | null; note: string | null } | { include: false; reason: string };

const include = (status: string | null, note: string | null = null): Decision => ({
  include: true,
  status,
  note,
});
const exclude = (reason: string): Decision => ({ include: false, reason });

/** Verification statuses that say the condition or allergy is not the patient's (R4 condition-ver-status). */
const DISPROVED = new Set(['refuted', 'entered-in-error']);
/** R4 condition-clinical: recurrence and relapse are kinds of active; the rest are not current. */
const CONDITION_ACTIVE = new Set(['active', 'recurrence', 'relapse']);
const CONDITION_INACTIVE = new Set(['inactive', 'remission', 'resolved']);

const hasAbatement = (resource: JsonObject) =>
  Object.keys(resource).some((k) => k.startsWith('abatement') && resource[k] !== null);

/** Is this Condition a current problem? */
export function conditionDecision(resource: JsonObject): Decision {
  const verification = statusCode(resource.verificationStatus, CONDITION_VERIFICATION);
  if (verification && DISPROVED.has(verification)) return exclude(`verification status is ${verification}`);
  const clinical = statusCode(resource.clinicalStatus, CONDITION_CLINICAL);
  if (clinical && CONDITION_ACTIVE.has(clinical)) return include(clinical);
  if (clinical && CONDITION_INACTIVE.has(clinical)) return exclude(`clinical status is ${clinical}`);
  if (clinical) return include(clinical, `clinical status "${clinical}" is not an R4 code; shown to be safe`);
  // R4 Condition.abatement: with no abatement, "applications and users should generally assume that the
  // condition is still valid"; con-4: an abated condition is inactive, resolved or in remission.
  if (hasAbatement(resource)) return exclude('abatement recorded and no clinical status');
  return include(null, 'no clinical status; no abatement recorded, so taken as current');
}

/** MedicationRequest.status (R4 medicationrequest-status) and MedicationStatement.status (R4). */
const MEDICATION_CURRENT = new Set(['active', 'on-hold']);
const REQUEST_ENDED = new Set(['cancelled', 'completed', 'entered-in-error', 'stopped', 'draft']);
const STATEMENT_ENDED = new Set(['completed', 'entered-in-error', 'intended', 'stopped', 'not-taken']);

/** Is this MedicationRequest or MedicationStatement a medication taken now? */
export function medicationDecision(resource: FhirResource): Decision {
  if (resource.doNotPerform === true) return exclude('an order not to take it (doNotPerform)');
  const status = str(resource.status)?.toLowerCase() ?? null;
  if (status && MEDICATION_CURRENT.has(status))
    return include(status, status === 'on-hold' ? 'on hold' : null);
  const ended = resource.resourceType === 'MedicationStatement' ? STATEMENT_ENDED : REQUEST_ENDED;
  if (status && ended.has(status)) return exclude(`status is ${status}`);
  // "unknown", a missing status, or one outside R4: it may still be taken, so it is shown, marked.
  return include(status, status ? `status is ${status}` : 'no status');
}

/** Is this AllergyIntolerance current? */
export function allergyDecision(resource: JsonObject): Decision {
  const verification = statusCode(resource.verificationStatus, ALLERGY_VERIFICATION);
  if (verification && DISPROVED.has(verification)) return exclude(`verification status is ${verification}`);
  const clinical = statusCode(resource.clinicalStatus, ALLERGY_CLINICAL);
  if (clinical === 'inactive' || clinical === 'resolved') return exclude(`clinical status is ${clinical}`);
  if (clinical === 'active') return include(clinical);
  return include(
    clinical,
    clinical ? `clinical status "${clinical}" is not an R4 code` : 'no clinical status',
  );
}

// ---- the summary ---------------------------------------------------------------------------------------

export interface Coded {
  system: string | null;
  code: string | null;
}

export interface Problem {
  record_id: string;
  display: string;
  code: Coded | null;
  clinical_status: string | null;
  verification_status: string | null;
  onset: string | null;
  recorded_date: string | null;
  note: string | null;
}

export interface Medication {
  record_id: string;
  resource_type: string;
  display: string;
  code: Coded | null;
  status: string | null;
  dosage: string | null;
  date: string | null;
  note: string | null;
}

export interface Allergy {
  record_id: string;
  display: string;
  code: Coded | null;
  clinical_status: string | null;
  verification_status: string | null;
  criticality: string | null;
  categories: string[];
  reactions: { manifestations: string[]; severity: string | null }[];
  note: string | null;
}

export interface Lab {
  record_id: string;
  display: string;
  code: Coded | null;
  status: string | null;
  effective_at: string | null;
  effective_text: string | null;
  value: Quantity | null;
  value_text: string | null;
  components: { code: string | null; display: string; value: Quantity | null }[];
  flags: LabFlags | null;
}

export interface VitalReading {
  metric_type: string;
  name: string;
  value: number | BloodPressure;
  /** UCUM code. */
  unit: string;
  timestamp: string;
  source: string;
  classification: Reading['classification'];
}

export interface Demographics {
  name: string | null;
  birth_date: string | null;
  age_years: number | null;
  gender: string | null;
  deceased: boolean;
  /** Where these came from: the one imported Patient, or the account profile. */
  source: 'fhir-patient' | 'profile' | null;
}

export interface SourceNote {
  name: 'medical-records' | 'health-tracking' | 'user-profile';
  status: 'ok' | 'unavailable' | 'not-used';
  detail: string;
}

export interface PatientSummary {
  generated_at: string;
  patient: Demographics;
  problems: Problem[];
  medications: Medication[];
  allergies: Allergy[];
  labs: Lab[];
  vitals: { status: 'ok' | 'unavailable'; message: string | null; items: VitalReading[] };
  /** How many records were left out, and why (resolved, refuted, stopped...). */
  excluded: { problems: number; medications: number; allergies: number };
  sources: SourceNote[];
}

export interface SummaryInput {
  now: Date;
  patients: readonly PatientRow[];
  conditions: readonly RecordWithResource[];
  medications: readonly RecordWithResource[];
  allergies: readonly RecordWithResource[];
  labs: readonly RecordRow[];
  recordCounts: readonly { source_system: string; n: number }[];
  readings: Fetched<Reading[]>;
  /** Asked for only when the record has not exactly one Patient. */
  profile: Fetched<ProfileView> | null;
}

const codedOf = (row: RecordRow): Coded | null =>
  row.code || row.code_system ? { system: row.code_system, code: row.code } : null;
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const newestFirst = (a: RecordRow, b: RecordRow) =>
  (b.effective_at ? new Date(b.effective_at).getTime() : -Infinity) -
  (a.effective_at ? new Date(a.effective_at).getTime() : -Infinity);

/** Keeps the first row of each code (or name, when uncoded): the rows come newest first. */
function dedupe<T extends RecordRow>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = row.code ? `${row.code_system ?? ''}|${row.code}` : `name|${row.display.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const textOf = (concept: Json | undefined): string | null => {
  if (!isObject(concept)) return null;
  const codings = arr(concept.coding).filter(isObject);
  return str(concept.text) ?? codings.map((c) => str(c.display) ?? str(c.code)).find(Boolean) ?? null;
};

function onsetOf(resource: JsonObject): string | null {
  const period = isObject(resource.onsetPeriod) ? resource.onsetPeriod : undefined;
  const age = isObject(resource.onsetAge) ? resource.onsetAge : undefined;
  return (
    str(resource.onsetDateTime) ??
    str(period?.start) ??
    str(resource.onsetString) ??
    (age && typeof age.value === 'number'
      ? `age ${age.value} ${str(age.unit) ?? str(age.code) ?? ''}`.trim()
      : null)
  );
}

const PERIOD_UNITS: Record<string, [string, string]> = {
  s: ['second', 'seconds'],
  min: ['minute', 'minutes'],
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  wk: ['week', 'weeks'],
  mo: ['month', 'months'],
  a: ['year', 'years'],
};

/** The dosage as written, else put together from the structured dose and timing. */
export function dosageText(resource: JsonObject): string | null {
  const dosage = [...arr(resource.dosageInstruction), ...arr(resource.dosage)].filter(isObject)[0];
  if (!dosage) return null;
  const text = str(dosage.text) ?? str(dosage.patientInstruction);
  if (text) return text;
  const parts: string[] = [];
  const dose = arr(dosage.doseAndRate).filter(isObject)[0]?.doseQuantity;
  if (isObject(dose) && typeof dose.value === 'number')
    parts.push(`${dose.value}${str(dose.unit) ? ` ${str(dose.unit)}` : ''}`);
  const timing = isObject(dosage.timing) ? dosage.timing : undefined;
  const repeat = isObject(timing?.repeat) ? timing.repeat : undefined;
  const unit = str(repeat?.periodUnit);
  if (repeat && typeof repeat.frequency === 'number' && typeof repeat.period === 'number' && unit) {
    // Own keys only: a periodUnit of "constructor" must not find Object's.
    const words = Object.hasOwn(PERIOD_UNITS, unit) ? PERIOD_UNITS[unit] : undefined;
    if (words) {
      const every = repeat.period === 1 ? words[0] : `${repeat.period} ${words[1]}`;
      parts.push(`${repeat.frequency} time${repeat.frequency === 1 ? '' : 's'} per ${every}`);
    }
  }
  if (dosage.asNeededBoolean === true || isObject(dosage.asNeededCodeableConcept)) parts.push('as needed');
  return parts.length ? parts.join(', ') : null;
}

function humanName(patient: FhirResource): string | null {
  const names = arr(patient.name).filter(isObject);
  const name =
    names.find((n) => n.use === 'official') ??
    names.find((n) => n.use === 'usual') ??
    names.find((n) => n.use !== 'old') ??
    names[0];
  if (!name) return null;
  const text = str(name.text);
  if (text) return text;
  const parts = [...arr(name.given).map(str), str(name.family)].filter((p): p is string => !!p);
  return parts.length ? parts.join(' ') : null;
}

/** Whole years between a full birth date (YYYY-MM-DD) and `at`; null for partial dates. */
export function ageInYears(birthDate: string | null, at: Date): number | null {
  const m = birthDate ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate) : null;
  // 1980-13-45 is no birth date: no age from it.
  if (!m || !parseFhirDate(birthDate!)) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < mo || (at.getUTCMonth() + 1 === mo && at.getUTCDate() < d)) age -= 1;
  return age >= 0 ? age : null;
}

function demographics(input: SummaryInput): Demographics {
  if (input.patients.length === 1) {
    const patient = input.patients[0]!.resource;
    const birth = str(patient.birthDate);
    const deceased = patient.deceasedBoolean === true || typeof patient.deceasedDateTime === 'string';
    return {
      name: humanName(patient),
      birth_date: birth,
      age_years: deceased ? null : ageInYears(birth, input.now),
      gender: str(patient.gender),
      deceased,
      source: 'fhir-patient',
    };
  }
  if (input.profile?.status === 'ok') {
    const p = input.profile.value;
    return {
      name: p.full_name || null,
      birth_date: p.date_of_birth,
      age_years: ageInYears(p.date_of_birth, input.now),
      gender: p.sex,
      deceased: false,
      source: 'profile',
    };
  }
  return { name: null, birth_date: null, age_years: null, gender: null, deceased: false, source: null };
}

function sources(input: SummaryInput): SourceNote[] {
  const total = input.recordCounts.reduce((s, c) => s + c.n, 0);
  const bySource = input.recordCounts.map((c) => `${c.source_system} ${c.n}`).join(', ');
  const notes: SourceNote[] = [
    {
      name: 'medical-records',
      status: 'ok',
      detail:
        `${total} record(s)${total ? ` (${bySource})` : ''}; ${input.patients.length} Patient resource(s)` +
        (input.patients.length > 1 ? ': demographics are those of the account profile' : ''),
    },
    input.readings.status === 'ok'
      ? {
          name: 'health-tracking',
          status: 'ok',
          detail: `latest reading of ${input.readings.value.length} metric type(s)`,
        }
      : {
          name: 'health-tracking',
          status: 'unavailable',
          detail: `latest readings not included: ${input.readings.reason}`,
        },
  ];
  if (input.profile === null) {
    notes.push({
      name: 'user-profile',
      status: 'not-used',
      detail: 'demographics come from the imported Patient',
    });
  } else if (input.profile.status === 'ok') {
    notes.push({ name: 'user-profile', status: 'ok', detail: 'demographics from the account profile' });
  } else {
    notes.push({ name: 'user-profile', status: 'unavailable', detail: input.profile.reason });
  }
  return notes;
}

function partition<T extends RecordWithResource>(rows: readonly T[], decide: (r: FhirResource) => Decision) {
  const kept: { row: T; decision: Extract<Decision, { include: true }> }[] = [];
  let excluded = 0;
  for (const row of [...rows].sort(newestFirst)) {
    const decision = decide(row.resource);
    if (decision.include) kept.push({ row, decision });
    else excluded += 1;
  }
  const unique = new Set(dedupe(kept.map((k) => k.row)));
  return { kept: kept.filter((k) => unique.has(k.row)), excluded };
}

export function buildSummary(input: SummaryInput): PatientSummary {
  const problems = partition(input.conditions, conditionDecision);
  const medications = partition(input.medications, medicationDecision);
  const allergies = partition(input.allergies, allergyDecision);
  return {
    generated_at: input.now.toISOString(),
    patient: demographics(input),
    problems: problems.kept.map(({ row, decision }) => ({
      record_id: row.id,
      display: row.display,
      code: codedOf(row),
      clinical_status: decision.status,
      verification_status: statusCode(row.resource.verificationStatus, CONDITION_VERIFICATION),
      onset: onsetOf(row.resource),
      recorded_date: str(row.resource.recordedDate),
      note: decision.note,
    })),
    medications: medications.kept.map(({ row, decision }) => ({
      record_id: row.id,
      resource_type: row.resource_type,
      display: row.display,
      code: codedOf(row),
      status: decision.status,
      dosage: dosageText(row.resource),
      date: row.effective_text,
      note: decision.note,
    })),
    allergies: allergies.kept.map(({ row, decision }) => ({
      record_id: row.id,
      display: row.display,
      code: codedOf(row),
      clinical_status: decision.status,
      verification_status: statusCode(row.resource.verificationStatus, ALLERGY_VERIFICATION),
      criticality: str(row.resource.criticality),
      categories: arr(row.resource.category)
        .map(str)
        .filter((c): c is string => !!c),
      reactions: arr(row.resource.reaction)
        .filter(isObject)
        .map((reaction) => ({
          manifestations: arr(reaction.manifestation)
            .map(textOf)
            .filter((m): m is string => !!m),
          severity: str(reaction.severity),
        })),
      note: decision.note,
    })),
    labs: input.labs.map((row) => ({
      record_id: row.id,
      display: row.display,
      code: codedOf(row),
      status: row.status,
      effective_at: iso(row.effective_at),
      effective_text: row.effective_text,
      value: row.measurement?.value ?? null,
      value_text: row.measurement?.value_text ?? null,
      components: row.measurement?.components ?? [],
      flags: row.measurement?.flags ?? null,
    })),
    vitals: {
      status: input.readings.status,
      message: input.readings.status === 'ok' ? null : input.readings.reason,
      items: (input.readings.status === 'ok' ? input.readings.value : []).map((r) => ({
        metric_type: r.metric_type,
        name: VITAL_CODES[r.metric_type]?.text ?? humanize(r.metric_type),
        value: r.canonical_value,
        unit: r.canonical_unit,
        timestamp: r.timestamp,
        source: r.source,
        classification: r.classification,
      })),
    },
    excluded: {
      problems: problems.excluded,
      medications: medications.excluded,
      allergies: allergies.excluded,
    },
    sources: sources(input),
  };
}

const humanize = (metricType: string) =>
  metricType.charAt(0).toUpperCase() + metricType.slice(1).replace(/_/g, ' ');
