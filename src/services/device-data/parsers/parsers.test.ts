import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseAppleHealthXml, parseHkDevice } from './apple-health.js';
import { parseClarityCsv } from './clarity.js';
import { detectFormat } from './detect.js';
import { parseFitbitCsv } from './fitbit.js';
import { nightscoutEntryEvent, parseNightscoutJson } from './nightscout.js';
import { FileProblem, type ParsedEvent } from './types.js';

const SHARED = fileURLToPath(new URL('../../../../../shared/fixtures/', import.meta.url));
const LOCAL = fileURLToPath(new URL('../test-fixtures/', import.meta.url));
const haveShared = existsSync(SHARED);
const sharedNote = haveShared ? '' : ' (skipped: ../shared/fixtures is absent)';

async function collect(gen: AsyncGenerator<ParsedEvent>) {
  const events: ParsedEvent[] = [];
  for await (const e of gen) events.push(e);
  const readings = events.flatMap((e) => (e.kind === 'reading' ? [e] : []));
  const skipped = events.flatMap((e) => (e.kind === 'skipped' ? [e] : []));
  const invalid = events.flatMap((e) => (e.kind === 'invalid' ? [e] : []));
  const treatments = events.flatMap((e) => (e.kind === 'treatment' ? [e] : []));
  return { events, readings, skipped, invalid, treatments };
}

const text = (s: string) => Readable.from([Buffer.from(s)]);
/** Splits a text into chunks of `size` bytes, cutting multi-byte characters and tags in half. */
const chunked = (s: string, size: number) => {
  const b = Buffer.from(s);
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
};

