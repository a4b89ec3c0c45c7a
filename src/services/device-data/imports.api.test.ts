import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  startTestApp,
  useTestApp,
  type TestApp,
} from '../../test-support/harness.js';

const SHARED = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const LOCAL = fileURLToPath(new URL('./test-fixtures/', import.meta.url));
const haveShared = existsSync(SHARED);
const sharedNote = haveShared ? '' : ' (skipped: ../shared/fixtures is absent)';

const CLARITY = readFileSync(`${LOCAL}dexcom-clarity-sample.csv`);
const WATCH_XML = readFileSync(`${LOCAL}apple-health-applewatch-sample.xml`);

// Small batches, so that the imports below land in several of them (the default is 5,000 readings).
process.env.IMPORT_BATCH_SIZE = '1000';

const t = useTestApp();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function upload(
  token: string,
  body: Buffer | Readable,
  query = '',
  contentType = 'application/octet-stream',
) {
  return t.app.inject({
    method: 'POST',
    url: `/device-data/api/v1/imports${query}`,
    headers: { ...bearer(token), 'content-type': contentType },
    payload: body,
  });
}

function multipart(token: string, filename: string, content: Buffer, query = '') {
  const boundary = '----pha-test-boundary';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return upload(token, body, query, `multipart/form-data; boundary=${boundary}`);
}

async function finished(token: string, id: string) {
  for (let i = 0; i < 600; i += 1) {
    const res = await t.app.inject({
      method: 'GET',
      url: `/device-data/api/v1/imports/${id}`,
      headers: bearer(token),
    });
    const body = res.json();
    if (body.status === 'completed' || body.status === 'failed') return body;
    await sleep(25);
  }
  throw new Error(`import ${id} did not finish`);
}

