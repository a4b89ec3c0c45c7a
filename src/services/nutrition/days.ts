/** Local calendar days as UTC instant ranges, for daily totals in the person's time zone. */
import { addDays, localDate, localMidnight } from '../../platform/time.js';

/** The UTC instants at which `date` (YYYY-MM-DD) begins and the next day begins, in `tz`. */
export function dayRange(date: string, tz: string): { from: Date; to: Date } {
  return { from: new Date(localMidnight(date, tz)), to: new Date(localMidnight(addDays(date, 1), tz)) };
}

export function isRealDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date;
}

/** Today's date in `tz`. */
export function today(tz: string, now = new Date()): string {
  return localDate(now.getTime(), tz);
}

/** The Monday on or before `date`. */
export function mondayOf(date: string): string {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((dow + 6) % 7));
}
