import { looksLikeClarity } from './clarity.js';
import { fitbitTableOf } from './fitbit.js';

export const IMPORT_FORMATS = [
  'apple_health_zip',
  'apple_health_xml',
  'dexcom_clarity_csv',
  'fitbit_csv',
  'nightscout_json',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const FORMAT_NAMES: Record<ImportFormat, string> = {
  apple_health_zip: 'Apple Health export.zip',
  apple_health_xml: 'Apple Health export.xml',
  dexcom_clarity_csv: 'Dexcom Clarity CSV export',
  fitbit_csv: 'Fitbit CSV table (dailyActivity, sleepDay, weightLogInfo, heartrate_seconds)',
  nightscout_json: 'Nightscout JSON (an array of entries or treatments)',
};

/** How many leading bytes `detectFormat` looks at. */
export const SNIFF_BYTES = 64 * 1024;

/** Recognises a file by its first bytes (not by its name or content type, which are often wrong). */
export function detectFormat(head: Buffer): ImportFormat | undefined {
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'apple_health_zip';
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('<')) {
    return /<HealthData[\s>]|<!DOCTYPE HealthData/.test(text) ? 'apple_health_xml' : undefined;
  }
  if (text.startsWith('[')) return 'nightscout_json';
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (looksLikeClarity(firstLine)) return 'dexcom_clarity_csv';
  if (fitbitTableOf(firstLine)) return 'fitbit_csv';
  return undefined;
}
