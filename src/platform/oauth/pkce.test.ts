import { describe, expect, it } from 'vitest';
import { pkcePair, s256 } from './pkce.js';

describe('PKCE', () => {
  it('computes the S256 challenge of the RFC 7636 appendix B example', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes a fresh verifier of unreserved characters within 43-128, with its challenge', () => {
    const a = pkcePair();
    const b = pkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(a.challenge).toBe(s256(a.verifier));
    expect(a.verifier).not.toBe(b.verifier);
  });
});
