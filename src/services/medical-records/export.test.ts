import { describe, expect, it } from 'vitest';
import { buildExportBundle, identityUrl, parseReference, withOwner, type ExportItem } from './export.js';
import type { FhirResource } from './fhir.js';
import { validateFhir } from './test-support.js';
import { vitalObservation } from './vitals.js';

const item = (resource: FhirResource, extra: Partial<ExportItem> = {}): ExportItem => ({
  source_system: 'fhir-upload',
  source_id: typeof resource.id === 'string' ? resource.id : 'sha256:x',
  aliases: [],
  resource,
  ...extra,
});
const build = (items: ExportItem[]) =>
  buildExportBundle(items, {
    id: '0b6f1b8e-2f7a-4c3e-9d1a-5e6f7a8b9c0d',
    timestamp: new Date('2024-06-01T00:00:00Z'),
  });
type Entry = { fullUrl: string; resource: FhirResource & Record<string, unknown> };
const entries = (bundle: FhirResource) => bundle.entry as unknown as Entry[];
const find = (bundle: FhirResource, type: string, id?: string) =>
  entries(bundle).find(
    (e) => e.resource.resourceType === type && (id === undefined || e.resource.id === id),
  )!;

const patient: FhirResource = { resourceType: 'Patient', id: 'pat1', gender: 'female' };
const observation = (id: string, subject: string, extra = {}): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'Glucose' },
  subject: { reference: subject },
  ...extra,
});

describe('parseReference', () => {
  it('reads relative, absolute, versioned and conditional references', () => {
    expect(parseReference('Patient/1').keys).toContain('Patient/1');
    expect(parseReference('http://example.org/fhir/Patient/1/_history/2').keys).toContain('Patient/1');
    const conditional = parseReference('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123');
    expect(conditional).toMatchObject({
      type: 'Practitioner',
      identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '123' },
    });
    expect(conditional.keys).toContain('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123');
    expect(parseReference('Organization?identifier=abc%7C9').identifier).toEqual({
      system: 'abc',
      value: '9',
    });
    expect(parseReference('urn:uuid:1234').type).toBeUndefined();
  });
});

