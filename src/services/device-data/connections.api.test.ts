import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '../../test-support/harness.js';
import { FakeProviders, egvsFromClarity } from './test-support.js';

const CLARITY = readFileSync(
  fileURLToPath(new URL('./test-fixtures/dexcom-clarity-sample.csv', import.meta.url)),
  'utf8',
);
const DAY = 86_400_000;

let t: TestApp;
let fake: FakeProviders;

const ENV_KEYS = [
  'DEXCOM_CLIENT_ID',
  'DEXCOM_CLIENT_SECRET',
  'DEXCOM_API_BASE_URL',
  'OURA_CLIENT_ID',
  'OURA_CLIENT_SECRET',
  'OURA_API_BASE_URL',
  'OURA_AUTH_BASE_URL',
  'DEVICE_SYNC_INTERVAL_MINUTES',
];

beforeAll(async () => {
  fake = new FakeProviders();
  const base = await fake.start();
  Object.assign(process.env, {
    DEXCOM_CLIENT_ID: fake.clients.dexcom.id,
    DEXCOM_CLIENT_SECRET: fake.clients.dexcom.secret,
    DEXCOM_API_BASE_URL: base,
    OURA_CLIENT_ID: fake.clients.oura.id,
    OURA_CLIENT_SECRET: fake.clients.oura.secret,
    OURA_API_BASE_URL: base,
    OURA_AUTH_BASE_URL: base,
    DEVICE_SYNC_INTERVAL_MINUTES: '0',
  });
  try {
    t = await startTestApp();
  } finally {
    for (const key of ENV_KEYS) delete process.env[key];
  }
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

const api = (
  user: SignedIn,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: object,
  cookie?: string,
) =>
  t.app.inject({
    method,
    url: `/device-data${url}`,
    headers: { ...bearer(user.accessToken), ...(cookie ? { cookie } : {}) },
    ...(payload ? { payload } : {}),
  });

/** Starts a flow as the browser would: the provider URL and the cookie that binds it. */
async function authorize(user: SignedIn, provider: 'dexcom' | 'oura', body?: object) {
  const res = await api(user, 'POST', `/api/v1/connections/${provider}/authorize`, body ?? {});
  expect(res.statusCode).toBe(200);
  const setCookie = String(res.headers['set-cookie']);
  expect(setCookie).toMatch(/HttpOnly; SameSite=Lax/);
  return { answer: res.json(), cookie: setCookie.split(';')[0]! };
}

/** The provider sends the browser back to the callback: the path and query of the redirect. */
const callback = (redirect: URL, cookie?: string) =>
  t.app.inject({
    method: 'GET',
    url: redirect.pathname + redirect.search,
    headers: cookie ? { cookie } : {},
  });

async function connect(user: SignedIn, provider: 'dexcom' | 'oura') {
  const { answer, cookie } = await authorize(user, provider);
  const res = await callback(fake.consent(answer.authorization_url), cookie);
  expect(res.statusCode).toBe(200);
  return res.json();
}

const glucose = async (user: SignedIn) =>
  (
    await t.app.inject({
      method: 'GET',
      url: '/health-tracking/api/v1/metrics?metric_type=blood_glucose&source=dexcom&limit=500',
      headers: bearer(user.accessToken),
    })
  ).json().items as { value: number; timestamp: string }[];

describe('Dexcom connection', () => {
  it('connects with OAuth 2.0 + PKCE, keeps tokens sealed, and syncs EGVs into health tracking', async () => {
    fake.egvs = egvsFromClarity(CLARITY, 120, Date.now() - 3600_000);
    fake.egvRangeStart = undefined;
    const user = await registerAndLogin(t.app);
    const { answer, cookie } = await authorize(user, 'dexcom');
    const url = new URL(answer.authorization_url);
    expect(url.pathname).toBe('/v2/oauth2/login');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'dexcom-client-id',
      response_type: 'code',
      scope: 'offline_access',
      code_challenge_method: 'S256',
      redirect_uri: 'http://localhost:8080/device-data/api/v1/connections/callback',
    });
    expect(url.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43);

    const connected = await callback(fake.consent(answer.authorization_url), cookie);
    expect(connected.statusCode).toBe(200);
    expect(connected.json()).toMatchObject({ provider: 'dexcom', status: 'active', configured: true });
    const exchange = fake.log.find(
      (r) => r.path === '/v2/oauth2/token' && r.form?.grant_type === 'authorization_code',
    )!;
    expect(exchange.form).toMatchObject({ client_id: 'dexcom-client-id', code_verifier: expect.any(String) });

    // Sealed at rest: neither token appears in the database.
    const { rows } = await t.db.query<{ access_token_sealed: string; refresh_token_sealed: string }>(
      'SELECT access_token_sealed, refresh_token_sealed FROM device_data.connections WHERE user_id = $1',
      [user.userId],
    );
    const issued = fake.log.filter((r) => r.authorization).map((r) => r.authorization);
    expect(rows[0]!.access_token_sealed).toMatch(/^v1\./);
    expect(rows[0]!.refresh_token_sealed).toMatch(/^v1\./);
    for (const value of issued) expect(JSON.stringify(rows)).not.toContain(value!.slice(7));

    const synced = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(synced.statusCode).toBe(200);
    expect(synced.json()).toMatchObject({
      status: 'active',
      last_sync_status: 'ok',
      last_sync_counts: { readings_created: 162, records_skipped: 2, records_invalid: 0 },
    });
    const stored = await glucose(user);
    expect(stored).toHaveLength(162);
    const last = fake.egvs[fake.egvs.length - 1]!;
    // systemTime is UTC; the display time two hours ahead gives the offset.
    expect(stored[0]).toMatchObject({ value: last.value, timestamp: `${last.displayTime}.000+02:00` });

    const devices = (await api(user, 'GET', '/api/v1/devices')).json().items;
    expect(devices).toEqual([
      expect.objectContaining({
        source: 'dexcom',
        registered_by: 'connection',
        connection: expect.objectContaining({ provider: 'dexcom', status: 'active', last_sync_status: 'ok' }),
      }),
    ]);

    // The next sync resumes from the cursor: only the overlap comes again, as duplicates.
    const again = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(again.json().last_sync_counts.readings_created).toBe(0);
    expect((await glucose(user)).length).toBe(162);
  });

  it('resumes where a failed sync stopped, in windows of at most 30 days', async () => {
    const now = Date.now();
    fake.egvs = egvsFromClarity(CLARITY, 0, now - 3600_000);
    fake.egvRangeStart = now - 80 * DAY;
    const user = await registerAndLogin(t.app);
    await connect(user, 'dexcom');
    const before = fake.log.length;
    // The third EGV window fails at the provider.
    fake.failNext = { count: 1, status: 503, afterCalls: 0 };
    const calls = () => fake.log.slice(before).filter((r) => r.path === '/v3/users/self/egvs');
    const dataCallsBefore = fake.log.filter((r) => r.authorization).length;
    fake.failNext.afterCalls = dataCallsBefore + 3; // dataRange, window 1, window 2, then the failure
    const failed = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({
      status: 'active',
      last_sync_status: 'failed',
      last_sync_message: expect.stringMatching(/HTTP 503.*resumes/),
    });
    const windows = calls().map((r) => [
      Date.parse(`${r.query.startDate}Z`),
      Date.parse(`${r.query.endDate}Z`),
    ]);
    expect(windows.every(([s, e]) => e! - s! <= 30 * DAY)).toBe(true);
    const cursor = Date.parse(failed.json().cursors.egvs);
    expect(cursor).toBe(windows[1]![1]);

    const resumed = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(resumed.json()).toMatchObject({
      last_sync_status: 'ok',
      last_sync_counts: { readings_created: 162 },
    });
    const afterResume = calls().slice(windows.length);
    // It starts three hours before the cursor, not from the beginning.
    expect(Date.parse(`${afterResume[0]!.query.startDate}Z`)).toBe(cursor - 3 * 3600_000);
  });

  it('refreshes expiring tokens (rotating the refresh token) and asks to connect again once revoked', async () => {
    fake.egvs = egvsFromClarity(CLARITY, 60, Date.now() - 7200_000);
    fake.egvRangeStart = undefined;
    fake.accessTtl = 30;
    const user = await registerAndLogin(t.app);
    await connect(user, 'dexcom');
    fake.accessTtl = 7200;
    const refreshesBefore = fake.log.filter((r) => r.form?.grant_type === 'refresh_token').length;
    const synced = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(synced.json().last_sync_status).toBe('ok');
    expect(fake.log.filter((r) => r.form?.grant_type === 'refresh_token').length).toBe(refreshesBefore + 1);

    fake.revokeAll();
    const refused = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(refused.json()).toMatchObject({
      status: 'needs_reauthorization',
      last_sync_status: 'failed',
      last_sync_message: expect.stringContaining('connect Dexcom again'),
    });
    const blocked = await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    expect(blocked.statusCode).toBe(409);
    expect(errorCode(blocked)).toBe('authorization_required');
    // Connecting again resumes: the cursor is kept.
    const reconnected = await connect(user, 'dexcom');
    expect(reconnected.status).toBe('active');
    expect(reconnected.cursors.egvs).toBeDefined();
  });

  it('refuses a callback whose state is unknown, reused, expired or from another browser', async () => {
    const user = await registerAndLogin(t.app);
    const { answer, cookie } = await authorize(user, 'dexcom');
    const redirect = fake.consent(answer.authorization_url);

    const forged = new URL(redirect);
    forged.searchParams.set('state', 'forged-state');
    const unknown = await callback(forged, cookie);
    expect(unknown.statusCode).toBe(400);
    expect(errorCode(unknown)).toBe('state_mismatch');

    // Another browser (no cookie, or another flow's cookie) cannot complete it: a link sent to a victim
    // does not connect the victim's Dexcom to someone else's account. Each try uses the state up.
    const other = await authorize(user, 'dexcom');
    const otherRedirect = fake.consent(other.answer.authorization_url);
    expect(errorCode(await callback(otherRedirect))).toBe('state_mismatch');
    expect(errorCode(await callback(redirect, other.cookie))).toBe('state_mismatch');
    expect(errorCode(await callback(redirect, cookie))).toBe('state_mismatch');

    // An expired flow.
    const late = await authorize(user, 'dexcom');
    await t.db.query(`UPDATE device_data.oauth_flows SET expires_at = now() - interval '1 minute'`);
    expect(errorCode(await callback(fake.consent(late.answer.authorization_url), late.cookie))).toBe(
      'state_mismatch',
    );
    expect((await api(user, 'GET', '/api/v1/connections/dexcom')).json().status).toBe('not_connected');
  });

  it('lets an app complete the flow with its own token, and only for a state it started', async () => {
    const alice = await registerAndLogin(t.app);
    const mallory = await registerAndLogin(t.app);
    const { answer } = await authorize(mallory, 'dexcom');
    const redirect = fake.consent(answer.authorization_url);
    const code = redirect.searchParams.get('code')!;
    const state = redirect.searchParams.get('state')!;
    const stolen = await api(alice, 'POST', '/api/v1/connections/callback', { state, code });
    expect(errorCode(stolen)).toBe('state_mismatch');

    const mine = await authorize(alice, 'dexcom');
    const back = fake.consent(mine.answer.authorization_url);
    const ok = await api(alice, 'POST', '/api/v1/connections/callback', {
      state: back.searchParams.get('state')!,
      code: back.searchParams.get('code')!,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().status).toBe('active');
  });

  it('reports provider errors: a refused code, a denied consent; and redirects to return_to', async () => {
    const user = await registerAndLogin(t.app);
    const { answer, cookie } = await authorize(user, 'dexcom');
    const redirect = fake.consent(answer.authorization_url);
    redirect.searchParams.set('code', 'not-a-code-the-provider-gave');
    const refused = await callback(redirect, cookie);
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error).toMatchObject({
      code: 'provider_error',
      message: expect.stringContaining('invalid_grant'),
    });

    const denied = await authorize(user, 'dexcom');
    const deniedUrl = fake.consent(denied.answer.authorization_url);
    deniedUrl.searchParams.delete('code');
    deniedUrl.searchParams.set('error', 'access_denied');
    expect(errorCode(await callback(deniedUrl, denied.cookie))).toBe('authorization_denied');

    const back = await authorize(user, 'dexcom', { return_to: '/settings/devices' });
    const res = await callback(fake.consent(back.answer.authorization_url), back.cookie);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/settings/devices?connection=dexcom&status=connected');
    const offSite = await api(user, 'POST', '/api/v1/connections/dexcom/authorize', {
      return_to: '//evil.example/x',
    });
    expect(offSite.statusCode).toBe(400);
  });

  it('disconnects: tokens deleted, syncs refused, readings kept', async () => {
    fake.egvs = egvsFromClarity(CLARITY, 0, Date.now() - 3600_000);
    fake.egvRangeStart = undefined;
    const user = await registerAndLogin(t.app);
    await connect(user, 'dexcom');
    await api(user, 'POST', '/api/v1/connections/dexcom/sync');
    const off = await api(user, 'DELETE', '/api/v1/connections/dexcom');
    expect(off.json().status).toBe('disconnected');
    const { rows } = await t.db.query(
      'SELECT access_token_sealed, refresh_token_sealed FROM device_data.connections WHERE user_id = $1',
      [user.userId],
    );
    expect(rows[0]).toEqual({ access_token_sealed: null, refresh_token_sealed: null });
    expect(errorCode(await api(user, 'POST', '/api/v1/connections/dexcom/sync'))).toBe('not_connected');
    expect((await glucose(user)).length).toBe(162);
    const device = (await api(user, 'GET', '/api/v1/devices')).json().items[0];
    expect(device.status).toBe('disconnected');
  });
});

