import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER } from '../../platform/auth/tokens.js';
import {
  PASSWORD,
  TEST_JWT_SECRET,
  bearer,
  errorCode,
  registerAndLogin,
  useTestApp,
  uniqueEmail,
} from '../../test-support/harness.js';

const t = useTestApp();

const register = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/register', payload: payload as object, headers });
const login = (payload: unknown, remoteAddress = '127.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/login', payload: payload as object, remoteAddress });
const me = (token: string) =>
  t.app.inject({ method: 'GET', url: '/auth/api/v1/auth/me', headers: bearer(token) });

describe('register', () => {
  it('accepts the seed smoke-test bodies and answers 201 without secrets', async () => {
    const email = uniqueEmail();
    const res = await register({ email, password: 'TestPass123!', full_name: 'Test User' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      email,
      full_name: 'Test User',
      role: 'patient',
      email_verified: false,
      mfa_enabled: false,
    });
    expect(Object.keys(body).sort()).toEqual(
      ['created_at', 'email', 'email_verified', 'full_name', 'id', 'mfa_enabled', 'role'].sort(),
    );
    const seed = await register({ email: 'test@test.com', password: 'Test123!', full_name: 'Test' });
    expect(seed.statusCode).toBe(201);
  });

  it('answers 409 for an email already registered, whatever its case', async () => {
    const email = uniqueEmail();
    expect((await register({ email, password: PASSWORD, full_name: 'A' })).statusCode).toBe(201);
    const again = await register({ email: email.toUpperCase(), password: PASSWORD, full_name: 'B' });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('email_taken');
  });

  it('refuses weak passwords naming the rule', async () => {
    const short = await register({ email: uniqueEmail(), password: 'Ab1!', full_name: 'A' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatchObject({ code: 'weak_password', details: { rule: 'min_length' } });
    const plain = await register({ email: uniqueEmail(), password: 'alllowercase', full_name: 'A' });
    expect(plain.json().error.details.rule).toBe('character_classes');
    const common = await register({ email: uniqueEmail(), password: 'Password123!', full_name: 'A' });
    expect(common.json().error.details.rule).toBe('common_password');
  });

  it('names every invalid, missing and extra field', async () => {
    const res = await register({ email: 'not-an-email', password: 123, extra: true });
    expect(res.statusCode).toBe(400);
    const fields = res
      .json()
      .error.details.map((d: { field: string }) => d.field)
      .sort();
    expect(fields).toEqual(['email', 'extra', 'full_name', 'password']);
  });

  it('answers 400 to malformed JSON, 415 to other media types and 413 to oversized bodies', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('invalid_json');
    const text = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/register',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    const huge = await register({
      email: uniqueEmail(),
      password: PASSWORD,
      full_name: 'x'.repeat(2_000_000),
    });
    expect(huge.statusCode).toBe(413);
    expect(errorCode(huge)).toBe('payload_too_large');
  });

  it('refuses a blank name', async () => {
    const res = await register({ email: uniqueEmail(), password: PASSWORD, full_name: '   ' });
    expect(res.statusCode).toBe(400);
  });
});

describe('login', () => {
  it('returns the seed token fields', async () => {
    const email = uniqueEmail();
    await register({ email, password: PASSWORD, full_name: 'Ada' });
    const res = await login({ email, password: PASSWORD });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900, user: { email, full_name: 'Ada' } });
    expect(body.access_token).toMatch(/^ey/);
    expect(body.refresh_token.length).toBeGreaterThan(30);
    expect((await me(body.access_token)).json()).toMatchObject({ email, full_name: 'Ada' });
  });

  it('answers the same 401 for an unknown email and a wrong password', async () => {
    const email = uniqueEmail();
    await register({ email, password: PASSWORD, full_name: 'A' });
    const wrong = await login({ email, password: 'Wrong-pass-1' }, '10.9.9.1');
    const unknown = await login({ email: uniqueEmail(), password: PASSWORD }, '10.9.9.1');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
  });

  it('backs off after repeated failures from one address without locking the owner out elsewhere', async () => {
    const email = uniqueEmail();
    await register({ email, password: PASSWORD, full_name: 'A' });
    for (let i = 0; i < 5; i += 1) {
      expect((await login({ email, password: `Wrong-${i}-Aa` }, '10.1.1.1')).statusCode).toBe(401);
    }
    const blocked = await login({ email, password: PASSWORD }, '10.1.1.1');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const elsewhere = await login({ email, password: PASSWORD }, '10.2.2.2');
    expect(elsewhere.statusCode).toBe(200);
  });
});

