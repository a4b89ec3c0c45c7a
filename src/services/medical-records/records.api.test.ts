import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./test-fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

const t = useTestApp();

const base = '/medical-records/api/v1';
const importFhir = (token: string, payload: unknown, query = '') =>
  t.app.inject({
    method: 'POST',
    url: `${base}/fhir/import${query}`,
    headers: bearer(token),
    payload: payload as object,
  });
const get = (token: string, path: string) =>
  t.app.inject({ method: 'GET', url: `${base}${path}`, headers: bearer(token) });

function lab(id: string, loinc: string, value: number, unit: string, range?: [number, number], extra = {}) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: loinc, display: `analyte ${loinc}` }] },
    effectiveDateTime: `2024-0${(Number(id.replace(/\D/g, '')) % 9) + 1}-15T08:00:00Z`,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    ...(range
      ? {
          referenceRange: [
            { low: { value: range[0], unit, code: unit }, high: { value: range[1], unit, code: unit } },
          ],
        }
      : {}),
    ...extra,
  };
}

describe('medical records', () => {
  it('lists an empty record set with 200 (the seed smoke test)', async () => {
    const user = await registerAndLogin(t.app);
    const res = await get(user.accessToken, '/records');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], next_cursor: null });
    expect((await t.app.inject({ method: 'GET', url: `${base}/records` })).statusCode).toBe(401);
  });

  it('imports official examples with a per-resource report, computes flags, keeps the original', async () => {
    const user = await registerAndLogin(t.app);
    const patient = await importFhir(user.accessToken, fixture('patient-example-f001-pieter.json'));
    expect(patient.statusCode).toBe(200);
    expect(patient.json().results[0]).toMatchObject({
      status: 'imported',
      record_type: 'patient',
      source_id: 'f001',
    });

    const glucose = await importFhir(user.accessToken, fixture('observation-example-f001-glucose.json'));
    expect(glucose.json().counts).toEqual({ imported: 1, updated: 0, unchanged: 0, skipped: 0 });
    const id = glucose.json().results[0].record_id as string;
    const record = (await get(user.accessToken, `/records/${id}`)).json();
    expect(record).toMatchObject({
      record_type: 'lab',
      resource_type: 'Observation',
      code: { system: 'http://loinc.org', code: '15074-8' },
      effective_at: '2013-04-02T08:30:10.000Z',
      measurement: {
        value: { value: 6.3, code: 'mmol/L' },
        source_interpretation: ['H'],
        flags: { flag: 'H', abnormal: true, critical: false },
      },
    });
    expect(record.measurement.flags.critical_limits.source).toMatch(/Kost/);
    expect(record.resource).toEqual(fixture('observation-example-f001-glucose.json'));

    const hb = await importFhir(user.accessToken, fixture('observation-example-f005-hemoglobin.json'));
    const hbRecord = (await get(user.accessToken, `/records/${hb.json().results[0].record_id}`)).json();
    // 7.2 g/dL is under the example's range (7.5-10) and, at 72 g/L, above Kost's critical 66 g/L.
    expect(hbRecord.measurement.flags).toMatchObject({ flag: 'L', critical: false });

    const lipids = await importFhir(user.accessToken, fixture('diagnosticreport-example-lipids.json'));
    expect(lipids.statusCode).toBe(200);
    expect(lipids.json().counts.imported).toBe(5);
    expect(lipids.json().results.map((r: { resource_type: string }) => r.resource_type)).toEqual([
      'DiagnosticReport',
      'Observation',
      'Observation',
      'Observation',
      'Observation',
    ]);

    // Re-importing changes nothing.
    const again = await importFhir(user.accessToken, fixture('diagnosticreport-example-lipids.json'));
    expect(again.json().counts).toEqual({ imported: 0, updated: 0, unchanged: 5, skipped: 0 });
    const list = (await get(user.accessToken, '/records?limit=100')).json();
    expect(list.items).toHaveLength(7);
  });

  it('computes flags itself: a client-sent interpretation is ignored', async () => {
    const user = await registerAndLogin(t.app);
    const lying = lab('k1', '2823-3', 6.8, 'mmol/L', [3.5, 5.1], {
      interpretation: [{ coding: [{ code: 'N', display: 'Normal' }] }],
    });
    const normal = lab('k2', '2823-3', 4.2, 'mmol/L', [3.5, 5.1], {
      interpretation: [{ coding: [{ code: 'HH' }] }],
    });
    const low = lab('k3', '2823-3', 3.2, 'mmol/L', [3.5, 5.1]);
    const glucoseMgDl = lab('g1', '2345-7', 40, 'mg/dL', [70, 99]);
    const noRange = lab('n1', '2951-2', 140, 'mmol/L');
    const res = await importFhir(user.accessToken, {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [lying, normal, low, glucoseMgDl, noRange].map((resource) => ({ resource })),
    });
    expect(res.json().counts.imported).toBe(5);
    const flags = async (i: number) =>
      (await get(user.accessToken, `/records/${res.json().results[i].record_id}`)).json().measurement;
    expect((await flags(0)).flags).toMatchObject({ flag: 'HH', abnormal: true, critical: true });
    expect((await flags(0)).source_interpretation).toEqual(['N']);
    expect((await flags(1)).flags).toMatchObject({ flag: 'N', abnormal: false, critical: false });
    expect((await flags(2)).flags).toMatchObject({ flag: 'L', abnormal: true });
    // 40 mg/dL = 2.2 mmol/L, under the critical 2.6 mmol/L.
    expect((await flags(3)).flags).toMatchObject({ flag: 'LL', critical: true });
    expect((await flags(4)).flags).toMatchObject({
      flag: null,
      abnormal: null,
      note: 'the source gave no reference range',
    });

    const history = (await get(user.accessToken, '/labs/2823-3/history')).json();
    expect(history.points.map((p: { value: { value: number } }) => p.value.value)).toEqual([6.8, 4.2, 3.2]);
    expect(history.points.map((p: { flags: { flag: string } }) => p.flags.flag)).toEqual(['HH', 'N', 'L']);
    expect((await get(user.accessToken, '/labs/not-a-code/history')).statusCode).toBe(400);
  });

  it('filters by type and date and pages with an opaque cursor', async () => {
    const user = await registerAndLogin(t.app);
    const entries = [];
    for (let i = 1; i <= 7; i++)
      entries.push({ resource: lab(`p${i}`, '2345-7', 5 + i / 10, 'mmol/L', [3.9, 5.5]) });
    entries.push({
      resource: {
        resourceType: 'Condition',
        id: 'c1',
        code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes' }] },
        onsetDateTime: '2020-05',
      },
    });
    entries.push({
      resource: { resourceType: 'AllergyIntolerance', id: 'a1', code: { text: 'Cashew nuts' } },
    });
    entries.push({ resource: { resourceType: 'Claim', id: 'x1' } });
    const res = await importFhir(user.accessToken, {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: entries,
    });
    expect(res.json().counts).toMatchObject({ imported: 9, skipped: 1 });
    expect(res.json().results[9].reason).toMatch(/unsupported resource type Claim/);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { id: string }[]; next_cursor: string | null } = (
        await get(user.accessToken, `/records?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(9);
    const all = (await get(user.accessToken, '/records?limit=100')).json().items;
    expect(all.map((r: { id: string }) => r.id)).toEqual(seen);
    // Undated records come last.
    expect(all[8].display).toBe('Cashew nuts');
    expect(all[8].effective_at).toBeNull();

    const conditions = (await get(user.accessToken, '/records?type=condition,allergy')).json().items;
    expect(conditions.map((r: { record_type: string }) => r.record_type).sort()).toEqual([
      'allergy',
      'condition',
    ]);
    expect(
      conditions.find((r: { record_type: string }) => r.record_type === 'condition').effective_text,
    ).toBe('2020-05');
    const dated = (
      await get(user.accessToken, '/records?type=lab&from=2024-03-01&to=2024-05-01T00:00:00Z')
    ).json();
    expect(dated.items.map((r: { effective_at: string }) => r.effective_at.slice(0, 7)).sort()).toEqual([
      '2024-03',
      '2024-04',
    ]);
    const bad = await get(user.accessToken, '/records?type=claims');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/type/);
    expect((await get(user.accessToken, '/records?cursor=nonsense')).statusCode).toBe(400);
    expect((await get(user.accessToken, '/records?from=yesterday')).json().error.details[0].field).toBe(
      'from',
    );
  });

  it("answers 404 for another user's record", async () => {
    const owner = await registerAndLogin(t.app);
    const other = await registerAndLogin(t.app);
    const res = await importFhir(owner.accessToken, fixture('observation-example-f001-glucose.json'));
    const id = res.json().results[0].record_id as string;
    expect((await get(owner.accessToken, `/records/${id}`)).statusCode).toBe(200);
    const denied = await get(other.accessToken, `/records/${id}`);
    expect(denied.statusCode).toBe(404);
    expect(errorCode(denied)).toBe('not_found');
    expect((await get(other.accessToken, '/records')).json().items).toEqual([]);
    // The same resource imported by another user is that user's own record.
    const theirs = await importFhir(other.accessToken, fixture('observation-example-f001-glucose.json'));
    expect(theirs.json().counts.imported).toBe(1);
  });

  it('refuses malformed uploads with 400 naming the problem, and reports malformed entries', async () => {
    const user = await registerAndLogin(t.app);
    const notJson = await t.app.inject({
      method: 'POST',
      url: `${base}/fhir/import`,
      headers: { ...bearer(user.accessToken), 'content-type': 'application/fhir+json' },
      payload: '{"resourceType": "Bundle", ',
    });
    expect(notJson.statusCode).toBe(400);
    expect(errorCode(notJson)).toBe('invalid_json');
    const noType = await importFhir(user.accessToken, { id: 'x' });
    expect(noType.statusCode).toBe(400);
    expect(noType.json().error.message).toMatch(/resourceType/);
    const badEntry = await importFhir(user.accessToken, { resourceType: 'Bundle', entry: {} });
    expect(badEntry.statusCode).toBe(400);
    expect(badEntry.json().error.message).toMatch(/entry/);

    const mixed = await importFhir(user.accessToken, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Observation', id: 'no-code', status: 'final' } },
        { resource: 'text' },
        { request: { method: 'DELETE', url: 'Patient/1' } },
        {
          fullUrl: 'urn:uuid:1',
          resource: { resourceType: 'Condition', code: { text: 'Asthma' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(mixed.statusCode).toBe(200);
    const results = mixed.json().results;
    expect(results[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/Observation.code is missing/),
    });
    expect(results[1]).toMatchObject({ status: 'skipped', path: 'entry[1].resource' });
    expect(results[2]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/DELETE/) });
    expect(results[3]).toMatchObject({
      status: 'imported',
      source_id: 'urn:uuid:1',
      record_type: 'condition',
    });
  });

  it('exports and erases the account data', async () => {
    const user = await registerAndLogin(t.app);
    await importFhir(user.accessToken, fixture('diagnosticreport-example-lipids.json'));
    const exported = await get(user.accessToken, '/account/export');
    expect(exported.json().data.records).toHaveLength(5);
    expect(exported.json().data.records[0].resource).toBeDefined();
    const erased = await t.app.inject({
      method: 'DELETE',
      url: `${base}/account/data`,
      headers: bearer(user.accessToken),
    });
    expect(erased.statusCode).toBe(204);
    expect((await get(user.accessToken, '/records')).json().items).toEqual([]);
    const events = await t.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM platform.outbox WHERE event->>'subject' = $1 AND topic = 'medical-record-events'`,
      [user.userId],
    );
    expect(Number(events.rows[0]!.n)).toBeGreaterThanOrEqual(2);
  });
});
