// Apple Health import through the gateway: a generated 1,000,000-record export.xml, uploaded and imported.
//
//   node bench/apple-health-import.mjs
//     BENCH_APPLE_RECORDS=1000000  BENCH_PARSE_RUNS=3  BENCH_POLL_MS=200
//
// 1. Generates export.xml in a temp dir: the header of a real HealthKit export (version 3 DOCTYPE, copied
//    from an iPhone export, then <HealthData locale>, <ExportDate>, <Me>), RECORDS heart-rate records of an
//    Apple Watch, one a minute from 2022-01-01 (earlier for longer files; seconds varied: distinct readings;
//    UTC offset +0100), each a one-line <Record type="HKQuantityTypeIdentifierHeartRate" sourceName
//    sourceVersion device unit="count/min" creationDate startDate endDate value/> as Apple writes them.
// 2. Starts the all-in-one server (warm DATA_DIR), registers a user, and POSTs the file (streamed from disk,
//    content-type application/xml) to /device-data/api/v1/imports through the gateway; 202 with the import.
// 3. Polls GET /device-data/api/v1/imports/{id} every POLL_MS until it is completed (or failed), reading the
//    server's VmRSS / VmHWM from /proc/<pid>/status at each poll. Checks every record was created (no
//    duplicate, skipped or invalid) and that a summary of heart rate over the file's range counts them all.
// 4. Baseline, after the server is stopped: the same file stream-parsed in this process by the same parser
//    module (dist/src/services/device-data/parsers/apple-health.js), nothing stored; median of PARSE_RUNS.
// Reports records/s end to end (upload start to "completed" seen), the server's own processing time
// (started_at to finished_at), the ratio to parsing alone, and the peak RSS (VmHWM) against the targets
// (>= 50,000 records/s; peak RSS < 300 MB).
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ROOT,
  deadline,
  freePort,
  http,
  loadavg1,
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
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';
import { send, writeAppleExport } from './health-data.mjs';

const RECORDS = Number(process.env.BENCH_APPLE_RECORDS ?? 1_000_000);
const PARSE_RUNS = Number(process.env.BENCH_PARSE_RUNS ?? 3);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 200);
const TARGET_RECORDS_PER_S = 50_000;
const TARGET_PEAK_RSS_MB = 300;
const IMPORTS = '/device-data/api/v1/imports';
const PARSER = join(ROOT, 'dist', 'src', 'services', 'device-data', 'parsers', 'apple-health.js');

deadline(240 + Math.ceil(RECORDS / 1700), 'apple-health-import');

