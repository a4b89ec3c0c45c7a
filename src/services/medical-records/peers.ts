import type { ServiceSlug } from '../../catalog.js';
import type { CallOptions, CallResult } from '../../platform/clients/clients.js';
import { isObject } from './fhir.js';

/**
 * What the export and the summary read from other services, through their APIs (never their tables):
 * the latest readings from health-tracking and the account profile from user-profile. An outage of
 * either is returned as `unavailable` with the reason, never thrown: the caller goes on without the data
 * and says so.
 */

export type Caller = <T = unknown>(
  slug: ServiceSlug,
  options: Omit<CallOptions, 'token' | 'requestId'>,
) => Promise<CallResult<T>>;

export type Fetched<T> = { status: 'ok'; value: T } | { status: 'unavailable'; reason: string };

export type BloodPressure = { systolic: number; diastolic: number };

/** One reading as health-tracking's GET /api/v1/metrics/latest gives it (the fields used here). */
export interface Reading {
  id: string | null;
  metric_type: string;
  canonical_value: number | BloodPressure;
  /** UCUM code. */
  canonical_unit: string;
  timestamp: string;
  source: string;
  classification: { class: string; label: string; guideline: string } | null;
}

/** The account profile fields used for demographics (user-profile's GET /api/v1/profile). */
export interface ProfileView {
  full_name: string | null;
  date_of_birth: string | null;
  sex: string | null;
}

const isReading = (x: unknown): x is Reading =>
  isObject(x) &&
  typeof x.metric_type === 'string' &&
  typeof x.canonical_unit === 'string' &&
  typeof x.timestamp === 'string' &&
  typeof x.source === 'string' &&
  (typeof x.canonical_value === 'number' ||
    (isObject(x.canonical_value) &&
      typeof x.canonical_value.systolic === 'number' &&
      typeof x.canonical_value.diastolic === 'number'));

async function get<T>(
  call: Caller,
  slug: ServiceSlug,
  path: string,
  accept: (body: unknown) => T | undefined,
): Promise<Fetched<T>> {
  try {
    const res = await call(slug, { method: 'GET', path });
    const value = res.status === 200 ? accept(res.body) : undefined;
    if (value === undefined) {
      return { status: 'unavailable', reason: `the ${slug} service answered ${res.status}` };
    }
    return { status: 'ok', value };
  } catch (err) {
    // The client throws when the service does not answer (refused, timed out, circuit open).
    return {
      status: 'unavailable',
      reason: err instanceof Error ? err.message : `the ${slug} service failed`,
    };
  }
}

/** The latest reading of each metric type. */
export function fetchLatestReadings(call: Caller): Promise<Fetched<Reading[]>> {
  return get(call, 'health-tracking', '/api/v1/metrics/latest', (body) =>
    isObject(body) && Array.isArray(body.items) ? (body.items as unknown[]).filter(isReading) : undefined,
  );
}

export function fetchProfile(call: Caller): Promise<Fetched<ProfileView>> {
  const text = (x: unknown) => (typeof x === 'string' && x !== '' ? x : null);
  return get(call, 'user-profile', '/api/v1/profile', (body) =>
    isObject(body)
      ? { full_name: text(body.full_name), date_of_birth: text(body.date_of_birth), sex: text(body.sex) }
      : undefined,
  );
}
