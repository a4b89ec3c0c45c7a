import { generate, generateSecret, generateURI, verify } from 'otplib';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../platform/crypto.js';

export const TOTP_ISSUER = 'Personal Health Assistant';

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function otpauthUri(secret: string, email: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: email, secret });
}

/**
 * Checks a 6-digit TOTP code (RFC 6238, 30 s steps) allowing one step of clock drift either way.
 * Returns the time step it matched, so the caller can refuse a replay of the same code.
 */
export async function verifyTotp(
  secret: string,
  code: string,
  afterTimeStep?: number,
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    epochTolerance: 30,
    ...(afterTimeStep === undefined ? {} : { afterTimeStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/** The current code, for tests and tooling. */
export function currentTotp(secret: string, epochSeconds?: number): Promise<string> {
  return generate({ secret, ...(epochSeconds === undefined ? {} : { epoch: epochSeconds }) });
}

const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten single-use recovery codes like `k7m2-p9qx`, about 50 bits each. */
export function newBackupCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => BACKUP_ALPHABET[b % BACKUP_ALPHABET.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5, 10)}`;
  });
}

export function normaliseBackupCode(code: string): string {
  return code.trim().toLowerCase().replace(/\s+/g, '');
}

/** Backup codes are stored only as the SHA-256 of their normalised form (they carry ~50 random bits). */
export function hashBackupCode(code: string): string {
  return sha256(normaliseBackupCode(code));
}