/** The server's V8 heap and external memory (MiB) from its Prometheus metrics (prom-client defaults). */
async function serverHeap(port) {
  const prom = await http(port, 'GET', '/device-data/metrics', { timeoutMs: 10_000 });
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

const info = machine();
const work = tempDir('pha-bench-apple-');
const file = join(work, 'export.xml');
const dataDir = tempDir();
let server;
let result;
try {
  const g0 = performance.now();
  const range = await writeAppleExport(file, RECORDS);
  const fileBytes = statSync(file).size;
  console.error(
    `  export.xml: ${RECORDS} records, ${fileBytes} bytes (${round(fileBytes / 1024 ** 2)} MiB), generated in ${round((performance.now() - g0) / 1000, 1)} s`,
  );

  // Warm server: the first start initialises the database, the measured one is a restart.
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
  await sleep(2000);
  const heapBefore = await serverHeap(port);
  const memBefore = procMemory(server.pid);
  const cpu0 = procCpuMs(server.pid);
  const load0 = loadavg1();

  // Memory sampling while the upload and the import run.
  const timeline = [];
  let maxRss = 0;
  let progress = { status: 'uploading', percent: 0, records_read: 0 };
  const tStart = performance.now();
  const sampler = setInterval(() => {
    try {
      const m = procMemory(server.pid);
      maxRss = Math.max(maxRss, m.rss_mib);
      timeline.push({ t_s: round((performance.now() - tStart) / 1000, 1), ...m, ...progress });
    } catch {
      /* exited */
    }
  }, POLL_MS);

  const up = await send(port, 'POST', `${IMPORTS}?filename=export.xml`, {
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
  const heap = [];
  for (let poll = 0; ; poll++) {
    const res = await http(port, 'GET', `${IMPORTS}/${id}`, { headers: auth, timeoutMs: 30_000 });
    if (res.status !== 200) throw new Error(`poll: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    row = res.body;
    progress = { status: row.status, percent: row.progress.percent, records_read: row.counts.records_read };
    if (row.status === 'completed' || row.status === 'failed') break;
    // Every 5th poll: the server's own view of its memory (prom-client's default metrics), to split the
    // RSS into the V8 heap and memory outside it (PGlite's WebAssembly memory is an external ArrayBuffer).
    if (poll % 5 === 0) {
      const h = await serverHeap(port);
      if (h) heap.push({ percent: row.progress.percent, ...h, rss_mib: procMemory(server.pid).rss_mib });
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      console.error(
        `    ${round((performance.now() - tStart) / 1000)} s: ${row.status} ${row.progress.percent} %, ${row.counts.records_read} records, RSS ${procMemory(server.pid).rss_mib} MiB`,
      );
    }
    await sleep(POLL_MS);
  }
  const endToEndMs = performance.now() - tStart;
  clearInterval(sampler);
  const cpuMs = procCpuMs(server.pid) - cpu0;
  const memAfter = procMemory(server.pid);
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
    port,
    'GET',
    `/health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=month&from=${new Date(range.first_ms).toISOString()}&to=${new Date(range.last_ms + 60_000).toISOString()}`,
    { headers: auth, timeoutMs: 60_000 },
  );
  if (sum.status !== 200 || sum.body.overall.count !== RECORDS) {
    throw new Error(`summary after import: ${sum.status} count ${sum.body?.overall?.count}`);
  }
  await stopProcess(server.child);
  server = undefined;

  const serverMs = new Date(row.finished_at).getTime() - new Date(row.started_at).getTime();
  const createdToFinishedMs = new Date(row.finished_at).getTime() - new Date(row.created_at).getTime();

  // Baseline: parsing alone, in this process, with nothing else running.
  const parses = [];
  for (let i = 0; i < PARSE_RUNS; i++) {
    const p = await parseOnly(file);
    if (p.counts.reading !== RECORDS) throw new Error(`parse-only: ${JSON.stringify(p.counts)}`);
    parses.push(p);
    console.error(`  parse only, run ${i + 1}: ${round(p.ms / 1000, 2)} s = ${p.records_per_s} records/s`);
  }
  const parseRps = median(parses.map((p) => p.records_per_s));
  const e2eRps = RECORDS / (endToEndMs / 1000);
  const hwmMb = memAfter.hwm_mib * 1.048576;
  const at = (pct) => timeline.find((s) => s.status === 'processing' && s.percent >= pct);

  result = {
    benchmark: 'apple-health-import',
    machine: info,
    settings: {
      records: RECORDS,
      parse_runs: PARSE_RUNS,
      poll_ms: POLL_MS,
      path: IMPORTS,
      content_type: 'application/xml',
      // The server inherits this process's environment: IMPORT_BATCH_SIZE=... changes its batch size.
      import_batch_size: process.env.IMPORT_BATCH_SIZE ?? 'default (2000)',
    },
    file: { bytes: fileBytes, records: RECORDS, bytes_per_record: round(fileBytes / RECORDS, 1) },
    loadavg_1m_start: load0,
    import: {
      id,
      status: row.status,
      counts: c,
      upload_s: round(up.ms / 1000, 2),
      end_to_end_s: round(endToEndMs / 1000, 2),
      end_to_end_records_per_s: round(e2eRps),
      server_processing_s: round(serverMs / 1000, 2),
      server_processing_records_per_s: round(RECORDS / (serverMs / 1000)),
      server_created_to_finished_s: round(createdToFinishedMs / 1000, 2),
      server_cpu_s: round(cpuMs / 1000, 1),
      server_cpu_cores: round(cpuMs / endToEndMs, 2),
    },
    parse_only: {
      records_per_s_median: round(parseRps),
      seconds: parses.map((p) => round(p.ms / 1000, 2)),
      bench_process_max_rss_mib: round(process.resourceUsage().maxRSS / 1024),
    },
    ratio_import_to_parse: round(e2eRps / parseRps, 3),
    ratio_server_processing_to_parse: round(RECORDS / (serverMs / 1000) / parseRps, 3),
    server_memory_mib: {
      before: memBefore,
      after: memAfter,
      max_rss_sampled: maxRss,
      at_25pct: at(25)?.rss_mib ?? null,
      at_50pct: at(50)?.rss_mib ?? null,
      at_75pct: at(75)?.rss_mib ?? null,
      at_99pct: at(99)?.rss_mib ?? null,
    },
    // From the server's /metrics during the import (MiB): V8 heap and external memory next to the RSS.
    server_heap_mib: {
      before: heapBefore,
      heap_used_max: Math.max(...heap.map((h) => h.heap_used_mib)),
      heap_total_max: Math.max(...heap.map((h) => h.heap_total_mib)),
      external_max: Math.max(...heap.map((h) => h.external_mib)),
      samples: heap,
    },
    timeline_every_10th: timeline.filter((_, i) => i % 10 === 0),
  };
  result.targets = {
    import_at_least_50k_records_per_s: {
      target: TARGET_RECORDS_PER_S,
      measured_end_to_end: round(e2eRps),
      measured_server_processing: result.import.server_processing_records_per_s,
      pass: e2eRps >= TARGET_RECORDS_PER_S,
    },
    peak_rss_under_300mb: {
      target_mb: TARGET_PEAK_RSS_MB,
      measured_hwm_mib: memAfter.hwm_mib,
      measured_hwm_mb: round(hwmMb),
      hwm_before_import_mib: memBefore.hwm_mib,
      pass: hwmMb < TARGET_PEAK_RSS_MB,
    },
  };
} finally {
  if (server) await stopProcess(server.child);
  removeTempDir(dataDir);
  removeTempDir(work);
}

const t = result.targets;
const m = result.server_memory_mib;
report('apple-health-import', result, [
  `apple-health-import (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}; ${RECORDS} records, ${result.file.bytes} bytes)`,
  `  end to end (upload + import, through the gateway): ${result.import.end_to_end_s} s = ${result.import.end_to_end_records_per_s} records/s  [>= ${TARGET_RECORDS_PER_S}: ${t.import_at_least_50k_records_per_s.pass ? 'PASS' : 'FAIL'}]`,
  `    upload (spooled to disk, 202): ${result.import.upload_s} s; server processing (started_at -> finished_at): ${result.import.server_processing_s} s = ${result.import.server_processing_records_per_s} records/s; server CPU ${result.import.server_cpu_s} s (${result.import.server_cpu_cores} cores)`,
  `  parse only (same parser, in-process, nothing stored): median ${result.parse_only.records_per_s_median} records/s (${result.parse_only.seconds.join(', ')} s)`,
  `  ratio import/parse: ${result.ratio_import_to_parse} end to end, ${result.ratio_server_processing_to_parse} server processing`,
  `  server RSS: before ${m.before.rss_mib} MiB (HWM ${m.before.hwm_mib}); during import at 25/50/75/99 %: ${m.at_25pct}/${m.at_50pct}/${m.at_75pct}/${m.at_99pct} MiB; after ${m.after.rss_mib} MiB`,
  `  server V8 heap before import: used ${result.server_heap_mib.before?.heap_used_mib} MiB, total ${result.server_heap_mib.before?.heap_total_mib} MiB; external ${result.server_heap_mib.before?.external_mib} MiB`,
  `  server V8 heap during import: used max ${result.server_heap_mib.heap_used_max} MiB, total max ${result.server_heap_mib.heap_total_max} MiB; external max ${result.server_heap_mib.external_max} MiB`,
  `  peak RSS (VmHWM) ${m.after.hwm_mib} MiB = ${t.peak_rss_under_300mb.measured_hwm_mb} MB  [< ${TARGET_PEAK_RSS_MB} MB: ${t.peak_rss_under_300mb.pass ? 'PASS' : 'FAIL'}]`,
]);
