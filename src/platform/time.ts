/**
 * Time zones and calendar days with the runtime's IANA data (Intl): the local date of an instant, the
 * instant a local day begins, offsets across daylight saving. Dates are 'YYYY-MM-DD' strings, instants
 * milliseconds since the epoch, offsets minutes east of UTC.
 */

/** True when `tz` is an IANA time zone name this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// Building a DateTimeFormat is costly; one per zone is kept (only zones Intl accepted get here).
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function cached(cache: Map<string, Intl.DateTimeFormat>, tz: string, make: () => Intl.DateTimeFormat) {
  let format = cache.get(tz);
  if (!format) {
    format = make();
    cache.set(tz, format);
  }
  return format;
}

/**
 * The offset of `tz` from UTC at instant `ms`, in minutes (negative west of Greenwich). Read from the local
 * wall clock to the second, so a historical offset with seconds (local mean time before ~1950) is rounded
 * to the nearest minute.
 */
export function utcOffsetMinutes(ms: number, tz: string): number {
  const format = cached(
    wallClockFormats,
    tz,
    () =>
      new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
  );
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const wallAsUtc = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return Math.round((wallAsUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** The local calendar date (YYYY-MM-DD) of instant `ms` in `tz`. */
export function localDate(ms: number, tz: string): string {
  const format = cached(
    dateFormats,
    tz,
    () =>
      new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }),
  );
  return format.format(ms);
}

/**
 * The instant local midnight begins on `ymd` in `tz`. The offset is looked up at a first guess and again
 * at the instant that guess gives, so a day next to a daylight-saving change gets the offset in force at
 * its own midnight. Where midnight itself is skipped (clocks jump 00:00 -> 01:00, as in America/Santiago),
 * the instant returned is the one the later offset gives, which is still the previous day's 23:00.
 */
export function localMidnight(ymd: string, tz: string): number {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  const guess = wall - utcOffsetMinutes(wall, tz) * 60_000;
  return wall - utcOffsetMinutes(guess, tz) * 60_000;
}

/** The date `days` (a whole number) after, or before when negative, a YYYY-MM-DD date. */
export function addDays(ymd: string, days: number): string {
  // Parsed as ISO text rather than Date.UTC(y, ...), which would read years 0-99 as 1900-1999.
  const date = new Date(`${ymd}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const pad2 = (n: number) => String(Math.trunc(n)).padStart(2, '0');

/** Instant `ms` written as local time with its offset: 2024-05-01T07:00:00.000+02:00 (Z when the offset is 0). */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${pad2(abs / 60)}:${pad2(abs % 60)}`;
}
