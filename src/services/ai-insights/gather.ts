import type { CallOptions, CallResult } from '../../platform/clients/clients.js';
import { AppError } from '../../platform/http/errors.js';
import { CGM_WINDOW_DAYS } from './cgm.js';
import type { SourceName } from './insight.js';
import { addDays, isTimeZone, localDate, localMidnight } from '../../platform/time.js';
import { DAY_MS } from './time.js';

/**
 * Reads what the rules need from the other services' APIs, on the caller's behalf (their token, so
 * every service applies its own ownership rules). Long series come as day buckets of
 * GET /metrics/summary, never as raw samples: a year of minute heart rate is 365 numbers here. Raw
 * readings are read only where the rules need each one: blood pressure over 30 days (guideline classes),
 * glucose over 14 days (CGM metrics, meals). A service that fails is recorded, not thrown: the rules run
 * on what could be read.
 */
export type Caller = <T = unknown>(
  slug: SourceName,
  options: Omit<CallOptions, 'token' | 'requestId'>,
) => Promise<CallResult<T>>;

/** The window of the series rules: the 90 full local days before today. */
export const SERIES_WINDOW_DAYS = 90;
export const BP_WINDOW_DAYS = 30;
/** Lab results older than this are not reviewed (a product choice: old results are history, not news). */
export const LAB_WINDOW_DAYS = 730;
const PAGE = 500;
/** Health tracking's largest page of readings: 14 days of a 5-minute CGM (4,032) in one request. */
const METRICS_PAGE = 5000;
const MAX_GLUCOSE_PAGES = 6; // 30,000 readings: 14 days of a 1-minute CGM
const MAX_LAB_HISTORIES = 15;
/** The shape of a LOINC code: up to 7 digits, a hyphen, a check digit (as GET /labs/{loinc}/history takes). */
const LOINC_CODE = /^[0-9]{1,7}-[0-9]$/;

export type SourceState = 'ok' | 'partial' | 'unavailable' | 'not_needed';
export interface SourceReport {
  service: SourceName;
  status: SourceState;
  message: string | null;
}

/** How a metric's days are combined: the mean of readings, or their sum (steps, energy, sleep). */
export const DAILY_AGGREGATE: Record<string, 'mean' | 'sum'> = {
  heart_rate: 'mean',
  resting_heart_rate: 'mean',
  blood_pressure: 'mean',
  blood_glucose: 'mean',
  weight: 'mean',
  bmi: 'mean',
  body_temperature: 'mean',
  oxygen_saturation: 'mean',
  respiratory_rate: 'mean',
  body_fat_percentage: 'mean',
  steps: 'sum',
  active_energy: 'sum',
  sleep_duration: 'sum',
};

export interface Classification {
  class: string;
  label: string;
  guideline: string;
  note?: string;
}

export interface MetricItem {
  id: string | null;
  metric_type: string;
  canonical_value: number | { systolic: number; diastolic: number };
  canonical_unit: string;
  timestamp: string;
  source: string;
  context: string | null;
  classification: Classification | null;
}

export interface MetricInfo {
  name: string;
  /** Display name of the canonical unit (bpm, mmHg, mg/dL). */
  unit: string;
}

export interface DayValue {
  /** Local date (YYYY-MM-DD); for sleep, the day the night ends. */
  day: string;
  value: number;
  count: number;
}

export interface DailySeries {
  /** metric_type, or blood_pressure.systolic / blood_pressure.diastolic. */
  key: string;
  metricType: string;
  label: string;
  unit: string;
  ucum: string;
  aggregate: 'mean' | 'sum';
  /** For sums: the one source summed (devices of one user overlap: two would count steps twice). */
  source: string | null;
  days: DayValue[];
  from: string;
  to: string;
}

export interface MealSummary {
  id: string;
  name: string;
  eaten_at: string;
  carbohydrate_g: number | null;
}

export interface LabPoint {
  record_id: string;
  effective_at: string;
  value: { value: number; unit: string | null; code: string | null } | null;
  flag: 'LL' | 'L' | 'N' | 'H' | 'HH' | null;
}

export interface LabResult {
  record_id: string;
  loinc: string | null;
  display: string;
  effective_at: string;
  value: { value: number; unit: string | null; code: string | null } | null;
  flag: 'LL' | 'L' | 'H' | 'HH';
  critical: boolean;
  reference_text: string | null;
  critical_source: string | null;
  /** Oldest first, from GET /labs/{loinc}/history; null when it could not be read. */
  history: LabPoint[] | null;
}

export interface UserData {
  now: number;
  tz: string;
  today: string;
  catalog: Map<string, MetricInfo>;
  latest: MetricItem[];
  series: DailySeries[];
  window: { from: string; to: string };
  bloodPressure: { from: string; to: string; items: MetricItem[] } | null;
  glucose: { from: string; to: string; items: MetricItem[]; complete: boolean } | null;
  meals: { from: string; to: string; items: MealSummary[] } | null;
  labs: { from: string; results: LabResult[] } | null;
  sources: SourceReport[];
}

