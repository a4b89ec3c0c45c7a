import { describe, expect, it } from 'vitest';
import { PASSWORD, bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';

const t = useTestApp();

const loginStatus = async (email: string, password: string) =>
  (await t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/login', payload: { email, password } }))
    .statusCode;

describe('change password', () => {
  it('checks the current password and the policy, then signs out the other sessions only', async () => {
    const user = await registerAndLogin(t.app);
    const other = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    const otherToken = other.json().access_token;
    const change = (payload: object) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/api/v1/auth/change-password',
        headers: bearer(user.accessToken),
        payload,
      });

    const wrong = await change({ current_password: 'Nope-123!', new_password: 'Another-Pass-9' });
    expect(wrong.statusCode).toBe(400);
    expect(errorCode(wrong)).toBe('invalid_current_password');
    const weak = await change({ current_password: PASSWORD, new_password: 'short' });
    expect(errorCode(weak)).toBe('weak_password');

    expect((await change({ current_password: PASSWORD, new_password: 'Another-Pass-9' })).statusCode).toBe(
      204,
    );
    const meWith = (token: string) =>
      t.app.inject({ method: 'GET', url: '/auth/api/v1/auth/me', headers: bearer(token) });
    expect((await meWith(user.accessToken)).statusCode).toBe(200);
    expect(errorCode(await meWith(otherToken))).toBe('session_revoked');
    expect(await loginStatus(user.email, PASSWORD)).toBe(401);
    expect(await loginStatus(user.email, 'Another-Pass-9')).toBe(200);
  });
});

describe('password reset', () => {
  it('mails a single-use link, answers alike for unknown emails, and signs everything out', async () => {
    const user = await registerAndLogin(t.app);
    const sentBefore = t.mailer.sent.length;
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/password-reset/request',
      payload: { email: 'nobody-here@example.org' },
    });
    expect(unknown.statusCode).toBe(202);
    expect(t.mailer.sent.length).toBe(sentBefore);

    const known = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/password-reset/request',
      payload: { email: user.email },
    });
    expect(known.statusCode).toBe(202);
    expect(known.json()).toEqual(unknown.json());
    const token = t.mailer.lastToken(user.email, /Reset/);

    const confirm = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/password-reset/confirm', payload });
    expect(errorCode(await confirm({ token, new_password: 'weak' }))).toBe('weak_password');
    expect((await confirm({ token, new_password: 'Reset-Pass-77' })).statusCode).toBe(204);
    const reused = await confirm({ token, new_password: 'Reset-Pass-78' });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error.details.field).toBe('token');
    expect(await loginStatus(user.email, PASSWORD)).toBe(401);
    expect(await loginStatus(user.email, 'Reset-Pass-77')).toBe(200);
    const old = await t.app.inject({
      method: 'GET',
      url: '/auth/api/v1/auth/me',
      headers: bearer(user.accessToken),
    });
    expect(errorCode(old)).toBe('session_revoked');
  });

  it('refuses an expired reset token', async () => {
    const user = await registerAndLogin(t.app);
    await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/password-reset/request',
      payload: { email: user.email },
    });
    const token = t.mailer.lastToken(user.email, /Reset/);
    await t.db.query(
      `UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = $1`,
      [user.userId],
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/password-reset/confirm',
      payload: { token, new_password: 'Reset-Pass-77' },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('email verification', () => {
  it('is mailed at registration and confirmed once', async () => {
    const user = await registerAndLogin(t.app);
    const token = t.mailer.lastToken(user.email, /Confirm/);
    const confirm = () =>
      t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/email/verify/confirm', payload: { token } });
    const first = await confirm();
    expect(first.statusCode).toBe(200);
    expect(first.json().email_verified).toBe(true);
    expect((await confirm()).statusCode).toBe(400);
    const again = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/email/verify/request',
      headers: bearer(user.accessToken),
    });
    expect(again.json().message).toMatch(/already verified/);
  });
});

describe('account deletion', () => {
  it('needs the password, then removes the account and its profile everywhere', async () => {
    const user = await registerAndLogin(t.app, 'Leaving User');
    await t.app.inject({
      method: 'PUT',
      url: '/user-profile/api/v1/profile',
      headers: bearer(user.accessToken),
      payload: { sex: 'female' },
    });
    const wrong = await t.app.inject({
      method: 'DELETE',
      url: '/auth/api/v1/auth/me',
      headers: bearer(user.accessToken),
      payload: { password: 'Not-it-123' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(errorCode(wrong)).toBe('invalid_password');

    const gone = await t.app.inject({
      method: 'DELETE',
      url: '/user-profile/api/v1/profile',
      headers: bearer(user.accessToken),
      payload: { password: PASSWORD },
    });
    expect(gone.statusCode).toBe(204);
    expect(await loginStatus(user.email, PASSWORD)).toBe(401);
    const profiles = await t.db.query('SELECT 1 FROM user_profile.profiles WHERE user_id = $1', [
      user.userId,
    ]);
    const users = await t.db.query('SELECT 1 FROM auth.users WHERE id = $1', [user.userId]);
    expect(profiles.rows).toHaveLength(0);
    expect(users.rows).toHaveLength(0);
    const after = await t.app.inject({
      method: 'GET',
      url: '/user-profile/api/v1/profile',
      headers: bearer(user.accessToken),
    });
    expect(after.statusCode).toBe(401);
  });
});
