import { describe, expect, it } from 'vitest';
import type { FhirResource, JsonObject } from './fhir.js';
import type { PatientRow, RecordWithResource } from './export-queries.js';
import {
  ageInYears,
  allergyDecision,
  buildSummary,
  conditionDecision,
  dosageText,
  medicationDecision,
  statusCode,
  type SummaryInput,
} from './summary.js';

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const A_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const A_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const cc = (system: string, code: string) => ({ coding: [{ system, code }] });

function condition(clinical?: string, verification?: string, extra: JsonObject = {}): FhirResource {
  return {
    resourceType: 'Condition',
    code: { text: 'Asthma' },
    ...(clinical ? { clinicalStatus: cc(CLINICAL, clinical) } : {}),
    ...(verification ? { verificationStatus: cc(VERIFICATION, verification) } : {}),
    ...extra,
  };
}

describe('conditions: current problems from clinicalStatus and verificationStatus', () => {
  it.each(['active', 'recurrence', 'relapse'])('clinicalStatus %s is a current problem', (code) => {
    expect(conditionDecision(condition(code))).toMatchObject({ include: true, status: code });
  });
  it.each(['inactive', 'remission', 'resolved'])('clinicalStatus %s is not', (code) => {
    expect(conditionDecision(condition(code))).toEqual({
      include: false,
      reason: `clinical status is ${code}`,
    });
  });
  it.each(['refuted', 'entered-in-error'])('verificationStatus %s excludes even an active one', (code) => {
    expect(conditionDecision(condition('active', code))).toEqual({
      include: false,
      reason: `verification status is ${code}`,
    });
  });
  it.each(['unconfirmed', 'provisional', 'differential', 'confirmed'])(
    'verificationStatus %s keeps an active one',
    (code) => expect(conditionDecision(condition('active', code)).include).toBe(true),
  );
  it('entered-in-error without a clinicalStatus (as con-5 requires) is excluded', () => {
    expect(conditionDecision(condition(undefined, 'entered-in-error')).include).toBe(false);
  });
  it('no clinicalStatus: current unless an abatement is recorded', () => {
    expect(conditionDecision(condition())).toMatchObject({ include: true, status: null });
    expect(
      conditionDecision(condition(undefined, undefined, { abatementDateTime: '2020-01-01' })).include,
    ).toBe(false);
    expect(
      conditionDecision(condition(undefined, undefined, { abatementString: 'in childhood' })).include,
    ).toBe(false);
  });
  it('reads the HL7 coding even when another system comes first, and pre-R4 plain codes', () => {
    const both = condition(undefined, undefined, {
      clinicalStatus: {
        coding: [
          { system: 'http://example.org/local', code: 'A' },
          { system: CLINICAL, code: 'resolved' },
        ],
      },
    });
    expect(conditionDecision(both).include).toBe(false);
    expect(conditionDecision(condition(undefined, undefined, { clinicalStatus: 'resolved' })).include).toBe(
      false,
    );
    expect(statusCode({ text: 'Active' }, CLINICAL)).toBe('active');
  });
});

describe('medications: current from status', () => {
  const request = (status: string | undefined, extra: JsonObject = {}): FhirResource => ({
    resourceType: 'MedicationRequest',
    ...(status ? { status } : {}),
    intent: 'order',
    medicationCodeableConcept: { text: 'Lisinopril 10 mg' },
    ...extra,
  });
  const statement = (status: string): FhirResource => ({
    resourceType: 'MedicationStatement',
    status,
    medicationCodeableConcept: { text: 'Metformin' },
  });
  it.each(['active', 'on-hold'])('a %s request is current', (status) => {
    expect(medicationDecision(request(status))).toMatchObject({ include: true, status });
  });
  it.each(['stopped', 'completed', 'cancelled', 'entered-in-error', 'draft'])(
    'a %s request is not',
    (status) => {
      expect(medicationDecision(request(status))).toEqual({ include: false, reason: `status is ${status}` });
    },
  );
  it.each(['active', 'on-hold'])('a %s statement is current', (status) => {
    expect(medicationDecision(statement(status)).include).toBe(true);
  });
  it.each(['stopped', 'completed', 'not-taken', 'intended', 'entered-in-error'])(
    'a %s statement is not',
    (status) => {
      expect(medicationDecision(statement(status)).include).toBe(false);
    },
  );
  it('an order not to take it (doNotPerform) is never a current medication', () => {
    expect(medicationDecision(request('active', { doNotPerform: true })).include).toBe(false);
  });
  it('unknown or missing status is shown, marked', () => {
    expect(medicationDecision(request('unknown'))).toEqual({
      include: true,
      status: 'unknown',
      note: 'status is unknown',
    });
    expect(medicationDecision(request(undefined))).toEqual({
      include: true,
      status: null,
      note: 'no status',
    });
  });
  it('dosage: the text, else put together from dose and timing', () => {
    expect(dosageText({ dosageInstruction: [{ text: 'One tablet daily' }] })).toBe('One tablet daily');
    expect(
      dosageText({
        dosageInstruction: [
          {
            timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
            doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }],
            asNeededBoolean: true,
          },
        ],
      }),
    ).toBe('1 tablet, 2 times per day, as needed');
    expect(
      dosageText({ dosage: [{ timing: { repeat: { frequency: 1, period: 8, periodUnit: 'h' } } }] }),
    ).toBe('1 time per 8 hours');
    expect(dosageText({})).toBeNull();
  });
});

