// AI insights for a user with a year of minute-level heart rate and the other data insights read.
//
//   node bench/insights.mjs   (BENCH_RUNS=9 BENCH_WARMUP=2; needs `npm run build`; PHA_CLI to use another build)
//
// One all-in-one server on the embedded PGlite (a temp DATA_DIR), one user, loaded through the public APIs
// before the clock starts (every answer checked):
//   - 525,600 samples of minute heart rate: the 365 full UTC days before today (bench/health-data.mjs's
//     generator), 10 days per POST /health-tracking/api/v1/metrics/batch;
//   - a resting heart rate and a night's sleep a day for the same year, steps and weight a day, 60 blood
//     pressure readings over the last 30 days;
//   - 14 days of CGM glucose every 5 minutes (4,032 readings) and 20 meals (POST /nutrition/api/v1/meals);
//   - a FHIR bundle of 6 lab results (POST /medical-records/api/v1/fhir/import).
// Then, one request at a time through the gateway, WARMUP untimed and RUNS timed each, interleaved per
// round so machine noise hits all alike:
//   - baseline: GET /health-tracking/api/v1/metrics/latest (an authenticated read of the same data);
//   - POST /ai-insights/api/v1/insights/refresh: a full recomputation (profile, latest, catalogue, day
//     summaries of every series over 90 days, sleep by the hour, 30 days of blood pressure, 14 days of
//     raw glucose, meals, labs and their history; every rule; the upsert);
//   - GET /ai-insights/api/v1/insights when nothing changed (stored insights, no recomputation).
// Reports medians (and min/max) of the client-side time, the ratio of a recomputation to the baseline,
// and the insights found by kind.
import {
  deadline,
  freePort,
  http,
  loadavg1,
  machine,
  median,
  procMemory,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';
import { heartRateDay, send } from './health-data.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const DAY = 86_400_000;
const MIN = 60_000;
const HT = '/health-tracking/api/v1';
const AI = '/ai-insights/api/v1';

deadline(600 + RUNS * 30, 'insights');

const now = new Date();
const TODAY = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
const YEAR_START = TODAY - 365 * DAY;
const iso = (ms) => new Date(ms).toISOString();

async function post(port, token, path, body, expectStatus = [200, 201]) {
  const res = await send(port, 'POST', path, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    timeoutMs: 300_000,
  });
  if (!expectStatus.includes(res.status)) {
    throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return res;
}

async function loadUser(port, token) {
  const t0 = performance.now();
  let samples = 0;
  for (let d = 0; d < 365; d += 10) {
    const items = [];
    for (let k = d; k < Math.min(365, d + 10); k++) items.push(...heartRateDay(YEAR_START + k * DAY, k));
    const res = await post(port, token, `${HT}/metrics/batch`, { items });
    if (res.body.created !== items.length) throw new Error(`heart rate batch: ${JSON.stringify(res.body)}`);
    samples += items.length;
  }
  const daily = [];
  for (let k = 0; k < 365; k++) {
    const day = YEAR_START + k * DAY;
    const w = Math.sin(k / 9);
    daily.push(
      {
        metric_type: 'resting_heart_rate',
        value: Math.round(58 + 3 * w + k / 120),
        unit: 'bpm',
        timestamp: iso(day + 8 * 3_600_000),
        source: 'bench-watch',
      },
      {
        metric_type: 'sleep_duration',
        value: Math.round((7.4 - 0.6 * w) * 100) / 100,
        unit: 'h',
        timestamp: iso(day - 3_600_000),
        source: 'bench-watch',
      },
      {
        metric_type: 'steps',
        value: 6000 + ((k * 1237) % 5000),
        unit: 'steps',
        timestamp: iso(day + 20 * 3_600_000),
        source: 'bench-watch',
      },
      {
        metric_type: 'weight',
        value: Math.round((82 - k / 150 + 0.3 * w) * 10) / 10,
        unit: 'kg',
        timestamp: iso(day + 7 * 3_600_000),
        source: 'bench-scale',
      },
    );
  }
  for (let k = 0; k < 60; k++) {
    daily.push({
      metric_type: 'blood_pressure',
      value: { systolic: 124 + (k % 9), diastolic: 78 + (k % 5) },
      unit: 'mmHg',
      timestamp: iso(TODAY - 30 * DAY + k * 12 * 3_600_000 + 7 * 3_600_000),
      source: 'bench-cuff',
    });
  }
  await post(port, token, `${HT}/metrics/batch`, { items: daily });
  samples += daily.length;
  const start = Date.now() - 14 * DAY + 10 * MIN;
  const cgm = [];
  for (let k = 0; k < 4020; k++) {
    const ms = start + k * 5 * MIN;
    const hour = new Date(ms).getUTCHours();
    const value = Math.round(105 + 35 * Math.sin((hour - 8) / 3.8) + ((k * 7919) % 21) - 10);
    cgm.push({ metric_type: 'blood_glucose', value, unit: 'mg/dL', timestamp: iso(ms), source: 'bench-cgm' });
  }
  await post(port, token, `${HT}/metrics/batch`, { items: cgm });
  samples += cgm.length;
  const foods = [
    'Oatmeal with berries',
    '2 eggs and toast',
    '200 g chicken breast',
    '1 1/2 cups milk',
    'rice and beans',
  ];
  for (let k = 0; k < 20; k++) {
    await post(port, token, '/nutrition/api/v1/meals', {
      name: `Meal ${k}`,
      description: foods[k % foods.length],
      eaten_at: iso(start + (k * 16 + 3) * 3_600_000),
    });
  }
  const lab = (id, loinc, value, unit, low, high, daysAgo) => ({
    resource: {
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
          ],
        },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: loinc, display: `analyte ${loinc}` }] },
      effectiveDateTime: iso(TODAY - daysAgo * DAY),
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
      referenceRange: [{ low: { value: low, unit, code: unit }, high: { value: high, unit, code: unit } }],
    },
  });
  const imported = await post(port, token, '/medical-records/api/v1/fhir/import', {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      lab('l1', '2089-1', 150, 'mg/dL', 0, 130, 200),
      lab('l2', '2089-1', 162, 'mg/dL', 0, 130, 20),
      lab('l3', '4548-4', 5.9, '%', 4, 5.6, 20),
      lab('l4', '2823-3', 4.4, 'mmol/L', 3.5, 5.1, 20),
      lab('l5', '2951-2', 139, 'mmol/L', 135, 145, 20),
      lab('l6', '718-7', 11.2, 'g/dL', 12, 16, 20),
    ],
  });
  if (imported.body.counts.imported !== 6)
    throw new Error(`fhir import: ${JSON.stringify(imported.body.counts)}`);
  return { samples, heart_rate_samples: 525_600, seconds: round((performance.now() - t0) / 1000, 1) };
}

