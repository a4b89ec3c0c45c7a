import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import {
  bearer,
  errorCode,
  registerAndLogin,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '../../test-support/harness.js';
import { lastUpdatedSearchable, patientScopes } from './smart-client.js';
import { onServer } from './smart-sync.js';
import { CHART_COUNTS, chartOfPatientF001 } from './test-support/ehr-records.js';
import { FakeEhr } from './test-support/fake-ehr.js';

const PUBLIC_URL = 'http://localhost:8080';
const REDIRECT_URI = `${PUBLIC_URL}/medical-records/api/v1/connections/epic/callback`;
// Characters that must be form-encoded before HTTP Basic (RFC 6749 section 2.3.1).
const CONFIDENTIAL = { id: 'pha-confidential', secret: 'secret:with/odd+chars' };
const PUBLIC_CLIENT = 'pha-public';

interface TypeResult {
  resource_type: string;
  imported: number;
  updated: number;
  unchanged: number;
  skipped: number;
  pages: number;
  complete: boolean;
  error: { status: number | null; code: string; message: string } | null;
  notes: string[];
}
interface State {
  configured: boolean;
  message: string | null;
  status: string;
  connected: boolean;
  patient_id: string | null;
  last_sync: { status: string; message: string | null; types: TypeResult[] } | null;
}

let fake: FakeEhr;

beforeAll(async () => {
  fake = new FakeEhr();
  await fake.start();
  fake.register(CONFIDENTIAL.id, REDIRECT_URI, CONFIDENTIAL.secret);
  fake.register(PUBLIC_CLIENT, REDIRECT_URI);
  for (const resource of chartOfPatientF001()) fake.put(resource);
});
afterAll(async () => {
  await fake.stop();
});

/** One app per configuration, started for its describe block. */
function appWith(env: () => Record<string, string>) {
  const holder: { t?: TestApp } = {};
  beforeAll(async () => {
    holder.t = await startTestApp({ PUBLIC_URL, EPIC_FHIR_SYNC_INTERVAL_MINUTES: '0', ...env() });
  });
  afterAll(async () => {
    await holder.t?.close();
  });
  return () => holder.t!;
}

function helpers(app: () => TestApp) {
  const api = (user: SignedIn, method: 'GET' | 'POST' | 'DELETE', path: string, payload?: object) =>
    app().app.inject({
      method,
      url: `/medical-records/api/v1${path}`,
      headers: bearer(user.accessToken),
      ...(payload ? { payload } : {}),
    });
  const startFlow = async (user: SignedIn, body: object = {}) => {
    const res = await api(user, 'POST', '/connections/epic/authorize', body);
    expect(res.statusCode, res.body).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^pha_epic_flow=[\w-]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax/);
    return {
      answer: res.json() as { authorization_url: string; redirect_uri: string; scopes: string[] },
      cookie: setCookie.split(';')[0]!,
    };
  };
  /** The browser at the EHR: sign-in and consent, then the redirect back with code and state. */
  const consent = async (authorizationUrl: string): Promise<URL> => {
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(res.status, await res.clone().text()).toBe(302);
    return new URL(res.headers.get('location')!);
  };
  const callback = (back: URL, cookie?: string) =>
    app().app.inject({ method: 'GET', url: back.pathname + back.search, headers: cookie ? { cookie } : {} });
  const connect = async (user: SignedIn): Promise<State> => {
    const flow = await startFlow(user);
    const res = await callback(await consent(flow.answer.authorization_url), flow.cookie);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as State;
  };
  const sync = async (user: SignedIn): Promise<State> => {
    const res = await api(user, 'POST', '/connections/epic/sync');
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as State;
  };
  const byType = (state: State) =>
    Object.fromEntries(state.last_sync!.types.map((r) => [r.resource_type, r])) as Record<string, TypeResult>;
  const connectionRow = async (user: SignedIn) =>
    (
      await app().db.query<Record<string, unknown>>(
        `SELECT * FROM medical_records.smart_connections WHERE user_id = $1`,
        [user.userId],
      )
    ).rows[0];
  const recordCount = async (user: SignedIn) =>
    (
      await app().db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM medical_records.records WHERE user_id = $1`,
        [user.userId],
      )
    ).rows[0]!.n;
  return { api, startFlow, consent, callback, connect, sync, byType, connectionRow, recordCount };
}

const totalRecords = Object.entries(CHART_COUNTS)
  .filter(([type]) => type !== 'Patient')
  .reduce((sum, [, n]) => sum + n, 0);

describe('Epic connection with a confidential client', () => {
  const app = appWith(() => ({
    EPIC_FHIR_CLIENT_ID: CONFIDENTIAL.id,
    EPIC_FHIR_CLIENT_SECRET: CONFIDENTIAL.secret,
    EPIC_FHIR_BASE_URL: fake.base,
  }));
  const h = helpers(app);

  it('answers an authorisation URL for a standalone patient launch with PKCE S256', async () => {
    const user = await registerAndLogin(app().app);
    const before = fake.requests(/smart-configuration$/).length;
    const { answer } = await h.startFlow(user);
    expect(fake.requests(/smart-configuration$/).length).toBe(before + 1);
    const url = new URL(answer.authorization_url);
    expect(url.origin + url.pathname).toBe(fake.base.replace('/api/FHIR/R4', '/oauth2/authorize'));
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: CONFIDENTIAL.id,
      redirect_uri: REDIRECT_URI,
      aud: fake.base,
      code_challenge_method: 'S256',
    });
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state!.length).toBeGreaterThanOrEqual(40);
    const scopes = q.scope!.split(' ');
    for (const s of ['launch/patient', 'openid', 'fhirUser', 'offline_access']) expect(scopes).toContain(s);
    for (const type of Object.keys(CHART_COUNTS)) expect(scopes).toContain(`patient/${type}.read`);
    expect(answer.redirect_uri).toBe(REDIRECT_URI);

    // The state is stored hashed and the verifier sealed.
    const { rows } = await app().db.query<{ state_hash: string; code_verifier_sealed: string }>(
      `SELECT state_hash, code_verifier_sealed FROM medical_records.smart_flows WHERE user_id = $1`,
      [user.userId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state_hash).not.toBe(q.state);
    expect(rows[0]!.code_verifier_sealed).toMatch(/^v1\./);
  });

  it('refuses an unknown state, no state, an EHR denial, and a return_to off this site', async () => {
    const user = await registerAndLogin(app().app);
    const flow = await h.startFlow(user);
    const back = await h.consent(flow.answer.authorization_url);
    const forged = new URL(back);
    forged.searchParams.set('state', 'not-a-state-this-server-gave');
    let res = await h.callback(forged, flow.cookie);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('state_mismatch');
    forged.searchParams.delete('state');
    res = await h.callback(forged, flow.cookie);
    expect(errorCode(res)).toBe('state_mismatch');

    const denied = new URL(back);
    denied.searchParams.delete('code');
    denied.searchParams.set('error', 'access_denied');
    res = await h.callback(denied, flow.cookie);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('authorization_denied');

    res = await h.api(user, 'POST', '/connections/epic/authorize', { return_to: '//evil.example/' });
    expect(res.statusCode).toBe(400);
    // Review: these pass the pattern ^/(?!/) but resolve to the path //evil.example, a redirect off site.
    for (const returnTo of ['/.//evil.example/', '/a/..//evil.example/', '/\\evil.example/']) {
      res = await h.api(user, 'POST', '/connections/epic/authorize', { return_to: returnTo });
      expect(res.statusCode, returnTo).toBe(400);
      expect(res.json().error.details[0].field).toBe('return_to');
    }
    expect((await h.api(user, 'GET', '/connections/epic')).json()).toMatchObject({ status: 'not_connected' });
  });

  it('refuses an expired state', async () => {
    const user = await registerAndLogin(app().app);
    const flow = await h.startFlow(user);
    await app().db.query(
      `UPDATE medical_records.smart_flows SET expires_at = now() - interval '1 minute' WHERE user_id = $1`,
      [user.userId],
    );
    const res = await h.callback(await h.consent(flow.answer.authorization_url), flow.cookie);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('state_mismatch');
  });

  it('reports a PKCE mismatch at the token endpoint as a failed authorisation, storing nothing', async () => {
    const user = await registerAndLogin(app().app);
    const flow = await h.startFlow(user);
    fake.corruptNextChallenge = true;
    const res = await h.callback(await h.consent(flow.answer.authorization_url), flow.cookie);
    expect(res.statusCode, res.body).toBe(400);
    expect(errorCode(res)).toBe('authorization_failed');
    const exchange = fake.requests('/oauth2/token').at(-1)!;
    expect(exchange.status).toBe(400);
    expect(exchange.form?.code_verifier).toBeTruthy();
    expect(await h.connectionRow(user)).toBeUndefined();
  });

  it('keeps another user out of my state and my connection; my state is single-use', async () => {
    const me = await registerAndLogin(app().app);
    const other = await registerAndLogin(app().app);
    const mine = await h.startFlow(me);
    const back = await h.consent(mine.answer.authorization_url);
    const state = back.searchParams.get('state')!;
    const code = back.searchParams.get('code')!;

    // Another user's token, another browser's cookie, or no cookie: refused, and my state survives.
    let res = await h.api(other, 'POST', '/connections/epic/callback', { state, code });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('state_mismatch');
    const theirs = await h.startFlow(other);
    res = await h.callback(back, theirs.cookie);
    expect(errorCode(res)).toBe('state_mismatch');
    res = await h.callback(back);
    expect(errorCode(res)).toBe('state_mismatch');

    res = await h.callback(back, mine.cookie);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'active', connected: true, patient_id: 'f001' });
    expect(String(res.headers['set-cookie'])).toMatch(/^pha_epic_flow=; Path=\/; Max-Age=0/);

    // Used once.
    res = await h.callback(back, mine.cookie);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('state_mismatch');

    expect((await h.api(other, 'GET', '/connections/epic')).json()).toMatchObject({
      status: 'not_connected',
      patient_id: null,
      last_sync: null,
    });
    res = await h.api(other, 'POST', '/connections/epic/sync');
    expect(res.statusCode).toBe(409);
    expect(errorCode(res)).toBe('not_connected');
    res = await h.api(other, 'DELETE', '/connections/epic');
    expect(res.statusCode).toBe(404);
    expect((await h.api(me, 'GET', '/connections/epic')).json()).toMatchObject({ status: 'active' });
  });

  it('an app completes with its own token (POST callback), and a return_to gets a 303', async () => {
    const user = await registerAndLogin(app().app);
    let flow = await h.startFlow(user);
    let back = await h.consent(flow.answer.authorization_url);
    let res = await h.api(user, 'POST', '/connections/epic/callback', {
      state: back.searchParams.get('state'),
      code: back.searchParams.get('code'),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'active', patient_id: 'f001' });

    flow = await h.startFlow(user, { return_to: '/records?tab=labs' });
    back = await h.consent(flow.answer.authorization_url);
    res = await h.callback(back, flow.cookie);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/records?tab=labs&connection=epic&status=connected');
  });

  const main: { user?: SignedIn } = {};

  it('connects (client secret by HTTP Basic) and stores the tokens sealed, never in plaintext', async () => {
    const user = await registerAndLogin(app().app);
    main.user = user;
    const state = await h.connect(user);
    expect(state).toMatchObject({ configured: true, status: 'active', connected: true, patient_id: 'f001' });
    const exchange = fake.requests('/oauth2/token').at(-1)!;
    expect(exchange.status).toBe(200);
    expect(exchange.form).toMatchObject({ grant_type: 'authorization_code', redirect_uri: REDIRECT_URI });
    expect(exchange.form?.client_secret).toBeUndefined();
    expect(exchange.authorization).toMatch(/^Basic /);

    const row = (await h.connectionRow(user))!;
    expect(row.access_token_sealed).toMatch(/^v1\./);
    expect(row.refresh_token_sealed).toMatch(/^v1\./);
    expect(row.patient_id).toBe('f001');
    const stored = JSON.stringify(row);
    const issued = fake.issuedTokens();
    expect(issued.length).toBeGreaterThan(0);
    for (const token of issued) expect(stored).not.toContain(token);
  });

  it('syncs every type with counts, following next links; a refused type does not stop the others', async () => {
    const user = main.user!;
    fake.refused.set('Immunization', 403);
    let state: State;
    try {
      state = await h.sync(user);
    } finally {
      fake.refused.delete('Immunization');
    }
    expect(state.last_sync!.status).toBe('partial');
    expect(state.last_sync!.message).toMatch(/Immunization/);
    const r = h.byType(state);
    expect(Object.keys(r).sort()).toEqual(Object.keys(CHART_COUNTS).sort());
    for (const [type, n] of Object.entries(CHART_COUNTS)) {
      if (type === 'Immunization') continue;
      expect(r[type], type).toMatchObject({
        imported: n,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        complete: true,
        error: null,
      });
    }
    expect(r.Immunization).toMatchObject({
      imported: 0,
      complete: false,
      error: { status: 403, code: 'forbidden' },
    });
    expect(r.Immunization!.error!.message).toMatch(/not authorized to read Immunization/);
    // Five labs in pages of two, two vital signs, one social-history Observation: 3 + 1 + 1 pages.
    expect(r.Observation!.pages).toBe(5);
    // Epic-style warning entries are notes, not skipped resources.
    expect(r.Observation!.notes).toContain('warning: Some results may be hidden');

    expect(await h.recordCount(user)).toBe(totalRecords - CHART_COUNTS.Immunization);
    const labs = await h.api(user, 'GET', '/records?type=lab&limit=100');
    const glucose = (
      labs.json() as {
        items: { source: { id: string; system: string }; measurement: { flags: { flag: string } } }[];
      }
    ).items.find((i) => i.source.id === 'f001');
    expect(glucose?.source.system).toBe(fake.base);
    // Computed by the import path: 6.3 mmol/L against the 3.1-6.2 range of the HL7 example.
    expect(glucose?.measurement.flags.flag).toBe('H');

    const sent = fake.requests(/\/api\/FHIR\/R4\/(Observation|Condition)$/);
    expect(sent.every((req) => req.authorization?.startsWith('Bearer '))).toBe(true);
    expect(sent.filter((req) => req.query.category).map((req) => req.query.category)).toEqual(
      expect.arrayContaining(['laboratory', 'vital-signs', 'social-history']),
    );
  });

  it('re-syncing adds nothing; an edit at the source comes back as updated', async () => {
    const user = main.user!;
    const before = await h.recordCount(user);
    const mark = fake.log.length;
    let state = await h.sync(user);
    expect(state.last_sync!.status).toBe('ok');
    let r = h.byType(state);
    for (const result of Object.values(r)) {
      if (result.resource_type === 'Immunization') continue;
      expect(result, result.resource_type).toMatchObject({
        imported: 0,
        updated: 0,
        skipped: 0,
        error: null,
      });
    }
    // The type refused last time is read now.
    expect(r.Immunization).toMatchObject({ imported: 1, error: null });
    expect(await h.recordCount(user)).toBe(before + 1);
    // Types the server can search by _lastUpdated ask only for what changed since the last complete pass.
    const conditionSearch = fake.log.slice(mark).find((req) => req.path.endsWith('/Condition'))!;
    expect(conditionSearch.query._lastUpdated).toMatch(/^ge\d{4}-\d{2}-\d{2}T/);
    expect(r.Condition).toMatchObject({ unchanged: 0, imported: 0 });
    const labSearch = fake.log.slice(mark).find((req) => req.query.category === 'laboratory')!;
    expect(labSearch.query._lastUpdated).toBeUndefined();
    expect(r.Observation).toMatchObject({ unchanged: CHART_COUNTS.Observation });

    fake.edit('Condition/cond-htn', (c) => {
      c.clinicalStatus = {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }],
      };
    });
    state = await h.sync(user);
    r = h.byType(state);
    expect(r.Condition).toMatchObject({ updated: 1, imported: 0, unchanged: 0 });
    expect(await h.recordCount(user)).toBe(before + 1);
  });

  it('refreshes the access token when the EHR answers 401, and before it expires', async () => {
    const user = main.user!;
    fake.expireAccessTokens();
    let mark = fake.log.length;
    let state = await h.sync(user);
    expect(state.last_sync!.status).toBe('ok');
    let during = fake.log.slice(mark);
    const first401 = during.findIndex((req) => req.status === 401);
    const refresh = during.findIndex((req) => req.form?.grant_type === 'refresh_token');
    expect(first401).toBeGreaterThanOrEqual(0);
    expect(refresh).toBeGreaterThan(first401);
    expect(during[refresh]!.authorization).toMatch(/^Basic /);
    expect(during.filter((req) => req.status === 401)).toHaveLength(1);

    await app().db.query(
      `UPDATE medical_records.smart_connections SET token_expires_at = now() - interval '1 minute' WHERE user_id = $1`,
      [user.userId],
    );
    mark = fake.log.length;
    state = await h.sync(user);
    expect(state.last_sync!.status).toBe('ok');
    during = fake.log.slice(mark);
    expect(during[0]!.form?.grant_type).toBe('refresh_token');
    expect(during.some((req) => req.status === 401)).toBe(false);
  });

  it('resumes an interrupted sync from the page it stopped at', async () => {
    const user = await registerAndLogin(app().app);
    await h.connect(user);
    // The second laboratory page fails: the rest of the sync goes on.
    fake.failNext = { match: (url) => url.searchParams.get('_offset') === '2', status: 503, count: 1 };
    let state = await h.sync(user);
    fake.failNext = undefined;
    expect(state.last_sync!.status).toBe('partial');
    let r = h.byType(state);
    expect(r.Observation).toMatchObject({ imported: 5, complete: false, error: { status: 503 } });
    expect(r.Observation!.error!.message).toMatch(/^Observation \(laboratory\): /);
    expect(r.Condition).toMatchObject({ imported: 2, complete: true, error: null });
    const row = (await h.connectionRow(user))!;
    const saved = (row.progress as Record<string, { next_url: string | null }>)['Observation:laboratory']!;
    expect(saved.next_url).toMatch(/_offset=2/);

    const mark = fake.log.length;
    state = await h.sync(user);
    expect(state.last_sync!.status).toBe('ok');
    r = h.byType(state);
    expect(r.Observation).toMatchObject({ imported: 3, unchanged: 3, complete: true, error: null });
    const labRequests = fake.log
      .slice(mark)
      .filter(
        (req) =>
          req.query.category === 'laboratory' ||
          req.query._getpages === new URL(saved.next_url!).searchParams.get('_getpages'),
      );
    // No new first page: it went on from the saved link.
    expect(labRequests[0]!.query._offset).toBe('2');
    expect(labRequests.some((req) => req.query.category === 'laboratory')).toBe(false);
    expect(await h.recordCount(user)).toBe(totalRecords);
  });

  it('starts a search again when its saved page link has expired at the EHR', async () => {
    const user = await registerAndLogin(app().app);
    await h.connect(user);
    fake.failNext = { match: (url) => url.searchParams.get('_offset') === '2', status: 500, count: 1 };
    await h.sync(user);
    fake.failNext = undefined;
    fake.forgetSearches();
    const state = await h.sync(user);
    const r = h.byType(state);
    expect(r.Observation).toMatchObject({ imported: 3, unchanged: 5, complete: true, error: null });
    expect(r.Observation!.notes.join(' ')).toMatch(/no longer valid \(HTTP 410\)/);
    expect(await h.recordCount(user)).toBe(totalRecords);
  });

  it('puts the connection in the account export without tokens, and erases it', async () => {
    const user = main.user!;
    let res = await app().app.inject({
      method: 'GET',
      url: '/medical-records/api/v1/account/export',
      headers: bearer(user.accessToken),
    });
    expect(res.statusCode).toBe(200);
    const data = res.json().data as { epic_connections: State[] };
    expect(data.epic_connections).toHaveLength(1);
    expect(data.epic_connections[0]).toMatchObject({ status: 'active', patient_id: 'f001' });
    expect(res.body).not.toMatch(/sealed|refresh_token|access_token/);
    for (const token of fake.issuedTokens()) expect(res.body).not.toContain(token);

    const other = await registerAndLogin(app().app);
    await h.connect(other);
    res = await app().app.inject({
      method: 'DELETE',
      url: '/medical-records/api/v1/account/data',
      headers: bearer(other.accessToken),
    });
    expect(res.statusCode).toBe(204);
    expect(await h.connectionRow(other)).toBeUndefined();
    expect((await h.api(other, 'GET', '/connections/epic')).json()).toMatchObject({
      status: 'not_connected',
    });
    expect(await h.connectionRow(user)).toBeDefined();
  });

  it('disconnects: tokens deleted, syncs refused, records kept', async () => {
    const user = main.user!;
    const records = await h.recordCount(user);
    let res = await h.api(user, 'DELETE', '/connections/epic');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'disconnected', connected: false });
    const row = (await h.connectionRow(user))!;
    expect(row).toMatchObject({
      access_token_sealed: null,
      refresh_token_sealed: null,
      token_expires_at: null,
    });
    res = await h.api(user, 'POST', '/connections/epic/sync');
    expect(res.statusCode).toBe(409);
    expect(errorCode(res)).toBe('not_connected');
    res = await h.api(user, 'DELETE', '/connections/epic');
    expect(res.statusCode).toBe(404);
    expect(await h.recordCount(user)).toBe(records);
  });

  it('asks to connect again when the EHR no longer renews the tokens', async () => {
    const user = await registerAndLogin(app().app);
    await h.connect(user);
    fake.revokeAll();
    const state = await h.sync(user);
    expect(state.status).toBe('needs_reauthorization');
    expect(state.last_sync).toMatchObject({ status: 'failed' });
    expect(state.last_sync!.message).toMatch(/connect Epic again/);
    const res = await h.api(user, 'POST', '/connections/epic/sync');
    expect(res.statusCode).toBe(409);
    expect(errorCode(res)).toBe('authorization_required');
    // Connecting again makes it active.
    expect(await h.connect(user)).toMatchObject({ status: 'active' });
  });
});

describe('Epic connection with a public client (PKCE only)', () => {
  const app = appWith(() => ({ EPIC_FHIR_CLIENT_ID: PUBLIC_CLIENT, EPIC_FHIR_BASE_URL: fake.base }));
  const h = helpers(app);

  it('sends client_id in the form and no client authentication, then syncs', async () => {
    const user = await registerAndLogin(app().app);
    expect(await h.connect(user)).toMatchObject({ status: 'active', patient_id: 'f001' });
    const exchange = fake.requests('/oauth2/token').at(-1)!;
    expect(exchange.authorization).toBeUndefined();
    expect(exchange.form).toMatchObject({ client_id: PUBLIC_CLIENT, grant_type: 'authorization_code' });
    expect(exchange.form?.client_secret).toBeUndefined();
    const state = await h.sync(user);
    expect(state.last_sync!.status).toBe('ok');
    expect(await h.recordCount(user)).toBe(totalRecords);
  });
});

describe('Epic not configured', () => {
  const app = appWith(() => ({}));
  const h = helpers(app);

  it('says so on the status, and refuses to connect or sync with a 409', async () => {
    const user = await registerAndLogin(app().app);
    const status = (await h.api(user, 'GET', '/connections/epic')).json() as State;
    expect(status).toMatchObject({ configured: false, status: 'not_connected', connected: false });
    expect(status.message).toMatch(/EPIC_FHIR_CLIENT_ID/);
    for (const [method, path] of [
      ['POST', '/connections/epic/authorize'],
      ['POST', '/connections/epic/sync'],
    ] as const) {
      const res = await h.api(user, method, path);
      expect(res.statusCode, `${path}: ${res.body}`).toBe(409);
      expect(errorCode(res)).toBe('epic_not_configured');
    }
    const res = await app().app.inject({
      method: 'GET',
      url: '/medical-records/api/v1/connections/epic/callback?state=abc&code=def',
    });
    expect(res.statusCode).toBe(409);
    expect(errorCode(res)).toBe('epic_not_configured');
  });

  it('lists the connection routes; the callback needs no bearer token', async () => {
    const res = await app().app.inject({ method: 'GET', url: '/medical-records/docs' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths as Record<string, Record<string, { security?: unknown[] }>>;
    expect(Object.keys(paths['/api/v1/connections/epic']!).sort()).toEqual(['delete', 'get']);
    expect(paths['/api/v1/connections/epic/authorize']!.post).toBeDefined();
    expect(paths['/api/v1/connections/epic/sync']!.post).toBeDefined();
    expect(paths['/api/v1/connections/epic/callback']!.get!.security).toEqual([]);
    expect(paths['/api/v1/connections/epic/callback']!.post).toBeDefined();
  });
});

describe('SMART building blocks', () => {
  it('reads the Epic settings: sandbox default, validated URL, secret only with an id', () => {
    expect(loadConfig({}).epic).toEqual({
      clientId: undefined,
      clientSecret: undefined,
      fhirBaseUrl: 'https://fhir.epic.com/interconnect-fhir-oauth/api/FHIR/R4',
      redirectUri: undefined,
      syncIntervalMinutes: 1440,
    });
    expect(
      loadConfig({ EPIC_FHIR_CLIENT_ID: 'x', EPIC_FHIR_BASE_URL: 'https://ehr.example/fhir/r4/' }).epic,
    ).toMatchObject({ clientId: 'x', fhirBaseUrl: 'https://ehr.example/fhir/r4' });
    expect(() => loadConfig({ EPIC_FHIR_BASE_URL: 'ftp://x' })).toThrow(/EPIC_FHIR_BASE_URL/);
    expect(() => loadConfig({ EPIC_FHIR_CLIENT_SECRET: 's' })).toThrow(
      /EPIC_FHIR_CLIENT_SECRET is set without/,
    );
    expect(() => loadConfig({ EPIC_FHIR_SYNC_INTERVAL_MINUTES: '-1' })).toThrow(
      /EPIC_FHIR_SYNC_INTERVAL_MINUTES/,
    );
  });

  it('asks SMART v2 servers for .rs scopes and the others for v1 .read', () => {
    expect(patientScopes(['permission-v2'])).toContain('patient/Observation.rs');
    expect(patientScopes(['permission-v1', 'permission-v2'])).toContain('patient/Observation.read');
    expect(patientScopes([])).toContain('patient/Immunization.read');
  });

  it('follows next links only on the FHIR server itself', () => {
    const base = 'https://ehr.example/api/FHIR/R4';
    expect(onServer(base, `${base}/Observation?_getpages=1`)).toBe(true);
    expect(onServer(base, 'https://ehr.example/api/FHIR/R4x/Observation')).toBe(false);
    expect(onServer(base, 'https://attacker.example/api/FHIR/R4/Observation')).toBe(false);
    expect(onServer(base, 'not a url')).toBe(false);
  });

  it('finds which types the CapabilityStatement can search by _lastUpdated', () => {
    const cs = {
      resourceType: 'CapabilityStatement',
      rest: [
        {
          mode: 'server',
          resource: [
            { type: 'Condition', searchParam: [{ name: '_lastUpdated', type: 'date' }] },
            { type: 'Observation', searchParam: [{ name: 'patient', type: 'reference' }] },
          ],
        },
      ],
    };
    expect([...lastUpdatedSearchable(cs)]).toEqual(['Condition']);
    expect([
      ...lastUpdatedSearchable({ ...cs, rest: [{ ...cs.rest[0], searchParam: [{ name: '_lastUpdated' }] }] }),
    ]).toEqual(['Condition', 'Observation']);
    expect(lastUpdatedSearchable({ resourceType: 'OperationOutcome' }).size).toBe(0);
  });
});
