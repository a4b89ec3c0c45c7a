import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { isoWithOffset } from '../../../platform/time.js';
import { parseOffsetIso } from '../time.js';
import { asciiKey, FileProblem, numberOf, type DeviceInfo, type ParsedEvent } from './types.js';

export const APPLE_HEALTH_PROVIDER = 'apple_health';

/** Apple records carry the app or device that wrote them (sourceName): each is its own source. */
export const appleSource = (sourceName: string) => `${APPLE_HEALTH_PROVIDER}:${asciiKey(sourceName)}`;

interface UnitMap {
  /** Unit sent to health tracking. */
  unit: string;
  /** Multiply Apple's value by this (HealthKit's "%" unit holds a fraction: 0.97 is 97 %). */
  scale?: number;
}

interface QuantityDef {
  metric_type: string;
  units: Record<string, UnitMap>;
}

const MMOL_GLUCOSE = /^mmol(<[\d.]+>)?\/L$/;

/** HealthKit quantity types that have a metric in health tracking, with their units. */
const QUANTITIES: Record<string, QuantityDef> = {
  HKQuantityTypeIdentifierHeartRate: { metric_type: 'heart_rate', units: { 'count/min': { unit: 'bpm' } } },
  HKQuantityTypeIdentifierRestingHeartRate: {
    metric_type: 'resting_heart_rate',
    units: { 'count/min': { unit: 'bpm' } },
  },
  HKQuantityTypeIdentifierBloodGlucose: {
    metric_type: 'blood_glucose',
    units: { 'mg/dL': { unit: 'mg/dL' } },
  },
  HKQuantityTypeIdentifierBodyMass: {
    metric_type: 'weight',
    units: { kg: { unit: 'kg' }, g: { unit: 'g' }, lb: { unit: 'lb' }, st: { unit: 'st' } },
  },
  HKQuantityTypeIdentifierHeight: {
    metric_type: 'height',
    units: { cm: { unit: 'cm' }, m: { unit: 'm' }, in: { unit: 'in' }, ft: { unit: 'ft' } },
  },
  HKQuantityTypeIdentifierBodyMassIndex: { metric_type: 'bmi', units: { count: { unit: 'kg/m2' } } },
  HKQuantityTypeIdentifierBodyTemperature: {
    metric_type: 'body_temperature',
    units: { degC: { unit: 'degC' }, degF: { unit: 'degF' } },
  },
  HKQuantityTypeIdentifierOxygenSaturation: {
    metric_type: 'oxygen_saturation',
    units: { '%': { unit: '%', scale: 100 } },
  },
  HKQuantityTypeIdentifierBodyFatPercentage: {
    metric_type: 'body_fat_percentage',
    units: { '%': { unit: '%', scale: 100 } },
  },
  HKQuantityTypeIdentifierRespiratoryRate: {
    metric_type: 'respiratory_rate',
    units: { 'count/min': { unit: 'breaths/min' } },
  },
  HKQuantityTypeIdentifierStepCount: { metric_type: 'steps', units: { count: { unit: 'steps' } } },
  HKQuantityTypeIdentifierActiveEnergyBurned: {
    metric_type: 'active_energy',
    units: { kcal: { unit: 'kcal' }, Cal: { unit: 'kcal' }, kJ: { unit: 'kJ' } },
  },
  // Apple Watch reports HRV as SDNN (not RMSSD): it has its own metric type.
  HKQuantityTypeIdentifierHeartRateVariabilitySDNN: {
    metric_type: 'heart_rate_variability_sdnn',
    units: { ms: { unit: 'ms' } },
  },
  HKQuantityTypeIdentifierDistanceWalkingRunning: {
    metric_type: 'walking_running_distance',
    units: { km: { unit: 'km' }, m: { unit: 'm' }, mi: { unit: 'mi' } },
  },
};

const SLEEP = 'HKCategoryTypeIdentifierSleepAnalysis';
/** Asleep values (iOS 16 splits sleep into core, deep and REM; older exports have "Asleep"). */
const ASLEEP = new Set([
  'HKCategoryValueSleepAnalysisAsleep',
  'HKCategoryValueSleepAnalysisAsleepUnspecified',
  'HKCategoryValueSleepAnalysisAsleepCore',
  'HKCategoryValueSleepAnalysisAsleepDeep',
  'HKCategoryValueSleepAnalysisAsleepREM',
]);
const BP_CORRELATION = 'HKCorrelationTypeIdentifierBloodPressure';
const SYSTOLIC = 'HKQuantityTypeIdentifierBloodPressureSystolic';
const DIASTOLIC = 'HKQuantityTypeIdentifierBloodPressureDiastolic';

