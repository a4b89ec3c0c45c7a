import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bearer, registerAndLogin, useTestApp, type SignedIn } from '../../test-support/harness.js';

/** The shared fixtures (../shared/fixtures from the repository root); absent outside this workspace. */
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const folder = (name: string) => `${FIXTURES}${name}`;
const jsonFiles = (name: string) =>
  existsSync(folder(name))
    ? readdirSync(folder(name))
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];

const examples = jsonFiles('fhir-r4-examples');
const synthea = jsonFiles('synthea');
if (examples.length === 0 || synthea.length === 0) {
  console.error(
    `medical-records: shared FHIR fixtures not found under ${FIXTURES} (fhir-r4-examples: ${examples.length}, ` +
      `synthea: ${synthea.length} files); the full-corpus import tests are skipped. The core tests use test-fixtures/.`,
  );
}

interface Report {
  counts: Record<'imported' | 'updated' | 'unchanged' | 'skipped', number>;
  results: {
    status: string;
    resource_type: string | null;
    record_id: string | null;
    reason: string | null;
    record_type: string | null;
  }[];
}

const t = useTestApp();

async function importFile(user: SignedIn, path: string): Promise<Report> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/medical-records/api/v1/fhir/import',
    headers: { ...bearer(user.accessToken), 'content-type': 'application/fhir+json' },
    payload: readFileSync(path),
  });
  expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
  const report = res.json() as Report;
  for (const r of report.results) {
    if (r.status === 'skipped') expect(r.reason, JSON.stringify(r)).toBeTruthy();
    else expect(r.record_id, JSON.stringify(r)).toBeTruthy();
  }
  return report;
}

describe.skipIf(examples.length === 0)('every official HL7 FHIR R4 example', () => {
  it('imports with a per-resource report, and re-importing changes nothing', async () => {
    const user = await registerAndLogin(t.app);
    const totals = { imported: 0, updated: 0, unchanged: 0, skipped: 0 };
    const reasons = new Set<string>();
    for (const file of examples) {
      const report = await importFile(user, `${folder('fhir-r4-examples')}/${file}`);
      expect(report.results.length, file).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(report.counts)) totals[k as keyof typeof totals] += v;
      for (const r of report.results)
        if (r.reason && r.status === 'skipped') reasons.add(`${r.resource_type}: ${r.reason}`);
    }
    expect(totals.imported).toBeGreaterThan(300);
    expect(totals.updated).toBe(0);
    // Only unsupported types (Organization, Practitioner, Specimen...) and request-only entries are skipped.
    for (const reason of reasons)
      expect(reason).toMatch(/unsupported resource type|carries no resource|is a request/);
    for (const file of examples) {
      const again = await importFile(user, `${folder('fhir-r4-examples')}/${file}`);
      expect(again.counts.imported + again.counts.updated, file).toBe(0);
    }
    const glucose = await t.app.inject({
      method: 'GET',
      url: '/medical-records/api/v1/labs/15074-8/history',
      headers: bearer(user.accessToken),
    });
    expect(glucose.json().points[0].flags.flag).toBe('H');
  });
});

describe.skipIf(synthea.length === 0)('every Synthea patient', () => {
  it.each(synthea)(
    '%s imports completely, labs carry LOINC and flags, re-import changes nothing',
    async (file) => {
      const user = await registerAndLogin(t.app);
      const path = `${folder('synthea')}/${file}`;
      const bundle = JSON.parse(readFileSync(path, 'utf8')) as {
        entry: { resource: { resourceType: string } }[];
      };
      const report = await importFile(user, path);
      expect(report.results).toHaveLength(bundle.entry.length);
      const supported = new Set([
        'Patient',
        'Observation',
        'DiagnosticReport',
        'Condition',
        'MedicationRequest',
        'AllergyIntolerance',
        'Immunization',
        'Procedure',
        'Encounter',
        'DocumentReference',
      ]);
      for (const r of report.results) {
        if (supported.has(r.resource_type!)) expect(r.status, JSON.stringify(r)).toBe('imported');
        else expect(r.reason).toMatch(/unsupported resource type/);
      }
      const again = await importFile(user, path);
      expect(again.counts).toMatchObject({ imported: 0, updated: 0 });
      expect(again.counts.unchanged).toBe(report.counts.imported);

      const labs = await t.app.inject({
        method: 'GET',
        url: '/medical-records/api/v1/records?type=lab&limit=500',
        headers: bearer(user.accessToken),
      });
      const items = labs.json().items as {
        code: { system: string; code: string };
        measurement: { flags: unknown };
      }[];
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) expect(item.code.system).toBe('http://loinc.org');
      const all = await t.app.inject({
        method: 'GET',
        url: '/medical-records/api/v1/records?limit=500',
        headers: bearer(user.accessToken),
      });
      expect(all.json().items).toHaveLength(report.counts.imported - 1); // the Patient is not a record
    },
  );
});
