import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();

const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({
    method,
    url: `/device-data${url}`,
    headers: bearer(token),
    ...(payload ? { payload } : {}),
  });

describe('devices', () => {
  it('answers the seed smoke test: GET /api/v1/devices lists my devices (none at first)', async () => {
    const user = await registerAndLogin(t.app);
    const res = await call(user.accessToken, 'GET', '/api/v1/devices');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], next_cursor: null });
    expect((await t.app.inject({ method: 'GET', url: '/device-data/api/v1/devices' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/device-data/health' })).json()).toMatchObject({
      status: 'ok',
      service: 'device-data',
    });
  });

  it('registers, renames, disconnects, reconnects and removes a device', async () => {
    const user = await registerAndLogin(t.app);
    const created = await call(user.accessToken, 'POST', '/api/v1/devices', {
      name: 'Bathroom scale',
      device_type: 'smart_scale',
      manufacturer: 'Withings',
      model: 'Body+',
    });
    expect(created.statusCode).toBe(201);
    const device = created.json();
    expect(device).toMatchObject({
      name: 'Bathroom scale',
      device_type: 'smart_scale',
      provider: 'other',
      status: 'active',
      registered_by: 'user',
      connection: null,
      readings_received: 0,
    });
    expect(device.source).toBe(`device:${device.id}`);

    const renamed = await call(user.accessToken, 'PATCH', `/api/v1/devices/${device.id}`, {
      name: 'Scale (hall)',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({
      name: 'Scale (hall)',
      source: device.source,
      manufacturer: 'Withings',
    });

    const off = await call(user.accessToken, 'POST', `/api/v1/devices/${device.id}/disconnect`);
    expect(off.json()).toMatchObject({ status: 'disconnected' });
    expect(off.json().disconnected_at).not.toBeNull();
    const on = await call(user.accessToken, 'POST', `/api/v1/devices/${device.id}/reconnect`);
    expect(on.json()).toMatchObject({ status: 'active', disconnected_at: null });

    const list = await call(user.accessToken, 'GET', '/api/v1/devices');
    expect(list.json().items.map((d: { id: string }) => d.id)).toEqual([device.id]);

    expect((await call(user.accessToken, 'DELETE', `/api/v1/devices/${device.id}`)).statusCode).toBe(204);
    expect((await call(user.accessToken, 'GET', `/api/v1/devices/${device.id}`)).statusCode).toBe(404);
  });

  it("answers 404 for another user's device, whatever the verb", async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const device = (
      await call(alice.accessToken, 'POST', '/api/v1/devices', {
        name: 'Meter',
        device_type: 'glucose_meter',
      })
    ).json();
    for (const [method, url, body] of [
      ['GET', `/api/v1/devices/${device.id}`, undefined],
      ['PATCH', `/api/v1/devices/${device.id}`, { name: 'Mine now' }],
      ['POST', `/api/v1/devices/${device.id}/disconnect`, undefined],
      ['DELETE', `/api/v1/devices/${device.id}`, undefined],
    ] as const) {
      const res = await call(bob.accessToken, method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(errorCode(res)).toBe('not_found');
    }
    expect((await call(bob.accessToken, 'GET', '/api/v1/devices')).json().items).toEqual([]);
    expect((await call(alice.accessToken, 'GET', `/api/v1/devices/${device.id}`)).json().name).toBe('Meter');
  });

  it('refuses bad input with the field named, and pages with a cursor', async () => {
    const user = await registerAndLogin(t.app);
    const bad = await call(user.accessToken, 'POST', '/api/v1/devices', { name: '', device_type: 'toaster' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['name', 'device_type']),
    );
    expect(
      (await call(user.accessToken, 'PATCH', '/api/v1/devices/not-a-uuid', { name: 'x' })).statusCode,
    ).toBe(400);
    for (const name of ['A', 'B', 'C']) {
      await call(user.accessToken, 'POST', '/api/v1/devices', { name, device_type: 'other' });
    }
    const first = (await call(user.accessToken, 'GET', '/api/v1/devices?limit=2')).json();
    expect(first.items.map((d: { name: string }) => d.name)).toEqual(['A', 'B']);
    const second = (
      await call(user.accessToken, 'GET', `/api/v1/devices?limit=2&cursor=${first.next_cursor}`)
    ).json();
    expect(second).toMatchObject({ items: [{ name: 'C' }], next_cursor: null });
    expect((await call(user.accessToken, 'GET', '/api/v1/devices?cursor=nonsense')).statusCode).toBe(400);
  });

  it('exports and erases my devices with the account', async () => {
    const user = await registerAndLogin(t.app);
    await call(user.accessToken, 'POST', '/api/v1/devices', { name: 'Ring', device_type: 'ring' });
    const exported = (await call(user.accessToken, 'GET', '/api/v1/account/export')).json();
    expect(exported.data.devices.map((d: { name: string }) => d.name)).toEqual(['Ring']);
    expect((await call(user.accessToken, 'DELETE', '/api/v1/account/data')).statusCode).toBe(204);
    expect((await call(user.accessToken, 'GET', '/api/v1/devices')).json().items).toEqual([]);
  });
});