interface BucketStats {
  start: string;
  count: number;
  mean?: number;
  sum?: number;
  systolic?: { mean: number };
  diastolic?: { mean: number };
}

interface CatalogBody {
  items: { metric_type: string; name: string; canonical_unit: { ucum: string; name: string } }[];
}

const ISO = (ms: number) => new Date(ms).toISOString();

/** Per-service outcome of the calls made while gathering. */
class SourceLog {
  private readonly results = new Map<SourceName, { ok: number; failed: number; message: string | null }>();

  record(slug: SourceName, ok: boolean, message: string | null = null) {
    const entry = this.results.get(slug) ?? { ok: 0, failed: 0, message: null };
    if (ok) entry.ok += 1;
    else {
      entry.failed += 1;
      entry.message ??= message;
    }
    this.results.set(slug, entry);
  }

  report(notNeeded: Partial<Record<SourceName, string>>): SourceReport[] {
    const order: SourceName[] = ['user-profile', 'health-tracking', 'medical-records', 'nutrition'];
    return order.map((service) => {
      const entry = this.results.get(service);
      if (!entry) return { service, status: 'not_needed', message: notNeeded[service] ?? null };
      if (entry.failed === 0) return { service, status: 'ok', message: null };
      return {
        service,
        status: entry.ok > 0 ? 'partial' : 'unavailable',
        message: entry.message,
      };
    });
  }
}

/** A GET that never throws: the body on 200, otherwise undefined with the failure logged. */
function reader(call: Caller, log: SourceLog) {
  return async <T>(slug: SourceName, path: string): Promise<T | undefined> => {
    try {
      const result = await call<T>(slug, { method: 'GET', path });
      if (result.status === 200) {
        log.record(slug, true);
        return result.body;
      }
      const code = (result.body as { error?: { code?: string } } | undefined)?.error?.code;
      log.record(
        slug,
        false,
        `The ${slug} service answered HTTP ${result.status}${code ? ` (${code})` : ''}`,
      );
    } catch (err) {
      log.record(
        slug,
        false,
        err instanceof AppError ? err.message : `The ${slug} service could not be reached`,
      );
    }
    return undefined;
  };
}

let catalogCache: { at: number; map: Map<string, MetricInfo> } | undefined;

export interface GatherOptions {
  now?: number;
}

export async function gather(call: Caller, options: GatherOptions = {}): Promise<UserData> {
  const now = options.now ?? Date.now();
  const log = new SourceLog();
  const get = reader(call, log);
  const notNeeded: Partial<Record<SourceName, string>> = {};

  const [profile, latestBody, catalog] = await Promise.all([
    get<{ preferences?: { timezone?: string } }>('user-profile', '/api/v1/profile'),
    get<{ items: MetricItem[] }>('health-tracking', '/api/v1/metrics/latest'),
    metricCatalog(get, now),
  ]);
  const wanted = profile?.preferences?.timezone;
  const tz = wanted && isTimeZone(wanted) ? wanted : 'UTC';
  const today = localDate(now, tz);
  const windowFrom = localMidnight(addDays(today, -SERIES_WINDOW_DAYS), tz);
  const windowTo = localMidnight(today, tz);
  const latest = latestBody?.items ?? [];
  const latestAt = new Map(latest.map((m) => [m.metric_type, Date.parse(m.timestamp)]));
  const recent = (type: string, days: number) => (latestAt.get(type) ?? -Infinity) >= now - days * DAY_MS;

  const labsFrom = now - LAB_WINDOW_DAYS * DAY_MS;
  const [series, bloodPressure, glucose, labs] = await Promise.all([
    Promise.all(
      Object.keys(DAILY_AGGREGATE)
        .filter((type) => (latestAt.get(type) ?? -Infinity) >= windowFrom)
        .map((type) => dailySeries(get, type, catalog, latest, tz, today, windowFrom, windowTo)),
    ).then((lists) => lists.flat()),
    recent('blood_pressure', BP_WINDOW_DAYS)
      ? listMetrics(get, 'blood_pressure', now - BP_WINDOW_DAYS * DAY_MS, now, 4).then((r) =>
          r ? { from: ISO(now - BP_WINDOW_DAYS * DAY_MS), to: ISO(now), ...r } : null,
        )
      : null,
    recent('blood_glucose', CGM_WINDOW_DAYS)
      ? listMetrics(get, 'blood_glucose', now - CGM_WINDOW_DAYS * DAY_MS, now, MAX_GLUCOSE_PAGES).then((r) =>
          r ? { from: ISO(now - CGM_WINDOW_DAYS * DAY_MS), to: ISO(now), ...r } : null,
        )
      : null,
    labResults(get, labsFrom),
  ]);

  // Meals matter only next to glucose readings.
  let meals: UserData['meals'] = null;
  if (glucose && glucose.items.length > 0) {
    const from = now - CGM_WINDOW_DAYS * DAY_MS;
    const items = await listMeals(get, from, now);
    if (items) meals = { from: ISO(from), to: ISO(now), items };
  } else {
    notNeeded.nutrition = `Not needed: no glucose readings in the last ${CGM_WINDOW_DAYS} days to set meals against`;
  }

  return {
    now,
    tz,
    today,
    catalog,
    latest,
    series,
    window: { from: ISO(windowFrom), to: ISO(windowTo) },
    bloodPressure,
    glucose,
    meals,
    labs: labs ? { from: ISO(labsFrom), results: labs } : null,
    sources: log.report(notNeeded),
  };
}

