// The health-tracking API as the web app uses it: the metric catalogue, readings, summaries, the
// symptom journal and goals. Every figure the server sends is shown as it sent it; nothing is made up.
import { api } from './api';

export const HEALTH = '/health-tracking/api/v1';

export type BloodPressure = { systolic: number; diastolic: number };
export type Value = number | BloodPressure;

export interface CatalogUnit {
  ucum: string;
  /** Names the API accepts for this unit; the first is the one shown. */
  names: string[];
  to_canonical: string;
}

export interface PlausibleRange {
  min: number;
  max: number;
  min_exclusive: boolean;
  unit: string;
  source: string;
}

export interface MetricInfo {
  metric_type: string;
  name: string;
  kind: 'scalar' | 'blood_pressure';
  canonical_unit: { ucum: string; name: string };
  units: CatalogUnit[];
  plausible_range: PlausibleRange;
  diastolic_range?: PlausibleRange;
  contexts?: string[];
  guideline: string | null;
}

export interface Classification {
  class: string;
  label: string;
  guideline: string;
  note?: string;
}

export interface Reading {
  /** Null for device samples kept in series storage (read-only here). */
  id: string | null;
  metric_type: string;
  value: Value;
  unit: string;
  ucum_unit: string;
  canonical_value: Value;
  canonical_unit: string;
  timestamp: string;
  source: string;
  context: string | null;
  notes: string | null;
  storage: 'entry' | 'series';
  classification: Classification | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Stat {
  min: number;
  max: number;
  mean: number;
}

export interface SummaryBucket {
  start: string;
  count: number;
  min?: number;
  max?: number;
  mean?: number;
  sum?: number;
  systolic?: Stat;
  diastolic?: Stat;
}

export type BucketSize = 'hour' | 'day' | 'week' | 'month';

export interface Summary {
  metric_type: string;
  unit: string;
  bucket: BucketSize;
  tz: string;
  from: string;
  to: string;
  buckets: SummaryBucket[];
  overall: SummaryBucket | null;
}

export interface Symptom {
  id: string;
  symptom: string;
  severity: number;
  onset: string;
  duration_minutes: number | null;
  notes: string | null;
  created_at: string;
  updated_at: string;
}

export type GoalDirection = 'increase' | 'decrease' | 'maintain';
export type GoalStatus = 'no_data' | 'in_progress' | 'achieved' | 'missed' | 'on_track' | 'off_track';

export interface Goal {
  id: string;
  metric_type: string;
  direction: GoalDirection;
  target_value: number;
  baseline_value: number | null;
  tolerance: number | null;
  unit: string;
  deadline: string;
  title: string | null;
  notes: string | null;
  progress: {
    status: GoalStatus;
    achieved: boolean;
    progress_percent: number | null;
    current_value: number | null;
    current_at: string | null;
    remaining: number | null;
  };
  created_at: string;
  updated_at: string;
}

export interface Catalog {
  items: MetricInfo[];
  byType: Map<string, MetricInfo>;
}

let catalog: Promise<Catalog> | null = null;

/** The metric catalogue (the same for everyone): fetched once per page load. */
export function loadCatalog(): Promise<Catalog> {
  if (!catalog) {
    catalog = api<{ items: MetricInfo[] }>('GET', `${HEALTH}/metrics/catalog`, { auth: false }).then(
      ({ items }) => ({ items, byType: new Map(items.map((m) => [m.metric_type, m])) }),
      (err: unknown) => {
        catalog = null;
        throw err;
      },
    );
  }
  return catalog;
}

/** A query string from the parameters that are set. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface ReadingInput {
  metric_type: string;
  value: Value;
  unit: string;
  timestamp?: string;
  context?: string;
  notes?: string;
}

export const health = {
  latest: () => api<{ items: Reading[] }>('GET', `${HEALTH}/metrics/latest`),
  readings: (params: { metric_type?: string; from?: string; to?: string; cursor?: string; limit?: number }) =>
    api<Page<Reading>>('GET', `${HEALTH}/metrics${query(params)}`),
  summary: (params: { metric_type: string; bucket: BucketSize; from: string; to: string; tz: string }) =>
    api<Summary>('GET', `${HEALTH}/metrics/summary${query(params)}`),
  addReading: (body: ReadingInput) => api<Reading>('POST', `${HEALTH}/metrics`, { body }),
  changeReading: (
    id: string,
    body: Partial<Omit<ReadingInput, 'context' | 'notes'>> & {
      context?: string | null;
      notes?: string | null;
    },
  ) => api<Reading>('PATCH', `${HEALTH}/metrics/${encodeURIComponent(id)}`, { body }),
  deleteReading: (id: string) => api<void>('DELETE', `${HEALTH}/metrics/${encodeURIComponent(id)}`),

  symptoms: (cursor?: string) =>
    api<Page<Symptom>>('GET', `${HEALTH}/symptoms${query({ cursor, limit: 20 })}`),
  addSymptom: (body: {
    symptom: string;
    severity: number;
    onset?: string;
    duration_minutes?: number | null;
    notes?: string | null;
  }) => api<Symptom>('POST', `${HEALTH}/symptoms`, { body }),
  changeSymptom: (id: string, body: Record<string, unknown>) =>
    api<Symptom>('PATCH', `${HEALTH}/symptoms/${encodeURIComponent(id)}`, { body }),
  deleteSymptom: (id: string) => api<void>('DELETE', `${HEALTH}/symptoms/${encodeURIComponent(id)}`),

  goals: (cursor?: string) => api<Page<Goal>>('GET', `${HEALTH}/goals${query({ cursor, limit: 20 })}`),
  addGoal: (body: Record<string, unknown>) => api<Goal>('POST', `${HEALTH}/goals`, { body }),
  changeGoal: (id: string, body: Record<string, unknown>) =>
    api<Goal>('PATCH', `${HEALTH}/goals/${encodeURIComponent(id)}`, { body }),
  deleteGoal: (id: string) => api<void>('DELETE', `${HEALTH}/goals/${encodeURIComponent(id)}`),
};

export const isBloodPressure = (value: Value): value is BloodPressure => typeof value === 'object';