describe('Oura connection', () => {
  it('syncs heart rate (paginated), finished days of activity and sleep periods', async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    fake.oura.heartrate = [
      { bpm: 58, source: 'rest', timestamp: iso(now - 5 * 3600_000) },
      { bpm: 61, source: 'rest', timestamp: iso(now - 5 * 3600_000 + 300_000) },
      { bpm: 96, source: 'workout', timestamp: iso(now - 3 * 3600_000) },
    ];
    fake.oura.dailyActivity = [
      {
        id: 'a1',
        day: day(now - 3 * DAY),
        steps: 8123,
        active_calories: 412,
        timestamp: `${day(now - 3 * DAY)}T00:00:00-04:00`,
      },
      // Today: its totals are not final, so it waits.
      { id: 'a2', day: day(now), steps: 1200, active_calories: 80, timestamp: `${day(now)}T00:00:00-04:00` },
    ];
    fake.oura.sleep = [
      {
        id: 's1',
        day: day(now - DAY),
        type: 'long_sleep',
        bedtime_start: `${day(now - 2 * DAY)}T23:10:00-04:00`,
        bedtime_end: `${day(now - DAY)}T07:05:00-04:00`,
        total_sleep_duration: 25_200,
        time_in_bed: 28_500,
        average_hrv: 42,
      },
      {
        id: 's2',
        day: day(now - DAY),
        type: 'rest',
        bedtime_start: `${day(now - DAY)}T14:00:00-04:00`,
        total_sleep_duration: 600,
      },
    ];
    const user = await registerAndLogin(t.app);
    const connected = await connect(user, 'oura');
    expect(connected).toMatchObject({ provider: 'oura', status: 'active' });
    const oauthStart = fake.log.find((r) => r.path === '/oauth/authorize')!;
    expect(oauthStart.query).toMatchObject({ scope: 'daily heartrate', code_challenge_method: 'S256' });

    const synced = await api(user, 'POST', '/api/v1/connections/oura/sync');
    expect(synced.json()).toMatchObject({
      last_sync_status: 'ok',
      last_sync_counts: { readings_created: 7, records_skipped: 1 },
    });
    expect(
      fake.log.filter((r) => r.path === '/v2/usercollection/heartrate' && r.query.next_token).length,
    ).toBe(1);
    const read = async (type: string) =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/health-tracking/api/v1/metrics?metric_type=${type}&source=oura`,
          headers: bearer(user.accessToken),
        })
      ).json().items;
    expect((await read('heart_rate')).map((m: { value: number }) => m.value)).toEqual([96, 61, 58]);
    expect((await read('steps')).map((m: { value: number }) => m.value)).toEqual([8123]);
    expect((await read('active_energy'))[0]).toMatchObject({ value: 412 });
    expect((await read('sleep_duration'))[0]).toMatchObject({ canonical_value: 7, canonical_unit: 'h' });
    // Oura's sleep HRV is RMSSD, kept apart from Apple's SDNN.
    expect((await read('heart_rate_variability_rmssd'))[0]).toMatchObject({ value: 42, unit: 'ms' });
  });
});

describe('without provider credentials', () => {
  let bare: TestApp;
  beforeAll(async () => {
    bare = await startTestApp();
  });
  afterAll(async () => {
    await bare.close();
  });

  it('says clearly that a provider is not configured', async () => {
    const user = await registerAndLogin(bare.app);
    const list = await bare.app.inject({
      method: 'GET',
      url: '/device-data/api/v1/connections',
      headers: bearer(user.accessToken),
    });
    expect(list.json().items).toEqual([
      expect.objectContaining({
        provider: 'dexcom',
        configured: false,
        status: 'not_connected',
        message: expect.stringContaining('DEXCOM_CLIENT_ID and DEXCOM_CLIENT_SECRET'),
      }),
      expect.objectContaining({
        provider: 'oura',
        configured: false,
        message: expect.stringContaining('OURA_CLIENT_ID'),
      }),
    ]);
    const start = await bare.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/connections/dexcom/authorize',
      headers: bearer(user.accessToken),
      payload: {},
    });
    expect(start.statusCode).toBe(503);
    expect(errorCode(start)).toBe('provider_not_configured');
    const sync = await bare.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/connections/oura/sync',
      headers: bearer(user.accessToken),
    });
    expect(errorCode(sync)).toBe('provider_not_configured');
    const unknown = await bare.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/connections/fitbit/authorize',
      headers: bearer(user.accessToken),
      payload: {},
    });
    expect(unknown.statusCode).toBe(400);
  });
});
