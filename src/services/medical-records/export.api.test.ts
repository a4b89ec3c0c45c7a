import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bearer, registerAndLogin, useTestApp, type SignedIn } from '../../test-support/harness.js';
import { validateFhir } from './test-support.js';

/** The shared fixtures (../shared/fixtures from the repository root); absent outside this workspace. */
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const jsonFiles = (name: string) =>
  existsSync(`${FIXTURES}${name}`)
    ? readdirSync(`${FIXTURES}${name}`)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => `${FIXTURES}${name}/${f}`)
    : [];
const examples = jsonFiles('fhir-r4-examples');
const synthea = jsonFiles('synthea');
const haveFixtures = examples.length > 0 && synthea.length > 0;
if (!haveFixtures) {
  console.error(
    `medical-records export: shared FHIR fixtures not found under ${FIXTURES}; the full-corpus export, ` +
      'validation and round-trip tests are skipped. The hand-made tests below still run.',
  );
}

const t = useTestApp();
const base = '/medical-records/api/v1';

type Resource = { resourceType: string; id?: string; [k: string]: unknown };
type Bundle = { resourceType: 'Bundle'; type: string; entry: { fullUrl: string; resource: Resource }[] };
interface StoredRecord {
  id: string;
  record_type: string;
  resource_type: string;
  source: { system: string; id: string };
  effective_at: string | null;
  display: string;
  code: unknown;
  status: string | null;
  measurement: unknown;
}

