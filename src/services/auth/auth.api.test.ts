import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  bearer,
  errorCode,
  registerAndLogin,
  startTestApp,
  uniqueEmail,
  type TestApp,
} from '../../test-support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('register', () => {
  it('accepts the seed smoke-test bodies and answers 201 without secrets', async () => {
    const email = uniqueEmail();
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/register',
      payload: { email, password: 'TestPass123!', full_name: 'Test User' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      email,
      full_name: 'Test User',
      role: 'patient',
      email_verified: false,
      mfa_enabled: false,
    });
    expect(JSON.stringify(body)).not.toMatch(/password|hash/i);
    const second = await t.app.inject({
      method: 'POST',
      url: '/auth/api/v1/auth/register',
      payload: { email: 'test@test.com', password: 'Test123!', full_name: 'Test' },
    });
    expect(second.statusCode).toBe(201);
  });
});
