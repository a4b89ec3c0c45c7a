import { createHash, randomBytes } from 'node:crypto';

/**
 * Proof Key for Code Exchange (RFC 7636) for OAuth 2.0 authorisation-code flows: a verifier of 43-128
 * unreserved characters (48 random bytes give 64) and its S256 challenge. The verifier stays on the
 * server; only the challenge travels in the authorisation URL.
 */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}

/** The S256 code challenge of a verifier: BASE64URL(SHA256(verifier)), RFC 7636 section 4.2. */
export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
