import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Resource } from './fake-ehr.js';

/**
 * The chart of the fake EHR's launch patient: the official HL7 FHIR R4 examples of Patient f001 and two
 * of his labs (test-fixtures/, CC0), given the US Core category an EHR serves them with, and more
 * resources of every synced type written here with real codes (LOINC, SNOMED CT, RxNorm, CVX).
 */

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`../test-fixtures/${name}`, import.meta.url)), 'utf8'),
  ) as Resource;

const SUBJECT = { reference: 'Patient/f001' };
const category = (system: string, code: string) => [{ coding: [{ system, code }] }];
const OBS_CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const lab = category(OBS_CAT, 'laboratory');

function observation(
  id: string,
  cat: Resource['category'],
  loinc: string,
  display: string,
  when: string,
  value: { value: number; unit: string; code: string } | { valueCodeableConcept: Resource[string] },
): Resource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: cat,
    code: { coding: [{ system: 'http://loinc.org', code: loinc, display }], text: display },
    subject: SUBJECT,
    effectiveDateTime: when,
    ...('valueCodeableConcept' in value
      ? { valueCodeableConcept: value.valueCodeableConcept }
      : { valueQuantity: { ...value, system: 'http://unitsofmeasure.org' } }),
  };
}

export function chartOfPatientF001(): Resource[] {
  const glucose = fixture('observation-example-f001-glucose.json');
  const hemoglobin = fixture('observation-example-f005-hemoglobin.json');
  return [
    fixture('patient-example-f001-pieter.json'),
    // Laboratory: five results, three pages of two.
    { ...glucose, category: lab },
    { ...hemoglobin, category: lab },
    observation(
      'lab-k',
      lab,
      '2823-3',
      'Potassium [Moles/volume] in Serum or Plasma',
      '2024-03-01T08:00:00Z',
      {
        value: 4.1,
        unit: 'mmol/L',
        code: 'mmol/L',
      },
    ),
    observation('lab-na', lab, '2951-2', 'Sodium [Moles/volume] in Serum or Plasma', '2024-03-01T08:00:00Z', {
      value: 139,
      unit: 'mmol/L',
      code: 'mmol/L',
    }),
    observation(
      'lab-a1c',
      lab,
      '4548-4',
      'Hemoglobin A1c/Hemoglobin.total in Blood',
      '2024-03-01T08:00:00Z',
      {
        value: 7.4,
        unit: '%',
        code: '%',
      },
    ),
    // Vital signs: two.
    observation('vs-hr', category(OBS_CAT, 'vital-signs'), '8867-4', 'Heart rate', '2024-03-01T08:05:00Z', {
      value: 72,
      unit: 'beats/minute',
      code: '/min',
    }),
    observation('vs-wt', category(OBS_CAT, 'vital-signs'), '29463-7', 'Body weight', '2024-03-01T08:05:00Z', {
      value: 81.5,
      unit: 'kg',
      code: 'kg',
    }),
    // Social history: smoking status.
    observation(
      'sh-smoking',
      category(OBS_CAT, 'social-history'),
      '72166-2',
      'Tobacco smoking status',
      '2024-03-01T08:00:00Z',
      {
        valueCodeableConcept: {
          coding: [{ system: 'http://snomed.info/sct', code: '8517006', display: 'Ex-smoker' }],
          text: 'Former smoker',
        },
      },
    ),
    {
      resourceType: 'Condition',
      id: 'cond-dm2',
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      category: category('http://terminology.hl7.org/CodeSystem/condition-category', 'problem-list-item'),
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }],
        text: 'Type 2 diabetes',
      },
      subject: SUBJECT,
      onsetDateTime: '2015-06-01',
    },
    {
      resourceType: 'Condition',
      id: 'cond-htn',
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      category: category('http://terminology.hl7.org/CodeSystem/condition-category', 'problem-list-item'),
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertensive disorder' }],
        text: 'High blood pressure',
      },
      subject: SUBJECT,
      onsetDateTime: '2012-02-10',
    },
    {
      resourceType: 'MedicationRequest',
      id: 'med-metformin',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '860975',
            display: 'metformin hydrochloride 500 MG Extended Release Oral Tablet',
          },
        ],
        text: 'Metformin 500 mg ER tablet',
      },
      subject: SUBJECT,
      authoredOn: '2023-11-20',
    },
    {
      resourceType: 'MedicationRequest',
      id: 'med-lisinopril',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '314076',
            display: 'lisinopril 10 MG Oral Tablet',
          },
        ],
        text: 'Lisinopril 10 mg tablet',
      },
      subject: SUBJECT,
      authoredOn: '2022-04-02',
    },
    {
      resourceType: 'AllergyIntolerance',
      id: 'allergy-penicillin',
      clinicalStatus: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
        ],
      },
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '764146007', display: 'Penicillin' }],
        text: 'Penicillin',
      },
      patient: SUBJECT,
      recordedDate: '2010-01-05',
    },
    {
      resourceType: 'Immunization',
      id: 'imm-flu',
      status: 'completed',
      vaccineCode: {
        coding: [
          {
            system: 'http://hl7.org/fhir/sid/cvx',
            code: '158',
            display: 'influenza, injectable, quadrivalent, contains preservative',
          },
        ],
      },
      patient: SUBJECT,
      occurrenceDateTime: '2023-10-12',
    },
    {
      resourceType: 'DiagnosticReport',
      id: 'dr-bmp',
      status: 'final',
      category: category('http://terminology.hl7.org/CodeSystem/v2-0074', 'LAB'),
      code: {
        coding: [{ system: 'http://loinc.org', code: '51990-0', display: 'Basic metabolic panel - Blood' }],
      },
      subject: SUBJECT,
      effectiveDateTime: '2024-03-01T08:00:00Z',
      result: [{ reference: 'Observation/lab-k' }, { reference: 'Observation/lab-na' }],
    },
  ];
}

/** How many resources of each synced type the chart holds. */
export const CHART_COUNTS = {
  Patient: 1,
  Observation: 8,
  Condition: 2,
  MedicationRequest: 2,
  AllergyIntolerance: 1,
  Immunization: 1,
  DiagnosticReport: 1,
} as const;
