import type { ActingClaims } from './acting.js';

export const ROLES = ['patient', 'doctor', 'caregiver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling, as established from a verified access token. */
export interface Principal {
  userId: string;
  role: Role;
  /** Session (refresh-token family) the token belongs to; absent for tokens issued elsewhere (Supabase). */
  sessionId?: string;
  email?: string;
  /** Display name carried by tokens issued elsewhere (Supabase user_metadata.full_name). */
  name?: string;
  source: 'pha' | 'supabase';
  /** The raw bearer token, forwarded when this request calls another service on the caller's behalf. */
  token: string;
  expiresAt: number;
  /** Set when a service calls for the user with an acting token (acting.ts): only its scope is allowed. */
  acting?: ActingClaims;
}