describe('allergies: current from clinicalStatus and verificationStatus', () => {
  const allergy = (clinical?: string, verification?: string): FhirResource => ({
    resourceType: 'AllergyIntolerance',
    code: { text: 'Penicillin' },
    ...(clinical ? { clinicalStatus: cc(A_CLINICAL, clinical) } : {}),
    ...(verification ? { verificationStatus: cc(A_VERIFICATION, verification) } : {}),
  });
  it('active, or with no clinicalStatus, is current', () => {
    expect(allergyDecision(allergy('active', 'confirmed'))).toMatchObject({
      include: true,
      status: 'active',
    });
    expect(allergyDecision(allergy('active', 'unconfirmed')).include).toBe(true);
    expect(allergyDecision(allergy())).toMatchObject({ include: true, status: null });
  });
  it.each(['inactive', 'resolved'])('clinicalStatus %s is not', (code) => {
    expect(allergyDecision(allergy(code)).include).toBe(false);
  });
  it.each(['refuted', 'entered-in-error'])('verificationStatus %s is not', (code) => {
    expect(allergyDecision(allergy('active', code)).include).toBe(false);
    expect(allergyDecision(allergy(undefined, code)).include).toBe(false);
  });
});

describe('buildSummary', () => {
  let n = 0;
  const row = (
    record_type: RecordWithResource['record_type'],
    resource: FhirResource,
    display: string,
    at: string | null,
    code: string | null = null,
  ): RecordWithResource => {
    n += 1;
    return {
      id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
      user_id: 'u',
      record_type,
      resource_type: resource.resourceType,
      source_system: 'test',
      source_id: `r${n}`,
      effective_at: at ? new Date(at) : null,
      effective_text: at,
      display,
      code_system: code ? 'http://snomed.info/sct' : null,
      code,
      status: null,
      measurement: null,
      resource,
      created_at: new Date(),
      updated_at: new Date(),
    };
  };
  const patient = (resource: JsonObject): PatientRow => ({
    id: 'p',
    source_system: 'test',
    source_id: 'p',
    aliases: [],
    gender: null,
    birth_date: null,
    resource: { resourceType: 'Patient', ...resource },
  });
  const input = (over: Partial<SummaryInput>): SummaryInput => ({
    now: new Date('2024-06-15T12:00:00Z'),
    patients: [],
    conditions: [],
    medications: [],
    allergies: [],
    labs: [],
    recordCounts: [],
    readings: { status: 'ok', value: [] },
    profile: {
      status: 'ok',
      value: { full_name: 'Ada Lovelace', date_of_birth: '1970-06-16', sex: 'female' },
    },
    ...over,
  });

  it('keeps current items, counts the rest, and lists each problem once (the newest record)', () => {
    const summary = buildSummary(
      input({
        conditions: [
          row(
            'condition',
            condition('active', undefined, { onsetDateTime: '2010-01-01' }),
            'Hypertension',
            '2010-01-01',
            '38341003',
          ),
          row(
            'condition',
            condition('active', undefined, { onsetDateTime: '2019-01-01' }),
            'Hypertension',
            '2019-01-01',
            '38341003',
          ),
          row('condition', condition('resolved'), 'Sinusitis', '2018-01-01', '36971009'),
          row('condition', condition('active', 'refuted'), 'Diabetes', '2018-01-01', '44054006'),
        ],
        medications: [
          row(
            'medication',
            { resourceType: 'MedicationRequest', status: 'stopped' },
            'Amoxicillin',
            '2018-01-01',
          ),
          row(
            'medication',
            { resourceType: 'MedicationRequest', status: 'active' },
            'Lisinopril',
            '2019-01-01',
          ),
        ],
      }),
    );
    expect(summary.problems.map((p) => [p.display, p.onset])).toEqual([['Hypertension', '2019-01-01']]);
    expect(summary.medications.map((m) => m.display)).toEqual(['Lisinopril']);
    expect(summary.excluded).toEqual({ problems: 2, medications: 1, allergies: 0 });
  });

  it('demographics: the one imported Patient, else the profile; age in whole years', () => {
    const one = buildSummary(
      input({
        patients: [
          patient({
            name: [
              { use: 'old', family: 'Byron' },
              { use: 'official', given: ['Augusta', 'Ada'], family: 'King' },
            ],
            gender: 'female',
            birthDate: '1815-12-10',
            deceasedDateTime: '1852-11-27',
          }),
        ],
      }),
    );
    expect(one.patient).toEqual({
      name: 'Augusta Ada King',
      birth_date: '1815-12-10',
      age_years: null,
      gender: 'female',
      deceased: true,
      source: 'fhir-patient',
    });
    const none = buildSummary(input({}));
    expect(none.patient).toMatchObject({ name: 'Ada Lovelace', age_years: 53, source: 'profile' });
    const down = buildSummary(input({ profile: { status: 'unavailable', reason: 'no answer' } }));
    expect(down.patient.name).toBeNull();
    expect(down.sources.find((s) => s.name === 'user-profile')).toMatchObject({ status: 'unavailable' });
    expect(ageInYears('1970-06-15', new Date('2024-06-15T00:00:00Z'))).toBe(54);
    expect(ageInYears('1970', new Date())).toBeNull();
  });

  it('a health-tracking outage is reported, not thrown', () => {
    const summary = buildSummary(input({ readings: { status: 'unavailable', reason: 'did not answer' } }));
    expect(summary.vitals).toEqual({ status: 'unavailable', message: 'did not answer', items: [] });
    expect(summary.sources.find((s) => s.name === 'health-tracking')?.status).toBe('unavailable');
  });
});
