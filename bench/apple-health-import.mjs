// Apple Health import: a generated 1,000,000-record export.xml, uploaded and imported, in both shapes.
//
//   node bench/apple-health-import.mjs
//     BENCH_APPLE_RECORDS=1000000  BENCH_PARSE_RUNS=3  BENCH_POLL_MS=200
//     BENCH_SHAPES=all-in-one,distributed  (either or both; distributed needs PostgreSQL, see below)
//     BENCH_PG_HOST=127.0.0.1 BENCH_PG_PORT=5432 BENCH_PG_USER=postgres
//
// 1. Generates export.xml in a temp dir: the header of a real HealthKit export (version 3 DOCTYPE, copied
//    from an iPhone export, then <HealthData locale>, <ExportDate>, <Me>), RECORDS heart-rate records of an
//    Apple Watch, one a minute from 2022-01-01 (earlier for longer files; seconds varied: distinct readings;
//    UTC offset +0100), each a one-line <Record type="HKQuantityTypeIdentifierHeartRate" sourceName
//    sourceVersion device unit="count/min" creationDate startDate endDate value/> as Apple writes them.
// 2. all-in-one: starts the all-in-one server (embedded PGlite, warm DATA_DIR), registers a user, and POSTs
//    the file (streamed from disk, content-type application/xml) to /device-data/api/v1/imports through the
//    gateway; 202 with the import.
//    distributed: makes a scratch PostgreSQL database (createdb; dropped with dropdb --force at the end), and
//    starts auth, health-tracking and device-data each as its own process (`cli.js serve <service>` with
//    PORT, DATABASE_URL, shared JWT_SECRET_KEY / SECRET_KEY, HEALTH_TRACKING_SERVICE_URL), registers a user
//    at auth and POSTs the file straight to device-data's /api/v1/imports.
// 3. Polls GET .../imports/{id} every POLL_MS until it is completed (or failed), reading every server
//    process's VmRSS / VmHWM from /proc/<pid>/status at each poll. Checks every record was created (no
//    duplicate, skipped or invalid) and that a summary of heart rate over the file's range counts them all.
// 4. Baseline, after the servers are stopped: the same file stream-parsed in this process by the same parser
//    module (parsers/apple-health.js of the build measured), nothing stored; median of PARSE_RUNS.
// Reports records/s end to end (upload start to "completed" seen), the server's own processing time
// (started_at to finished_at), the ratio to parsing alone, CPU time per process, and each process's peak
// RSS (VmHWM) against the targets (>= 50,000 records/s; peak RSS < 300 MB).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CLI,
  SERVER_ENV,
  deadline,
  freePort,
  http,
  loadavg1,
  login,
  machine,
  median,
  onCleanup,
  procCpuMs,
  procMemory,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  sleep,
  startPha,
  startProcess,
  stopProcess,
  tempDir,
  PASSWORD,
} from './lib.mjs';
import { send, writeAppleExport } from './health-data.mjs';

const RECORDS = Number(process.env.BENCH_APPLE_RECORDS ?? 1_000_000);
const PARSE_RUNS = Number(process.env.BENCH_PARSE_RUNS ?? 3);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 200);
const SHAPES = (process.env.BENCH_SHAPES ?? 'all-in-one,distributed').split(',').map((s) => s.trim());
const PG = {
  host: process.env.BENCH_PG_HOST ?? '127.0.0.1',
  port: process.env.BENCH_PG_PORT ?? '5432',
  user: process.env.BENCH_PG_USER ?? 'postgres',
};
const TARGET_RECORDS_PER_S = 50_000;
const TARGET_PEAK_RSS_MB = 300;
// The parser of the build being measured (PHA_CLI points at another build's cli.js).
const PARSER = join(dirname(CLI), 'services', 'device-data', 'parsers', 'apple-health.js');

deadline(300 + SHAPES.length * Math.ceil(RECORDS / 1200), 'apple-health-import');

/** A process's V8 heap and external memory (MiB) from its Prometheus metrics (prom-client defaults). */
async function serverHeap(port, path) {
  const prom = await http(port, 'GET', path, { timeoutMs: 10_000 });
  if (prom.status !== 200) return undefined;
  const metric = (name) =>
    round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(String(prom.body))?.[1] ?? NaN) / 1024 ** 2);
  return {
    heap_used_mib: metric('nodejs_heap_size_used_bytes'),
    heap_total_mib: metric('nodejs_heap_size_total_bytes'),
    external_mib: metric('nodejs_external_memory_bytes'),
  };
}