/** Metric names and display units, from the public catalogue (kept an hour: it changes with releases). */
async function metricCatalog(get: ReturnType<typeof reader>, now: number): Promise<Map<string, MetricInfo>> {
  if (catalogCache && now - catalogCache.at < 3_600_000) return catalogCache.map;
  const body = await get<CatalogBody>('health-tracking', '/api/v1/metrics/catalog');
  const map = new Map<string, MetricInfo>();
  for (const item of body?.items ?? []) {
    map.set(item.metric_type, { name: item.name, unit: item.canonical_unit.name });
  }
  if (body) catalogCache = { at: now, map };
  return map;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return search.toString();
}

async function dailySeries(
  get: ReturnType<typeof reader>,
  type: string,
  catalog: Map<string, MetricInfo>,
  latest: MetricItem[],
  tz: string,
  today: string,
  fromMs: number,
  toMs: number,
): Promise<DailySeries[]> {
  const aggregate = DAILY_AGGREGATE[type]!;
  const info = catalog.get(type) ?? { name: type.replace(/_/g, ' '), unit: '' };
  // Sums come from one device: the source of the latest reading.
  const source = aggregate === 'sum' ? (latest.find((m) => m.metric_type === type)?.source ?? null) : null;
  const sleep = type === 'sleep_duration';
  // Sleep is grouped by night: a period starting from noon on D-1 to noon on D belongs to the night of D.
  const from = sleep ? localMidnight(addDays(today, -SERIES_WINDOW_DAYS - 1), tz) : fromMs;
  const body = await get<{ unit: string; buckets: BucketStats[] }>(
    'health-tracking',
    `/api/v1/metrics/summary?${query({
      metric_type: type,
      bucket: sleep ? 'hour' : 'day',
      from: ISO(from),
      to: ISO(toMs),
      tz,
      ...(source ? { source } : {}),
    })}`,
  );
  if (!body) return [];
  const base = {
    metricType: type,
    unit: info.unit || body.unit,
    ucum: body.unit,
    aggregate,
    source,
    from: ISO(fromMs),
    to: ISO(toMs),
  };
  const filled = body.buckets.filter((b) => b.count > 0);
  if (type === 'blood_pressure') {
    return (['systolic', 'diastolic'] as const).map((part) => ({
      ...base,
      key: `blood_pressure.${part}`,
      label: `${part === 'systolic' ? 'Systolic' : 'Diastolic'} blood pressure`,
      days: filled
        .filter((b) => b[part])
        .map((b) => ({ day: b.start.slice(0, 10), value: b[part]!.mean, count: b.count })),
    }));
  }
  if (sleep) {
    const nights = new Map<string, DayValue>();
    const first = addDays(today, -SERIES_WINDOW_DAYS);
    for (const b of filled) {
      const date = b.start.slice(0, 10);
      const night = Number(b.start.slice(11, 13)) >= 12 ? addDays(date, 1) : date;
      if (night < first || night >= today) continue;
      const entry = nights.get(night) ?? { day: night, value: 0, count: 0 };
      entry.value += b.sum ?? 0;
      entry.count += b.count;
      nights.set(night, entry);
    }
    const days = [...nights.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
    return [{ ...base, key: type, label: info.name, days }];
  }
  const days = filled.map((b) => ({
    day: b.start.slice(0, 10),
    value: aggregate === 'sum' ? (b.sum ?? 0) : (b.mean ?? 0),
    count: b.count,
  }));
  return [{ ...base, key: type, label: info.name, days }];
}

/** Raw readings, newest first, following the cursor up to `maxPages` pages. */
async function listMetrics(
  get: ReturnType<typeof reader>,
  type: string,
  fromMs: number,
  toMs: number,
  maxPages: number,
): Promise<{ items: MetricItem[]; complete: boolean } | null> {
  const items: MetricItem[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const body: { items: MetricItem[]; next_cursor: string | null } | undefined = await get(
      'health-tracking',
      `/api/v1/metrics?${query({
        metric_type: type,
        from: ISO(fromMs),
        to: ISO(toMs),
        limit: METRICS_PAGE,
        ...(cursor ? { cursor } : {}),
      })}`,
    );
    if (!body) return page === 0 ? null : { items, complete: false };
    items.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}

interface MealBody {
  items: {
    id: string;
    name: string;
    eaten_at: string;
    nutrients: Record<string, { value: number; unit: string; complete: boolean } | undefined>;
  }[];
  next_cursor: string | null;
}

async function listMeals(get: ReturnType<typeof reader>, fromMs: number, toMs: number) {
  const items: MealSummary[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page += 1) {
    const body: MealBody | undefined = await get(
      'nutrition',
      `/api/v1/meals?${query({ from: ISO(fromMs), to: ISO(toMs), limit: 100, ...(cursor ? { cursor } : {}) })}`,
    );
    if (!body) return page === 0 ? undefined : items;
    for (const meal of body.items) {
      const carbs = meal.nutrients.carbohydrate;
      items.push({
        id: meal.id,
        name: meal.name,
        eaten_at: meal.eaten_at,
        carbohydrate_g: carbs && carbs.unit === 'g' && carbs.complete ? carbs.value : null,
      });
    }
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return items;
}

interface RecordBody {
  items: {
    id: string;
    display: string;
    effective_at: string | null;
    code: { system: string | null; code: string | null } | null;
    measurement: {
      value: { value: number; unit: string | null; code: string | null } | null;
      flags: {
        flag: 'LL' | 'L' | 'N' | 'H' | 'HH' | null;
        critical: boolean;
        reference_range: {
          low: { value: number; unit: string | null } | null;
          high: { value: number; unit: string | null } | null;
          text: string | null;
        } | null;
        critical_limits: { source: string } | null;
      } | null;
    } | null;
  }[];
  next_cursor: string | null;
}

function referenceText(
  range: NonNullable<NonNullable<RecordBody['items'][number]['measurement']>['flags']>['reference_range'],
) {
  if (!range) return null;
  if (range.text) return range.text;
  const unit = range.low?.unit ?? range.high?.unit ?? '';
  if (range.low && range.high) return `${range.low.value}-${range.high.value} ${unit}`.trim();
  if (range.low) return `>= ${range.low.value} ${unit}`.trim();
  if (range.high) return `<= ${range.high.value} ${unit}`.trim();
  return null;
}

/** The latest result of each analyte in the window that is flagged out of range, with its history. */
async function labResults(get: ReturnType<typeof reader>, fromMs: number): Promise<LabResult[] | null> {
  const seen = new Set<string>();
  const flagged: LabResult[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 4; page += 1) {
    const body: RecordBody | undefined = await get(
      'medical-records',
      `/api/v1/records?${query({ type: 'lab', from: ISO(fromMs), limit: PAGE, ...(cursor ? { cursor } : {}) })}`,
    );
    if (!body) {
      if (page === 0) return null;
      break;
    }
    for (const r of body.items) {
      if (!r.effective_at || !r.measurement?.flags) continue;
      // Only a well-formed LOINC code (NNNNN-N): local codes sent under the LOINC system are common,
      // and the history route refuses them, which would mark medical-records unread on every run.
      const loinc =
        r.code?.system === 'http://loinc.org' && r.code.code && LOINC_CODE.test(r.code.code)
          ? r.code.code
          : null;
      const key = loinc ?? `${r.code?.system ?? ''}|${r.code?.code ?? r.display}`;
      if (seen.has(key)) continue; // newest first: the first seen is the latest result
      seen.add(key);
      const flags = r.measurement.flags;
      if (flags.flag === null || flags.flag === 'N') continue;
      flagged.push({
        record_id: r.id,
        loinc,
        display: r.display,
        effective_at: r.effective_at,
        value: r.measurement.value,
        flag: flags.flag,
        critical: flags.critical,
        reference_text: referenceText(flags.reference_range),
        critical_source: flags.critical_limits?.source ?? null,
        history: null,
      });
    }
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  await Promise.all(
    flagged
      .filter((r) => r.loinc)
      .slice(0, MAX_LAB_HISTORIES)
      .map(async (r) => {
        const body = await get<{
          points: (Omit<LabPoint, 'flag'> & { flags: { flag: LabPoint['flag'] } | null })[];
        }>('medical-records', `/api/v1/labs/${encodeURIComponent(r.loinc!)}/history`);
        if (body) {
          r.history = body.points.map((p) => ({
            record_id: p.record_id,
            effective_at: p.effective_at,
            value: p.value,
            flag: p.flags?.flag ?? null,
          }));
        }
      }),
  );
  return flagged;
}