describe('Dexcom Clarity CSV', () => {
  it('reads the trimmed sample: EGVs in mg/dL at local time, "Low" skipped, line numbers kept', async () => {
    const r = await collect(
      parseClarityCsv(createReadStream(`${LOCAL}dexcom-clarity-sample.csv`), { timezone: 'Europe/Berlin' }),
    );
    expect(r.invalid).toEqual([]);
    expect(r.readings[0]).toMatchObject({
      ref: 'line 8',
      reading: {
        metric_type: 'blood_glucose',
        value: 128,
        unit: 'mg/dL',
        // 2024-06-06T00:00:41 in Berlin (summer time, UTC+2).
        timestamp: '2024-06-06T00:00:41.000+02:00',
        source: 'dexcom',
      },
      device: { source: 'dexcom', model: 'Dexcom ONE+ Mobile App', device_type: 'cgm' },
    });
    const lows = r.skipped.filter((s) => /Below the sensor's range/.test(s.reason));
    expect(lows).toHaveLength(2);
    expect(r.readings).toHaveLength(53 + 111 - 2);
  });

  it.skipIf(!haveShared)(`reads all 4,030 numeric EGVs of the 14-day export${sharedNote}`, async () => {
    const r = await collect(
      parseClarityCsv(createReadStream(`${SHARED}cgm/dexcom-clarity-export-14d.csv`), { timezone: 'UTC' }),
    );
    expect(r.readings).toHaveLength(4030);
    expect(r.invalid).toEqual([]);
    expect(r.readings.at(-1)!.reading.timestamp).toBe('2024-06-20T14:32:58.000Z');
    const values = r.readings.map((e) => e.reading.value as number);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(40);
    expect(new Set(r.readings.map((e) => e.reading.timestamp)).size).toBe(4030);
  });

  it('reads mmol/L exports in mmol/L and reports malformed rows with their line', async () => {
    const csv =
      '"Index","Timestamp (YYYY-MM-DDThh:mm:ss)","Event Type","Event Subtype","Glucose Value (mmol/L)"\r\n' +
      '"1","2024-01-10T08:00:00","EGV","","6.1"\r\n' +
      '"2","2024-01-10T08:05:00","EGV","","six"\r\n' +
      '"3","2024-13-10T08:05:00","EGV","","6.0"\r\n' +
      '"4","2024-01-10T08:10:00","Insulin","Fast-Acting",""\r\n' +
      '"5","2024-03-31T02:30:00","EGV","","5.5"\r\n';
    const r = await collect(parseClarityCsv(text(csv), { timezone: 'Europe/Paris' }));
    expect(r.readings.map((e) => [e.reading.value, e.reading.unit, e.reading.timestamp])).toEqual([
      [6.1, 'mmol/L', '2024-01-10T08:00:00.000+01:00'],
      // 02:30 does not exist on 31 March 2024 in Paris (clocks go 02:00 -> 03:00): read with the winter offset.
      [5.5, 'mmol/L', '2024-03-31T03:30:00.000+02:00'],
    ]);
    expect(r.invalid).toEqual([
      { kind: 'invalid', ref: 'line 3', problem: 'Glucose Value "six" is not a number' },
      { kind: 'invalid', ref: 'line 4', problem: expect.stringContaining('2024-13-10T08:05:00') },
    ]);
    expect(r.skipped[0]).toMatchObject({ ref: 'line 5', reason: expect.stringContaining('Insulin') });
  });

  it('needs a time zone, and a Clarity header', async () => {
    await expect(
      collect(parseClarityCsv(createReadStream(`${LOCAL}dexcom-clarity-sample.csv`), {})),
    ).rejects.toMatchObject({ code: 'timezone_required' });
    await expect(
      collect(parseClarityCsv(text('a,b,c\n1,2,3\n'), { timezone: 'UTC' })),
    ).rejects.toBeInstanceOf(FileProblem);
  });
});

describe('Apple Health export.xml', () => {
  it('reads the Apple Watch sample: heart rate, active energy, sleep asleep only, devices from the record', async () => {
    const r = await collect(
      parseAppleHealthXml(createReadStream(`${LOCAL}apple-health-applewatch-sample.xml`)),
    );
    expect(r.invalid).toEqual([]);
    const byType = (t: string) => r.readings.filter((e) => e.reading.metric_type === t).map((e) => e.reading);
    expect(byType('heart_rate')).toEqual([
      {
        metric_type: 'heart_rate',
        value: 74,
        unit: 'bpm',
        timestamp: '2024-01-01T01:01:36.000+02:00',
        source: "apple_health:Alexandre's Apple Watch",
      },
      expect.objectContaining({ value: 75, timestamp: '2024-01-01T01:01:37.000+02:00' }),
    ]);
    expect(byType('active_energy').map((x) => [x.value, x.unit])).toEqual([
      [0.12, 'kcal'],
      [0.08, 'kcal'],
    ]);
    // AsleepCore 03:27:53 -> 03:40:23 = 12.5 minutes; the iPhone's InBed period is not sleep.
    expect(byType('sleep_duration')).toEqual([expect.objectContaining({ value: 12.5, unit: 'min' })]);
    expect(r.skipped.map((s) => s.reason)).toEqual(
      expect.arrayContaining([
        'AppleExerciseTime records (no such metric in health tracking)',
        'AppleStandTime records (no such metric in health tracking)',
        'Sleep analysis "InBed" (only time asleep is stored)',
      ]),
    );
    const watch = r.readings.find((e) => e.reading.metric_type === 'heart_rate')!;
    expect(watch.device).toMatchObject({
      name: "Alexandre's Apple Watch",
      device_type: 'smartwatch',
      manufacturer: 'Apple Inc.',
      model: 'Watch Watch6,7',
    });
    expect(watch.ref).toBe('line 9');
  });

  it('reads the HealthKit v3 export with its DTD, even cut into 7-byte chunks', async () => {
    const { readFileSync } = await import('node:fs');
    const xml = readFileSync(`${LOCAL}apple-health-iphone6s-sample.xml`, 'utf8');
    const whole = await collect(parseAppleHealthXml(text(xml)));
    const pieces = await collect(parseAppleHealthXml(chunked(xml, 7)));
    expect(pieces.events).toEqual(whole.events);
    expect(whole.readings).toHaveLength(15); // 10 step counts and 5 walking/running distances
    expect(whole.readings[0]!.reading).toEqual({
      metric_type: 'steps',
      value: 329,
      unit: 'steps',
      timestamp: '2014-09-13T10:27:54.000+01:00',
      source: 'apple_health:Health',
    });
    expect(whole.skipped.map((s) => s.reason)).toEqual(
      expect.arrayContaining(['Workouts (no workout store yet)']),
    );
    const distances = whole.readings.filter((e) => e.reading.metric_type === 'walking_running_distance');
    expect(distances.length).toBeGreaterThan(0);
    expect(distances.every((e) => e.reading.unit === 'km')).toBe(true);
  });

  it('reads heart rate variability as SDNN and walking distance with their units', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_GB">
 <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Watch" unit="ms" startDate="2024-03-01 06:55:00 +0000" endDate="2024-03-01 06:56:00 +0000" value="48.2"/>
 <Record type="HKQuantityTypeIdentifierDistanceWalkingRunning" sourceName="Watch" unit="mi" startDate="2024-03-01 07:00:00 +0000" endDate="2024-03-01 07:10:00 +0000" value="0.62"/>
</HealthData>`;
    const r = await collect(parseAppleHealthXml(text(xml)));
    expect(r.invalid).toEqual([]);
    expect(r.readings.map((e) => [e.reading.metric_type, e.reading.value, e.reading.unit])).toEqual([
      ['heart_rate_variability_sdnn', 48.2, 'ms'],
      ['walking_running_distance', 0.62, 'mi'],
    ]);
  });

  it('pairs blood pressure from its correlation, scales HealthKit percentages and converts glucose units', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="fr_FR">
 <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Tensiomètre" unit="mmHg" startDate="2024-02-01 07:00:00 +0100" endDate="2024-02-01 07:00:00 +0100" value="128"/>
 <Record type="HKQuantityTypeIdentifierOxygenSaturation" sourceName="Montre de Zoé" unit="%" startDate="2024-02-01 07:01:00 +0100" endDate="2024-02-01 07:01:00 +0100" value="0.97"/>
 <Record type="HKQuantityTypeIdentifierBloodGlucose" sourceName="Glucomètre" unit="mmol&lt;180.1558800000541&gt;/L" startDate="2024-02-01 07:02:00 +0100" endDate="2024-02-01 07:02:00 +0100" value="5.4"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Montre de Zoé" unit="count/min" startDate="yesterday" endDate="2024-02-01 07:02:00 +0100" value="60"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Tensiomètre" startDate="2024-02-01 07:00:00 +0100" endDate="2024-02-01 07:00:00 +0100">
  <MetadataEntry key="HKWasUserEntered" value="1"/>
  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Tensiomètre" unit="mmHg" startDate="2024-02-01 07:00:00 +0100" endDate="2024-02-01 07:00:00 +0100" value="128"/>
  <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Tensiomètre" unit="mmHg" startDate="2024-02-01 07:00:00 +0100" endDate="2024-02-01 07:00:00 +0100" value="82">
   <MetadataEntry key="x" value="y"/>
  </Record>
 </Correlation>
</HealthData>`;
    const r = await collect(parseAppleHealthXml(chunked(xml, 5)));
    expect(r.readings.map((e) => e.reading)).toEqual([
      {
        metric_type: 'oxygen_saturation',
        value: 97,
        unit: '%',
        timestamp: '2024-02-01T07:01:00.000+01:00',
        source: 'apple_health:Montre de Zoe',
      },
      expect.objectContaining({ metric_type: 'blood_glucose', value: 5.4, unit: 'mmol/L' }),
      {
        metric_type: 'blood_pressure',
        value: { systolic: 128, diastolic: 82 },
        unit: 'mmHg',
        timestamp: '2024-02-01T07:00:00.000+01:00',
        source: 'apple_health:Tensiometre',
      },
    ]);
    expect(r.invalid).toEqual([
      { kind: 'invalid', ref: 'line 6', problem: 'HeartRate: startDate "yesterday" is not a date' },
    ]);
    expect(r.readings[2]!.device.name).toBe('Tensiomètre');
  });

  it.skipIf(!haveShared)(`reads watchOS 11 record fragments${sharedNote}`, async () => {
    const hr = await collect(
      parseAppleHealthXml(
        createReadStream(`${SHARED}wearables/apple-health/fragment-record-heart-rate.xml`),
        {
          fragment: true,
        },
      ),
    );
    expect(hr.readings.length).toBe(14);
    expect(
      hr.readings.every((e) => e.reading.unit === 'bpm' && e.reading.source === 'apple_health:Apple Watch'),
    ).toBe(true);
    const mass = await collect(
      parseAppleHealthXml(createReadStream(`${SHARED}wearables/apple-health/fragment-record-body-mass.xml`), {
        fragment: true,
      }),
    );
    expect(mass.readings.map((e) => e.reading.source)).toContain('apple_health:MyFitnessPal');
    expect(mass.readings.every((e) => e.reading.metric_type === 'weight' && e.reading.unit === 'kg')).toBe(
      true,
    );
  });

  it('refuses other XML and reports malformed XML', async () => {
    await expect(collect(parseAppleHealthXml(text('<?xml version="1.0"?><svg></svg>')))).rejects.toThrow(
      /not an Apple Health export/,
    );
    await expect(
      collect(parseAppleHealthXml(text('<HealthData><Record type="x" </HealthData>'))),
    ).rejects.toMatchObject({ code: 'malformed_file' });
  });

  it('reads HKDevice descriptions', () => {
    expect(
      parseHkDevice(
        '<<HKDevice: 0x3012772a0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, software:10.2>',
      ),
    ).toEqual({
      name: 'Apple Watch',
      manufacturer: 'Apple Inc.',
      model: 'Watch',
      hardware: 'Watch6,7',
      software: '10.2',
    });
  });
});