async function metrics(token: string, query: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/health-tracking/api/v1/metrics?${query}`,
    headers: bearer(token),
  });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    items: { metric_type: string; value: number; unit: string; timestamp: string; source: string }[];
  };
}

/** A zip archive (deflated entries, as iOS writes export.zip) built with zlib. */
function zip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += 30 + name.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

describe('file imports', () => {
  it('imports a Dexcom Clarity export: readings visible in health tracking, the CGM registered, "Low" skipped', async () => {
    const user = await registerAndLogin(t.app);
    const res = await upload(
      user.accessToken,
      CLARITY,
      '?timezone=Europe/Berlin&filename=clarity.csv',
      'text/csv',
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      status: 'queued',
      format: 'dexcom_clarity_csv',
      filename: 'clarity.csv',
    });
    const done = await finished(user.accessToken, res.json().id);
    expect(done).toMatchObject({
      status: 'completed',
      progress: { percent: 100, bytes_total: CLARITY.length, bytes_processed: CLARITY.length },
      counts: { readings_sent: 162, readings_created: 162, readings_duplicate: 0, records_invalid: 0 },
      sources: ['dexcom'],
      errors: [],
      timezone: 'Europe/Berlin',
    });
    expect(done.skipped_by_reason[`Below the sensor's range (reported as "Low", no number)`]).toBe(2);

    const page = await metrics(user.accessToken, 'metric_type=blood_glucose&source=dexcom&limit=500');
    expect(page.items).toHaveLength(162);
    expect(page.items.at(-1)).toMatchObject({
      value: 128,
      unit: 'mg/dL',
      timestamp: '2024-06-06T00:00:41.000+02:00',
    });

    const summary = await t.app.inject({
      method: 'GET',
      url: '/health-tracking/api/v1/metrics/summary?metric_type=blood_glucose&from=2024-06-05T00:00:00Z&to=2024-06-21T00:00:00Z',
      headers: bearer(user.accessToken),
    });
    expect(summary.json().overall.count).toBe(162);

    const devices = await t.app.inject({
      method: 'GET',
      url: '/device-data/api/v1/devices',
      headers: bearer(user.accessToken),
    });
    expect(devices.json().items).toEqual([
      expect.objectContaining({
        source: 'dexcom',
        provider: 'dexcom',
        device_type: 'cgm',
        registered_by: 'import',
        model: 'Dexcom ONE+ Mobile App',
        readings_received: 162,
        first_reading_at: '2024-06-05T22:00:41.000Z',
      }),
    ]);
  });

  it('adds nothing when the same file is imported again, or read again with force', async () => {
    const user = await registerAndLogin(t.app);
    const first = await finished(
      user.accessToken,
      (await upload(user.accessToken, CLARITY, '?timezone=America/Chicago')).json().id,
    );
    expect(first.counts.readings_created).toBe(162);

    const again = await upload(user.accessToken, CLARITY, '?timezone=America/Chicago');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      status: 'completed',
      same_file_as: first.id,
      counts: { readings_created: 0 },
      message: expect.stringContaining('imported before'),
    });

    const forced = await finished(
      user.accessToken,
      (await upload(user.accessToken, CLARITY, '?timezone=America/Chicago&force=true')).json().id,
    );
    expect(forced.counts).toMatchObject({ readings_sent: 162, readings_created: 0, readings_duplicate: 162 });
    expect((await metrics(user.accessToken, 'metric_type=blood_glucose&limit=500')).items).toHaveLength(162);

    const list = await t.app.inject({
      method: 'GET',
      url: '/device-data/api/v1/imports',
      headers: bearer(user.accessToken),
    });
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([
      forced.id,
      again.json().id,
      first.id,
    ]);
  });

  it('imports Apple Health export.xml sent as multipart, and export.zip as the body', async () => {
    const user = await registerAndLogin(t.app);
    const xml = await finished(
      user.accessToken,
      (await multipart(user.accessToken, 'export.xml', WATCH_XML)).json().id,
    );
    expect(xml).toMatchObject({
      status: 'completed',
      format: 'apple_health_xml',
      filename: 'export.xml',
      counts: { readings_created: 5, records_invalid: 0 },
    });
    expect(xml.sources).toEqual(["apple_health:Alexandre's Apple Watch"]);
    const hr = await metrics(user.accessToken, 'metric_type=heart_rate');
    expect(hr.items.map((m) => [m.value, m.timestamp])).toEqual([
      [75, '2024-01-01T01:01:37.000+02:00'],
      [74, '2024-01-01T01:01:36.000+02:00'],
    ]);

    const other = await registerAndLogin(t.app);
    const archive = zip([
      { name: 'apple_health_export/export_cda.xml', data: Buffer.from('<ClinicalDocument/>') },
      { name: 'apple_health_export/export.xml', data: WATCH_XML },
    ]);
    const zipped = await finished(other.accessToken, (await upload(other.accessToken, archive)).json().id);
    expect(zipped).toMatchObject({
      status: 'completed',
      format: 'apple_health_zip',
      counts: { readings_created: 5 },
      progress: { bytes_total: WATCH_XML.length, percent: 100 },
    });
    const sleepMinutes = await metrics(other.accessToken, 'metric_type=sleep_duration');
    // 12.5 minutes asleep, shown by health tracking in its canonical unit (hours).
    expect(sleepMinutes.items).toEqual([
      expect.objectContaining({ canonical_value: 0.2083333, canonical_unit: 'h' }),
    ]);

    const notHealth = zip([{ name: 'photos/cat.txt', data: Buffer.from('meow') }]);
    const failed = await finished(other.accessToken, (await upload(other.accessToken, notHealth)).json().id);
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringContaining('no export.xml') });
  });

  it('lands a large export in batches, streamed without a length, and counts it all', async () => {
    const user = await registerAndLogin(t.app);
    const start = Date.UTC(2024, 4, 1);
    const records = 4500;
    function* xml() {
      yield Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n');
      for (let i = 0; i < records; i += 500) {
        let chunk = '';
        for (let j = i; j < i + 500; j += 1) {
          const at = new Date(start + j * 60_000).toISOString().replace('T', ' ').slice(0, 19);
          chunk += ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" unit="count/min" startDate="${at} +0000" endDate="${at} +0000" value="${60 + (j % 40)}"/>\n`;
        }
        yield Buffer.from(chunk);
      }
      yield Buffer.from('</HealthData>\n');
    }
    const res = await t.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/imports',
      headers: {
        ...bearer(user.accessToken),
        'content-type': 'application/xml',
        'transfer-encoding': 'chunked',
      },
      payload: Readable.from(xml()),
    });
    expect(res.statusCode).toBe(202);
    const done = await finished(user.accessToken, res.json().id);
    expect(done).toMatchObject({
      status: 'completed',
      counts: { records_read: records, readings_sent: records, readings_created: records },
      progress: { percent: 100 },
    });
    const summary = await t.app.inject({
      method: 'GET',
      url: '/health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=day&from=2024-05-01T00:00:00Z&to=2024-05-05T00:00:00Z',
      headers: bearer(user.accessToken),
    });
    expect(summary.json().buckets.map((b: { count: number }) => b.count)).toEqual([1440, 1440, 1440, 180]);
    expect(summary.json().overall).toMatchObject({ count: records, min: 60, max: 99 });
  });

  it('reports malformed rows with their line, and readings health tracking refuses, and keeps the rest', async () => {
    const user = await registerAndLogin(t.app);
    const csv =
      '"Index","Timestamp (YYYY-MM-DDThh:mm:ss)","Event Type","Event Subtype","Glucose Value (mg/dL)"\n' +
      '"1","2024-05-01T08:00:00","EGV","","110"\n' +
      '"2","2024-05-01T08:05:00","EGV","","abc"\n' +
      '"3","2024-05-01T08:10:00","EGV","","1500"\n' +
      '"4","not a time","EGV","","100"\n' +
      '"5","2024-05-01T08:20:00","EGV","","120"\n';
    const done = await finished(
      user.accessToken,
      (await upload(user.accessToken, Buffer.from(csv), '?timezone=UTC')).json().id,
    );
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ readings_created: 2, records_invalid: 3 });
    expect(done.errors).toEqual([
      { ref: 'line 3', problem: 'Glucose Value "abc" is not a number' },
      { ref: 'line 5', problem: expect.stringContaining('"not a time"') },
      { ref: 'line 4', problem: expect.stringMatching(/^value 1500 mg\/dL is outside the plausible range/) },
    ]);
    expect((await metrics(user.accessToken, 'metric_type=blood_glucose')).items.map((m) => m.value)).toEqual([
      120, 110,
    ]);
  });

  it('imports Nightscout JSON entries and treatments', async () => {
    const user = await registerAndLogin(t.app);
    const docs = [
      {
        type: 'sgv',
        sgv: 142,
        date: Date.parse('2024-03-01T10:00:00Z'),
        dateString: '2024-03-01T11:00:00+01:00',
      },
      { type: 'sgv', sgv: 9, date: Date.parse('2024-03-01T10:05:00Z') },
      { eventType: 'Meal Bolus', insulin: 4.5, carbs: 40, created_at: '2024-03-01T10:02:00Z' },
    ];
    const done = await finished(
      user.accessToken,
      (await upload(user.accessToken, Buffer.from(JSON.stringify(docs)))).json().id,
    );
    expect(done).toMatchObject({
      status: 'completed',
      format: 'nightscout_json',
      counts: { readings_created: 1, records_skipped: 1, treatments_stored: 1 },
    });
    expect((await metrics(user.accessToken, 'source=nightscout')).items[0]).toMatchObject({
      value: 142,
      timestamp: '2024-03-01T11:00:00.000+01:00',
    });
  });

  it.skipIf(!haveShared)(
    `imports a Fitbit table of one person from a multi-person file${sharedNote}`,
    async () => {
      const user = await registerAndLogin(t.app);
      const file = readFileSync(`${SHARED}wearables/fitbit-furberg2016-dailyActivity_merged.csv`);
      const done = await finished(
        user.accessToken,
        (
          await multipart(
            user.accessToken,
            'dailyActivity_merged.csv',
            file,
            '?timezone=America/Los_Angeles&fitbit_user_id=1503960366',
          )
        ).json().id,
      );
      // The file has 4/12/2016 twice (as "04/12/2016" and "4/12/2016"): the same day once.
      expect(done).toMatchObject({
        status: 'completed',
        format: 'fitbit_csv',
        counts: { readings_sent: 49, readings_created: 48, readings_duplicate: 1 },
      });
      const summary = await t.app.inject({
        method: 'GET',
        url: '/health-tracking/api/v1/metrics/summary?metric_type=steps&bucket=month&tz=America/Los_Angeles&from=2016-03-01T00:00:00-08:00&to=2016-06-01T00:00:00-07:00',
        headers: bearer(user.accessToken),
      });
      expect(summary.json().overall.count).toBe(48);
    },
  );

  it('refuses what it cannot read: another format, no time zone, empty, and another user’s import is 404', async () => {
    const user = await registerAndLogin(t.app);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const wrong = await upload(user.accessToken, png, '', 'image/png');
    expect(wrong.statusCode).toBe(415);
    expect(errorCode(wrong)).toBe('unsupported_file');
    const noZone = await upload(user.accessToken, CLARITY);
    expect(noZone.statusCode).toBe(400);
    expect(noZone.json().error.details).toEqual([
      { field: 'timezone', problem: 'is required for this file' },
    ]);
    const badZone = await upload(user.accessToken, CLARITY, '?timezone=Mars/Olympus');
    expect(badZone.json().error.details[0].field).toBe('timezone');
    expect((await upload(user.accessToken, Buffer.alloc(0))).statusCode).toBe(400);
    expect(
      (await t.app.inject({ method: 'POST', url: '/device-data/api/v1/imports', payload: CLARITY }))
        .statusCode,
    ).toBe(401);

    const mine = await finished(user.accessToken, (await upload(user.accessToken, WATCH_XML)).json().id);
    const other = await registerAndLogin(t.app);
    const peek = await t.app.inject({
      method: 'GET',
      url: `/device-data/api/v1/imports/${mine.id}`,
      headers: bearer(other.accessToken),
    });
    expect(peek.statusCode).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/device-data/api/v1/imports',
          headers: bearer(other.accessToken),
        })
      ).json().items,
    ).toEqual([]);
  });
});

