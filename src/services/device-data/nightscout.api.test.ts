import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const SHARED = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const haveShared = existsSync(SHARED);
const sharedNote = haveShared ? '' : ' (skipped: ../shared/fixtures is absent)';

const t = useTestApp();

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

async function withSecret() {
  const user = await registerAndLogin(t.app);
  const res = await t.app.inject({
    method: 'PUT',
    url: '/device-data/api/v1/nightscout/secret',
    headers: bearer(user.accessToken),
    payload: {},
  });
  expect(res.statusCode).toBe(200);
  return { user, secret: res.json().api_secret as string, url: res.json().nightscout_url as string };
}

const ns = (
  apiSecret: string | undefined,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
) =>
  t.app.inject({
    method,
    url: `/device-data${url}`,
    headers: apiSecret === undefined ? {} : { 'api-secret': apiSecret },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const glucose = (token: string) =>
  t.app.inject({
    method: 'GET',
    url: '/health-tracking/api/v1/metrics?metric_type=blood_glucose&limit=500',
    headers: bearer(token),
  });

const entries = [
  {
    type: 'sgv',
    sgv: 102,
    direction: 'Flat',
    device: 'xDrip-DexcomG6',
    date: 1_717_230_000_000,
    dateString: '2024-06-01T10:20:00.000+02:00',
  },
  {
    type: 'sgv',
    sgv: 108,
    direction: 'FortyFiveUp',
    device: 'xDrip-DexcomG6',
    date: 1_717_230_300_000,
    utcOffset: 120,
  },
  { type: 'sgv', sgv: 5, device: 'xDrip-DexcomG6', date: 1_717_230_600_000 },
  { type: 'cal', slope: 841, date: 1_717_230_600_000 },
];

describe('Nightscout upload API', () => {
  it('lets an uploader send CGM entries with the SHA-1 of the secret; sending them again adds nothing', async () => {
    const { user, secret, url } = await withSecret();
    expect(url).toBe('http://localhost:8080/device-data');
    const res = await ns(sha1(secret), 'POST', '/api/v1/entries', entries);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-readings-created']).toBe('2');
    expect(res.json()).toEqual([
      expect.objectContaining({
        sgv: 102,
        date: 1_717_230_000_000,
        dateString: '2024-06-01T10:20:00.000+02:00',
      }),
      expect.objectContaining({ sgv: 108, dateString: '2024-06-01T10:25:00.000+02:00' }),
    ]);
    const stored = (await glucose(user.accessToken)).json().items;
    expect(
      stored.map((m: { value: number; source: string; unit: string }) => [m.value, m.source, m.unit]),
    ).toEqual([
      [108, 'nightscout', 'mg/dL'],
      [102, 'nightscout', 'mg/dL'],
    ]);

    const again = await ns(sha1(secret).toUpperCase(), 'POST', '/api/v1/entries.json', entries[0]);
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-readings-created']).toBe('0');
    expect((await glucose(user.accessToken)).json().items).toHaveLength(2);

    const latest = await ns(sha1(secret), 'GET', '/api/v1/entries/sgv.json?count=1');
    expect(latest.json()).toEqual([
      {
        type: 'sgv',
        sgv: 108,
        date: 1_717_230_300_000,
        dateString: '2024-06-01T10:25:00.000+02:00',
        device: 'nightscout',
        units: 'mg/dl',
      },
    ]);
    const devices = await t.app.inject({
      method: 'GET',
      url: '/device-data/api/v1/devices',
      headers: bearer(user.accessToken),
    });
    expect(devices.json().items).toEqual([
      expect.objectContaining({
        source: 'nightscout',
        registered_by: 'nightscout',
        name: 'Nightscout uploader (xDrip-DexcomG6)',
      }),
    ]);
  });

  it.skipIf(!haveShared)(`accepts what openaps uploaded (the real fixture)${sharedNote}`, async () => {
    const { user, secret } = await withSecret();
    const docs = JSON.parse(
      readFileSync(`${SHARED}cgm/nightscout-entries-openaps-glucose.json`, 'utf8'),
    ) as unknown[];
    const res = await ns(sha1(secret), 'POST', '/api/v1/entries', docs);
    expect(res.statusCode).toBe(200);
    expect(res.json().length).toBe(docs.length);
    expect((await glucose(user.accessToken)).json().items[0]).toMatchObject({
      value: 102,
      timestamp: '2016-10-23T11:33:36.000-07:00',
    });
  });

  it('refuses a missing, wrong, unhashed or rotated secret', async () => {
    const { user, secret } = await withSecret();
    const missing = await ns(undefined, 'POST', '/api/v1/entries', entries);
    expect(missing.statusCode).toBe(401);
    expect(errorCode(missing)).toBe('api_secret_required');
    expect(errorCode(await ns(sha1('not the secret'), 'POST', '/api/v1/entries', entries))).toBe(
      'invalid_api_secret',
    );
    expect((await ns(secret, 'POST', '/api/v1/entries', entries)).statusCode).toBe(401);
    expect((await ns(sha1(secret), 'GET', '/api/v1/experiments/test')).json()).toEqual({ status: 'ok' });
    expect((await ns(sha1('nope'), 'GET', '/api/v1/experiments/test')).statusCode).toBe(401);
    expect((await ns(sha1('nope'), 'GET', '/api/v1/verifyauth')).json().message.message).toBe('UNAUTHORIZED');
    expect((await ns(sha1(secret), 'GET', '/api/v1/verifyauth')).json().message).toMatchObject({
      canWrite: true,
    });

    const rotated = await t.app.inject({
      method: 'PUT',
      url: '/device-data/api/v1/nightscout/secret',
      headers: bearer(user.accessToken),
      payload: { secret: 'my own secret phrase' },
    });
    expect(rotated.json().api_secret).toBe('my own secret phrase');
    expect((await ns(sha1(secret), 'GET', '/api/v1/entries')).statusCode).toBe(401);
    expect((await ns(sha1('my own secret phrase'), 'GET', '/api/v1/entries')).statusCode).toBe(200);
    const short = await t.app.inject({
      method: 'PUT',
      url: '/device-data/api/v1/nightscout/secret',
      headers: bearer(user.accessToken),
      payload: { secret: 'short' },
    });
    expect(short.statusCode).toBe(400);
    const status = await t.app.inject({
      method: 'GET',
      url: '/device-data/api/v1/nightscout/secret',
      headers: bearer(user.accessToken),
    });
    expect(status.json()).toMatchObject({ configured: true });
    expect(JSON.stringify(status.json())).not.toContain('my own secret phrase');

    // The same secret cannot belong to two accounts.
    const other = await registerAndLogin(t.app);
    const taken = await t.app.inject({
      method: 'PUT',
      url: '/device-data/api/v1/nightscout/secret',
      headers: bearer(other.accessToken),
      payload: { secret: 'my own secret phrase' },
    });
    expect(taken.statusCode).toBe(409);

    await t.app.inject({
      method: 'DELETE',
      url: '/device-data/api/v1/nightscout/secret',
      headers: bearer(user.accessToken),
    });
    expect((await ns(sha1('my own secret phrase'), 'GET', '/api/v1/entries')).statusCode).toBe(401);
  });

  it("keeps each uploader to its own account's data", async () => {
    const a = await withSecret();
    const b = await withSecret();
    await ns(sha1(a.secret), 'POST', '/api/v1/entries', entries);
    expect((await glucose(b.user.accessToken)).json().items).toEqual([]);
    expect((await ns(sha1(b.secret), 'GET', '/api/v1/entries.json')).json()).toEqual([]);
  });

  it('stores treatments once per event type and time, lists and deletes them', async () => {
    const { secret } = await withSecret();
    const bolus = {
      eventType: 'Correction Bolus',
      insulin: 1.5,
      created_at: '2024-06-01T08:00:00.000Z',
      enteredBy: 'loop://iPhone',
    };
    const first = await ns(sha1(secret), 'POST', '/api/v1/treatments', [
      bolus,
      { eventType: 'Carb Correction', carbs: 15, created_at: '2024-06-01T09:00:00+02:00' },
    ]);
    expect(first.statusCode).toBe(200);
    const [stored] = first.json();
    expect(stored).toMatchObject({
      eventType: 'Correction Bolus',
      insulin: 1.5,
      created_at: '2024-06-01T08:00:00.000Z',
    });
    expect(stored._id).toMatch(/^[0-9a-f]{24}$/);
    const again = await ns(sha1(secret), 'POST', '/api/v1/treatments.json', bolus);
    expect(again.json()[0]._id).toBe(stored._id);
    const list = await ns(sha1(secret), 'GET', '/api/v1/treatments?count=10');
    expect(list.json().map((x: { eventType: string }) => x.eventType)).toEqual([
      'Correction Bolus',
      'Carb Correction',
    ]);
    const bad = await ns(sha1(secret), 'POST', '/api/v1/treatments', [{ insulin: 3 }]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0]).toEqual({
      field: '[0]',
      problem: 'eventType must be a text of 1 to 100 characters',
    });
    expect((await ns(sha1(secret), 'DELETE', `/api/v1/treatments/${stored._id}`)).statusCode).toBe(200);
    expect((await ns(sha1(secret), 'DELETE', `/api/v1/treatments/${stored._id}`)).statusCode).toBe(404);
  });

  it('refuses uploads once the uploader is disconnected, and answers the public status', async () => {
    const { user, secret } = await withSecret();
    await ns(sha1(secret), 'POST', '/api/v1/entries', entries);
    const device = (
      await t.app.inject({
        method: 'GET',
        url: '/device-data/api/v1/devices',
        headers: bearer(user.accessToken),
      })
    ).json().items[0];
    await t.app.inject({
      method: 'POST',
      url: `/device-data/api/v1/devices/${device.id}/disconnect`,
      headers: bearer(user.accessToken),
    });
    const refused = await ns(sha1(secret), 'POST', '/api/v1/entries', entries);
    expect(refused.statusCode).toBe(403);
    await t.app.inject({
      method: 'POST',
      url: `/device-data/api/v1/devices/${device.id}/reconnect`,
      headers: bearer(user.accessToken),
    });
    expect((await ns(sha1(secret), 'POST', '/api/v1/entries', entries)).statusCode).toBe(200);
    const status = await ns(undefined, 'GET', '/api/v1/status.json');
    expect(status.json()).toMatchObject({ status: 'ok', apiEnabled: true, settings: { units: 'mg/dl' } });
  });
});
