import { DEXCOM_SOURCE, dexcomDevice } from './parsers/clarity.js';
import { numberOf, type DeviceInfo, type ParsedEvent } from './parsers/types.js';
import { isoWithOffset } from '../../platform/time.js';
import { parseLocalIso, parseOffsetIso } from './time.js';

/** What a sync needs from the connection: authorised GETs, landing readings, keeping cursors. */
export interface SyncIO {
  get(path: string, query: Record<string, string>): Promise<unknown>;
  /** Stores the events (readings to health tracking) before the cursor moves past them. */
  land(events: ParsedEvent[]): Promise<void>;
  saveCursor(stream: string, value: string): Promise<void>;
  now: number;
  lookbackDays: number;
}

export interface ProviderSync {
  provider: 'dexcom' | 'oura';
  name: string;
  device: DeviceInfo;
  sync(io: SyncIO, cursors: Record<string, string>): Promise<void>;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** 2024-06-06T00:00:41 in UTC, as Dexcom's query parameters take it. */
const dexcomTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const dateOnly = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Dexcom times: with an offset (mobile apps), or without one (receivers: systemTime is nominally UTC). */
function dexcomInstant(text: unknown): { ms: number; offsetMinutes: number | undefined } | undefined {
  if (typeof text !== 'string') return undefined;
  const withOffset = parseOffsetIso(text);
  if (withOffset) return withOffset;
  const local = parseLocalIso(text);
  if (!local) return undefined;
  return {
    ms: Date.UTC(
      local.year,
      local.month - 1,
      local.day,
      local.hour,
      local.minute,
      local.second,
      local.millis ?? 0,
    ),
    offsetMinutes: undefined,
  };
}

/**
 * One Dexcom v3 EGV record as a reading. The instant is `systemTime` (UTC); the offset is the one of
 * `displayTime` (the time the user saw), or the difference between the two rounded to a quarter-hour.
 */
export function dexcomEgvEvent(record: unknown, ref: string): ParsedEvent {
  if (typeof record !== 'object' || record === null)
    return { kind: 'invalid', ref, problem: 'is not an object' };
  const r = record as Record<string, unknown>;
  const system = dexcomInstant(r.systemTime);
  if (!system)
    return { kind: 'invalid', ref, problem: `systemTime ${JSON.stringify(r.systemTime)} is not a date-time` };
  const status = typeof r.status === 'string' ? r.status.toLowerCase() : '';
  if (status === 'low' || status === 'high') {
    return {
      kind: 'skipped',
      ref,
      reason: `${status === 'low' ? 'Below' : 'Above'} the sensor's range (reported as "${status}", no number)`,
    };
  }
  const value =
    typeof r.value === 'number' ? r.value : numberOf(typeof r.value === 'string' ? r.value : undefined);
  if (value === undefined || value === null)
    return { kind: 'skipped', ref, reason: 'EGV records without a value' };
  const unit = r.unit === 'mg/dL' || r.unit === 'mmol/L' ? r.unit : undefined;
  if (!unit)
    return { kind: 'invalid', ref, problem: `unit ${JSON.stringify(r.unit)} is neither mg/dL nor mmol/L` };
  const display = dexcomInstant(r.displayTime);
  let offset = display?.offsetMinutes ?? system.offsetMinutes;
  if (offset === undefined && display) {
    const diff = Math.round((display.ms - system.ms) / (15 * 60_000)) * 15;
    offset = Math.abs(diff) <= 14 * 60 ? diff : 0;
  }
  const generation =
    typeof r.transmitterGeneration === 'string' ? r.transmitterGeneration.toUpperCase() : undefined;
  return {
    kind: 'reading',
    ref,
    device: dexcomDevice(generation && generation !== 'UNKNOWN' ? generation : undefined),
    reading: {
      metric_type: 'blood_glucose',
      value,
      unit,
      timestamp: isoWithOffset(system.ms, offset ?? 0),
      source: DEXCOM_SOURCE,
    },
  };
}

export const dexcomSync: ProviderSync = {
  provider: 'dexcom',
  name: 'Dexcom',
  device: dexcomDevice(),
  async sync(io, cursors) {
    const range = (await io.get('/v3/users/self/dataRange', {})) as {
      egvs?: { start?: { systemTime?: string }; end?: { systemTime?: string } };
    };
    const first = dexcomInstant(range?.egvs?.start?.systemTime)?.ms;
    const last = dexcomInstant(range?.egvs?.end?.systemTime)?.ms;
    if (first === undefined || last === undefined) return;
    const end = Math.min(last + 1000, io.now);
    const floor = Math.max(first, io.now - io.lookbackDays * DAY);
    const cursor = cursors.egvs ? Date.parse(cursors.egvs) : undefined;
    // Three hours of overlap: late uploads and re-smoothed values land; the rest counts as duplicates.
    let from = cursor !== undefined && Number.isFinite(cursor) ? Math.max(first, cursor - 3 * HOUR) : floor;
    while (from < end) {
      // The EGV endpoint answers at most 30 days per request.
      const to = Math.min(from + 30 * DAY, end);
      const body = (await io.get('/v3/users/self/egvs', {
        startDate: dexcomTime(from),
        endDate: dexcomTime(to),
      })) as {
        records?: unknown[];
      };
      const records = Array.isArray(body?.records) ? body.records : [];
      await io.land(records.map((r, i) => dexcomEgvEvent(r, `egvs ${dexcomTime(from)} record ${i + 1}`)));
      await io.saveCursor('egvs', new Date(to).toISOString());
      from = to;
    }
  },
};

export const OURA_SOURCE = 'oura';
const OURA_DEVICE: DeviceInfo = {
  source: OURA_SOURCE,
  name: 'Oura Ring',
  provider: 'oura',
  device_type: 'ring',
  manufacturer: 'Oura',
};

type OuraPage = { data?: unknown[]; next_token?: string | null };

async function* ouraPages(io: SyncIO, path: string, query: Record<string, string>) {
  let next: string | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const body = (await io.get(path, next ? { ...query, next_token: next } : query)) as OuraPage;
    yield Array.isArray(body?.data) ? body.data : [];
    next = typeof body?.next_token === 'string' && body.next_token !== '' ? body.next_token : undefined;
    if (!next) return;
  }
}