describe('buildExportBundle', () => {
  it('links every way a reference may be written to the target’s urn:uuid fullUrl', () => {
    const { bundle, stats } = build([
      item(patient, { aliases: ['urn:uuid:aaaaaaaa-0000-4000-8000-000000000001'] }),
      item(observation('o1', 'Patient/pat1')),
      item(observation('o2', 'https://ehr.example.org/fhir/Patient/pat1/_history/3')),
      item(observation('o3', 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001')),
      item(observation('o4', 'Patient?identifier=urn:mrn|42')),
      item({ ...patient, id: 'pat2', identifier: [{ system: 'urn:mrn', value: '42' }] }),
      item(
        observation('o5', 'Patient/pat1', {
          contained: [{ resourceType: 'Specimen', id: 'sp' }],
          specimen: { reference: '#sp' },
          hasMember: [{ reference: 'Observation/o1' }],
        }),
      ),
    ]);
    const patUrl = find(bundle, 'Patient', 'pat1').fullUrl;
    for (const id of ['o1', 'o2', 'o3', 'o5'])
      expect(find(bundle, 'Observation', id).resource.subject).toEqual({ reference: patUrl });
    expect(find(bundle, 'Observation', 'o4').resource.subject).toEqual({
      reference: find(bundle, 'Patient', 'pat2').fullUrl,
    });
    const o5 = find(bundle, 'Observation', 'o5').resource;
    expect(o5.specimen).toEqual({ reference: '#sp' });
    expect(o5.hasMember).toEqual([{ reference: find(bundle, 'Observation', 'o1').fullUrl }]);
    expect(stats).toEqual({ resources: 7, references_linked: 6, references_unlinked: {} });
    expect(entries(bundle).some((e) => e.resource.resourceType === 'OperationOutcome')).toBe(false);
    expect(validateFhir(bundle).errors).toEqual([]);
  });

  it('keeps what it can of references to resources it does not have, and says so', () => {
    const request: FhirResource = {
      resourceType: 'MedicationRequest',
      id: 'mr1',
      status: 'active',
      intent: 'order',
      medicationReference: { reference: 'Medication/example' },
      subject: { reference: 'Patient/pat1' },
      requester: { reference: 'Practitioner/dr', display: 'Dr. Who' },
      performer: { reference: 'Organization?identifier=urn:org|7' },
    };
    const { bundle, stats } = build([
      item(patient),
      item(request, { display: 'Medication (Medication/example)' }),
    ]);
    const mr = find(bundle, 'MedicationRequest').resource;
    expect(mr.medicationReference).toEqual({
      type: 'Medication',
      display: 'Medication (Medication/example)',
    });
    expect(mr.requester).toEqual({ type: 'Practitioner', display: 'Dr. Who' });
    expect(mr.performer).toEqual({ type: 'Organization', identifier: { system: 'urn:org', value: '7' } });
    expect(stats.references_unlinked).toEqual({ Medication: 1, Organization: 1, Practitioner: 1 });
    const outcome = entries(bundle)[0]!.resource;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(outcome)).toContain('3 reference(s)');
    expect(validateFhir(bundle).errors).toEqual([]);
  });

  it('resolves within the resource’s own source system first; ambiguous elsewhere, it does not guess', () => {
    const { bundle } = build([
      item(patient, { source_system: 'clinic-a' }),
      item(patient, { source_system: 'clinic-b' }),
      item(observation('o1', 'Patient/pat1'), { source_system: 'clinic-b' }),
      item(observation('o2', 'Patient/pat1'), { source_system: 'clinic-c' }),
    ]);
    const patients = entries(bundle).filter((e) => e.resource.resourceType === 'Patient');
    expect(patients).toHaveLength(2);
    expect(patients[0]!.fullUrl).not.toBe(patients[1]!.fullUrl);
    expect(find(bundle, 'Observation', 'o1').resource.subject).toEqual({ reference: patients[1]!.fullUrl });
    expect(find(bundle, 'Observation', 'o2').resource.subject).toEqual({
      type: 'Patient',
      display: 'Patient/pat1 (not included in this export)',
    });
    expect(patients.map((p) => (p.resource.meta as { source: string }).source)).toEqual([
      'clinic-a',
      'clinic-b',
    ]);
  });

  it('gives stable fullUrls: a UUID id keeps its urn, others a name-based UUID; the original is not changed', () => {
    const synthea: FhirResource = {
      resourceType: 'Patient',
      id: '8708D3E1-F718-96BB-03F0-F2A6564AE1CD',
      meta: { source: 'synthea' },
    };
    const original = structuredClone(synthea);
    const one = build([item(synthea), item(patient)]);
    const two = build([item(synthea), item(patient)]);
    expect(entries(one.bundle).map((e) => e.fullUrl)).toEqual(entries(two.bundle).map((e) => e.fullUrl));
    expect(entries(one.bundle)[0]!.fullUrl).toBe('urn:uuid:8708d3e1-f718-96bb-03f0-f2a6564ae1cd');
    expect(entries(one.bundle)[1]!.fullUrl).toBe(identityUrl(item(patient)));
    expect(entries(one.bundle)[0]!.resource.meta).toEqual({ source: 'synthea' });
    expect(synthea).toEqual(original);
  });

  it('names the owner where R4 requires a patient and the upload gave none', () => {
    const condition: FhirResource = { resourceType: 'Condition', code: { text: 'Asthma' } };
    expect(withOwner(condition, 'urn:uuid:x')).toEqual({
      ...condition,
      subject: { reference: 'urn:uuid:x' },
    });
    const allergy: FhirResource = { resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/1' } };
    expect(withOwner(allergy, 'urn:uuid:x')).toBe(allergy);
    const observationWithout: FhirResource = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
    };
    expect(withOwner(observationWithout, 'urn:uuid:x')).toBe(observationWithout); // subject is optional there
  });
});

describe('vital-signs Observations from health-tracking readings', () => {
  const reading = {
    id: null,
    source: 'apple_health',
    timestamp: '2024-05-01T07:00:00.000+02:00',
    classification: null,
  };
  it('are coded in LOINC with UCUM units, blood pressure as a panel, and validate', () => {
    const owner = identityUrl(item(patient));
    const bp = vitalObservation(
      {
        ...reading,
        metric_type: 'blood_pressure',
        canonical_value: { systolic: 120, diastolic: 80 },
        canonical_unit: 'mm[Hg]',
      },
      owner,
    )!;
    const spo2 = vitalObservation(
      { ...reading, metric_type: 'oxygen_saturation', canonical_value: 97, canonical_unit: '%' },
      owner,
    )!;
    expect(bp.code).toMatchObject({ coding: [{ system: 'http://loinc.org', code: '85354-9' }] });
    expect(
      (bp.component as { code: { coding: { code: string }[] } }[]).map((c) => c.code.coding[0]!.code),
    ).toEqual(['8480-6', '8462-4']);
    expect(spo2.valueQuantity).toEqual({
      value: 97,
      unit: '%',
      system: 'http://unitsofmeasure.org',
      code: '%',
    });
    expect(spo2.device).toEqual({ display: 'apple_health' });
    // A series sample has no id: it gets the same name-based one every time.
    expect(spo2.id).toBe(
      vitalObservation(
        { ...reading, metric_type: 'oxygen_saturation', canonical_value: 97, canonical_unit: '%' },
        owner,
      )!.id,
    );
    expect(
      vitalObservation(
        { ...reading, metric_type: 'steps', canonical_value: 9000, canonical_unit: '{steps}' },
        owner,
      ),
    ).toBeNull();
    const { bundle } = build([
      item(patient),
      item(bp, { source_system: 'health-tracking' }),
      item(spo2, { source_system: 'health-tracking' }),
    ]);
    expect(find(bundle, 'Observation', bp.id as string).resource.subject).toEqual({
      reference: find(bundle, 'Patient').fullUrl,
    });
    expect(validateFhir(bundle).errors).toEqual([]);
  });
});