const shortType = (type: string) => type.replace(/^HK(Quantity|Category|Correlation|Data)TypeIdentifier/, '');

/** `<<HKDevice: 0x...>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, ...>` */
export function parseHkDevice(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  const body = text.replace(/^<<HKDevice:[^>]*>,?\s*/, '').replace(/>$/, '');
  for (const part of body.split(/,\s*(?=[A-Za-z]+:)/)) {
    const i = part.indexOf(':');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function deviceOf(sourceName: string, deviceAttr: string | undefined): DeviceInfo {
  const hk = parseHkDevice(deviceAttr);
  const kind = `${hk.name ?? ''} ${hk.model ?? ''} ${sourceName}`;
  const device_type = /watch/i.test(kind)
    ? 'smartwatch'
    : /iphone/i.test(kind)
      ? 'phone'
      : /scale/i.test(kind)
        ? 'smart_scale'
        : 'app';
  return {
    source: appleSource(sourceName),
    name: sourceName.slice(0, 200) || 'Apple Health',
    provider: APPLE_HEALTH_PROVIDER,
    device_type,
    ...(hk.manufacturer ? { manufacturer: hk.manufacturer.slice(0, 200) } : {}),
    ...(hk.model || hk.hardware
      ? { model: [hk.model, hk.hardware].filter(Boolean).join(' ').slice(0, 200) }
      : {}),
  };
}

/**
 * Apple Health `export.xml` (the file inside export.zip), streamed with a SAX parser so that exports of
 * several gigabytes are read in constant memory. Quantity records of the catalogue's metrics become
 * readings (timestamp: the record's start, with Apple's offset), asleep periods of sleep analysis become
 * sleep durations, and blood pressure comes from its correlation (the systolic/diastolic pair). Other
 * record types, workouts and activity summaries are counted as skipped, by type.
 *
 * `fragment`: accept a file without the HealthData root (pieces cut from an export, for tests).
 */
export async function* parseAppleHealthXml(
  input: Readable,
  options: { fragment?: boolean } = {},
): AsyncGenerator<ParsedEvent> {
  const parser = new SaxesParser({ xmlns: false, position: true, fragment: options.fragment ?? false });
  const queue: ParsedEvent[] = [];
  const devices = new Map<string, DeviceInfo>();
  let rootChecked = options.fragment ?? false;
  let failure: Error | undefined;
  let correlation:
    { attrs: Record<string, string>; line: number; records: Record<string, string>[] } | undefined;
  let depthInCorrelation = 0;
  let tagLine = 1;

  const device = (attrs: Record<string, string>) => {
    const name = attrs.sourceName ?? 'Apple Health';
    let d = devices.get(name);
    if (!d) {
      d = deviceOf(name, attrs.device);
      if (devices.size < 10_000) devices.set(name, d);
    }
    return d;
  };

  const record = (attrs: Record<string, string>, ref: string) => {
    const type = attrs.type ?? '';
    if (type === SYSTOLIC || type === DIASTOLIC) {
      queue.push({
        kind: 'skipped',
        ref,
        reason: 'Blood pressure halves (imported as pairs from their correlation)',
      });
      return;
    }
    const start = parseOffsetIso(attrs.startDate ?? '');
    if (!start) {
      queue.push({
        kind: 'invalid',
        ref,
        problem: `${shortType(type)}: startDate "${attrs.startDate ?? ''}" is not a date`,
      });
      return;
    }
    const timestamp = isoWithOffset(start.ms, start.offsetMinutes);
    // The device is remembered per source name: its key is not worked out again for every record.
    const source = device(attrs).source;
    if (type === SLEEP) {
      if (!ASLEEP.has(attrs.value ?? '')) {
        queue.push({
          kind: 'skipped',
          ref,
          reason: `Sleep analysis "${(attrs.value ?? '').replace('HKCategoryValueSleepAnalysis', '')}" (only time asleep is stored)`,
        });
        return;
      }
      const end = parseOffsetIso(attrs.endDate ?? '');
      if (!end || end.ms < start.ms) {
        queue.push({
          kind: 'invalid',
          ref,
          problem: `SleepAnalysis: endDate "${attrs.endDate ?? ''}" is not after startDate`,
        });
        return;
      }
      queue.push({
        kind: 'reading',
        ref,
        device: device(attrs),
        at: start.ms,
        reading: {
          metric_type: 'sleep_duration',
          value: Math.round((end.ms - start.ms) / 600) / 100,
          unit: 'min',
          timestamp,
          source,
        },
      });
      return;
    }
    const def = QUANTITIES[type];
    if (!def) {
      queue.push({
        kind: 'skipped',
        ref,
        reason: `${shortType(type) || 'untyped'} records (no such metric in health tracking)`,
      });
      return;
    }
    const appleUnit = attrs.unit ?? '';
    const unit =
      def.metric_type === 'blood_glucose' && MMOL_GLUCOSE.test(appleUnit)
        ? { unit: 'mmol/L' }
        : def.units[appleUnit];
    if (!unit) {
      queue.push({
        kind: 'invalid',
        ref,
        problem: `${shortType(type)}: unit "${appleUnit}" is not one this importer knows`,
      });
      return;
    }
    const value = numberOf(attrs.value);
    if (value === undefined) {
      queue.push({
        kind: 'invalid',
        ref,
        problem: `${shortType(type)}: value "${attrs.value ?? ''}" is not a number`,
      });
      return;
    }
    queue.push({
      kind: 'reading',
      ref,
      device: device(attrs),
      at: start.ms,
      reading: {
        metric_type: def.metric_type,
        value: unit.scale ? Math.round(value * unit.scale * 1e6) / 1e6 : value,
        unit: unit.unit,
        timestamp,
        source,
      },
    });
  };

  const bloodPressure = (c: NonNullable<typeof correlation>) => {
    const ref = `line ${c.line}`;
    const sys = c.records.find((r) => r.type === SYSTOLIC);
    const dia = c.records.find((r) => r.type === DIASTOLIC);
    const start = parseOffsetIso(c.attrs.startDate ?? '');
    const systolic = numberOf(sys?.value);
    const diastolic = numberOf(dia?.value);
    if (!start || systolic === undefined || diastolic === undefined) {
      queue.push({
        kind: 'invalid',
        ref,
        problem: 'BloodPressure correlation without a dated systolic/diastolic pair',
      });
      return;
    }
    if ((sys?.unit ?? 'mmHg') !== 'mmHg' || (dia?.unit ?? 'mmHg') !== 'mmHg') {
      queue.push({ kind: 'invalid', ref, problem: `BloodPressure: unit "${sys?.unit}" is not mmHg` });
      return;
    }
    queue.push({
      kind: 'reading',
      ref,
      device: device(c.attrs),
      at: start.ms,
      reading: {
        metric_type: 'blood_pressure',
        value: { systolic, diastolic },
        unit: 'mmHg',
        timestamp: isoWithOffset(start.ms, start.offsetMinutes),
        source: appleSource(c.attrs.sourceName ?? 'Apple Health'),
      },
    });
  };

  parser.on('opentagstart', () => {
    tagLine = parser.line;
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    if (!rootChecked) {
      rootChecked = true;
      if (tag.name !== 'HealthData') {
        failure = new FileProblem(
          `This XML is not an Apple Health export (its root is <${tag.name}>, not <HealthData>)`,
        );
      }
      return;
    }
    const ref = `line ${tagLine}`;
    if (correlation) {
      depthInCorrelation += 1;
      // Records inside a correlation also appear at the top level of the export: only pair them here.
      if (tag.name === 'Record' && depthInCorrelation === 1) correlation.records.push(tag.attributes);
      return;
    }
    switch (tag.name) {
      case 'Record':
        record(tag.attributes, ref);
        break;
      case 'Correlation':
        if (tag.attributes.type === BP_CORRELATION) {
          correlation = { attrs: tag.attributes, line: tagLine, records: [] };
          depthInCorrelation = 0;
          if (tag.isSelfClosing) {
            bloodPressure(correlation);
            correlation = undefined;
          }
        } else {
          queue.push({
            kind: 'skipped',
            ref,
            reason: `${shortType(tag.attributes.type ?? '')} correlations (their records are imported one by one)`,
          });
        }
        break;
      case 'Workout':
        queue.push({ kind: 'skipped', ref, reason: 'Workouts (no workout store yet)' });
        break;
      case 'ActivitySummary':
        queue.push({
          kind: 'skipped',
          ref,
          reason: 'Activity summaries (daily rings; the records they sum are imported)',
        });
        break;
      default:
        break;
    }
  });
  parser.on('closetag', (tag: SaxesTagPlain) => {
    if (!correlation) return;
    if (depthInCorrelation === 0 && tag.name === 'Correlation') {
      bloodPressure(correlation);
      correlation = undefined;
    } else {
      depthInCorrelation -= 1;
    }
  });
  parser.on('error', (err: Error) => {
    failure ??= new FileProblem(`The XML is malformed: ${err.message}`, 'malformed_file');
  });

  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    parser.write(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    while (queue.length > 0) yield queue.shift()!;
    if (failure) throw failure;
  }
  parser.close();
  while (queue.length > 0) yield queue.shift()!;
  if (failure) throw failure;
  if (!rootChecked) throw new FileProblem('The file is empty');
}
