import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bearer, registerAndLogin, useTestApp, type SignedIn } from '../../test-support/harness.js';
import type { PatientSummary } from './summary.js';

const SYNTHEA = fileURLToPath(new URL('../../../../shared/fixtures/synthea/', import.meta.url));
const haveSynthea = existsSync(SYNTHEA);
if (!haveSynthea) {
  console.error(
    `medical-records summary: Synthea fixtures not found under ${SYNTHEA}; the Synthea summary tests are ` +
      'skipped. The hand-made tests still run.',
  );
}

const t = useTestApp();
const base = '/medical-records/api/v1';

async function importBody(user: SignedIn, payload: string | object) {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/fhir/import`,
    headers: { ...bearer(user.accessToken), 'content-type': 'application/fhir+json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  const report = res.json() as { counts: { skipped: number }; results: unknown[] };
  expect(report.counts.skipped, JSON.stringify(report.results)).toBe(0);
}

async function summaryOf(user: SignedIn, query = ''): Promise<PatientSummary> {
  const res = await t.app.inject({
    method: 'GET',
    url: `${base}/summary${query}`,
    headers: bearer(user.accessToken),
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.json() as PatientSummary;
}

async function htmlOf(user: SignedIn) {
  const res = await t.app.inject({
    method: 'GET',
    url: `${base}/summary.html`,
    headers: bearer(user.accessToken),
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  return { html: res.body, headers: res.headers };
}

/** The page uses nothing from outside itself: no scripts, no links, no external URLs. */
function expectSelfContained(html: string) {
  expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
  expect(html).not.toMatch(/(src|href)\s*=/i);
  expect(html).toMatch(/<style>[\s\S]*@media print[\s\S]*<\/style>/);
}

const SYNTHEA_EXPECTED = [
  {
    file: '18be282b-67b9-d958-226a-c5510e5ef0c2.json',
    name: 'Trinidad33 Sauer652',
    birth: '1994-11-30',
    problems: ['Hypertension'],
    // 12 stopped amlodipine/antibiotic/analgesic orders and the one active amlodipine.
    medications: ['amLODIPine 2.5 MG Oral Tablet'],
    excluded: { problems: 12, medications: 12, allergies: 0 },
    allergies: 0,
  },
  {
    file: '6c8f3e83-c351-ed33-c38d-6be101c275d2.json',
    name: 'Maximo817 Bartell116',
    birth: '1991-03-31',
    problems: [],
    medications: ['Loratadine 5 MG Chewable Tablet', 'NDA020800 0.3 ML Epinephrine 1 MG/ML Auto-Injector'],
    excluded: { problems: 8, medications: 0, allergies: 0 },
    allergies: 7,
  },
  {
    file: '8708d3e1-f718-96bb-03f0-f2a6564ae1cd.json',
    name: 'Keven605 Shanahan202',
    birth: '1972-01-13',
    problems: ['Anemia (disorder)', 'Body mass index 30+ - obesity (finding)', 'Prediabetes'],
    medications: ['ferrous sulfate 325 MG Oral Tablet'],
    excluded: { problems: 0, medications: 0, allergies: 0 },
    allergies: 0,
  },
];

describe.skipIf(!haveSynthea)('summary of a Synthea patient', () => {
  it.each(SYNTHEA_EXPECTED)(
    '$name: problems, medications, allergies, labs, demographics',
    async (expected) => {
      const user = await registerAndLogin(t.app);
      const bundle = readFileSync(`${SYNTHEA}${expected.file}`, 'utf8');
      const res = await t.app.inject({
        method: 'POST',
        url: `${base}/fhir/import`,
        headers: { ...bearer(user.accessToken), 'content-type': 'application/fhir+json' },
        payload: bundle,
      });
      expect(res.statusCode).toBe(200);
      const summary = await summaryOf(user);
      expect(summary.patient).toMatchObject({
        name: expected.name,
        birth_date: expected.birth,
        gender: 'male',
        source: 'fhir-patient',
      });
      expect(summary.problems.map((p) => p.display).sort()).toEqual(expected.problems);
      for (const p of summary.problems)
        expect(p).toMatchObject({ clinical_status: 'active', verification_status: 'confirmed' });
      expect(summary.medications.map((m) => m.display).sort()).toEqual(expected.medications);
      for (const m of summary.medications) expect(m.status).toBe('active');
      expect(summary.allergies).toHaveLength(expected.allergies);
      expect(summary.excluded).toEqual(expected.excluded);

      // The latest of each analyte, newest first, with the server's flags.
      expect(summary.labs.length).toBeGreaterThan(0);
      expect(summary.labs.length).toBeLessThanOrEqual(20);
      const codes = summary.labs.map((l) => l.code?.code);
      expect(new Set(codes).size).toBe(codes.length);
      const times = summary.labs.map((l) => Date.parse(l.effective_at!));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      for (const lab of summary.labs) expect(lab.code?.system).toBe('http://loinc.org');
      // Synthea gives no reference ranges: the server says so in each result's flags instead of guessing.
      for (const lab of summary.labs.filter((l) => l.value))
        expect(lab.flags?.flag ?? lab.flags?.note, JSON.stringify(lab)).toBeTruthy();
      expect(summary.sources.find((s) => s.name === 'user-profile')?.status).toBe('not-used');

      const { html } = await htmlOf(user);
      expectSelfContained(html);
      expect(html).toContain(expected.name);
      for (const p of expected.problems) expect(html).toContain(p.replace(/\+/g, '+'));
      for (const m of expected.medications) expect(html).toContain(m);
      if (expected.file.startsWith('18be')) expect(html).not.toContain('Acute bronchitis');
    },
  );
});

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const A_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const A_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const cc = (system: string, code: string) => ({ coding: [{ system, code }] });
const subject = { reference: 'Patient/hm' };

function condition(id: string, name: string, clinical?: string, verification?: string, extra = {}) {
  return {
    resourceType: 'Condition',
    id,
    code: { text: name },
    subject,
    ...(clinical ? { clinicalStatus: cc(CLINICAL, clinical) } : {}),
    ...(verification ? { verificationStatus: cc(VERIFICATION, verification) } : {}),
    ...extra,
  };
}
function medication(id: string, type: string, name: string, status: string, extra = {}) {
  return {
    resourceType: type,
    id,
    status,
    intent: 'order',
    medicationCodeableConcept: { text: name },
    subject,
    ...extra,
  };
}
function allergy(id: string, name: string, clinical?: string, verification?: string) {
  return {
    resourceType: 'AllergyIntolerance',
    id,
    code: { text: name },
    patient: subject,
    ...(clinical ? { clinicalStatus: cc(A_CLINICAL, clinical) } : {}),
    ...(verification ? { verificationStatus: cc(A_VERIFICATION, verification) } : {}),
  };
}
function glucose(id: string, value: number, when: string, status = 'final') {
  return {
    resourceType: 'Observation',
    id,
    status,
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: {
      coding: [
        { system: 'http://loinc.org', code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' },
      ],
    },
    subject,
    effectiveDateTime: when,
    valueQuantity: { value, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    referenceRange: [
      { low: { value: 70, unit: 'mg/dL', code: 'mg/dL' }, high: { value: 99, unit: 'mg/dL', code: 'mg/dL' } },
    ],
  };
}

const XSS = '<script>alert("x")</script> & <b>bold</b>';

const handMade = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    {
      resourceType: 'Patient',
      id: 'hm',
      name: [{ given: ['Hand'], family: 'Made' }],
      gender: 'female',
      birthDate: '1980-04-02',
    },
    condition('c-active', 'Asthma', 'active', 'confirmed'),
    condition('c-relapse', 'Depression', 'relapse'),
    condition('c-provisional', 'Migraine', 'active', 'provisional'),
    condition('c-resolved', 'Sinusitis', 'resolved', 'confirmed'),
    condition('c-refuted', 'Tuberculosis', 'active', 'refuted'),
    condition('c-eie', 'Wrong patient diagnosis', undefined, 'entered-in-error'),
    condition('c-nostatus', 'Gout'),
    condition('c-abated', 'Chickenpox', undefined, undefined, { abatementString: 'childhood' }),
    condition('c-xss', XSS, 'active'),
    medication('m-active', 'MedicationRequest', 'Lisinopril 10 mg', 'active', {
      dosageInstruction: [{ text: 'One tablet every morning' }],
    }),
    medication('m-stopped', 'MedicationRequest', 'Atorvastatin 20 mg', 'stopped'),
    medication('m-dnp', 'MedicationRequest', 'Ibuprofen 400 mg', 'active', { doNotPerform: true }),
    medication('m-hold', 'MedicationStatement', 'Warfarin 5 mg', 'on-hold'),
    medication('m-nottaken', 'MedicationStatement', 'Aspirin 81 mg', 'not-taken'),
    allergy('a-active', 'Penicillin', 'active', 'confirmed'),
    allergy('a-inactive', 'Latex', 'inactive'),
    allergy('a-refuted', 'Peanut', 'active', 'refuted'),
    allergy('a-eie', 'Shellfish', undefined, 'entered-in-error'),
    glucose('g-old', 142, '2024-01-10T08:00:00Z'),
    glucose('g-error', 40, '2024-03-10T08:00:00Z', 'entered-in-error'),
  ].map((resource) => ({ resource })),
};

describe('summary', () => {
  it('applies each inclusion rule to hand-made resources, and adds the latest vitals', async () => {
    const user = await registerAndLogin(t.app, 'Account Name');
    await importBody(user, handMade);
    const reading = await t.app.inject({
      method: 'POST',
      url: '/health-tracking/api/v1/metrics',
      headers: bearer(user.accessToken),
      payload: {
        metric_type: 'blood_pressure',
        value: { systolic: 142, diastolic: 91 },
        unit: 'mmHg',
        timestamp: '2024-05-01T07:00:00+02:00',
      },
    });
    expect(reading.statusCode).toBe(201);

    const summary = await summaryOf(user);
    expect(summary.patient).toMatchObject({
      name: 'Hand Made',
      birth_date: '1980-04-02',
      gender: 'female',
      source: 'fhir-patient',
    });
    expect(summary.problems.map((p) => p.display).sort()).toEqual(
      [XSS, 'Asthma', 'Depression', 'Gout', 'Migraine'].sort(),
    );
    expect(summary.problems.find((p) => p.display === 'Gout')).toMatchObject({
      clinical_status: null,
      note: expect.stringMatching(/no clinical status/),
    });
    expect(summary.problems.find((p) => p.display === 'Migraine')?.verification_status).toBe('provisional');
    expect(summary.medications.map((m) => [m.display, m.status])).toEqual(
      expect.arrayContaining([
        ['Lisinopril 10 mg', 'active'],
        ['Warfarin 5 mg', 'on-hold'],
      ]),
    );
    expect(summary.medications).toHaveLength(2);
    expect(summary.medications.find((m) => m.display.startsWith('Lisinopril'))?.dosage).toBe(
      'One tablet every morning',
    );
    expect(summary.allergies.map((a) => a.display)).toEqual(['Penicillin']);
    expect(summary.excluded).toEqual({ problems: 4, medications: 3, allergies: 3 });
    // The newer glucose was entered in error: the older valid one shows, flagged high by the server.
    expect(summary.labs).toHaveLength(1);
    expect(summary.labs[0]).toMatchObject({ value: { value: 142 }, effective_text: '2024-01-10T08:00:00Z' });
    expect(summary.labs[0]!.flags?.flag).toBe('H');
    expect(summary.vitals.status).toBe('ok');
    const bp = summary.vitals.items.find((v) => v.metric_type === 'blood_pressure')!;
    expect(bp).toMatchObject({ value: { systolic: 142, diastolic: 91 }, unit: 'mm[Hg]' });
    expect(bp.classification?.guideline).toMatch(/ACC\/AHA/);

    const { html, headers } = await htmlOf(user);
    expectSelfContained(html);
    expect(headers['content-security-policy']).toMatch(/default-src 'none'; style-src 'sha256-/);
    expect(html).not.toContain(XSS);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    for (const shown of [
      'Hand Made',
      'born 1980-04-02',
      'Asthma',
      'Lisinopril 10 mg',
      'One tablet every morning',
      'Penicillin',
      '142/91 mmHg',
    ])
      expect(html).toContain(shown);
    for (const hidden of [
      'Sinusitis',
      'Tuberculosis',
      'Wrong patient diagnosis',
      'Atorvastatin',
      'Ibuprofen',
      'Aspirin',
      'Latex',
      'Peanut',
      'Shellfish',
    ])
      expect(html).not.toContain(hidden);
    expect(html).toMatch(/Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(html).toMatch(/Sources/);

    // Another user sees only their own (empty) record, with their profile's name.
    const other = await registerAndLogin(t.app, 'Somebody Else');
    const theirs = await summaryOf(other);
    expect(theirs).toMatchObject({
      patient: { name: 'Somebody Else', source: 'profile' },
      problems: [],
      medications: [],
      allergies: [],
      labs: [],
      vitals: { status: 'ok', items: [] },
      excluded: { problems: 0, medications: 0, allergies: 0 },
    });
    const theirHtml = (await htmlOf(other)).html;
    expect(theirHtml).toContain('No active problems recorded.');
    expect(theirHtml).not.toMatch(/Asthma|Hand Made|Lisinopril/);
  });

  it('checks its input and needs a signed-in user', async () => {
    const user = await registerAndLogin(t.app);
    const bad = await t.app.inject({
      method: 'GET',
      url: `${base}/summary?labs=0`,
      headers: bearer(user.accessToken),
    });
    expect(bad.statusCode).toBe(400);
    for (const path of ['/summary', '/summary.html'])
      expect((await t.app.inject({ method: 'GET', url: `${base}${path}` })).statusCode).toBe(401);
  });
});