async function parseOnly(file) {
  const { parseAppleHealthXml } = await import(pathToFileURL(PARSER).href);
  const counts = { reading: 0, skipped: 0, invalid: 0, treatment: 0 };
  const t0 = performance.now();
  for await (const event of parseAppleHealthXml(createReadStream(file))) counts[event.kind]++;
  const ms = performance.now() - t0;
  return {
    ms: round(ms),
    records_per_s: round((counts.reading + counts.skipped + counts.invalid) / (ms / 1000)),
    counts,
  };
}

const toMb = (mib) => round(mib * 1.048576);

/**
 * Uploads the file and follows the import to its end. `processes`: name -> { pid, port, metricsPath };
 * `api`: where the imports and summary routes are (port and path prefixes). Returns the measurements.
 */
async function importOnce({ file, range, processes, api, auth }) {
  await sleep(2000);
  const before = {};
  for (const [name, p] of Object.entries(processes)) {
    before[name] = {
      memory: procMemory(p.pid),
      heap: await serverHeap(p.port, p.metricsPath),
      cpu_ms: procCpuMs(p.pid),
    };
  }
  const load0 = loadavg1();
  const timeline = [];
  let progress = { status: 'uploading', percent: 0, records_read: 0 };
  const tStart = performance.now();
  const sampler = setInterval(() => {
    const sample = { t_s: round((performance.now() - tStart) / 1000, 1), ...progress };
    for (const [name, p] of Object.entries(processes)) {
      try {
        sample[`${name}_rss_mib`] = procMemory(p.pid).rss_mib;
      } catch {
        /* exited */
      }
    }
    timeline.push(sample);
  }, POLL_MS);

  const up = await send(api.port, 'POST', `${api.imports}?filename=export.xml`, {
    body: file,
    file: true,
    headers: { 'content-type': 'application/xml', ...auth },
  });
  if (up.status !== 202) {
    clearInterval(sampler);
    throw new Error(`upload: ${up.status} ${JSON.stringify(up.body).slice(0, 500)}`);
  }
  const id = up.body.id;
  console.error(`  uploaded in ${round(up.ms / 1000, 2)} s (202, format ${up.body.format}); importing...`);
  let row;
  let lastLog = 0;
  const heaps = Object.fromEntries(Object.keys(processes).map((name) => [name, []]));
  for (let poll = 0; ; poll++) {
    const res = await http(api.port, 'GET', `${api.imports}/${id}`, { headers: auth, timeoutMs: 30_000 });
    if (res.status !== 200) throw new Error(`poll: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    row = res.body;
    progress = { status: row.status, percent: row.progress.percent, records_read: row.counts.records_read };
    if (row.status === 'completed' || row.status === 'failed') break;
    // Every 5th poll: each process's own view of its memory (prom-client's default metrics), to split the
    // RSS into the V8 heap and memory outside it (PGlite's WebAssembly memory is an external ArrayBuffer).
    if (poll % 5 === 0) {
      for (const [name, p] of Object.entries(processes)) {
        const h = await serverHeap(p.port, p.metricsPath);
        if (h) heaps[name].push({ percent: row.progress.percent, ...h, rss_mib: procMemory(p.pid).rss_mib });
      }
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      const rss = Object.entries(processes)
        .map(([name, p]) => `${name} ${procMemory(p.pid).rss_mib} MiB`)
        .join(', ');
      console.error(
        `    ${round((performance.now() - tStart) / 1000)} s: ${row.status} ${row.progress.percent} %, ${row.counts.records_read} records, RSS ${rss}`,
      );
    }
    await sleep(POLL_MS);
  }
  const endToEndMs = performance.now() - tStart;
  clearInterval(sampler);
  const after = {};
  for (const [name, p] of Object.entries(processes)) {
    after[name] = { memory: procMemory(p.pid), cpu_ms: procCpuMs(p.pid) };
  }
  if (row.status !== 'completed') throw new Error(`import ${row.status}: ${row.message}`);
  const c = row.counts;
  if (
    c.records_read !== RECORDS ||
    c.readings_created !== RECORDS ||
    c.readings_duplicate !== 0 ||
    c.records_skipped !== 0 ||
    c.records_invalid !== 0
  ) {
    throw new Error(`import counts: ${JSON.stringify(c)} ${JSON.stringify(row.errors.slice(0, 3))}`);
  }
  // And health tracking holds them all.
  const sum = await http(
    api.summaryPort,
    'GET',
    `${api.summary}?metric_type=heart_rate&bucket=month&from=${new Date(range.first_ms).toISOString()}&to=${new Date(range.last_ms + 60_000).toISOString()}`,
    { headers: auth, timeoutMs: 60_000 },
  );
  if (sum.status !== 200 || sum.body.overall.count !== RECORDS) {
    throw new Error(`summary after import: ${sum.status} count ${sum.body?.overall?.count}`);
  }
  const serverMs = new Date(row.finished_at).getTime() - new Date(row.started_at).getTime();
  const perProcess = {};
  for (const name of Object.keys(processes)) {
    const cpuMs = after[name].cpu_ms - before[name].cpu_ms;
    const hs = heaps[name];
    const at = (pct) =>
      timeline.find((s) => s.status === 'processing' && s.percent >= pct)?.[`${name}_rss_mib`] ?? null;
    perProcess[name] = {
      cpu_s: round(cpuMs / 1000, 1),
      cpu_cores: round(cpuMs / endToEndMs, 2),
      rss_before_mib: before[name].memory.rss_mib,
      hwm_before_mib: before[name].memory.hwm_mib,
      rss_at_25_50_75_99_pct_mib: [at(25), at(50), at(75), at(99)],
      rss_after_mib: after[name].memory.rss_mib,
      peak_rss_hwm_mib: after[name].memory.hwm_mib,
      peak_rss_hwm_mb: toMb(after[name].memory.hwm_mib),
      peak_rss_under_300mb: toMb(after[name].memory.hwm_mib) < TARGET_PEAK_RSS_MB,
      heap_before: before[name].heap,
      heap_used_max_mib: hs.length ? Math.max(...hs.map((h) => h.heap_used_mib)) : null,
      heap_total_max_mib: hs.length ? Math.max(...hs.map((h) => h.heap_total_mib)) : null,
      external_max_mib: hs.length ? Math.max(...hs.map((h) => h.external_mib)) : null,
    };
  }
  return {
    id,
    loadavg_1m_start: load0,
    loadavg_1m_end: loadavg1(),
    counts: c,
    upload_s: round(up.ms / 1000, 2),
    end_to_end_s: round(endToEndMs / 1000, 2),
    end_to_end_records_per_s: round(RECORDS / (endToEndMs / 1000)),
    server_processing_s: round(serverMs / 1000, 2),
    server_processing_records_per_s: round(RECORDS / (serverMs / 1000)),
    processes: perProcess,
    timeline_every_10th: timeline.filter((_, i) => i % 10 === 0),
  };
}

/** The all-in-one server on a warm DATA_DIR (embedded PGlite), through the gateway. */
async function allInOne(file, range) {
  const dataDir = tempDir();
  let server;
  try {
    const email = `apple-${process.pid}@example.com`;
    {
      const port = await freePort();
      const first = await startPha({ dataDir, port });
      await registerAndLogin(port, email);
      await stopProcess(first.child);
    }
    const port = await freePort();
    server = await startPha({ dataDir, port, env: { ACCESS_TOKEN_TTL_SECONDS: '3600' } });
    const token = await login(port, email);
    const auth = { authorization: `Bearer ${token}` };
    // One request to every part the import touches, so the peak below is not start-up's.
    const devices = await http(port, 'GET', '/device-data/api/v1/devices', { headers: auth });
    if (devices.status !== 200) throw new Error(`devices: ${devices.status} ${JSON.stringify(devices.body)}`);
    return await importOnce({
      file,
      range,
      processes: { all_in_one: { pid: server.pid, port, metricsPath: '/device-data/metrics' } },
      api: {
        port,
        imports: '/device-data/api/v1/imports',
        summaryPort: port,
        summary: '/health-tracking/api/v1/metrics/summary',
      },
      auth,
    });
  } finally {
    if (server) await stopProcess(server.child);
    removeTempDir(dataDir);
  }
}

/** Why the distributed shape cannot run here (no PostgreSQL client or server), or undefined. */
function postgresMissing() {
  try {
    execFileSync(
      'psql',
      ['-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', 'postgres', '-XAtc', 'SELECT 1'],
      {
        stdio: 'pipe',
      },
    );
    return undefined;
  } catch (err) {
    return `no PostgreSQL at ${PG.user}@${PG.host}:${PG.port} (${String(err.message).split('\n')[0]})`;
  }
}

/** auth, health-tracking and device-data as separate processes on a scratch PostgreSQL database. */
async function distributed(file, range) {
  const pgArgs = ['-h', PG.host, '-p', PG.port, '-U', PG.user];
  const dbName = `pha_bench_apple_${process.pid}_${Date.now()}`;
  execFileSync('createdb', [...pgArgs, dbName]);
  const dropDb = onCleanup(() => execFileSync('dropdb', [...pgArgs, '--force', '--if-exists', dbName]));
  const serverVersion = execFileSync('psql', [...pgArgs, '-d', dbName, '-XAtc', 'SHOW server_version'], {
    encoding: 'utf8',
  }).trim();
  const dataDir = tempDir();
  const ports = { auth: await freePort(18300), 'health-tracking': 0, 'device-data': 0 };
  ports['health-tracking'] = await freePort(ports.auth + 1);
  ports['device-data'] = await freePort(ports['health-tracking'] + 1);
  const env = {
    ...SERVER_ENV,
    DATA_DIR: dataDir,
    DATABASE_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${dbName}`,
    JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    AUTH_SERVICE_URL: `http://127.0.0.1:${ports.auth}`,
    HEALTH_TRACKING_SERVICE_URL: `http://127.0.0.1:${ports['health-tracking']}`,
    DEVICE_DATA_SERVICE_URL: `http://127.0.0.1:${ports['device-data']}`,
  };
  const servers = {};
  try {
    // One after the other: each applies its migrations (and the platform's outbox) at start.
    for (const slug of ['auth', 'health-tracking', 'device-data']) {
      servers[slug] = await startProcess({
        args: [CLI, 'serve', slug],
        env,
        port: ports[slug],
        readyPath: '/health',
        timeoutMs: 120_000,
      });
    }
    const email = `apple-${process.pid}@example.com`;
    const reg = await http(ports.auth, 'POST', '/api/v1/auth/register', {
      body: { email, password: PASSWORD, full_name: 'Bench User' },
      timeoutMs: 15_000,
    });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
    const signIn = await http(ports.auth, 'POST', '/api/v1/auth/login', {
      body: { email, password: PASSWORD },
      timeoutMs: 15_000,
    });
    if (signIn.status !== 200) throw new Error(`login: ${signIn.status} ${JSON.stringify(signIn.body)}`);
    const auth = { authorization: `Bearer ${signIn.body.access_token}` };
    const devices = await http(ports['device-data'], 'GET', '/api/v1/devices', { headers: auth });
    if (devices.status !== 200) throw new Error(`devices: ${devices.status} ${JSON.stringify(devices.body)}`);
    const result = await importOnce({
      file,
      range,
      processes: {
        device_data: { pid: servers['device-data'].pid, port: ports['device-data'], metricsPath: '/metrics' },
        health_tracking: {
          pid: servers['health-tracking'].pid,
          port: ports['health-tracking'],
          metricsPath: '/metrics',
        },
        auth: { pid: servers.auth.pid, port: ports.auth, metricsPath: '/metrics' },
      },
      api: {
        port: ports['device-data'],
        imports: '/api/v1/imports',
        summaryPort: ports['health-tracking'],
        summary: '/api/v1/metrics/summary',
      },
      auth,
    });
    return { postgres: serverVersion, ...result };
  } finally {
    for (const s of Object.values(servers)) await stopProcess(s.child);
    dropDb();
    removeTempDir(dataDir);
  }
}

const info = machine();
const work = tempDir('pha-bench-apple-');
const file = join(work, 'export.xml');
let result;
try {
  const g0 = performance.now();
  const range = await writeAppleExport(file, RECORDS);
  const fileBytes = statSync(file).size;
  console.error(
    `  export.xml: ${RECORDS} records, ${fileBytes} bytes (${round(fileBytes / 1024 ** 2)} MiB), generated in ${round((performance.now() - g0) / 1000, 1)} s`,
  );
  const shapes = {};
  const skipped = {};
  for (const shape of SHAPES) {
    console.error(`  shape ${shape}:`);
    if (shape === 'all-in-one') shapes[shape] = await allInOne(file, range);
    else if (shape === 'distributed') {
      const why = postgresMissing();
      if (why) {
        skipped[shape] = why;
        console.error(`    skipped: ${why}`);
      } else {
        shapes[shape] = await distributed(file, range);
      }
    } else throw new Error(`unknown shape "${shape}" (all-in-one, distributed)`);
  }

  // Baseline: parsing alone, in this process, with nothing else running.
  const parses = [];
  for (let i = 0; i < PARSE_RUNS; i++) {
    const p = await parseOnly(file);
    if (p.counts.reading !== RECORDS) throw new Error(`parse-only: ${JSON.stringify(p.counts)}`);
    parses.push(p);
    console.error(`  parse only, run ${i + 1}: ${round(p.ms / 1000, 2)} s = ${p.records_per_s} records/s`);
  }
  const parseRps = median(parses.map((p) => p.records_per_s));
  for (const r of Object.values(shapes)) {
    r.ratio_import_to_parse = round(r.end_to_end_records_per_s / parseRps, 3);
    r.ratio_server_processing_to_parse = round(r.server_processing_records_per_s / parseRps, 3);
    r.targets = {
      import_at_least_50k_records_per_s: r.end_to_end_records_per_s >= TARGET_RECORDS_PER_S,
      peak_rss_under_300mb: Object.fromEntries(
        Object.entries(r.processes).map(([name, p]) => [name, p.peak_rss_under_300mb]),
      ),
    };
  }
  result = {
    benchmark: 'apple-health-import',
    machine: info,
    settings: {
      records: RECORDS,
      parse_runs: PARSE_RUNS,
      poll_ms: POLL_MS,
      shapes: SHAPES,
      content_type: 'application/xml',
      // The servers inherit this process's environment: IMPORT_BATCH_SIZE=... changes the batch size.
      import_batch_size: process.env.IMPORT_BATCH_SIZE ?? 'default',
    },
    file: { bytes: fileBytes, records: RECORDS, bytes_per_record: round(fileBytes / RECORDS, 1) },
    parse_only: {
      records_per_s_median: round(parseRps),
      seconds: parses.map((p) => round(p.ms / 1000, 2)),
      bench_process_max_rss_mib: round(process.resourceUsage().maxRSS / 1024),
    },
    shapes,
    skipped,
  };
} finally {
  removeTempDir(work);
}

const lines = [
  `apple-health-import (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}, load ${info.loadavg}; ${RECORDS} records, ${result.file.bytes} bytes)`,
  `  parse only (same parser, in-process, nothing stored): median ${result.parse_only.records_per_s_median} records/s (${result.parse_only.seconds.join(', ')} s)`,
];
for (const [shape, why] of Object.entries(result.skipped)) lines.push(`  ${shape}: skipped, ${why}`);
for (const [shape, r] of Object.entries(result.shapes)) {
  lines.push(
    `  ${shape}${r.postgres ? ` (PostgreSQL ${r.postgres})` : ''}: load ${r.loadavg_1m_start} -> ${r.loadavg_1m_end}`,
    `    end to end (upload + import): ${r.end_to_end_s} s = ${r.end_to_end_records_per_s} records/s  [>= ${TARGET_RECORDS_PER_S}: ${r.targets.import_at_least_50k_records_per_s ? 'PASS' : 'FAIL'}]; ratio to parse only ${r.ratio_import_to_parse}`,
    `    upload ${r.upload_s} s; server processing (started_at -> finished_at) ${r.server_processing_s} s = ${r.server_processing_records_per_s} records/s (ratio ${r.ratio_server_processing_to_parse})`,
  );
  for (const [name, p] of Object.entries(r.processes)) {
    lines.push(
      `    ${name}: CPU ${p.cpu_s} s (${p.cpu_cores} cores); RSS before ${p.rss_before_mib} MiB, at 25/50/75/99 % ${p.rss_at_25_50_75_99_pct_mib.join('/')} MiB; heap used max ${p.heap_used_max_mib} MiB, external max ${p.external_max_mib} MiB; peak RSS (VmHWM) ${p.peak_rss_hwm_mib} MiB = ${p.peak_rss_hwm_mb} MB  [< ${TARGET_PEAK_RSS_MB} MB: ${p.peak_rss_under_300mb ? 'PASS' : 'FAIL'}]`,
    );
  }
}
report('apple-health-import', result, lines);
