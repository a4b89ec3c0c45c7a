// Metric ingest through the gateway: single readings (vs the hello-world) and batches of device samples.
//
//   node bench/metrics-ingest.mjs
//     BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_DURATION=10 BENCH_WARMUP=3
//     BENCH_BATCH_SIZE=5000 BENCH_BATCH_CONNECTIONS=1,4
//
// One all-in-one server (warm: its DATA_DIR is initialised by a first start, then it is restarted) and
// one hello-world server. Each round:
//   single  autocannon, CONNECTIONS connections: POST /health-tracking/api/v1/metrics
//           {"metric_type":"heart_rate","value":72,"unit":"bpm","timestamp":...}; every request carries its
//           own timestamp (one second apart, via autocannon's per-request setupRequest), so none is a
//           duplicate and every answer must be 201 (a 200 would mean "already stored").
//   batch   for each of BATCH_CONNECTIONS: POST /health-tracking/api/v1/metrics/batch {items:[...]} with
//           BATCH_SIZE samples of minute heart rate each (consecutive minutes, never sent before); every
//           answer must be 201 with created = BATCH_SIZE and duplicates = 0 (checked on each response body).
//           samples/s = requests/s x BATCH_SIZE.
//   hello   the same autocannon settings as `single` on the bare Fastify GET /.
// Each run has its own warm-up (not counted). Reports medians over rounds, the ratio single/hello-world,
// and the batch samples/s against the target (>= 50,000 samples/s).
import {
  assertClean,
  cannon,
  deadline,
  freePort,
  http,
  login,
  machine,
  median,
  procCpuMs,
  procMemory,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  sleep,
  startHello,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 5000);
const BATCH_CONNECTIONS = (process.env.BENCH_BATCH_CONNECTIONS ?? '1,4').split(',').map(Number);
const TARGET_SAMPLES_PER_S = 50_000;
const SINGLE_PATH = '/health-tracking/api/v1/metrics';
const BATCH_PATH = '/health-tracking/api/v1/metrics/batch';
const runsPerRound = 2 + BATCH_CONNECTIONS.length;

deadline(180 + ROUNDS * runsPerRound * (DURATION + WARMUP + 25), 'metrics-ingest');

