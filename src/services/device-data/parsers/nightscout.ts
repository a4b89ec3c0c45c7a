import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { JSONParser } from '@streamparser/json';
import { isoWithOffset } from '../../../platform/time.js';
import { parseOffsetIso } from '../time.js';
import { asciiKey, FileProblem, type DeviceInfo, type ParsedEvent } from './types.js';

/** Readings that arrive through Nightscout (its upload API or its JSON files) carry this source key. */
export const NIGHTSCOUT_SOURCE = 'nightscout';

export const nightscoutDevice = (device?: string): DeviceInfo => ({
  source: NIGHTSCOUT_SOURCE,
  name: device ? `Nightscout uploader (${asciiKey(device, 60)})` : 'Nightscout uploader',
  provider: 'nightscout',
  device_type: 'uploader',
});

/**
 * Nightscout stores glucose in mg/dL. Dexcom receivers and uploaders use values below 40 as sensor
 * status codes (1 "sensor not active", 5 "sensor not calibrated", 9 "absolute deviation", 39 "low"...),
 * not glucose: they are skipped.
 */
export const NIGHTSCOUT_MIN_GLUCOSE = 40;

const numeric = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
};

/** The instant of a Nightscout document: `date` (epoch ms) first, then `dateString`, then `sysTime`. */
export function nightscoutInstant(
  doc: Record<string, unknown>,
  ...fields: string[]
): { ms: number; offsetMinutes: number } | undefined {
  const textual = (name: string) =>
    typeof doc[name] === 'string' ? parseOffsetIso(doc[name] as string) : undefined;
  let offsetMinutes: number | undefined = numeric(doc.utcOffset);
  const date = numeric(doc.date) ?? numeric(doc.mills);
  for (const name of fields) {
    const parsed = textual(name);
    if (parsed) {
      offsetMinutes ??= parsed.offsetMinutes;
      if (date === undefined) return { ms: parsed.ms, offsetMinutes };
      break;
    }
  }
  if (date === undefined || date <= 0) return undefined;
  const offset = offsetMinutes !== undefined && Math.abs(offsetMinutes) <= 18 * 60 ? offsetMinutes : 0;
  return { ms: Math.round(date), offsetMinutes: offset };
}

/** One Nightscout `entries` document as a reading, a skipped record or a problem. */
export function nightscoutEntryEvent(doc: unknown, ref: string): ParsedEvent {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { kind: 'invalid', ref, problem: 'is not a JSON object' };
  }
  const d = doc as Record<string, unknown>;
  const type = typeof d.type === 'string' ? d.type : d.sgv !== undefined ? 'sgv' : undefined;
  if (type !== 'sgv' && type !== 'mbg') {
    return {
      kind: 'skipped',
      ref,
      reason: `Entries of type "${String(type ?? 'none')}" are not glucose readings`,
    };
  }
  const raw = type === 'sgv' ? d.sgv : d.mbg;
  const value = numeric(raw);
  if (value === undefined)
    return { kind: 'invalid', ref, problem: `${type} ${JSON.stringify(raw)} is not a number` };
  if (value < NIGHTSCOUT_MIN_GLUCOSE) {
    return { kind: 'skipped', ref, reason: 'Sensor status codes (values under 40 mg/dL), not glucose' };
  }
  const at = nightscoutInstant(d, 'dateString', 'sysTime');
  if (!at) return { kind: 'invalid', ref, problem: 'has no usable date (epoch milliseconds) or dateString' };
  return {
    kind: 'reading',
    ref,
    device: nightscoutDevice(typeof d.device === 'string' ? d.device : undefined),
    reading: {
      metric_type: 'blood_glucose',
      value,
      unit: 'mg/dL',
      timestamp: isoWithOffset(at.ms, at.offsetMinutes),
      source: NIGHTSCOUT_SOURCE,
    },
  };
}

/** True for a Nightscout treatments document (as opposed to an entry). */
export const isTreatment = (doc: Record<string, unknown>) =>
  typeof doc.eventType === 'string' && doc.sgv === undefined;

/**
 * A Nightscout JSON file: an array of `entries` (sgv, mbg, cal) or of `treatments` (eventType, insulin,
 * carbs...), streamed element by element so that exports of years stay in constant memory.
 */
export async function* parseNightscoutJson(input: Readable): AsyncGenerator<ParsedEvent> {
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  const queue: ParsedEvent[] = [];
  let index = 0;
  let rootSeen = false;
  let failure: Error | undefined;
  parser.onValue = ({ value }) => {
    index += 1;
    const ref = `entry ${index}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && isTreatment(value)) {
      queue.push({ kind: 'treatment', ref, document: value as Record<string, unknown> });
    } else {
      queue.push(nightscoutEntryEvent(value, ref));
    }
  };
  parser.onError = (err) => {
    failure = err;
  };
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (!rootSeen) {
      const start = text.replace(/^\uFEFF/, '').trimStart();
      if (start === '') continue;
      if (!start.startsWith('[')) {
        throw new FileProblem('A Nightscout JSON file must be an array of entries or treatments');
      }
      rootSeen = true;
    }
    try {
      parser.write(text);
    } catch (err) {
      failure = err as Error;
    }
    if (failure) break;
    while (queue.length > 0) yield queue.shift()!;
  }
  if (!failure && rootSeen && !parser.isEnded) {
    try {
      parser.end();
    } catch (err) {
      failure = err as Error;
    }
  }
  while (queue.length > 0) yield queue.shift()!;
  if (failure) {
    throw new FileProblem(`The JSON is malformed after entry ${index}: ${failure.message}`, 'malformed_file');
  }
  if (!rootSeen) throw new FileProblem('The file is empty');
}
