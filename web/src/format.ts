// Numbers, dates and times as the user asked for them (language and region, time zone), and the
// conversions between a time typed in the user's time zone and the ISO instants the API speaks.

export interface Preferences {
  /** IANA time zone the user chose, or this device's when none was chosen. */
  timezone: string;
  /** True when the profile has no time zone and `timezone` is this device's. */
  timezoneFromDevice: boolean;
  locale: string | undefined;
  unitSystem: 'metric' | 'imperial';
}

export function deviceTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** The locale if the browser knows it, else the browser's own. */
export function usableLocale(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  try {
    return Intl.getCanonicalLocales(locale)[0];
  } catch {
    return undefined;
  }
}

const pad = (n: number, width = 2) => String(Math.trunc(Math.abs(n))).padStart(width, '0');

/** Offset of `timeZone` from UTC at the instant `ms`, in minutes (+60 for UTC+01:00). */
export function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
}

const offsetText = (minutes: number) =>
  `${minutes < 0 ? '-' : '+'}${pad(Math.abs(minutes) / 60)}:${pad(Math.abs(minutes) % 60)}`;

/** The wall-clock parts of an instant in a time zone. */
function wallParts(ms: number, timeZone: string) {
  const local = new Date(ms + zoneOffset(ms, timeZone) * 60_000);
  return {
    date: `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`,
    time: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`,
    seconds: `${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}`,
  };
}

/** An instant written in a time zone with its offset, e.g. 2025-05-01T07:00:00.000+01:00. */
export function isoInZone(ms: number, timeZone: string): string {
  const { date, time, seconds } = wallParts(ms, timeZone);
  return `${date}T${time}:${seconds}${offsetText(zoneOffset(ms, timeZone))}`;
}

/** `YYYY-MM-DDTHH:mm` (a datetime-local input's value) of an instant in a time zone. */
export function localInputValue(iso: string | number, timeZone: string): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  const { date, time } = wallParts(ms, timeZone);
  return `${date}T${time}`;
}

/**
 * The instant a wall-clock time (`YYYY-MM-DDTHH:mm` or a date `YYYY-MM-DD`, meaning its midnight)
 * names in a time zone, written with that zone's offset. In the hour a clock skips, the later offset
 * applies; in the hour it repeats, the earlier.
 */
export function zonedIso(local: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(local);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00'] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  if (Number.isNaN(wall)) return null;
  let offset = zoneOffset(wall, timeZone);
  const second = zoneOffset(wall - offset * 60_000, timeZone);
  if (second !== offset) offset = second;
  return `${y}-${mo}-${d}T${h}:${mi}:00${offsetText(offset)}`;
}

/** Milliseconds of the midnight that starts the day `ms` falls in, in a time zone. */
export function startOfDay(ms: number, timeZone: string): number {
  return Date.parse(zonedIso(wallParts(ms, timeZone).date, timeZone)!);
}

/** Today's date (`YYYY-MM-DD`) in a time zone. */
export const todayIn = (timeZone: string) => wallParts(Date.now(), timeZone).date;

export function formatters(prefs: Preferences) {
  const locale = usableLocale(prefs.locale);
  const timeZone = prefs.timezone;
  const dateTime = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'medium' });
  const calendarDate = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'medium' });
  const numbers = new Map<number, Intl.NumberFormat>();
  const numberFormat = (digits: number) => {
    let f = numbers.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(locale, { maximumFractionDigits: digits });
      numbers.set(digits, f);
    }
    return f;
  };
  return {
    locale,
    timeZone,
    /** A number as typed (up to three decimals). */
    exact: (n: number) => numberFormat(3).format(n),
    /** A measured or computed figure, to a precision that suits its size (69.9, 101, 5.6). */
    figure: (n: number) => numberFormat(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2).format(n),
    percent: (n: number) => `${numberFormat(1).format(n)} %`,
    dateTime: (iso: string | number) => dateTime.format(new Date(iso)),
    date: (iso: string | number) => dateOnly.format(new Date(iso)),
    /** A calendar date (`YYYY-MM-DD`, no time zone), e.g. a goal's deadline. */
    calendarDate: (day: string) => calendarDate.format(new Date(`${day}T00:00:00Z`)),
    /** `Intl.DateTimeFormat` in the user's zone and language with the given options. */
    custom: (options: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat(locale, { timeZone, ...options }),
  };
}

export type Formatters = ReturnType<typeof formatters>;

/** "1 h 30 min", "45 min", "2 days 3 h". */
export function duration(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  // No-break spaces keep each number with its unit when the line wraps.
  if (days) parts.push(`${days}\u00a0${days === 1 ? 'day' : 'days'}`);
  if (hours) parts.push(`${hours}\u00a0h`);
  if (mins || parts.length === 0) parts.push(`${mins}\u00a0min`);
  return parts.join(' ');
}

/** A file's size: 1.2 MB, 340 kB, 12 bytes. */
export function bytes(n: number, fmt: Formatters): string {
  if (n >= 1_000_000_000) return `${fmt.figure(n / 1_000_000_000)}\u00a0GB`;
  if (n >= 1_000_000) return `${fmt.figure(n / 1_000_000)}\u00a0MB`;
  if (n >= 1_000) return `${fmt.figure(n / 1_000)}\u00a0kB`;
  return `${n}\u00a0bytes`;
}
