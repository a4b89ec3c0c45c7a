import { describe, expect, it } from 'vitest';
import { FieldCipher, randomToken, sha256 } from './crypto.js';

const KEY = 'field-encryption-key-0123456789abcdef';

/** Changes one byte of one dot-separated part of a sealed value (0 = version, 1 = iv, 2 = tag, 3 = body). */
function tamper(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('FieldCipher', () => {
  const cipher = new FieldCipher(KEY, 'auth.mfa-secret');

  it.each(['JBSWY3DPEHPK3PXP', '', 'ünïcødé ✓ 健康', 'x'.repeat(10_000)])('round-trips %j', (plaintext) => {
    const sealed = cipher.seal(plaintext);
    expect(cipher.open(sealed)).toBe(plaintext);
  });

  it('writes v1.<iv>.<tag>.<ciphertext> in base64url and never the plaintext', () => {
    const sealed = cipher.seal('JBSWY3DPEHPK3PXP');
    const [version, iv, tag, body, ...rest] = sealed.split('.');
    expect(version).toBe('v1');
    expect(rest).toEqual([]);
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(body!, 'base64url')).toHaveLength(16);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh IV each time, so equal plaintexts seal differently', () => {
    const a = cipher.seal('same');
    const b = cipher.seal('same');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(cipher.open(a)).toBe(cipher.open(b));
  });

  it('opens with a new instance built from the same key and purpose', () => {
    const sealed = cipher.seal('persisted');
    expect(new FieldCipher(KEY, 'auth.mfa-secret').open(sealed)).toBe('persisted');
  });

  it.each([
    [1, 'iv'],
    [2, 'tag'],
    [3, 'ciphertext'],
  ])('detects a changed %s', (part) => {
    const sealed = cipher.seal('JBSWY3DPEHPK3PXP');
    expect(() => cipher.open(tamper(sealed, part))).toThrow();
  });

  it('detects a truncated or extended ciphertext', () => {
    const sealed = cipher.seal('JBSWY3DPEHPK3PXP');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    const shorter = [...parts.slice(0, 3), body.subarray(0, body.length - 1).toString('base64url')].join('.');
    const longer = [...parts.slice(0, 3), Buffer.concat([body, Buffer.from([0])]).toString('base64url')].join(
      '.',
    );
    expect(() => cipher.open(shorter)).toThrow();
    expect(() => cipher.open(longer)).toThrow();
  });

  it('keeps purposes apart: a value sealed for one purpose does not open under another', () => {
    const other = new FieldCipher(KEY, 'records.notes');
    const sealed = cipher.seal('secret');
    expect(() => other.open(sealed)).toThrow();
    expect(() => cipher.open(other.seal('secret'))).toThrow();
  });

  it('does not open with another key', () => {
    const sealed = cipher.seal('secret');
    expect(() => new FieldCipher(`${KEY}x`, 'auth.mfa-secret').open(sealed)).toThrow();
  });

  it.each(['', 'plain text', 'v2.a.b.c', 'v1.a.b', 'v1..tag.body', 'v1.iv..body'])(
    'rejects the unrecognised value %j',
    (value) => {
      expect(() => cipher.open(value)).toThrow();
    },
  );

  it('names an unknown format as such', () => {
    expect(() => cipher.open('v2.a.b.c')).toThrow('Unrecognised sealed value');
    expect(() => cipher.open('v1.a.b')).toThrow('Unrecognised sealed value');
  });

  it('rejects a truncated authentication tag', () => {
    const sealed = cipher.seal('JBSWY3DPEHPK3PXP');
    const [version, iv, tag, body] = sealed.split('.');
    const shortTag = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => cipher.open([version, iv, shortTag, body].join('.'))).toThrow();
  });
});

describe('randomToken', () => {
  it('gives 32 random URL-safe bytes by default', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(randomToken()).not.toBe(token);
  });

  it('gives the requested number of bytes', () => {
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
  });
});

describe('sha256', () => {
  it('gives the hex SHA-256 digest', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
