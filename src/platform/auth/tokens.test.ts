import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../cache/memory.js';
import { AppError } from '../http/errors.js';
import { CacheRevocations } from './revocations.js';
import { AUDIENCE, ISSUER, TokenIssuer, TokenVerifier, type AccessClaims } from './tokens.js';

const SECRET = 'pha-test-jwt-secret-0123456789abcdefghijkl';
const SUPABASE_SECRET = 'supabase-project-jwt-secret-0123456789abcd';
const key = (secret: string) => new TextEncoder().encode(secret);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const CLAIMS: AccessClaims = {
  userId: '6f1c2a4e-3b5d-4c7e-9f10-1a2b3c4d5e6f',
  sessionId: 'session-1',
  role: 'doctor',
  email: 'dr@example.org',
};

function setup(supabaseSecret?: string) {
  const revocations = new CacheRevocations(new MemoryCache());
  return {
    issuer: new TokenIssuer(SECRET, 900),
    verifier: new TokenVerifier(SECRET, revocations, supabaseSecret),
    revocations,
  };
}

/** A complete, valid access-token payload for hand-made tokens. */
function accessPayload(overrides: Record<string, unknown> = {}) {
  return {
    sub: CLAIMS.userId,
    sid: CLAIMS.sessionId,
    role: CLAIMS.role,
    email: CLAIMS.email,
    typ: 'access',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 600,
    jti: randomUUID(),
    ...overrides,
  };
}

/** Signs a payload with HS256 by hand, with whatever header the test wants. */
function handSigned(header: Record<string, unknown>, payload: Record<string, unknown>, secret = SECRET) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function signWith(payload: Record<string, unknown>, secret = SECRET, alg = 'HS256') {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(key(secret));
}

async function verifyError(verifier: TokenVerifier, token: string): Promise<AppError> {
  const err = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the token was accepted').toBeInstanceOf(AppError);
  return err as AppError;
}