describe('Fitbit CSV', () => {
  it.skipIf(!haveShared)(`reads daily steps of one person, skipping days not worn${sharedNote}`, async () => {
    const r = await collect(
      parseFitbitCsv(createReadStream(`${SHARED}wearables/fitbit-furberg2016-dailyActivity_merged.csv`), {
        timezone: 'America/New_York',
        fitbitUserId: '1503960366',
      }),
    );
    expect(r.invalid).toEqual([]);
    expect(r.readings[0]).toMatchObject({
      ref: 'line 2',
      reading: {
        metric_type: 'steps',
        value: 13162,
        unit: 'steps',
        timestamp: '2016-04-12T00:00:00.000-04:00',
      },
    });
    // 50 days of this person, one of them with 0 steps (not worn).
    expect(r.readings).toHaveLength(49);
    expect(r.skipped.filter((s) => /not worn/.test(s.reason))).toHaveLength(1);
    expect(r.skipped.filter((s) => /another Fitbit user/.test(s.reason)).length).toBeGreaterThan(1000);
  });

  it.skipIf(!haveShared)(`reads sleep minutes and weight with body fat and BMI${sharedNote}`, async () => {
    const sleep = await collect(
      parseFitbitCsv(createReadStream(`${SHARED}wearables/fitbit-furberg2016-sleepDay_merged.csv`), {
        timezone: 'UTC',
        fitbitUserId: '1503960366',
      }),
    );
    expect(sleep.readings[0]!.reading).toMatchObject({
      metric_type: 'sleep_duration',
      value: 327,
      unit: 'min',
    });
    const weight = await collect(
      parseFitbitCsv(createReadStream(`${SHARED}wearables/fitbit-furberg2016-weightLogInfo_merged.csv`), {
        timezone: 'UTC',
        fitbitUserId: '1503960366',
      }),
    );
    expect(weight.readings.map((e) => [e.reading.metric_type, e.reading.value, e.reading.timestamp])).toEqual(
      [
        ['weight', 52.59999847, '2016-05-02T23:59:00.000Z'],
        ['body_fat_percentage', 22, '2016-05-02T23:59:00.000Z'],
        ['bmi', 22.64999962, '2016-05-02T23:59:00.000Z'],
        ['weight', 52.59999847, '2016-05-03T23:59:00.000Z'],
        ['bmi', 22.64999962, '2016-05-03T23:59:00.000Z'],
        ['weight', 53.29999924, '2016-04-05T23:59:00.000Z'],
        ['body_fat_percentage', 22, '2016-04-05T23:59:00.000Z'],
        ['bmi', 22.96999931, '2016-04-05T23:59:00.000Z'],
      ],
    );
    const other = await collect(
      parseFitbitCsv(createReadStream(`${SHARED}wearables/fitbit-furberg2016-weightLogInfo_merged.csv`), {
        timezone: 'UTC',
        fitbitUserId: '1927972279',
      }),
    );
    // "4/13/2016 1:08:52 AM": the 12-hour clock.
    expect(other.readings[0]!.reading.timestamp).toBe('2016-04-13T01:08:52.000Z');
  });

  it('reports malformed dates and numbers with their line', async () => {
    const csv =
      'Id,ActivityDate,TotalSteps\n1,4/12/2016,100\n1,13/45/2016,5\n1,4/14/2016,lots\n1,4/15/2016,0\n';
    const r = await collect(parseFitbitCsv(text(csv), { timezone: 'UTC' }));
    expect(r.readings).toHaveLength(1);
    expect(r.invalid).toEqual([
      { kind: 'invalid', ref: 'line 3', problem: 'ActivityDate "13/45/2016" is not a date like 4/12/2016' },
      { kind: 'invalid', ref: 'line 4', problem: 'TotalSteps "lots" is not a number' },
    ]);
    expect(r.skipped[0]).toMatchObject({
      ref: 'line 5',
      reason: 'TotalSteps is 0 (tracker not worn that day)',
    });
  });
});

