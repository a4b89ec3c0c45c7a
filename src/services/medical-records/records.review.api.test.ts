import { describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  useTestApp,
  type SignedIn,
} from '../../test-support/harness.js';

const t = useTestApp();
const MR = '/medical-records/api/v1';
const subject = { reference: 'Patient/p1' };

const importRaw = (user: SignedIn, body: string, contentType = 'application/json', query = '') =>
  t.app.inject({
    method: 'POST',
    url: `${MR}/fhir/import${query}`,
    headers: { ...bearer(user.accessToken), 'content-type': contentType },
    payload: body,
  });
const get = (user: SignedIn, path: string) =>
  t.app.inject({ method: 'GET', url: `${MR}${path}`, headers: bearer(user.accessToken) });
const recordCount = async (user: SignedIn) =>
  (
    await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM medical_records.records WHERE user_id = $1`,
      [user.userId],
    )
  ).rows[0]!.n;

describe('FHIR import: what PostgreSQL cannot store', () => {
  it('skips a resource with a NUL or a lone surrogate, naming where, and imports the rest', async () => {
    const user = await registerAndLogin(t.app);
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Condition', id: 'ok', subject, code: { text: 'Asthma' } } },
        { resource: { resourceType: 'Condition', id: 'nul', subject, code: { text: 'Asth\u0000ma' } } },
        { resource: { resourceType: 'Condition', id: 'sur', subject, code: { text: 'Asthma \ud800' } } },
        { resource: { resourceType: 'Condition', id: 'key', subject, code: { text: 'A' }, ['n\u0000']: 1 } },
      ],
    };
    const res = await importRaw(user, JSON.stringify(bundle));
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.counts).toMatchObject({ imported: 1, skipped: 3 });
    expect(report.results[1]).toMatchObject({ status: 'skipped', resource_type: 'Condition' });
    expect(report.results[1].reason).toMatch(/entry\[1\]\.resource\.code\.text contains a NUL character/);
    expect(report.results[2].reason).toMatch(/code\.text contains a NUL character or a lone surrogate/);
    expect(await recordCount(user)).toBe(1);
  });

  it('refuses a NUL in the source parameter with a 400', async () => {
    const user = await registerAndLogin(t.app);
    const res = await importRaw(
      user,
      JSON.stringify({ resourceType: 'Condition', subject, code: { text: 'A' } }),
      'application/json',
      '?source=lab%00one',
    );
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.details[0].field).toBe('source');
    expect(await recordCount(user)).toBe(0);
  });

  it('refuses nesting deeper than any FHIR resource with a 400 (it overflowed the stack: a 500)', async () => {
    const user = await registerAndLogin(t.app);
    const deepValue = `{"resourceType":"Observation","code":{"text":"x"},"extension":${'['.repeat(20000)}1${']'.repeat(20000)}}`;
    let res = await importRaw(user, deepValue);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    expect(res.json().error.message).toMatch(/nests deeper than 100 levels/);
    const inner = JSON.stringify({ resourceType: 'Condition', id: 'deep', subject, code: { text: 'deep' } });
    const deepBundles =
      '{"resourceType":"Bundle","type":"collection","entry":[{"resource":'.repeat(3000) +
      inner +
      '}]}'.repeat(3000);
    res = await importRaw(user, deepBundles);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    expect(await recordCount(user)).toBe(0);
  });

  it('does not quote the body in the error for invalid application/fhir+json', async () => {
    const user = await registerAndLogin(t.app);
    // V8 quotes about ten characters either side of the error: here "code":{"text": diabetes type.
    const res = await importRaw(
      user,
      '{"resourceType":"Condition","code":{"text": diabetes type 2}}',
      'application/fhir+json',
    );
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('invalid_json');
    expect(res.body).not.toMatch(/diabetes/);
    expect(res.json().error.message).toMatch(/not valid JSON/);
  });
});

describe('dates that are not on the calendar', () => {
  it('keeps a resource dated 2024-13-45 undated instead of rolling it over to 2025-02-14', async () => {
    const user = await registerAndLogin(t.app);
    const res = await importRaw(
      user,
      JSON.stringify({
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        subject,
        category: [{ coding: [{ code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
        valueQuantity: { value: 95, unit: 'mg/dL' },
        effectiveDateTime: '2024-13-45',
        issued: '2024-02-30',
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    const record = (await get(user, `/records/${res.json().results[0].record_id}`)).json();
    expect(record.effective_at).toBeNull();
    expect(record.effective_text).toBeNull();
  });

  it('refuses from/to that are not real dates (2024-02-30, year 0000) with a 400, not a 500', async () => {
    const user = await registerAndLogin(t.app);
    for (const q of ['from=2024-02-30', 'to=0000-01-01', 'from=0000-01-01T00:00:00Z']) {
      for (const path of [`/records?${q}`, `/labs/2345-7/history?${q}`]) {
        const res = await get(user, path);
        expect(res.statusCode, `${path} ${res.body}`).toBe(400);
        expect(res.json().error.details[0].field).toBe(q.split('=')[0]);
      }
    }
  });

  it('refuses a forged cursor (time out of range, an id of dashes) with a 400', async () => {
    const user = await registerAndLogin(t.app);
    for (const forged of [
      { t: 1e300, id: '00000000-0000-0000-0000-000000000000' },
      { t: -62198755200000, id: '00000000-0000-0000-0000-000000000000' }, // year 0000
      { t: null, id: '-'.repeat(36) },
    ]) {
      const res = await get(
        user,
        `/records?cursor=${Buffer.from(JSON.stringify(forged)).toString('base64url')}`,
      );
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.details[0].field).toBe('cursor');
    }
  });
});

describe('export and summary read wrong-typed FHIR without failing', () => {
  it('answers 200 with what can be read, at every level the summary reads', async () => {
    const user = await registerAndLogin(t.app);
    const entry = (resource: object) => ({ resource });
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        entry({ resourceType: 'Patient', id: 'p1', birthDate: '1980-13-45', name: 'Jane', gender: 5 }),
        entry({
          resourceType: 'Condition',
          id: 'c1',
          subject,
          code: { text: 'Asthma' },
          clinicalStatus: { coding: 'active' },
          verificationStatus: { coding: [null, 3, 'x'] },
          onsetDateTime: 5,
          onsetAge: { value: '5' },
          recordedDate: { a: 1 },
        }),
        entry({
          resourceType: 'Condition',
          id: 'c2',
          subject,
          code: { text: 'Gout' },
          clinicalStatus: ['active'],
        }),
        entry({
          resourceType: 'Observation',
          id: 'o1',
          status: 'final',
          subject,
          category: [{ coding: [{ code: 'laboratory' }] }],
          code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
          valueQuantity: { value: '13.5', unit: 'g/dL' },
          referenceRange: [{ low: { value: 'a' }, high: 3 }],
          component: 'x',
          interpretation: 'H',
          effectiveDateTime: '2024-01-02',
        }),
        entry({
          resourceType: 'MedicationRequest',
          id: 'm1',
          subject,
          status: 5,
          medicationCodeableConcept: { text: 'Metformin' },
          dosageInstruction: [
            {
              doseAndRate: [{ doseQuantity: { value: 'x' } }],
              timing: { repeat: { frequency: 2, period: 1, periodUnit: 'constructor' } },
            },
          ],
        }),
        entry({
          resourceType: 'AllergyIntolerance',
          id: 'a1',
          patient: subject,
          code: { text: 'Peanut' },
          clinicalStatus: { coding: [{ code: null }] },
          category: 'food',
          criticality: ['high'],
          reaction: [{ manifestation: 'hives', severity: 3 }, null, 'x'],
        }),
        entry({
          resourceType: 'Procedure',
          id: 'pr1',
          subject: { reference: 'Patient?identifier=%E0%A4%A' },
          code: { text: 'Biopsy' },
          partOf: { reference: {} },
          performer: [{ actor: { reference: 'Practitioner/x/_history/1' } }],
        }),
      ],
    };
    const imported = await importRaw(user, JSON.stringify(bundle));
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json().counts.skipped).toBe(0);

    const summary = await get(user, '/summary');
    expect(summary.statusCode, summary.body).toBe(200);
    const s = summary.json();
    expect(s.problems.map((p: { display: string }) => p.display).sort()).toEqual(['Asthma', 'Gout']);
    expect(s.patient).toMatchObject({ name: null, birth_date: '1980-13-45', age_years: null, gender: null });
    expect(s.labs[0]).toMatchObject({ display: 'Hemoglobin', value: null });
    expect(s.medications[0]).toMatchObject({ display: 'Metformin', status: null, dosage: null });
    expect(s.allergies[0]).toMatchObject({ display: 'Peanut', categories: [], criticality: null });
    expect((await get(user, '/summary.html')).statusCode).toBe(200);

    const exported = await get(user, '/fhir/export?vitals=none');
    expect(exported.statusCode).toBe(200);
    const types = exported
      .json()
      .entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
    expect(types).toEqual(expect.arrayContaining(['Patient', 'Condition', 'Observation', 'Procedure']));
  });

  it("never shows another user's records in the export or the summary", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    await importRaw(
      alice,
      JSON.stringify({ resourceType: 'Condition', id: 'x', subject, code: { text: 'Private' } }),
    );
    expect((await get(bob, '/fhir/export?vitals=none')).body).not.toMatch(/Private/);
    expect((await get(bob, '/summary')).json().problems).toEqual([]);
  });
});