describe('access tokens', () => {
  it('refuses missing, malformed, expired, forged and alg:none tokens', async () => {
    const user = await registerAndLogin(t.app);
    expect((await t.app.inject({ method: 'GET', url: '/auth/api/v1/auth/me' })).statusCode).toBe(401);
    const basic = await t.app.inject({
      method: 'GET',
      url: '/auth/api/v1/auth/me',
      headers: { authorization: 'Basic abc' },
    });
    expect(basic.statusCode).toBe(401);

    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const claims = { sid: '00000000-0000-4000-8000-000000000000', role: 'patient', typ: 'access' };
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const expiredRes = await me(expired);
    expect(expiredRes.statusCode).toBe(401);
    expect(errorCode(expiredRes)).toBe('token_expired');

    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    expect(errorCode(await me(forged))).toBe('invalid_token');

    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      ...claims,
      sub: user.userId,
      iss: ISSUER,
      aud: AUDIENCE,
      exp: Math.floor(Date.now() / 1000) + 600,
    })}.`;
    expect(errorCode(await me(none))).toBe('invalid_token');

    const [header, , signature] = user.accessToken.split('.');
    const tampered = `${header}.${b64({ sub: 'someone-else', role: 'admin' })}.${signature}`;
    expect(errorCode(await me(tampered))).toBe('invalid_token');
  });
});

describe('refresh tokens', () => {
  it('rotate, and reuse of a used token revokes the whole session', async () => {
    const user = await registerAndLogin(t.app);
    const refresh = (token: string) =>
      t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/refresh', payload: { refresh_token: token } });
    const first = await refresh(user.refreshToken);
    expect(first.statusCode).toBe(200);
    const rotated = first.json();
    expect(rotated.refresh_token).not.toBe(user.refreshToken);
    expect((await me(rotated.access_token)).statusCode).toBe(200);

    const replay = await refresh(user.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(errorCode(replay)).toBe('refresh_token_reused');
    // The family is gone: the rotated refresh token and the session's access tokens stop working.
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(401);
    const revoked = await me(rotated.access_token);
    expect(revoked.statusCode).toBe(401);
    expect(errorCode(revoked)).toBe('session_revoked');
  });

  it('refuses an unknown refresh token', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/refresh',
      payload: { refresh_token: 'nope' },
    });
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('invalid_refresh_token');
  });
});

describe('logout and sessions', () => {
  it('logout ends the session in every service', async () => {
    const user = await registerAndLogin(t.app);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/user-profile/api/v1/profile',
          headers: bearer(user.accessToken),
        })
      ).statusCode,
    ).toBe(200);
    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/logout',
      headers: bearer(user.accessToken),
    });
    expect(out.statusCode).toBe(204);
    expect(errorCode(await me(user.accessToken))).toBe('session_revoked');
    const profile = await t.app.inject({
      method: 'GET',
      url: '/user-profile/api/v1/profile',
      headers: bearer(user.accessToken),
    });
    expect(profile.statusCode).toBe(401);
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    expect(refreshed.statusCode).toBe(401);
  });

  it('lists my sessions and lets me end one, but not someone else’s', async () => {
    const alice = await registerAndLogin(t.app);
    const bob = await registerAndLogin(t.app);
    const list = await t.app.inject({
      method: 'GET',
      url: '/auth/api/v1/auth/sessions',
      headers: bearer(alice.accessToken),
    });
    expect(list.statusCode).toBe(200);
    const [session] = list.json().items;
    expect(session.current).toBe(true);
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/auth/api/v1/auth/sessions/${session.id}`,
      headers: bearer(bob.accessToken),
    });
    expect(foreign.statusCode).toBe(404);
    expect((await me(alice.accessToken)).statusCode).toBe(200);
    const own = await t.app.inject({
      method: 'DELETE',
      url: `/auth/api/v1/auth/sessions/${session.id}`,
      headers: bearer(alice.accessToken),
    });
    expect(own.statusCode).toBe(204);
    expect((await me(alice.accessToken)).statusCode).toBe(401);
  });
});

describe('roles', () => {
  it('only an admin assigns roles, and the new role shows in the next token', async () => {
    const patient = await registerAndLogin(t.app);
    const target = await registerAndLogin(t.app);
    const denied = await t.app.inject({
      method: 'PUT',
      url: `/auth/api/v1/auth/users/${target.userId}/role`,
      headers: bearer(patient.accessToken),
      payload: { role: 'doctor' },
    });
    expect(denied.statusCode).toBe(403);

    await t.db.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [patient.userId]);
    const adminLogin = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/login',
      payload: { email: patient.email, password: PASSWORD },
    });
    const adminToken = adminLogin.json().access_token;
    const invalid = await t.app.inject({
      method: 'PUT',
      url: `/auth/api/v1/auth/users/${target.userId}/role`,
      headers: bearer(adminToken),
      payload: { role: 'superuser' },
    });
    expect(invalid.statusCode).toBe(400);
    const granted = await t.app.inject({
      method: 'PUT',
      url: `/auth/api/v1/auth/users/${target.userId}/role`,
      headers: bearer(adminToken),
      payload: { role: 'doctor' },
    });
    expect(granted.statusCode).toBe(200);
    expect(granted.json().role).toBe('doctor');
    const missing = await t.app.inject({
      method: 'PUT',
      url: `/auth/api/v1/auth/users/00000000-0000-4000-8000-000000000000/role`,
      headers: bearer(adminToken),
      payload: { role: 'doctor' },
    });
    expect(missing.statusCode).toBe(404);
    const relogin = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/login',
      payload: { email: target.email, password: PASSWORD },
    });
    expect(relogin.json().user.role).toBe('doctor');
  });
});
