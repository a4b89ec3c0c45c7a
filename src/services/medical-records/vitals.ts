import { v5 as uuidv5 } from 'uuid';
import { EXPORT_UUID_NAMESPACE } from './export.js';
import { LOINC, type FhirResource } from './fhir.js';
import type { Reading } from './peers.js';

/** FHIR R4 vital-signs Observations for readings from the health-tracking service. */

interface VitalCode {
  text: string;
  /** LOINC codings, the FHIR R4 vital-signs profile's code first. */
  codings: { code: string; display: string }[];
}

/**
 * LOINC codes of the FHIR R4 vital-signs profile (hl7.org/fhir/R4/observation-vitalsigns.html); resting
 * heart rate is LOINC 40443-4, outside that profile's list, and pulse oximetry adds 59408-5 as US Core
 * does. Readings that are not vital signs (steps, sleep, glucose, body fat, energy) are not exported here.
 */
export const VITAL_CODES: Record<string, VitalCode> = {
  heart_rate: { text: 'Heart rate', codings: [{ code: '8867-4', display: 'Heart rate' }] },
  resting_heart_rate: {
    text: 'Resting heart rate',
    codings: [{ code: '40443-4', display: 'Heart rate --resting' }],
  },
  respiratory_rate: { text: 'Respiratory rate', codings: [{ code: '9279-1', display: 'Respiratory rate' }] },
  oxygen_saturation: {
    text: 'Oxygen saturation',
    codings: [
      { code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
      { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' },
    ],
  },
  body_temperature: { text: 'Body temperature', codings: [{ code: '8310-5', display: 'Body temperature' }] },
  height: { text: 'Body height', codings: [{ code: '8302-2', display: 'Body height' }] },
  weight: { text: 'Body weight', codings: [{ code: '29463-7', display: 'Body weight' }] },
  bmi: { text: 'Body mass index', codings: [{ code: '39156-5', display: 'Body mass index (BMI) [Ratio]' }] },
  blood_pressure: {
    text: 'Blood pressure',
    codings: [{ code: '85354-9', display: 'Blood pressure panel with all children optional' }],
  },
};

const SYSTOLIC = { code: '8480-6', display: 'Systolic blood pressure' };
const DIASTOLIC = { code: '8462-4', display: 'Diastolic blood pressure' };
const UCUM = 'http://unitsofmeasure.org';
export const HEALTH_TRACKING_SOURCE = 'health-tracking';

const quantity = (value: number, unit: string) => ({ value, unit, system: UCUM, code: unit });
const concept = (codings: { code: string; display: string }[], text: string) => ({
  coding: codings.map((c) => ({ system: LOINC, code: c.code, display: c.display })),
  text,
});

/**
 * A vital-signs Observation for one reading, about the Patient at `subject` (a fullUrl); null for a
 * metric that is not a vital sign or a value of the wrong shape.
 */
export function vitalObservation(reading: Reading, subject: string): FhirResource | null {
  const code = VITAL_CODES[reading.metric_type];
  if (!code) return null;
  const bp = reading.metric_type === 'blood_pressure';
  const value = reading.canonical_value;
  if (bp !== (typeof value === 'object')) return null;
  // Series samples carry no id: a name-based UUID keeps the same reading under the same id in every export.
  const id =
    reading.id ??
    uuidv5(`${reading.metric_type}\u0000${reading.source}\u0000${reading.timestamp}`, EXPORT_UUID_NAMESPACE);
  const observation: FhirResource = {
    resourceType: 'Observation',
    id,
    meta: { source: HEALTH_TRACKING_SOURCE },
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
        text: 'Vital Signs',
      },
    ],
    code: concept(code.codings, code.text),
    subject: { reference: subject },
    effectiveDateTime: reading.timestamp,
  };
  if (reading.source !== 'manual') observation.device = { display: reading.source };
  if (typeof value === 'object') {
    observation.component = [
      {
        code: concept([SYSTOLIC], SYSTOLIC.display),
        valueQuantity: quantity(value.systolic, reading.canonical_unit),
      },
      {
        code: concept([DIASTOLIC], DIASTOLIC.display),
        valueQuantity: quantity(value.diastolic, reading.canonical_unit),
      },
    ];
  } else {
    observation.valueQuantity = quantity(value, reading.canonical_unit);
  }
  return observation;
}
