import type { Readable } from 'node:stream';
import { isTimeZone, isoWithOffset } from '../../../platform/time.js';
import { parseUsDateTime, zonedToInstant } from '../time.js';
import { csvRows, headerIndex } from './csv.js';
import {
  FileProblem,
  numberOf,
  type DeviceInfo,
  type ParseOptions,
  type ParsedEvent,
  type Reading,
} from './types.js';

export const FITBIT_SOURCE = 'fitbit';

const FITBIT_DEVICE: DeviceInfo = {
  source: FITBIT_SOURCE,
  name: 'Fitbit',
  provider: 'fitbit',
  device_type: 'activity_tracker',
  manufacturer: 'Fitbit',
};

/** The Fitbit tables this importer reads, by the columns that identify them. */
export type FitbitTable = 'daily_activity' | 'sleep_day' | 'weight_log' | 'heartrate_seconds';

export function fitbitTableOf(header: string): FitbitTable | undefined {
  const names = header
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((n) => n.trim().replace(/^"|"$/g, ''));
  const has = (...required: string[]) => required.every((r) => names.includes(r));
  if (has('ActivityDate', 'TotalSteps')) return 'daily_activity';
  if (has('SleepDay', 'TotalMinutesAsleep')) return 'sleep_day';
  if (has('Date', 'WeightKg')) return 'weight_log';
  if (has('Id', 'Time', 'Value') && names.length === 3) return 'heartrate_seconds';
  return undefined;
}

interface Mapping {
  time: string;
  values: { column: string; metric_type: string; unit: string; keepZero?: boolean }[];
}

/**
 * What each table holds. Daily totals are dated at the start of the day. The calories columns are
 * total energy expenditure (basal and active together), which no catalogue metric holds, so they are
 * not imported; distances and active minutes neither (no such metric).
 */
const MAPPINGS: Record<FitbitTable, Mapping> = {
  daily_activity: {
    time: 'ActivityDate',
    values: [{ column: 'TotalSteps', metric_type: 'steps', unit: 'steps', keepZero: false }],
  },
  sleep_day: {
    time: 'SleepDay',
    values: [{ column: 'TotalMinutesAsleep', metric_type: 'sleep_duration', unit: 'min', keepZero: false }],
  },
  weight_log: {
    time: 'Date',
    values: [
      { column: 'WeightKg', metric_type: 'weight', unit: 'kg' },
      { column: 'Fat', metric_type: 'body_fat_percentage', unit: '%' },
      { column: 'BMI', metric_type: 'bmi', unit: 'kg/m2' },
    ],
  },
  heartrate_seconds: {
    time: 'Time',
    values: [{ column: 'Value', metric_type: 'heart_rate', unit: 'bpm' }],
  },
};

/**
 * Fitbit CSV tables (the "merged" layout of Fitbit exports: dailyActivity, sleepDay, weightLogInfo,
 * heartrate_seconds). Dates are US-style local times without an offset, so the time zone must be given.
 * Files that hold several people (an Id column with different values) need `fitbit_user_id` to say
 * whose rows to take; rows of other Ids are skipped.
 */
export async function* parseFitbitCsv(input: Readable, options: ParseOptions): AsyncGenerator<ParsedEvent> {
  let table: FitbitTable | undefined;
  let index = new Map<string, number>();
  let onlyId = options.fitbitUserId;
  const tz = options.timezone;
  for await (const row of csvRows(input)) {
    const ref = `line ${row.line}`;
    if (!table) {
      table = fitbitTableOf(row.fields.join(','));
      if (!table) throw new FileProblem('This CSV is not a Fitbit table this importer knows');
      if (!tz) {
        throw new FileProblem(
          'Fitbit writes local times without a UTC offset: say which time zone the tracker was set to, e.g. ?timezone=America/New_York',
          'timezone_required',
        );
      }
      if (!isTimeZone(tz)) throw new FileProblem(`"${tz}" is not an IANA time zone`, 'invalid_timezone');
      index = headerIndex(row.fields);
      continue;
    }
    const field = (name: string) => {
      const i = index.get(name);
      return i === undefined ? '' : (row.fields[i] ?? '').trim();
    };
    const id = field('Id');
    if (id !== '') {
      if (onlyId === undefined) onlyId = id;
      if (id !== onlyId) {
        yield {
          kind: 'skipped',
          ref,
          reason: `Rows of another Fitbit user (this file holds several people; choose one with fitbit_user_id)`,
        };
        continue;
      }
    }
    const mapping = MAPPINGS[table];
    const timeText = field(mapping.time);
    const local = parseUsDateTime(timeText);
    if (!local) {
      yield { kind: 'invalid', ref, problem: `${mapping.time} "${timeText}" is not a date like 4/12/2016` };
      continue;
    }
    const { ms, offsetMinutes } = zonedToInstant(local, tz!);
    const timestamp = isoWithOffset(ms, offsetMinutes);
    for (const v of mapping.values) {
      const raw = field(v.column);
      if (raw === '') continue;
      const value = numberOf(raw);
      if (value === undefined) {
        yield { kind: 'invalid', ref, problem: `${v.column} "${raw}" is not a number` };
        continue;
      }
      if (value === 0 && v.keepZero === false) {
        // A day with zero steps or no minutes asleep is a day the tracker was not worn.
        yield { kind: 'skipped', ref, reason: `${v.column} is 0 (tracker not worn that day)` };
        continue;
      }
      const reading: Reading = {
        metric_type: v.metric_type,
        value,
        unit: v.unit,
        timestamp,
        source: FITBIT_SOURCE,
      };
      yield { kind: 'reading', ref, reading, device: FITBIT_DEVICE };
    }
  }
  if (!table) throw new FileProblem('The file is empty');
}