const ouraReading = (
  ref: string,
  metric_type: string,
  value: number,
  unit: string,
  timestamp: string,
): ParsedEvent => ({
  kind: 'reading',
  ref,
  device: OURA_DEVICE,
  reading: { metric_type, value, unit, timestamp, source: OURA_SOURCE },
});

export function ouraHeartRateEvent(sample: unknown, ref: string): ParsedEvent {
  const s = (sample ?? {}) as Record<string, unknown>;
  const at = typeof s.timestamp === 'string' ? parseOffsetIso(s.timestamp) : undefined;
  if (!at)
    return { kind: 'invalid', ref, problem: `timestamp ${JSON.stringify(s.timestamp)} is not a date-time` };
  if (typeof s.bpm !== 'number') return { kind: 'invalid', ref, problem: 'bpm is not a number' };
  return ouraReading(ref, 'heart_rate', s.bpm, 'bpm', isoWithOffset(at.ms, at.offsetMinutes));
}

/** A day's activity: steps and active calories, dated at the start of that day (Oura's `timestamp`). */
export function ouraDailyActivityEvents(doc: unknown, ref: string): ParsedEvent[] {
  const d = (doc ?? {}) as Record<string, unknown>;
  const at =
    (typeof d.timestamp === 'string' ? parseOffsetIso(d.timestamp) : undefined) ??
    (typeof d.day === 'string' ? parseOffsetIso(`${d.day}T00:00:00Z`) : undefined);
  if (!at) return [{ kind: 'invalid', ref, problem: 'has neither timestamp nor day' }];
  const when = isoWithOffset(at.ms, at.offsetMinutes);
  const out: ParsedEvent[] = [];
  if (typeof d.steps === 'number') out.push(ouraReading(ref, 'steps', d.steps, 'steps', when));
  if (typeof d.active_calories === 'number') {
    out.push(ouraReading(ref, 'active_energy', d.active_calories, 'kcal', when));
  }
  return out;
}

