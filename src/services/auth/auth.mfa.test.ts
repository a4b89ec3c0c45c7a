import { describe, expect, it } from 'vitest';
import { PASSWORD, bearer, errorCode, registerAndLogin, useTestApp } from '../../test-support/harness.js';
import { currentTotp } from './totp.js';

const t = useTestApp();

async function enableMfa(token: string) {
  const enroll = await t.app.inject({
    method: 'POST',
    url: '/auth/api/v1/auth/mfa/enroll',
    headers: bearer(token),
  });
  expect(enroll.statusCode).toBe(200);
  const { secret, otpauth_uri } = enroll.json();
  expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
  const wrong = await t.app.inject({
    method: 'POST',
    url: '/auth/api/v1/auth/mfa/confirm',
    headers: bearer(token),
    payload: { code: '000000' === (await currentTotp(secret)) ? '111111' : '000000' },
  });
  expect(wrong.statusCode).toBe(400);
  const confirm = await t.app.inject({
    method: 'POST',
    url: '/auth/api/v1/auth/mfa/confirm',
    headers: bearer(token),
    payload: { code: await currentTotp(secret) },
  });
  expect(confirm.statusCode).toBe(200);
  return { secret, backupCodes: confirm.json().backup_codes as string[] };
}

describe('two-factor sign-in', () => {
  it('asks for a second step, accepts a TOTP code once, and backup codes once each', async () => {
    const user = await registerAndLogin(t.app);
    const { secret, backupCodes } = await enableMfa(user.accessToken);
    expect(backupCodes).toHaveLength(10);
    const stored = await t.db.query<{ code_hash: string }>(
      'SELECT code_hash FROM auth.backup_codes WHERE user_id = $1',
      [user.userId],
    );
    expect(stored.rows.map((r) => r.code_hash)).not.toContain(backupCodes[0]);
    const sealed = await t.db.query<{ mfa_secret_sealed: string }>(
      'SELECT mfa_secret_sealed FROM auth.users WHERE id = $1',
      [user.userId],
    );
    expect(sealed.rows[0]!.mfa_secret_sealed).not.toContain(secret);

    const login = () =>
      t.app.inject({
        method: 'POST',
        url: '/auth/api/v1/auth/login',
        payload: { email: user.email, password: PASSWORD },
      });
    const challenge = (await login()).json();
    expect(challenge).toMatchObject({ mfa_required: true, token_type: 'mfa' });
    expect(challenge.access_token).toBeUndefined();

    // The MFA token is not an access token.
    const misuse = await t.app.inject({
      method: 'GET',
      url: '/auth/api/v1/auth/me',
      headers: bearer(challenge.mfa_token),
    });
    expect(misuse.statusCode).toBe(401);

    const second = (mfa_token: string, code: string) =>
      t.app.inject({ method: 'POST', url: '/auth/api/v1/auth/login/mfa', payload: { mfa_token, code } });
    // The confirm step used the current code; it cannot be replayed.
    const replay = await second(challenge.mfa_token, await currentTotp(secret));
    expect(replay.statusCode).toBe(401);
    expect(errorCode(replay)).toBe('invalid_mfa_code');

    const viaBackup = await second(challenge.mfa_token, backupCodes[0]!.toUpperCase());
    expect(viaBackup.statusCode).toBe(200);
    expect(viaBackup.json().access_token).toMatch(/^ey/);
    const challenge2 = (await login()).json();
    expect((await second(challenge2.mfa_token, backupCodes[0]!)).statusCode).toBe(401);
    expect((await second(challenge2.mfa_token, backupCodes[1]!)).statusCode).toBe(200);

    const nextStep = await currentTotp(secret, Math.floor(Date.now() / 1000) + 30);
    const challenge3 = (await login()).json();
    expect((await second(challenge3.mfa_token, nextStep)).statusCode).toBe(200);
  });

  it('needs password and code to turn off, and refuses a second enrolment while on', async () => {
    const user = await registerAndLogin(t.app);
    const { backupCodes } = await enableMfa(user.accessToken);
    const again = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/mfa/enroll',
      headers: bearer(user.accessToken),
    });
    expect(again.statusCode).toBe(409);
    const disable = (payload: object) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/api/v1/auth/mfa/disable',
        headers: bearer(user.accessToken),
        payload,
      });
    expect(errorCode(await disable({ password: PASSWORD }))).toBe('mfa_code_required');
    expect(errorCode(await disable({ password: 'Wrong-pass-1', code: backupCodes[0] }))).toBe(
      'invalid_password',
    );
    expect((await disable({ password: PASSWORD, code: backupCodes[0] })).statusCode).toBe(204);
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(login.json().access_token).toMatch(/^ey/);
  });
});
