import { describe, expect, it } from 'vitest';
import { bearer, registerAndLogin, useTestApp, type SignedIn } from '../../test-support/harness.js';

const t = useTestApp();
const AI = '/ai-insights/api/v1/insights';

const call = (user: SignedIn, method: 'GET' | 'POST', url: string) =>
  t.app.inject({ method, url, headers: bearer(user.accessToken) });

/** A lab result flagged H, dated five days ago, coded under the LOINC system with `code`. */
async function importLab(user: SignedIn, id: string, code: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/medical-records/api/v1/fhir/import',
    headers: bearer(user.accessToken),
    payload: {
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [{ coding: [{ code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code, display: `Test ${id}` }] },
      valueQuantity: { value: 999, unit: 'mg/dL' },
      effectiveDateTime: new Date(Date.now() - 5 * 86_400_000).toISOString(),
      referenceRange: [{ low: { value: 1 }, high: { value: 3 } }],
    },
  });
  expect(res.statusCode, res.body).toBe(200);
}

describe('ai-insights against odd data and concurrency', () => {
  it('a lab coded under LOINC with a code that is not LOINC does not leave insights partial for ever', async () => {
    const user = await registerAndLogin(t.app);
    // Local codes sent under the LOINC system are common in EHR exports; the history route refuses them.
    await importLab(user, 'local', 'LP-1234');
    const res = await call(user, 'GET', AI);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.sources.find((s: { service: string }) => s.service === 'medical-records')).toMatchObject({
      status: 'ok',
    });
    expect(body.stale).toBe(false);
    expect(body.insights.map((i: { title: string }) => i.title)).toEqual([
      expect.stringMatching(/^Test local: above the reference range/),
    ]);
  });

  it('two refreshes at once both answer 200 with the same insight ids, stored once', async () => {
    const user = await registerAndLogin(t.app);
    await importLab(user, 'a', '2345-7');
    const [a, b] = await Promise.all([
      call(user, 'POST', `${AI}/refresh`),
      call(user, 'POST', `${AI}/refresh`),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const ids = (r: typeof a) => r.json().insights.map((i: { id: string }) => i.id);
    expect(ids(a)).toEqual(ids(b));
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ai_insights.insights WHERE user_id = $1`,
      [user.userId],
    );
    expect(rows[0]!.n).toBe(ids(a).length);
  });

  it("another user's insight id is a 404 for dismiss and restore, and stays as it was", async () => {
    const owner = await registerAndLogin(t.app);
    const other = await registerAndLogin(t.app);
    await importLab(owner, 'b', '2345-7');
    const id = (await call(owner, 'GET', AI)).json().insights[0].id as string;
    for (const action of ['dismiss', 'restore']) {
      const res = await call(other, 'POST', `${AI}/${id}/${action}`);
      expect(res.statusCode).toBe(404);
    }
    expect((await call(owner, 'GET', AI)).json().insights[0]).toMatchObject({ id, status: 'active' });
  });
});