describe('TokenIssuer and TokenVerifier', () => {
  it('round-trips an access token into a principal', async () => {
    const { issuer, verifier } = setup();
    const token = await issuer.signAccess(CLAIMS);
    const principal = await verifier.verify(token);
    const payload = decodeJwt(token);
    expect(principal).toEqual({
      userId: CLAIMS.userId,
      sessionId: CLAIMS.sessionId,
      role: 'doctor',
      email: 'dr@example.org',
      source: 'pha',
      token,
      expiresAt: payload.exp! * 1000,
    });
  });

  it('signs HS256 with the platform issuer, audience, a unique id and the configured lifetime', async () => {
    const { issuer } = setup();
    const token = await issuer.signAccess(CLAIMS);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({
      sub: CLAIMS.userId,
      sid: CLAIMS.sessionId,
      role: 'doctor',
      typ: 'access',
      iss: ISSUER,
      aud: AUDIENCE,
    });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(2);
    expect(decodeJwt(await issuer.signAccess(CLAIMS)).jti).not.toBe(payload.jti);
  });

  it('rejects an expired token with token_expired', async () => {
    const { verifier } = setup();
    const token = await signWith(accessPayload({ iat: now() - 1000, exp: now() - 10 }));
    const err = await verifyError(verifier, token);
    expect(err).toMatchObject({
      status: 401,
      code: 'token_expired',
      message: 'The access token has expired',
    });
    expect(err.headers).toEqual({ 'www-authenticate': 'Bearer' });
  });

  it('accepts the same hand-made token when it has not expired (the helpers are sound)', async () => {
    const { verifier } = setup();
    await expect(verifier.verify(await signWith(accessPayload()))).resolves.toMatchObject({
      userId: CLAIMS.userId,
    });
    await expect(
      verifier.verify(handSigned({ alg: 'HS256', typ: 'JWT' }, accessPayload())),
    ).resolves.toMatchObject({
      sessionId: CLAIMS.sessionId,
    });
  });

  it('rejects a token signed with another secret', async () => {
    const { verifier } = setup();
    const other = new TokenIssuer('another-secret-0123456789abcdefghijklmno', 900);
    const err = await verifyError(verifier, await other.signAccess(CLAIMS));
    expect(err).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('rejects a tampered payload', async () => {
    const { issuer, verifier } = setup();
    const [header, , signature] = (await issuer.signAccess(CLAIMS)).split('.');
    const forged = `${header}.${b64url(accessPayload({ role: 'admin' }))}.${signature}`;
    expect((await verifyError(verifier, forged)).code).toBe('invalid_token');
  });

  it('rejects a tampered signature', async () => {
    const { issuer, verifier } = setup();
    const token = await issuer.signAccess(CLAIMS);
    const [header, payload, signature] = token.split('.');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[0] = bytes[0]! ^ 0xff;
    expect((await verifyError(verifier, `${header}.${payload}.${bytes.toString('base64url')}`)).code).toBe(
      'invalid_token',
    );
  });

  it('rejects an unsigned `alg: none` token', async () => {
    const { verifier } = setup();
    const payload = b64url(accessPayload({ role: 'admin' }));
    const header = b64url({ alg: 'none', typ: 'JWT' });
    for (const token of [`${header}.${payload}.`, `${header}.${payload}`]) {
      expect((await verifyError(verifier, token)).code).toBe('invalid_token');
    }
    // Also with an HS256 signature attached to the `none` header.
    expect((await verifyError(verifier, handSigned({ alg: 'none', typ: 'JWT' }, accessPayload()))).code).toBe(
      'invalid_token',
    );
  });

  it('rejects an HS512 token signed with the right secret (only HS256 is accepted)', async () => {
    const { verifier } = setup();
    const token = await signWith(accessPayload(), SECRET, 'HS512');
    expect((await verifyError(verifier, token)).code).toBe('invalid_token');
  });

  it('rejects an RS256 header over an HMAC signature (algorithm confusion)', async () => {
    const { verifier } = setup();
    const token = handSigned({ alg: 'RS256', typ: 'JWT' }, accessPayload());
    expect((await verifyError(verifier, token)).code).toBe('invalid_token');
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.org' }],
    ['no issuer', { iss: undefined }],
    ['another audience', { aud: 'another-app' }],
    ['no audience', { aud: undefined }],
    ['an MFA purpose', { typ: 'mfa' }],
    ['no purpose', { typ: undefined }],
    ['no session id', { sid: undefined }],
    ['a numeric subject', { sub: 42 }],
    ['an unknown role', { role: 'superuser' }],
    ['no expiry', { exp: undefined }],
    ['a start time in the future', { nbf: now() + 600 }],
  ])('rejects a token with %s as invalid_token', async (_label, overrides) => {
    const { verifier } = setup();
    const token = await signWith(accessPayload(overrides));
    const err = await verifyError(verifier, token);
    expect(err).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('rejects an MFA challenge token used as an access token', async () => {
    const { issuer, verifier } = setup();
    const mfa = await issuer.signMfaChallenge(CLAIMS.userId);
    expect((await verifyError(verifier, mfa)).code).toBe('invalid_token');
  });

  it.each(['', 'garbage', 'a.b.c', 'a.b', '...'])('rejects the malformed token %j', async (token) => {
    const { verifier } = setup();
    expect((await verifyError(verifier, token)).code).toBe('invalid_token');
  });

  it('rejects a token of a revoked session with session_revoked', async () => {
    const { issuer, verifier, revocations } = setup();
    const token = await issuer.signAccess(CLAIMS);
    const other = await issuer.signAccess({ ...CLAIMS, sessionId: 'session-2' });
    await revocations.revoke(CLAIMS.sessionId, 900);
    const err = await verifyError(verifier, token);
    expect(err).toMatchObject({
      status: 401,
      code: 'session_revoked',
      message: 'This session has ended; sign in again',
    });
    await expect(verifier.verify(other)).resolves.toMatchObject({ sessionId: 'session-2' });
  });

  it('checks the signature before asking about revocation', async () => {
    const { revocations } = setup();
    const asked: string[] = [];
    const spying = {
      revoke: revocations.revoke.bind(revocations),
      isRevoked: async (sid: string) => {
        asked.push(sid);
        return false;
      },
    };
    const verifier = new TokenVerifier(SECRET, spying);
    await verifyError(verifier, await signWith(accessPayload(), 'wrong-secret-0123456789abcdefghijklmnop'));
    expect(asked).toEqual([]);
    await verifier.verify(await signWith(accessPayload()));
    expect(asked).toEqual([CLAIMS.sessionId]);
  });
});

describe('MFA challenge tokens', () => {
  it('round-trip to the user id', async () => {
    const { issuer } = setup();
    const token = await issuer.signMfaChallenge(CLAIMS.userId);
    expect(await issuer.verifyMfaChallenge(token)).toBe(CLAIMS.userId);
    const payload = decodeJwt(token);
    expect(payload.typ).toBe('mfa');
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('are not accepted in place of an access token, nor an access token in their place', async () => {
    const { issuer } = setup();
    await expect(issuer.verifyMfaChallenge(await issuer.signAccess(CLAIMS))).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('expire', async () => {
    const { issuer } = setup();
    const expired = await signWith({
      typ: 'mfa',
      sub: CLAIMS.userId,
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now() - 600,
      exp: now() - 1,
    });
    await expect(issuer.verifyMfaChallenge(expired)).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('are refused when signed with another secret', async () => {
    const { issuer } = setup();
    const other = new TokenIssuer('another-secret-0123456789abcdefghijklmno', 900);
    await expect(issuer.verifyMfaChallenge(await other.signMfaChallenge('u'))).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });
});

describe('Supabase tokens', () => {
  const SUPABASE_USER = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';

  function supabaseToken(
    overrides: {
      secret?: string;
      audience?: string | null;
      claims?: Record<string, unknown>;
      exp?: number;
    } = {},
  ) {
    let jwt = new SignJWT({
      email: 'ana@example.org',
      role: 'authenticated',
      session_id: 'supabase-session-1',
      user_metadata: { full_name: 'Ana Example' },
      ...overrides.claims,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(SUPABASE_USER)
      .setIssuer('https://project.supabase.co/auth/v1')
      .setIssuedAt()
      .setExpirationTime(overrides.exp ?? now() + 3600);
    if (overrides.audience !== null) jwt = jwt.setAudience(overrides.audience ?? 'authenticated');
    return jwt.sign(key(overrides.secret ?? SUPABASE_SECRET));
  }

  it('are accepted when SUPABASE_JWT_SECRET is configured', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    const token = await supabaseToken();
    const principal = await verifier.verify(token);
    expect(principal).toEqual({
      userId: SUPABASE_USER,
      name: 'Ana Example',
      // Supabase's session id, so that a logout revokes it here too.
      sessionId: 'supabase-session-1',
      role: 'patient',
      email: 'ana@example.org',
      source: 'supabase',
      token,
      expiresAt: decodeJwt(token).exp! * 1000,
    });
  });

  it('take the display name from user_metadata.name when full_name is missing', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    const principal = await verifier.verify(
      await supabaseToken({ claims: { user_metadata: { name: 'Ana' } } }),
    );
    expect(principal.name).toBe('Ana');
    const nameless = await verifier.verify(
      await supabaseToken({ claims: { user_metadata: { full_name: 7 } } }),
    );
    expect(nameless.name).toBeUndefined();
  });

  it('are refused when no Supabase secret is configured', async () => {
    const { verifier } = setup();
    expect((await verifyError(verifier, await supabaseToken())).code).toBe('invalid_token');
  });

  it('are refused when signed with another secret', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    const token = await supabaseToken({ secret: 'not-the-project-secret-0123456789abcdef' });
    expect((await verifyError(verifier, token)).code).toBe('invalid_token');
  });

  it('are refused when signed with the platform secret instead of the Supabase one', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    expect((await verifyError(verifier, await supabaseToken({ secret: SECRET }))).code).toBe('invalid_token');
  });

  it('are refused with another audience or none', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    expect((await verifyError(verifier, await supabaseToken({ audience: 'anon' }))).code).toBe(
      'invalid_token',
    );
    expect((await verifyError(verifier, await supabaseToken({ audience: null }))).code).toBe('invalid_token');
  });

  it('are refused without a subject', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    const token = await new SignJWT({ email: 'x@example.org' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('authenticated')
      .setExpirationTime('1h')
      .sign(key(SUPABASE_SECRET));
    expect((await verifyError(verifier, token)).code).toBe('invalid_token');
  });

  it('are refused with alg none', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    const payload = { sub: SUPABASE_USER, aud: 'authenticated', exp: now() + 600 };
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    expect((await verifyError(verifier, token)).code).toBe('invalid_token');
  });

  it('expire with token_expired', async () => {
    const { verifier } = setup(SUPABASE_SECRET);
    const token = await supabaseToken({ exp: now() - 5 });
    expect((await verifyError(verifier, token)).code).toBe('token_expired');
  });

  it('are refused when their session was revoked', async () => {
    const { verifier, revocations } = setup(SUPABASE_SECRET);
    await revocations.revoke('supabase-session-1', 600);
    expect((await verifyError(verifier, await supabaseToken())).code).toBe('session_revoked');
  });

  it('leave the platform’s own tokens working', async () => {
    const { issuer, verifier } = setup(SUPABASE_SECRET);
    await expect(verifier.verify(await issuer.signAccess(CLAIMS))).resolves.toMatchObject({ source: 'pha' });
  });
});

describe('verified-token cache', () => {
  it('still refuses a cached token once its session is revoked', async () => {
    const revocations = new CacheRevocations(new MemoryCache());
    const verifier = new TokenVerifier(SECRET, revocations);
    const issuer = new TokenIssuer(SECRET, 900);
    const token = await issuer.signAccess(CLAIMS);
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    await revocations.revoke(CLAIMS.sessionId, 60);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'session_revoked' });
  });
});
