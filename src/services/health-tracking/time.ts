/**
 * Instants as the API speaks them: ISO 8601 / RFC 3339 date-times with an offset on the way in, stored as
 * a UTC instant (milliseconds) plus the original offset in minutes, and written back with that offset so
 * that a reading taken at 07:00 local time stays a 07:00 reading.
 */
import { isoWithOffset } from '../../platform/time.js';

export interface Instant {
  ms: number;
  /** Offset from UTC in minutes as sent (+120 for +02:00); null when none is known. */
  offsetMinutes: number | null;
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|([+-])(\d{2}):?(\d{2}))$/;

/** Earliest instant accepted: nothing measured before 1900 is tracked here. */
export const EARLIEST_MS = Date.UTC(1900, 0, 1);

/**
 * Parses an ISO 8601 date-time that carries an offset ('Z' or ±hh:mm). Fractions finer than a millisecond
 * are truncated. Returns a problem description instead of throwing.
 */
export function parseInstant(text: string): Instant | { problem: string } {
  // A '+' in a query string arrives as a space; put it back.
  const normalised = text.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const m = ISO_INSTANT.exec(normalised);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(normalised)) {
      return { problem: 'must carry a UTC offset, e.g. 2024-05-01T07:00:00+02:00 or ...Z' };
    }
    return { problem: 'must be an ISO 8601 date-time with an offset, e.g. 2024-05-01T07:00:00+02:00' };
  }
  const [, y, mo, d, h, mi, s = '0', frac = '', z, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const millis = Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) {
    return { problem: 'is not a real date and time' };
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return { problem: 'is not a real date' };
  }
  let offsetMinutes = 0;
  if (z !== 'Z' && z !== 'z') {
    const hours = Number(oh);
    const minutes = Number(om);
    if (hours > 18 || minutes > 59) return { problem: 'has an offset outside ±18:00' };
    offsetMinutes = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return { ms: local - offsetMinutes * 60_000, offsetMinutes };
}

/** Writes an instant with its original offset ('Z' when the offset is zero or unknown). */
export function formatInstant(ms: number, offsetMinutes: number | null): string {
  return isoWithOffset(ms, offsetMinutes ?? 0);
}

/** 'YYYY-MM-DD' of a UTC day number (days since 1970-01-01). */
export const dayString = (dayNumber: number) => new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);

/** Today's date in UTC as 'YYYY-MM-DD'. */
export const todayUtc = (now = new Date()) => now.toISOString().slice(0, 10);
