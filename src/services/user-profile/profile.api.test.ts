import { describe, expect, it } from 'vitest';
import { bearer, errorCode, registerAndLogin, startTestApp, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();

const get = (token: string) =>
  t.app.inject({ method: 'GET', url: '/user-profile/api/v1/profile', headers: bearer(token) });
const put = (token: string, payload: unknown) =>
  t.app.inject({
    method: 'PUT',
    url: '/user-profile/api/v1/profile',
    headers: bearer(token),
    payload: payload as object,
  });

describe('profile', () => {
  it('exists from registration with the full name carried over', async () => {
    const user = await registerAndLogin(t.app, 'Grace Hopper');
    const res = await get(user.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      user_id: user.userId,
      email: user.email,
      full_name: 'Grace Hopper',
      date_of_birth: null,
      height: null,
      preferences: { unit_system: 'metric', timezone: 'UTC', locale: 'en-US' },
      privacy: { share_with_care_team: false, allow_research_use: false },
      completion: { percent: 17 },
    });
  });

  it('needs a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/user-profile/api/v1/profile' });
    expect(res.statusCode).toBe(401);
  });

  it('stores measurements in canonical units and shows them in the unit entered', async () => {
    const user = await registerAndLogin(t.app);
    const res = await put(user.accessToken, {
      date_of_birth: '1990-06-15',
      sex: 'female',
      height: { value: 65, unit: 'in' },
      weight: { value: 150, unit: 'lb' },
      preferences: { unit_system: 'imperial', timezone: 'America/New_York', locale: 'en-us' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.height).toEqual({ value: 65, unit: 'in', value_cm: 165.1 });
    expect(body.weight.value).toBeCloseTo(150, 2);
    expect(body.weight.value_kg).toBeCloseTo(68.039, 3);
    expect(body.preferences).toMatchObject({
      unit_system: 'imperial',
      timezone: 'America/New_York',
      locale: 'en-US',
    });
    expect(body.completion).toEqual({ percent: 100, missing: [] });
    expect(body.age).toBeGreaterThanOrEqual(35);
    // Persisted, not just echoed.
    expect((await get(user.accessToken)).json().height.value_cm).toBe(165.1);
    // null clears a field.
    const cleared = await put(user.accessToken, { weight: null, privacy: { share_with_care_team: true } });
    expect(cleared.json().weight).toBeNull();
    expect(cleared.json().privacy.share_with_care_team).toBe(true);
    expect(cleared.json().preferences.timezone).toBe('America/New_York');
  });

  it('refuses impossible and unknown values with the field named', async () => {
    const user = await registerAndLogin(t.app);
    const cases: [unknown, string][] = [
      [{ height: { value: 17, unit: 'm' } }, 'height'],
      [{ weight: { value: 5, unit: 'g' } }, 'weight'],
      [{ date_of_birth: '2999-01-01' }, 'date_of_birth'],
      [{ date_of_birth: '2021-02-30' }, 'date_of_birth'],
      [{ preferences: { timezone: 'Mars/Olympus' } }, 'preferences.timezone'],
    ];
    for (const [payload, field] of cases) {
      const res = await put(user.accessToken, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const details = res.json().error.details;
      expect(Array.isArray(details) ? details[0].field : details.field).toBe(field);
    }
    const typed = await put(user.accessToken, { height: { value: 'tall', unit: 'cm' }, nickname: 'x' });
    expect(typed.statusCode).toBe(400);
    expect(typed.json().error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['height.value', 'nickname']),
    );
    expect(errorCode(await put(user.accessToken, {}))).toBe('validation_error');
    expect(errorCode(await put(user.accessToken, { height: { value: 170, unit: 'furlong' } }))).toBe(
      'validation_error',
    );
    // Nothing was half-written.
    expect((await get(user.accessToken)).json().height).toBeNull();
  });

  it('keeps each user to their own profile', async () => {
    const alice = await registerAndLogin(t.app, 'Alice');
    const bob = await registerAndLogin(t.app, 'Bob');
    await put(alice.accessToken, { sex: 'female' });
    const bobView = (await get(bob.accessToken)).json();
    expect(bobView.full_name).toBe('Bob');
    expect(bobView.sex).toBeNull();
  });

  it('exports everything held about me and nobody else', async () => {
    const user = await registerAndLogin(t.app, 'Exporter');
    await registerAndLogin(t.app, 'Someone Else');
    await put(user.accessToken, { sex: 'male' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/user-profile/api/v1/profile/export',
      headers: bearer(user.accessToken),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/attachment/);
    const body = res.json();
    expect(body.account).toMatchObject({ id: user.userId, email: user.email });
    expect(body.services['user-profile']).toMatchObject({ full_name: 'Exporter', sex: 'male' });
    expect(body.sessions.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(body)).not.toContain('Someone Else');
    expect(JSON.stringify(body)).not.toMatch(/password_hash|refresh_token/);
  });
});

describe('Supabase Auth tokens', () => {
  it('are accepted when SUPABASE_JWT_SECRET is set, and the profile comes from the token', async () => {
    const { SignJWT } = await import('jose');
    const secret = 'supabase-project-jwt-secret-0123456789abcdef';
    const app = await startTestApp({ SUPABASE_JWT_SECRET: secret });
    try {
      const userId = '3f1c2a4e-9a71-4c55-8f0e-2d7b6c1a9e10';
      const token = await new SignJWT({
        email: 'sb@example.org',
        role: 'authenticated',
        user_metadata: { full_name: 'Supa Base' },
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer('https://project.supabase.co/auth/v1')
        .setAudience('authenticated')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      const res = await app.app.inject({
        method: 'GET',
        url: '/user-profile/api/v1/profile',
        headers: bearer(token),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ user_id: userId, email: 'sb@example.org', full_name: 'Supa Base' });
      // Without the secret configured, the same token is refused.
      const plain = await t.app.inject({
        method: 'GET',
        url: '/user-profile/api/v1/profile',
        headers: bearer(token),
      });
      expect(plain.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