/** Adds the server's CPU use during `fn` (all threads; 1.0 = one core) and this process's (autocannon's). */
async function measured(pid, fn) {
  const cpu0 = procCpuMs(pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const wall = performance.now() - t0;
  const self = process.cpuUsage(self0);
  r.server_cpu_cores = round((procCpuMs(pid) - cpu0) / wall, 2);
  r.client_cpu_cores = round((self.user + self.system) / 1000 / wall, 2);
  return r;
}

// ---------------------------------------------------------------------------------------------
// request bodies: every single reading and every batch sample has a time never used before

// Single readings: one a second from 2015-01-01 (distinct instants; entries are one row per reading).
let singleCounter = 0;
const SINGLE_BASE_MS = Date.UTC(2015, 0, 1);
const singleBody = () =>
  JSON.stringify({
    metric_type: 'heart_rate',
    value: 72,
    unit: 'bpm',
    timestamp: new Date(SINGLE_BASE_MS + 1000 * singleCounter++).toISOString(),
  });

// Batch samples: consecutive minutes from 2000-01-01, a wrist-sensor-like heart rate (lower at night).
let minuteCounter = 0;
const BATCH_BASE_MS = Date.UTC(2000, 0, 1);
let hrState = 12345;
let hrDrift = 0;
function batchBody() {
  const items = new Array(BATCH_SIZE);
  for (let i = 0; i < BATCH_SIZE; i++) {
    const minute = minuteCounter++;
    const hour = (minute % 1440) / 60;
    const base = hour < 6 ? 56 : hour < 8 ? 64 : hour < 22 ? 74 : 62;
    hrState = (Math.imul(hrState, 1664525) + 1013904223) >>> 0;
    hrDrift = Math.max(-12, Math.min(25, hrDrift + (hrState / 2 ** 32 - 0.5) * 3));
    items[i] = {
      metric_type: 'heart_rate',
      value: Math.round(base + hrDrift),
      unit: 'bpm',
      timestamp: new Date(BATCH_BASE_MS + minute * 60_000).toISOString(),
    };
  }
  return JSON.stringify({ items });
}

/** Per-request bodies for autocannon; `check` (optional) sees each response. */
const requestsWith = (path, headers, makeBody, check) => [
  {
    method: 'POST',
    path,
    headers,
    setupRequest: (req) => ({ ...req, body: makeBody() }),
    ...(check ? { onResponse: check } : {}),
  },
];

/** Every batch answer: 201 and exactly BATCH_SIZE created, none duplicate. */
function batchChecker() {
  const tally = { checked: 0, all_created: 0, bad: 0, first_bad: null };
  const onResponse = (status, body) => {
    tally.checked++;
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (status === 201 && parsed?.created === BATCH_SIZE && parsed?.duplicates === 0) tally.all_created++;
    else {
      tally.bad++;
      tally.first_bad ??= `${status} ${String(body).slice(0, 300)}`;
    }
  };
  return { tally, onResponse };
}

function only(label, r, code) {
  assertClean(label, r);
  const other = Object.keys(r.status_codes).filter((c) => c !== String(code));
  if (other.length > 0) throw new Error(`${label}: status codes ${JSON.stringify(r.status_codes)}`);
}

const info = machine();
const dataDir = tempDir();
let pha;
let hello;
const rounds = [];
let singleToken;
let batchToken;
let memAfter;
let storedCheck;
try {
  const singleEmail = `ingest-single-${process.pid}@example.com`;
  const batchEmail = `ingest-batch-${process.pid}@example.com`;
  {
    const port = await freePort();
    const first = await startPha({ dataDir, port });
    await registerAndLogin(port, singleEmail);
    await registerAndLogin(port, batchEmail);
    await stopProcess(first.child);
  }
  const port = await freePort();
  pha = await startPha({ dataDir, port, env: { ACCESS_TOKEN_TTL_SECONDS: '3600' } });
  const helloPort = await freePort();
  hello = await startHello({ port: helloPort });
  singleToken = await login(port, singleEmail);
  batchToken = await login(port, batchEmail);
  const json = { 'content-type': 'application/json' };
  const singleHeaders = { ...json, authorization: `Bearer ${singleToken}` };
  const batchHeaders = { ...json, authorization: `Bearer ${batchToken}` };

  // One request of each kind by hand, to fail early and clearly.
  {
    const r = await http(port, 'POST', SINGLE_PATH, {
      body: JSON.parse(singleBody()),
      headers: { authorization: `Bearer ${singleToken}` },
    });
    if (r.status !== 201) throw new Error(`single reading: ${r.status} ${JSON.stringify(r.body)}`);
    const b = await http(port, 'POST', BATCH_PATH, {
      body: JSON.parse(batchBody()),
      headers: { authorization: `Bearer ${batchToken}` },
      timeoutMs: 60_000,
    });
    if (b.status !== 201 || b.body.created !== BATCH_SIZE) {
      throw new Error(`batch: ${b.status} ${JSON.stringify(b.body).slice(0, 500)}`);
    }
  }
  const verifiedBatches = { requests: 1 };

  for (let i = 1; i <= ROUNDS; i++) {
    const row = { round: i };

    // single readings
    const singleReqs = requestsWith(SINGLE_PATH, singleHeaders, singleBody);
    only(
      `round ${i} single warm-up`,
      await cannon({
        port,
        path: SINGLE_PATH,
        connections: CONNECTIONS,
        duration: WARMUP,
        requests: singleReqs,
      }),
      201,
    );
    row.single = await measured(pha.pid, () =>
      cannon({ port, path: SINGLE_PATH, connections: CONNECTIONS, duration: DURATION, requests: singleReqs }),
    );
    only(`round ${i} single`, row.single, 201);

    // batches
    row.batch = {};
    for (const conns of BATCH_CONNECTIONS) {
      const warm = batchChecker();
      only(
        `round ${i} batch x${conns} warm-up`,
        await cannon({
          port,
          path: BATCH_PATH,
          connections: conns,
          duration: WARMUP,
          requests: requestsWith(BATCH_PATH, batchHeaders, batchBody, warm.onResponse),
        }),
        201,
      );
      const check = batchChecker();
      const r = await measured(pha.pid, () =>
        cannon({
          port,
          path: BATCH_PATH,
          connections: conns,
          duration: DURATION,
          requests: requestsWith(BATCH_PATH, batchHeaders, batchBody, check.onResponse),
        }),
      );
      only(`round ${i} batch x${conns}`, r, 201);
      for (const t of [warm.tally, check.tally]) {
        if (t.bad > 0)
          throw new Error(`round ${i} batch x${conns}: ${t.bad} answers not "all created": ${t.first_bad}`);
      }
      verifiedBatches.requests += warm.tally.all_created + check.tally.all_created;
      r.items_per_request = BATCH_SIZE;
      r.responses_checked_all_created = check.tally.checked;
      r.samples_per_s = round(r.requests_per_s * BATCH_SIZE);
      row.batch[conns] = r;
      // Requests still in flight when autocannon stopped are finished by the server: let it settle.
      await sleep(2000);
    }

    // hello-world baseline, same settings as the single readings
    only(
      `round ${i} hello warm-up`,
      await cannon({ port: helloPort, path: '/', connections: CONNECTIONS, duration: WARMUP }),
      200,
    );
    row.hello_world = await measured(hello.pid, () =>
      cannon({ port: helloPort, path: '/', connections: CONNECTIONS, duration: DURATION }),
    );
    only(`round ${i} hello`, row.hello_world, 200);
    row.ratio_single_to_hello = round(row.single.requests_per_s / row.hello_world.requests_per_s, 4);
    rounds.push(row);
    console.error(
      `  round ${i}: single ${row.single.requests_per_s} req/s p99 ${row.single.latency_ms.p99} ms (${row.single.total_requests} x 201; CPU server ${row.single.server_cpu_cores}, client ${row.single.client_cpu_cores})` +
        BATCH_CONNECTIONS.map(
          (c) =>
            ` | batch x${c}: ${row.batch[c].requests_per_s} req/s = ${row.batch[c].samples_per_s} samples/s p99 ${row.batch[c].latency_ms.p99} ms (CPU server ${row.batch[c].server_cpu_cores}, client ${row.batch[c].client_cpu_cores})`,
        ).join('') +
        ` | hello ${row.hello_world.requests_per_s} req/s p99 ${row.hello_world.latency_ms.p99} ms | ratio ${row.ratio_single_to_hello}`,
    );
  }

  // What is stored: at least every batch verified as "all created" (requests cut off when autocannon
  // stopped may have been stored too).
  const sum = await http(
    port,
    'GET',
    `/health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=month&from=${new Date(BATCH_BASE_MS).toISOString()}&to=${new Date(BATCH_BASE_MS + (minuteCounter + 1) * 60_000).toISOString()}`,
    { headers: { authorization: `Bearer ${batchToken}` }, timeoutMs: 60_000 },
  );
  if (sum.status !== 200) throw new Error(`summary: ${sum.status} ${JSON.stringify(sum.body).slice(0, 300)}`);
  storedCheck = {
    samples_verified_created: verifiedBatches.requests * BATCH_SIZE,
    samples_stored: sum.body.overall.count,
    samples_generated: minuteCounter,
  };
  if (storedCheck.samples_stored < storedCheck.samples_verified_created) {
    throw new Error(
      `stored ${storedCheck.samples_stored} < verified ${storedCheck.samples_verified_created}`,
    );
  }
  memAfter = procMemory(pha.pid);
} finally {
  if (pha) await stopProcess(pha.child);
  if (hello) await stopProcess(hello.child);
  removeTempDir(dataDir);
}

const med = (f, digits = 1) => round(median(rounds.map(f)), digits);
const batch = Object.fromEntries(
  BATCH_CONNECTIONS.map((c) => [
    c,
    {
      connections: c,
      requests_per_s_median: med((r) => r.batch[c].requests_per_s),
      samples_per_s_median: med((r) => r.batch[c].samples_per_s),
      p50_ms_median: med((r) => r.batch[c].latency_ms.p50),
      p99_ms_median: med((r) => r.batch[c].latency_ms.p99),
      server_cpu_cores_median: med((r) => r.batch[c].server_cpu_cores, 2),
      client_cpu_cores_median: med((r) => r.batch[c].client_cpu_cores, 2),
    },
  ]),
);
const best = BATCH_CONNECTIONS.reduce((a, c) =>
  batch[c].samples_per_s_median > batch[a].samples_per_s_median ? c : a,
);
const result = {
  benchmark: 'metrics-ingest',
  machine: info,
  settings: {
    rounds: ROUNDS,
    connections: CONNECTIONS,
    duration_s: DURATION,
    warmup_s: WARMUP,
    pipelining: 1,
    batch_size: BATCH_SIZE,
    batch_connections: BATCH_CONNECTIONS,
    single_path: SINGLE_PATH,
    batch_path: BATCH_PATH,
  },
  single: {
    requests_per_s_median: med((r) => r.single.requests_per_s),
    p50_ms_median: med((r) => r.single.latency_ms.p50),
    p99_ms_median: med((r) => r.single.latency_ms.p99),
    all_201: true,
    server_cpu_cores_median: med((r) => r.single.server_cpu_cores, 2),
    client_cpu_cores_median: med((r) => r.single.client_cpu_cores, 2),
  },
  hello_world: {
    requests_per_s_median: med((r) => r.hello_world.requests_per_s),
    p50_ms_median: med((r) => r.hello_world.latency_ms.p50),
    p99_ms_median: med((r) => r.hello_world.latency_ms.p99),
    server_cpu_cores_median: med((r) => r.hello_world.server_cpu_cores, 2),
    client_cpu_cores_median: med((r) => r.hello_world.client_cpu_cores, 2),
  },
  ratio_single_to_hello_median_of_rounds: med((r) => r.ratio_single_to_hello, 4),
  batch,
  batch_all_201_all_created: true,
  stored_check: storedCheck,
  server_memory_after_mib: memAfter,
  rounds,
};
result.targets = {
  batch_ingest_at_least_50k_samples_per_s: {
    target_samples_per_s: TARGET_SAMPLES_PER_S,
    measured_samples_per_s: batch[best].samples_per_s_median,
    connections: best,
    pass: batch[best].samples_per_s_median >= TARGET_SAMPLES_PER_S,
  },
};

const t = result.targets.batch_ingest_at_least_50k_samples_per_s;
report('metrics-ingest', result, [
  `metrics-ingest (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}; ${DURATION} s after ${WARMUP} s warm-up, ${ROUNDS} rounds)`,
  `  POST ${SINGLE_PATH} (${CONNECTIONS} conn): median ${result.single.requests_per_s_median} req/s, p50 ${result.single.p50_ms_median} ms, p99 ${result.single.p99_ms_median} ms, every answer 201`,
  `  bare Fastify GET / (${CONNECTIONS} conn)          : median ${result.hello_world.requests_per_s_median} req/s, p99 ${result.hello_world.p99_ms_median} ms`,
  `  ratio single/hello-world                    : ${result.ratio_single_to_hello_median_of_rounds} (median of per-round ratios)`,
  ...BATCH_CONNECTIONS.map(
    (c) =>
      `  POST ${BATCH_PATH} x${BATCH_SIZE} (${c} conn): median ${batch[c].requests_per_s_median} req/s = ${batch[c].samples_per_s_median} samples/s, p50 ${batch[c].p50_ms_median} ms, p99 ${batch[c].p99_ms_median} ms (server CPU ${batch[c].server_cpu_cores_median} cores)`,
  ),
  `  batch answers: all 201 with created=${BATCH_SIZE}, duplicates=0; stored ${storedCheck.samples_stored} samples (>= ${storedCheck.samples_verified_created} verified)`,
  `  batch ingest >= ${TARGET_SAMPLES_PER_S} samples/s: ${t.measured_samples_per_s} (${best} conn)  [${t.pass ? 'PASS' : 'FAIL'}]`,
]);
