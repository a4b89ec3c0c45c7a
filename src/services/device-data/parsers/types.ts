/**
 * What every parser yields: readings for health tracking (metric type, value, explicit unit, instant
 * with its offset, and the source key that makes the record's identity), records deliberately left out
 * (with the reason), and malformed records (with where they are in the file).
 */

/** A device or data source as a file describes it. `source` is the stable key readings carry. */
export interface DeviceInfo {
  source: string;
  name: string;
  provider: string;
  device_type: string;
  manufacturer?: string;
  model?: string;
}

export interface Reading {
  metric_type: string;
  value: number | { systolic: number; diastolic: number };
  unit: string;
  /** ISO 8601 with the offset the source recorded (or the one worked out from the time zone given). */
  timestamp: string;
  source: string;
}

/** Where a record is: "line 12" for text files, "entry 3" for JSON arrays. */
export type Ref = string;

export type ParsedEvent =
  | {
      kind: 'reading';
      ref: Ref;
      reading: Reading;
      device: DeviceInfo;
      /** The reading's instant in ms, when the parser has it at hand (saves parsing `timestamp` again). */
      at?: number;
    }
  | { kind: 'treatment'; ref: Ref; document: Record<string, unknown> }
  | { kind: 'skipped'; ref: Ref; reason: string }
  | { kind: 'invalid'; ref: Ref; problem: string };

/** A problem that stops the whole file (wrong format, missing column, missing time zone). */
export class FileProblem extends Error {
  constructor(
    message: string,
    readonly code = 'unsupported_file',
  ) {
    super(message);
    this.name = 'FileProblem';
  }
}

export interface ParseOptions {
  /** IANA zone of files with local times (Dexcom Clarity, Fitbit). */
  timezone?: string;
  /** Fitbit research exports hold several people: the Id whose rows are mine. */
  fitbitUserId?: string;
}

/** Text for a `source` key: printable ASCII only (health tracking's rule), at most `max` characters. */
export function asciiKey(text: string, max = 80): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.slice(0, max) || 'unknown';
}

/** A finite number from text, or undefined ("", "Low", "1,2" are not numbers). */
export function numberOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '' || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
