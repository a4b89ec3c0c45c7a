// Test data and HTTP helpers shared by the health-tracking / device-data benchmarks (and cpu-profile.mjs).
// Inputs only: every number reported is measured on the server, nothing here is a result.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rawRequest } from './lib.mjs';

/**
 * A day of minute-level heart rate shaped like a wrist sensor's (lower at night, integer bpm, small
 * minute-to-minute changes): the generator of src/services/health-tracking/test-data.ts (test code is not
 * built into dist/), as batch items {metric_type, value, unit, timestamp}.
 */
export function heartRateDay(dayStartMs, seed) {
  let state = (seed * 2654435761 + 1) >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out = [];
  let drift = 0;
  for (let minute = 0; minute < 1440; minute += 1) {
    const hour = minute / 60;
    const base = hour < 6 ? 56 : hour < 8 ? 64 : hour < 22 ? 74 : 62;
    drift = Math.max(-12, Math.min(25, drift + (next() - 0.5) * 3));
    const value = Math.round(base + drift + (next() - 0.5) * 4);
    out.push({
      metric_type: 'heart_rate',
      value,
      unit: 'bpm',
      timestamp: new Date(dayStartMs + minute * 60_000).toISOString(),
    });
  }
  return out;
}

export const YEAR_START = Date.UTC(2023, 0, 1);
export const YEAR_END = Date.UTC(2024, 0, 1);
export const YEAR_DAYS = 365;
export const YEAR_SAMPLES = YEAR_DAYS * 1440;

/** 2023's 525,600 minutes of heart rate as batch bodies (JSON strings) of `batchDays` days each. */
export function yearBodies(batchDays = 10) {
  const bodies = [];
  for (let d = 0; d < YEAR_DAYS; d += batchDays) {
    const items = [];
    for (let k = d; k < Math.min(YEAR_DAYS, d + batchDays); k++) {
      items.push(...heartRateDay(YEAR_START + k * 86_400_000, k));
    }
    bodies.push({ count: items.length, json: JSON.stringify({ items }) });
  }
  return bodies;
}

/** Sends `body` (a string, or a file path streamed from disk with `file: true`); resolves { status, body, ms }. */
export function send(port, method, path, { body, file = false, headers = {}, timeoutMs = 600_000 }) {
  const length = file ? statSync(body).size : Buffer.byteLength(body);
  return rawRequest(port, method, path, {
    timeoutMs,
    headers: { 'content-length': length, ...headers },
    writeBody: (req, reject) => {
      if (file) createReadStream(body).on('error', reject).pipe(req);
      else req.end(body);
    },
  });
}

/** Loads 2023's minute heart rate for the token's user; every answer must be 201 with all created. */
export async function loadYear(port, token, bodies, path = '/health-tracking/api/v1/metrics/batch') {
  const t0 = performance.now();
  let created = 0;
  for (const b of bodies) {
    const res = await send(port, 'POST', path, {
      body: b.json,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      timeoutMs: 120_000,
    });
    if (res.status !== 201 || res.body.created !== b.count || res.body.duplicates !== 0) {
      throw new Error(`batch: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    }
    created += res.body.created;
  }
  const ms = performance.now() - t0;
  if (created !== YEAR_SAMPLES) throw new Error(`created ${created}, want ${YEAR_SAMPLES}`);
  return { samples: created, requests: bodies.length, ms };
}

// The DOCTYPE of a real HealthKit export (version 3), as Apple writes it.
export const APPLE_DOCTYPE = `<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 3 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
>
<!ELEMENT Record (MetadataEntry*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent EMPTY>
<!ATTLIST WorkoutEvent
  type CDATA #REQUIRED
  date CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
]>`;

const pad = (n, w = 2) => String(n).padStart(w, '0');
/** Apple's date format: local time and the offset, "2022-01-17 16:34:57 +0100". */
export function appleDate(ms, offsetMinutes = 60) {
  const d = new Date(ms + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(offsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`
  );
}

/**
 * Writes an Apple Health export.xml of `records` heart-rate records of an Apple Watch: the header of a real
 * HealthKit export (version 3 DOCTYPE, <HealthData locale>, <ExportDate>, <Me>), then one record a minute
 * from 2022-01-01 (earlier beyond ~1.6 million records, so that none is in the future; seconds varied,
 * so each is a distinct reading; UTC offset +0100), each a one-line <Record
 * type="HKQuantityTypeIdentifierHeartRate" sourceName sourceVersion device unit="count/min" creationDate
 * startDate endDate value/> as Apple writes them. Resolves the first and last minute.
 */
export async function writeAppleExport(file, records) {
  const out = createWriteStream(file);
  const write = (text) =>
    out.write(text) ? undefined : new Promise((resolve) => out.once('drain', resolve));
  await write(
    `<?xml version="1.0" encoding="UTF-8"?>\n${APPLE_DOCTYPE}\n<HealthData locale="en_GB">\n` +
      ` <ExportDate value="${appleDate(Date.UTC(2024, 0, 15, 7, 27, 26))}"/>\n` +
      ` <Me HKCharacteristicTypeIdentifierDateOfBirth="1985-07-31" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n`,
  );
  const device =
    '&lt;&lt;HKDevice: 0x3012772a0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, software:10.2&gt;';
  // From 2022-01-01, or earlier for files so long that they would reach the present (no future readings).
  const base = Math.min(Date.UTC(2022, 0, 1), Date.UTC(2025, 0, 1) - records * 60_000);
  let state = 2463534242;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let drift = 0;
  let lines = [];
  for (let i = 0; i < records; i++) {
    const start = base + i * 60_000 + Math.floor(rand() * 60) * 1000;
    const hour = ((i % 1440) / 60 + 1) % 24; // local (+01:00) hour of the day
    const typical = hour < 6 ? 56 : hour < 8 ? 64 : hour < 22 ? 74 : 62;
    drift = Math.max(-12, Math.min(25, drift + (rand() - 0.5) * 3));
    const value = Math.round(typical + drift + (rand() - 0.5) * 4);
    const startText = appleDate(start);
    lines.push(
      ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Alexandre's Apple Watch" sourceVersion="10.2" device="${device}" unit="count/min" creationDate="${appleDate(start + (5 + Math.floor(rand() * 300)) * 1000)}" startDate="${startText}" endDate="${startText}" value="${value}"/>`,
    );
    if (lines.length === 10_000) {
      await write(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) await write(`${lines.join('\n')}\n`);
  await write('</HealthData>\n');
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  return { first_ms: base, last_ms: base + records * 60_000 };
}
