import type { Readable } from 'node:stream';
import { isTimeZone, isoWithOffset } from '../../../platform/time.js';
import { parseLocalIso, zonedToInstant } from '../time.js';
import { csvRows } from './csv.js';
import { FileProblem, numberOf, type DeviceInfo, type ParseOptions, type ParsedEvent } from './types.js';

/** The source key of Dexcom CGM readings, whichever way they arrive (Clarity file or Dexcom API). */
export const DEXCOM_SOURCE = 'dexcom';

export const dexcomDevice = (model?: string): DeviceInfo => ({
  source: DEXCOM_SOURCE,
  name: model ? `Dexcom CGM (${model})` : 'Dexcom CGM',
  provider: 'dexcom',
  device_type: 'cgm',
  manufacturer: 'Dexcom',
  ...(model ? { model } : {}),
});

/** True when the first line looks like a Dexcom Clarity export header. */
export function looksLikeClarity(firstLine: string): boolean {
  return /Event Type/.test(firstLine) && /Glucose Value \((mg\/dL|mmol\/L)\)/.test(firstLine);
}

/**
 * Dexcom Clarity CSV export. Metadata rows (name, device, alert settings) come first; then one row per
 * event. EGV rows (the sensor's estimated glucose values) and Calibration rows (meter readings entered
 * for calibration) become blood_glucose readings in the unit the header names. "Low" and "High" mean
 * the value was outside the sensor's reporting range and has no number: they are reported as skipped.
 * Timestamps are the display device's local time without an offset, so the time zone must be given.
 */
export async function* parseClarityCsv(input: Readable, options: ParseOptions): AsyncGenerator<ParsedEvent> {
  let columns:
    { time: number; type: number; subtype: number; glucose: number; deviceInfo: number } | undefined;
  let unit = 'mg/dL';
  let device = dexcomDevice();
  const tz = options.timezone;
  for await (const row of csvRows(input)) {
    const ref = `line ${row.line}`;
    if (!columns) {
      const names = row.fields.map((f) => f.trim());
      const find = (re: RegExp) => names.findIndex((n) => re.test(n));
      const glucose = find(/^Glucose Value \((mg\/dL|mmol\/L)\)$/);
      columns = {
        time: find(/^Timestamp/),
        type: find(/^Event Type$/),
        subtype: find(/^Event Subtype$/),
        glucose,
        deviceInfo: find(/^Device Info$/),
      };
      if (columns.time < 0 || columns.type < 0 || glucose < 0) {
        throw new FileProblem(
          'This CSV is not a Dexcom Clarity export: the columns "Timestamp", "Event Type" and "Glucose Value (mg/dL)" or "(mmol/L)" are missing',
        );
      }
      unit = /mmol/.test(names[glucose]!) ? 'mmol/L' : 'mg/dL';
      if (!tz) {
        throw new FileProblem(
          'Dexcom Clarity writes local times without a UTC offset: say which time zone the receiver or phone was set to, e.g. ?timezone=Europe/Paris',
          'timezone_required',
        );
      }
      if (!isTimeZone(tz)) throw new FileProblem(`"${tz}" is not an IANA time zone`, 'invalid_timezone');
      continue;
    }
    const field = (i: number) => (i >= 0 ? (row.fields[i] ?? '').trim() : '');
    const type = field(columns.type);
    const time = field(columns.time);
    if (type === 'Device' && time === '') {
      const info = field(columns.deviceInfo);
      if (info) device = dexcomDevice(info);
      continue;
    }
    if (time === '') {
      // Other metadata rows: names, alert settings.
      continue;
    }
    if (type !== 'EGV' && type !== 'Calibration') {
      yield {
        kind: 'skipped',
        ref,
        reason: `${type || 'unnamed'} events are not stored (health tracking has no metric for them)`,
      };
      continue;
    }
    const local = parseLocalIso(time);
    if (!local) {
      yield {
        kind: 'invalid',
        ref,
        problem: `Timestamp "${time}" is not a date-time like 2024-06-06T00:00:41`,
      };
      continue;
    }
    const raw = field(columns.glucose);
    if (/^(low|high)$/i.test(raw)) {
      yield {
        kind: 'skipped',
        ref,
        reason: `${raw.toLowerCase() === 'low' ? 'Below' : 'Above'} the sensor's range (reported as "${raw}", no number)`,
      };
      continue;
    }
    const value = numberOf(raw);
    if (value === undefined) {
      yield { kind: 'invalid', ref, problem: `Glucose Value "${raw}" is not a number` };
      continue;
    }
    const { ms, offsetMinutes } = zonedToInstant(local, tz!);
    yield {
      kind: 'reading',
      ref,
      device,
      reading: {
        metric_type: 'blood_glucose',
        value,
        unit,
        timestamp: isoWithOffset(ms, offsetMinutes),
        source: DEXCOM_SOURCE,
      },
    };
  }
  if (!columns) throw new FileProblem('The file is empty');
}