async function importBody(user: SignedIn, payload: string | object) {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/fhir/import`,
    headers: { ...bearer(user.accessToken), 'content-type': 'application/fhir+json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.json() as {
    counts: Record<string, number>;
    results: { status: string; reason: string | null }[];
  };
}

async function exportOf(user: SignedIn, query = '') {
  const res = await t.app.inject({
    method: 'GET',
    url: `${base}/fhir/export${query}`,
    headers: bearer(user.accessToken),
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  return { bundle: res.json() as Bundle, headers: res.headers };
}

async function storedRecords(user: SignedIn): Promise<{ records: StoredRecord[]; patients: unknown[] }> {
  const res = await t.app.inject({
    method: 'GET',
    url: `${base}/account/export`,
    headers: bearer(user.accessToken),
  });
  expect(res.statusCode).toBe(200);
  return res.json().data;
}

async function postReading(user: SignedIn, payload: object) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/health-tracking/api/v1/metrics',
    headers: bearer(user.accessToken),
    payload,
  });
  expect(res.statusCode, res.body).toBe(201);
}

/** Every literal reference in `value` (contained-resource references excepted). */
function referencesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => referencesIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') {
        if (!v.startsWith('#')) out.push(v);
      } else referencesIn(v, out);
    }
  }
  return out;
}

function expectSelfContained(bundle: Bundle) {
  const fullUrls = bundle.entry.map((e) => e.fullUrl);
  for (const url of fullUrls)
    expect(url).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(new Set(fullUrls).size).toBe(fullUrls.length);
  const known = new Set(fullUrls);
  const dangling = referencesIn(bundle.entry.map((e) => e.resource)).filter((r) => !known.has(r));
  expect(dangling).toEqual([]);
}

/** Order-free key of a stored record: its identity at the source. */
const identity = (r: StoredRecord) => `${r.resource_type}|${r.source.system}|${r.source.id}`;
const comparable = (r: StoredRecord) => ({
  record_type: r.record_type,
  resource_type: r.resource_type,
  effective_at: r.effective_at,
  display: r.display,
  code: r.code,
  status: r.status,
  measurement: r.measurement,
});

describe.skipIf(!haveFixtures)('export of every HL7 example and Synthea patient', () => {
  it('is a FHIR R4 Bundle the validator accepts with zero errors, self-contained, and round-trips', async () => {
    const user = await registerAndLogin(t.app);
    // Patients first, so the first import already knows every subject's sex and age for its lab flags,
    // as the export's re-import will (it lists Patients first).
    const files = [...synthea, ...examples].sort(
      (a, b) => Number(!/patient-/.test(a)) - Number(!/patient-/.test(b)),
    );
    for (const file of files) await importBody(user, readFileSync(file, 'utf8'));
    await postReading(user, {
      metric_type: 'blood_pressure',
      value: { systolic: 128, diastolic: 82 },
      unit: 'mmHg',
      timestamp: '2024-05-01T07:00:00+02:00',
    });
    await postReading(user, {
      metric_type: 'weight',
      value: 172,
      unit: 'lb',
      timestamp: '2024-05-01T07:05:00+02:00',
    });
    await postReading(user, {
      metric_type: 'steps',
      value: 8000,
      unit: 'steps',
      timestamp: '2024-05-01T20:00:00+02:00',
    });

    const stored = await storedRecords(user);
    const { bundle } = await exportOf(user);
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');

    const { errors, warnings } = validateFhir(bundle);
    expect(errors, JSON.stringify(errors.slice(0, 10), null, 1)).toEqual([]);
    // Medplum warns that urn:uuid references carry no type it can check; nothing else is expected.
    for (const w of warnings) expect(w.message).toMatch(/^Invalid reference/);
    expectSelfContained(bundle);

    const resources = bundle.entry.map((e) => e.resource);
    const byType = (type: string) => resources.filter((r) => r.resourceType === type);
    // The imported Patients, and the account holder's own (the readings are theirs).
    expect(byType('Patient').length).toBe(stored.patients.length + 1);
    // Every stored record is there (the vitals come on top), with its original id.
    const vitals = resources.filter((r) => (r.meta as { source?: string })?.source === 'health-tracking');
    expect(resources.length - byType('OperationOutcome').length - vitals.length).toBe(
      stored.records.length + stored.patients.length + 1,
    );
    const ids = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
    for (const r of stored.records)
      if (!r.source.id.includes(':')) expect(ids).toContain(`${r.resource_type}/${r.source.id}`);

    // The two vital signs (not the steps), coded in LOINC with UCUM units.
    expect(vitals).toHaveLength(2);
    const bp = vitals.find((v) => JSON.stringify(v.code).includes('85354-9'))!;
    expect(bp.component).toEqual([
      expect.objectContaining({
        valueQuantity: { value: 128, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      }),
      expect.objectContaining({
        valueQuantity: { value: 82, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      }),
    ]);
    const weight = vitals.find((v) => JSON.stringify(v.code).includes('29463-7'))!;
    expect((weight.valueQuantity as { code: string; value: number }).code).toBe('kg');
    expect((weight.valueQuantity as { value: number }).value).toBeCloseTo(172 * 0.45359237, 3);
    // With many imported Patients the readings belong to the account holder's own Patient.
    const account = byType('Patient').find((p) => (p.meta as { source?: string }).source === 'user-profile');
    expect(account).toBeDefined();
    const accountUrl = bundle.entry.find((e) => e.resource === account)!.fullUrl;
    expect((bp.subject as { reference: string }).reference).toBe(accountUrl);

    // Synthea's own links survive: a lab Observation points at its Patient's entry.
    const glucose = bundle.entry.find(
      (e) => e.resource.id === 'f001' && e.resource.resourceType === 'Observation',
    )!;
    const pieter = bundle.entry.find(
      (e) => e.resource.id === 'f001' && e.resource.resourceType === 'Patient',
    )!;
    expect((glucose.resource.subject as { reference: string }).reference).toBe(pieter.fullUrl);

    // Round trip: the export (without the health-tracking vitals) into a fresh user gives the same records.
    const { bundle: plain } = await exportOf(user, '?vitals=none');
    const fresh = await registerAndLogin(t.app);
    const report = await importBody(fresh, plain);
    expect(report.counts.updated).toBe(0);
    for (const r of report.results.filter((x) => x.status === 'skipped'))
      expect(r.reason).toMatch(/OperationOutcome/);
    const copied = await storedRecords(fresh);
    expect(copied.patients.length).toBe(stored.patients.length);
    const before = new Map(stored.records.map((r) => [identity(r), comparable(r)]));
    const after = new Map(copied.records.map((r) => [identity(r), comparable(r)]));
    expect(after.size).toBe(before.size);
    for (const [key, record] of before) {
      // Resources without an id were known by their upload's fullUrl or hash: only their identity changes.
      if (!key.split('|')[2]!.includes(':')) expect(after.get(key), key).toEqual(record);
    }
    expect([...after.values()].map((r) => JSON.stringify(r)).sort()).toEqual(
      [...before.values()].map((r) => JSON.stringify(r)).sort(),
    );
    // ...and exporting the copy gives the same resources under the same fullUrls.
    const { bundle: again } = await exportOf(fresh, '?vitals=none');
    const entries = (b: Bundle) => b.entry.filter((e) => e.resource.resourceType !== 'OperationOutcome');
    expect(entries(again)).toEqual(entries(plain));
  });
});

describe('export', () => {
  it('the validator rejects a broken resource (so the tests above can fail)', async () => {
    const user = await registerAndLogin(t.app);
    const { bundle } = await exportOf(user);
    expect(validateFhir(bundle).errors).toEqual([]);
    const broken = structuredClone(bundle);
    broken.entry.push({
      fullUrl: 'urn:uuid:1b9f4d5e-8c3a-4f2e-9d61-0a7b5c3e2f10',
      resource: { resourceType: 'Observation', status: 'final', effectiveDateTime: '2024-13-45' },
    });
    const errors = validateFhir(broken)
      .errors.map((e) => e.message)
      .join('\n');
    expect(errors).toMatch(/Missing required property/); // Observation.code
    expect(errors).toMatch(/Invalid dateTime/);
    const duplicated = structuredClone(bundle);
    duplicated.entry.push(structuredClone(bundle.entry[0]!));
    expect(
      validateFhir(duplicated)
        .errors.map((e) => e.message)
        .join(),
    ).toMatch(/bdl-7/);
  });

  it('an empty record still has the account holder as its Patient; nobody sees another user’s records', async () => {
    const owner = await registerAndLogin(t.app, 'Ada Lovelace');
    await importBody(owner, {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          fullUrl: 'urn:uuid:7f1c0a52-3b0e-4c59-9a43-1e2d3c4b5a69',
          resource: { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1970-02-03' },
        },
        {
          resource: {
            resourceType: 'Condition',
            id: 'c1',
            clinicalStatus: {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' },
              ],
            },
            code: { text: 'Asthma' },
            subject: { reference: 'urn:uuid:7f1c0a52-3b0e-4c59-9a43-1e2d3c4b5a69' },
            recorder: { reference: 'Practitioner/dr-who' },
            asserter: { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999941199' },
          },
        },
      ],
    });
    const { bundle } = await exportOf(owner, '?vitals=none');
    expect(validateFhir(bundle).errors).toEqual([]);
    expectSelfContained(bundle);
    const condition = bundle.entry.find((e) => e.resource.resourceType === 'Condition')!.resource;
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!;
    expect(condition.subject).toEqual({ reference: patient.fullUrl });
    expect(condition.recorder).toEqual({
      type: 'Practitioner',
      display: 'Practitioner/dr-who (not included in this export)',
    });
    expect(condition.asserter).toEqual({
      type: 'Practitioner',
      identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '9999941199' },
    });
    expect(condition.meta).toEqual({ source: 'fhir-upload' });
    const outcome = bundle.entry.find((e) => e.resource.resourceType === 'OperationOutcome')!.resource;
    expect(JSON.stringify(outcome)).toMatch(/2 reference\(s\).*Practitioner 2/);

    const stranger = await registerAndLogin(t.app, 'Grace Hopper');
    const { bundle: theirs } = await exportOf(stranger);
    expect(validateFhir(theirs).errors).toEqual([]);
    expect(theirs.entry.map((e) => e.resource.resourceType)).toEqual(['Patient']);
    expect(theirs.entry[0]!.resource).toMatchObject({
      resourceType: 'Patient',
      name: [{ use: 'usual', text: 'Grace Hopper' }],
      meta: { source: 'user-profile' },
    });
    expect(JSON.stringify(theirs)).not.toMatch(/Asthma|p1|Ada/);

    const anonymous = await t.app.inject({ method: 'GET', url: `${base}/fhir/export` });
    expect(anonymous.statusCode).toBe(401);
    const bad = await t.app.inject({
      method: 'GET',
      url: `${base}/fhir/export?vitals=all`,
      headers: bearer(owner.accessToken),
    });
    expect(bad.statusCode).toBe(400);
  });
});