describe('Nightscout JSON', () => {
  it.skipIf(!haveShared)(
    `skips sensor status codes (sgv "5") in the Nightscout example${sharedNote}`,
    async () => {
      const r = await collect(
        parseNightscoutJson(createReadStream(`${SHARED}cgm/nightscout-entries-example.json`)),
      );
      expect(r.skipped).toHaveLength(12);
      expect(r.skipped.every((s) => /Sensor status codes/.test(s.reason))).toBe(true);
      expect(r.readings).toHaveLength(18);
      expect(r.readings.at(-1)!.reading).toMatchObject({
        value: 169,
        timestamp: '2014-07-19T02:34:15.000-07:00',
      });
      expect(r.invalid).toEqual([]);
    },
  );

  it.skipIf(!haveShared)(
    `reads openaps and oref0 glucose with their offsets; treatments apart${sharedNote}`,
    async () => {
      const openaps = await collect(
        parseNightscoutJson(createReadStream(`${SHARED}cgm/nightscout-entries-openaps-glucose.json`)),
      );
      expect(openaps.readings[0]!.reading).toEqual({
        metric_type: 'blood_glucose',
        value: 102,
        unit: 'mg/dL',
        timestamp: '2016-10-23T11:33:36.000-07:00',
        source: 'nightscout',
      });
      const oref0 = await collect(parseNightscoutJson(createReadStream(`${SHARED}cgm/oref0-glucose.json`)));
      expect(oref0.readings[0]!.reading.timestamp).toBe('2018-06-02T00:25:00.000-07:00');
      expect(oref0.invalid).toEqual([]);
      const cal = await collect(
        parseNightscoutJson(createReadStream(`${SHARED}cgm/nightscout-entries-openaps-cal.json`)),
      );
      expect(cal.readings).toEqual([]);
      expect(cal.skipped.length).toBeGreaterThan(0);
      const treatments = await collect(
        parseNightscoutJson(createReadStream(`${SHARED}cgm/nightscout-treatments-openaps-pumphistory.json`)),
      );
      expect(treatments.treatments.length).toBeGreaterThan(0);
      expect(treatments.treatments[0]!.document.eventType).toBe('Temp Basal');
    },
  );

  it('streams large arrays in pieces and reports malformed JSON with where it stopped', async () => {
    const docs = Array.from({ length: 300 }, (_, i) => ({
      type: 'sgv',
      sgv: 100 + (i % 50),
      date: Date.UTC(2024, 0, 1) + i * 300_000,
      dateString: new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString(),
    }));
    const r = await collect(parseNightscoutJson(chunked(JSON.stringify(docs), 13)));
    expect(r.readings).toHaveLength(300);
    await expect(
      collect(parseNightscoutJson(text('[{"sgv": 100, "date": 1}, {"sgv": '))),
    ).rejects.toMatchObject({
      code: 'malformed_file',
    });
    await expect(collect(parseNightscoutJson(text('{"sgv": 100}')))).rejects.toBeInstanceOf(FileProblem);
  });

  it('maps entries: mbg, string sgv, utcOffset, no date', () => {
    expect(
      nightscoutEntryEvent({ type: 'mbg', mbg: 140, date: 1_700_000_000_000, utcOffset: 60 }, 'entry 1'),
    ).toMatchObject({
      kind: 'reading',
      reading: { value: 140, timestamp: '2023-11-14T23:13:20.000+01:00' },
    });
    expect(
      nightscoutEntryEvent({ sgv: '120', dateString: '2024-01-01T10:00:00+02:00' }, 'entry 2'),
    ).toMatchObject({
      reading: { value: 120, timestamp: '2024-01-01T10:00:00.000+02:00' },
    });
    expect(nightscoutEntryEvent({ type: 'sgv', sgv: 120 }, 'entry 3')).toMatchObject({ kind: 'invalid' });
    expect(nightscoutEntryEvent('x', 'entry 4')).toMatchObject({ kind: 'invalid' });
  });
});