async function timed(port, token, method, path, check) {
  const t0 = performance.now();
  const res = await http(port, method, path, {
    headers: { authorization: `Bearer ${token}` },
    timeoutMs: 120_000,
  });
  const ms = performance.now() - t0;
  if (res.status !== 200)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  check?.(res.body);
  return { ms, body: res.body };
}

const stats = (xs) => ({
  median_ms: round(median(xs), 1),
  min_ms: round(Math.min(...xs), 1),
  max_ms: round(Math.max(...xs), 1),
  runs_ms: xs.map((x) => round(x, 1)),
});

const info = machine();
const dataDir = tempDir();
let server;
try {
  const port = await freePort();
  server = await startPha({ dataDir, port, env: { ACCESS_TOKEN_TTL_SECONDS: '3600' }, timeoutMs: 120_000 });
  const token = await registerAndLogin(port, `insights-${process.pid}@example.com`);
  console.error('  loading a year of minute heart rate and the rest...');
  const load = await loadUser(port, token);
  console.error(`    loaded ${load.samples} readings in ${load.seconds} s`);

  const allSourcesRead = (body) => {
    const bad = body.sources.filter((s) => s.status === 'partial' || s.status === 'unavailable');
    if (bad.length > 0) throw new Error(`sources not read: ${JSON.stringify(bad)}`);
  };
  const runs = { baseline: [], refresh: [], cached: [] };
  let last;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const base = await timed(port, token, 'GET', `${HT}/metrics/latest`);
    const refresh = await timed(port, token, 'POST', `${AI}/insights/refresh`, allSourcesRead);
    const cached = await timed(port, token, 'GET', `${AI}/insights`);
    if (cached.body.generated_at !== refresh.body.generated_at)
      throw new Error('GET recomputed without new data');
    if (i >= WARMUP) {
      runs.baseline.push(base.ms);
      runs.refresh.push(refresh.ms);
      runs.cached.push(cached.ms);
    }
    last = refresh.body;
  }
  const byKind = {};
  for (const insight of last.insights) byKind[insight.kind] = (byKind[insight.kind] ?? 0) + 1;
  const result = {
    benchmark: 'insights',
    machine: info,
    settings: { runs: RUNS, warmup: WARMUP, database: 'pglite (embedded)' },
    load,
    baseline_latest: stats(runs.baseline),
    refresh: stats(runs.refresh),
    cached_get: stats(runs.cached),
    refresh_over_baseline: round(median(runs.refresh) / median(runs.baseline), 1),
    insights: { count: last.insights.length, by_kind: byKind, titles: last.insights.map((i) => i.title) },
    server_memory_mib: procMemory(server.pid),
    loadavg_1m_end: loadavg1(),
  };
  report('insights', result, [
    `insights (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}; PGlite; ${RUNS} runs after ${WARMUP} warm-up)`,
    `  data: ${load.samples} readings (525,600 minute heart rate) loaded in ${load.seconds} s`,
    `  baseline GET metrics/latest: median ${result.baseline_latest.median_ms} ms (${result.baseline_latest.min_ms}-${result.baseline_latest.max_ms})`,
    `  POST insights/refresh (full recomputation): median ${result.refresh.median_ms} ms (${result.refresh.min_ms}-${result.refresh.max_ms}) = ${result.refresh_over_baseline} x baseline`,
    `  GET insights (stored, nothing new): median ${result.cached_get.median_ms} ms (${result.cached_get.min_ms}-${result.cached_get.max_ms})`,
    `  insights: ${last.insights.length} (${Object.entries(byKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
  ]);
} finally {
  if (server) await stopProcess(server.child);
  removeTempDir(dataDir);
}
