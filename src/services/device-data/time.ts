/**
 * Time helpers for device files: many of them write local wall-clock times without an offset (Dexcom
 * Clarity, Fitbit), so the person says which IANA time zone the device was in and the offset of each
 * instant is worked out here, daylight saving included.
 */

import { utcOffsetMinutes } from '../../platform/time.js';

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis?: number;
}

/** A real calendar date and time (no 31 April, no 25:00). */
export function validLocal(t: LocalDateTime): boolean {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.hour > 23 || t.minute > 59 || t.second > 59) return false;
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day));
  return d.getUTCDate() === t.day && d.getUTCMonth() === t.month - 1 && t.year >= 1900;
}

/**
 * The instant at which the wall clock in `tz` showed `t`. In the hour that is repeated when clocks go
 * back, the first (daylight-saving) instant is taken; in the hour skipped when they go forward, the
 * time is read with the offset in force before the change (a device clock that had not yet changed),
 * and written with the offset in force at that instant.
 */
export function zonedToInstant(t: LocalDateTime, tz: string): { ms: number; offsetMinutes: number } {
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millis ?? 0);
  const before = utcOffsetMinutes(wall - 36 * 3600_000, tz);
  const after = utcOffsetMinutes(wall + 36 * 3600_000, tz);
  // Try both offsets that apply near this day; keep the ones that read back as the same wall time.
  const candidates = [...new Set([before, after, utcOffsetMinutes(wall, tz)])]
    .map((offset) => ({ ms: wall - offset * 60_000, offsetMinutes: offset }))
    .filter((c) => utcOffsetMinutes(c.ms, tz) === c.offsetMinutes)
    .sort((a, b) => a.ms - b.ms);
  if (candidates.length > 0) return candidates[0]!;
  const ms = wall - before * 60_000;
  return { ms, offsetMinutes: utcOffsetMinutes(ms, tz) };
}

/** An ISO 8601 local date-time without offset: 2024-06-06T00:00:41 (also with a space, or fractions). */
export function parseLocalIso(text: string): LocalDateTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text.trim());
  if (!m) return undefined;
  const t = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    millis: Number((m[7] ?? '').slice(0, 3).padEnd(3, '0')),
  };
  return validLocal(t) ? t : undefined;
}

const OFFSET_ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 date-time with an offset (Z, +hh:mm or +hhmm; Apple writes "2024-01-01 01:01:36 +0200"). */
export function parseOffsetIso(text: string): { ms: number; offsetMinutes: number } | undefined {
  const m = OFFSET_ISO.exec(text.trim());
  if (!m) return undefined;
  const t = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
  };
  if (!validLocal(t)) return undefined;
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 18 || minutes > 59) return undefined;
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, millis);
  return { ms: wall - offsetMinutes * 60_000, offsetMinutes };
}

/** US-style dates as Fitbit writes them: 4/12/2016, 4/12/2016 12:00:00 AM, 05/02/2016 23:59. */
export function parseUsDateTime(text: string): LocalDateTime | undefined {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM|am|pm)?)?$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  let hour = Number(m[4] ?? 0);
  const meridiem = m[7]?.toUpperCase();
  if (meridiem) {
    if (hour < 1 || hour > 12) return undefined;
    if (meridiem === 'AM' && hour === 12) hour = 0;
    if (meridiem === 'PM' && hour !== 12) hour += 12;
  }
  const t = {
    year: Number(m[3]),
    month: Number(m[1]),
    day: Number(m[2]),
    hour,
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
  return validLocal(t) ? t : undefined;
}