describe('import size limit', () => {
  let small: TestApp;
  beforeAll(async () => {
    process.env.IMPORT_MAX_BYTES = '4096';
    try {
      small = await startTestApp();
    } finally {
      delete process.env.IMPORT_MAX_BYTES;
    }
  });
  afterAll(async () => {
    await small.close();
  });

  it('refuses a file over IMPORT_MAX_BYTES, declared or streamed', async () => {
    const user = await registerAndLogin(small.app);
    const declared = await small.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/imports?timezone=UTC',
      headers: { ...bearer(user.accessToken), 'content-type': 'text/csv' },
      payload: CLARITY,
    });
    expect(declared.statusCode).toBe(413);
    expect(errorCode(declared)).toBe('payload_too_large');
    // Chunked, without a length: stopped while it streams.
    const streamed = await small.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/imports?timezone=UTC',
      headers: { ...bearer(user.accessToken), 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
      payload: Readable.from([CLARITY.subarray(0, 3000), CLARITY.subarray(3000, 9000)]),
    });
    expect(streamed.statusCode).toBe(413);
    const boundary = 'b0undary';
    const form = await small.app.inject({
      method: 'POST',
      url: '/device-data/api/v1/imports?timezone=UTC',
      headers: { ...bearer(user.accessToken), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Readable.from([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\n`),
        CLARITY.subarray(0, 9000),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    expect(form.statusCode).toBe(413);
    const list = await small.app.inject({
      method: 'GET',
      url: '/device-data/api/v1/imports',
      headers: bearer(user.accessToken),
    });
    expect(list.json().items).toEqual([]);
  });
});