describe('format detection', () => {
  it('recognises each format by its first bytes', () => {
    expect(detectFormat(Buffer.from('PK\x03\x04rest'))).toBe('apple_health_zip');
    expect(
      detectFormat(
        Buffer.from(
          '\uFEFF"Index","Timestamp (YYYY-MM-DDThh:mm:ss)","Event Type","Event Subtype","Patient Info","Device Info","Source Device ID","Glucose Value (mg/dL)"\r\n',
        ),
      ),
    ).toBe('dexcom_clarity_csv');
    expect(detectFormat(Buffer.from('Id,ActivityDate,TotalSteps,TotalDistance\r\n'))).toBe('fitbit_csv');
    expect(detectFormat(Buffer.from('<?xml version="1.0"?>\n<!DOCTYPE HealthData [\n'))).toBe(
      'apple_health_xml',
    );
    expect(detectFormat(Buffer.from('  [{"sgv": 1}]'))).toBe('nightscout_json');
    expect(detectFormat(Buffer.from('\x89PNG\r\n'))).toBeUndefined();
    expect(detectFormat(Buffer.from('<html><body>'))).toBeUndefined();
  });
});

describe('constant memory', () => {
  it('streams a 60 MB Apple Health export without holding it', async () => {
    const records = 300_000;
    const start = Date.UTC(2023, 0, 1);
    let bytes = 0;
    async function* exportXml() {
      const head = '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n';
      bytes += head.length;
      yield Buffer.from(head);
      for (let i = 0; i < records; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j += 1) {
          const at = new Date(start + j * 60_000).toISOString().replace('T', ' ').slice(0, 19);
          chunk +=
            ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" unit="count/min" ` +
            `creationDate="${at} +0000" startDate="${at} +0000" endDate="${at} +0000" value="${60 + (j % 40)}">\n` +
            `  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n </Record>\n`;
        }
        bytes += chunk.length;
        yield Buffer.from(chunk);
      }
      yield Buffer.from('</HealthData>\n');
    }
    // A collection before each measure, so that only what is still held counts.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let readings = 0;
    for await (const event of parseAppleHealthXml(Readable.from(exportXml()))) {
      if (event.kind === 'reading') readings += 1;
      if (readings % 20_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    expect(readings).toBe(records);
    expect(bytes).toBeGreaterThan(60_000_000);
    // What is held stays flat however much goes through.
    expect(peak - before).toBeLessThan(8 * 1024 * 1024);
  }, 60_000);
});