/**
 * A sleep period: the time asleep (not in bed), dated at bedtime, and the period's average HRV, which Oura
 * reports as RMSSD in ms (Oura API v2 `average_hrv`). Rest periods and deleted ones are left out.
 */
export function ouraSleepEvents(doc: unknown, ref: string): ParsedEvent[] {
  const sleep = ouraSleepEvent(doc, ref);
  if (sleep.kind !== 'reading') return [sleep];
  const hrv = (doc as Record<string, unknown>).average_hrv;
  if (typeof hrv !== 'number' || !(hrv > 0)) return [sleep];
  return [
    sleep,
    ouraReading(ref, 'heart_rate_variability_rmssd', hrv, 'ms', sleep.reading.timestamp as string),
  ];
}

function ouraSleepEvent(doc: unknown, ref: string): ParsedEvent {
  const d = (doc ?? {}) as Record<string, unknown>;
  const type = typeof d.type === 'string' ? d.type : 'sleep';
  if (type === 'deleted' || type === 'rest') return { kind: 'skipped', ref, reason: `Oura ${type} periods` };
  const at = typeof d.bedtime_start === 'string' ? parseOffsetIso(d.bedtime_start) : undefined;
  if (!at) return { kind: 'invalid', ref, problem: 'bedtime_start is not a date-time' };
  if (typeof d.total_sleep_duration !== 'number') {
    return { kind: 'skipped', ref, reason: 'Oura sleep periods without a sleep duration' };
  }
  return ouraReading(
    ref,
    'sleep_duration',
    Math.round(d.total_sleep_duration / 0.6) / 100,
    'min',
    isoWithOffset(at.ms, at.offsetMinutes),
  );
}

export const ouraSync: ProviderSync = {
  provider: 'oura',
  name: 'Oura',
  device: OURA_DEVICE,
  async sync(io, cursors) {
    const floor = io.now - io.lookbackDays * DAY;
    const resume = (name: string, overlap: number) => {
      const c = cursors[name] ? Date.parse(cursors[name]!) : NaN;
      return Number.isFinite(c) ? Math.max(floor, c - overlap) : floor;
    };

    // Heart rate: samples every few minutes; at most 30 days per request.
    let from = resume('heartrate', HOUR);
    while (from < io.now) {
      const to = Math.min(from + 30 * DAY, io.now);
      const query = {
        start_datetime: new Date(from).toISOString(),
        end_datetime: new Date(to).toISOString(),
      };
      let n = 0;
      for await (const data of ouraPages(io, '/v2/usercollection/heartrate', query)) {
        await io.land(data.map((s) => ouraHeartRateEvent(s, `heartrate sample ${(n += 1)}`)));
      }
      await io.saveCursor('heartrate', new Date(to).toISOString());
      from = to;
    }

    // Daily activity: only days that are over (a day's totals grow until it ends, and a reading once
    // stored is not replaced by a later, larger total of the same day).
    const lastFullDay = dateOnly(io.now - 2 * DAY);
    const activityFrom = dateOnly(resume('daily_activity', 0));
    if (activityFrom <= lastFullDay) {
      let n = 0;
      for await (const data of ouraPages(io, '/v2/usercollection/daily_activity', {
        start_date: activityFrom,
        end_date: lastFullDay,
      })) {
        await io.land(data.flatMap((d) => ouraDailyActivityEvents(d, `daily_activity ${(n += 1)}`)));
      }
      await io.saveCursor('daily_activity', `${dateOnly(Date.parse(lastFullDay) + DAY)}T00:00:00.000Z`);
    }

    // Sleep periods: complete once they appear.
    const sleepFrom = dateOnly(resume('sleep', 2 * DAY));
    const today = dateOnly(io.now);
    let n = 0;
    for await (const data of ouraPages(io, '/v2/usercollection/sleep', {
      start_date: sleepFrom,
      end_date: today,
    })) {
      await io.land(data.flatMap((d) => ouraSleepEvents(d, `sleep ${(n += 1)}`)));
    }
    await io.saveCursor('sleep', new Date(io.now).toISOString());
  },
};

export const PROVIDER_SYNCS = { dexcom: dexcomSync, oura: ouraSync } as const;
