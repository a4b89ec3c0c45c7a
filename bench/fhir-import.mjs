// FHIR R4 import of the three Synthea patients in the shared fixtures, through the gateway.
//
//   npm run build && node bench/fhir-import.mjs
//     BENCH_ROUNDS=5  BENCH_FIXTURES=../shared/fixtures/synthea
//
// One all-in-one server (embedded PGlite in a temp DATA_DIR) and the hello-world server. Each round a new
// user imports the three bundles one after another (POST /medical-records/api/v1/fhir/import, one request
// in flight), then imports them again (everything must come back "unchanged"). Every answer must be 200
// with no resource in error. resources/s = resources in the three bundles / the three requests' wall time.
//
// Baseline, same run: the same three bodies POSTed to the hello-world server's /echo (Fastify parses the
// JSON and answers its byte count), i.e. the transport and JSON parsing that any import must pay; and
// JSON.parse of the three bodies in this process. Reports medians over rounds and the ratios.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  deadline,
  freePort,
  http,
  machine,
  median,
  procMemory,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  startHello,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FIXTURES = process.env.BENCH_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'synthea');
const IMPORT_PATH = '/medical-records/api/v1/fhir/import';

if (!existsSync(FIXTURES)) {
  console.error(`fhir-import: ${FIXTURES} not found (the Synthea fixtures); set BENCH_FIXTURES`);
  process.exit(2);
}
deadline(120 + ROUNDS * 120, 'fhir-import');

const bundles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    return {
      file,
      body: JSON.parse(text),
      bytes: Buffer.byteLength(text),
      resources: JSON.parse(text).entry.length,
    };
  });
const totalResources = bundles.reduce((s, b) => s + b.resources, 0);

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Imports the three bundles for one user; returns the wall time and the report counts. */
async function importAll(port, token) {
  const counts = {};
  let ms = 0;
  for (const bundle of bundles) {
    const r = await timed(() =>
      http(port, 'POST', IMPORT_PATH, {
        body: bundle.body,
        headers: { authorization: `Bearer ${token}` },
        timeoutMs: 120_000,
      }),
    );
    if (r.value.status !== 200)
      throw new Error(`${bundle.file}: ${r.value.status} ${JSON.stringify(r.value.body).slice(0, 500)}`);
    for (const [k, v] of Object.entries(r.value.body.counts ?? {})) counts[k] = (counts[k] ?? 0) + v;
    ms += r.ms;
  }
  return { ms, counts };
}

const dataDir = tempDir();
const phaPort = await freePort();
const pha = await startPha({ dataDir, port: phaPort, timeoutMs: 120_000 });
const helloPort = await freePort(phaPort + 1);
const hello = await startHello({ port: helloPort });

const firstRuns = [];
const againRuns = [];
const echoRuns = [];
const parseRuns = [];
let peakRss = 0;
let lastCounts;
for (let round_ = 0; round_ < ROUNDS; round_++) {
  const token = await registerAndLogin(phaPort, `fhir-bench-${round_}-${Date.now()}@example.org`);
  const first = await importAll(phaPort, token);
  const again = await importAll(phaPort, token);
  if ((again.counts.imported ?? 0) !== 0 || (again.counts.updated ?? 0) !== 0) {
    throw new Error(`re-import changed records: ${JSON.stringify(again.counts)}`);
  }
  lastCounts = { first: first.counts, again: again.counts };
  firstRuns.push(first.ms);
  againRuns.push(again.ms);
  let echoMs = 0;
  for (const bundle of bundles) {
    const r = await timed(() => http(helloPort, 'POST', '/echo', { body: bundle.body, timeoutMs: 60_000 }));
    if (r.value.status !== 200) throw new Error(`echo: ${r.value.status}`);
    echoMs += r.ms;
  }
  echoRuns.push(echoMs);
  const texts = bundles.map((b) => JSON.stringify(b.body));
  const parse = await timed(async () => texts.forEach((t) => JSON.parse(t)));
  parseRuns.push(parse.ms);
  peakRss = Math.max(peakRss, procMemory(pha.pid).hwm_mib);
}
await stopProcess(pha.child);
await stopProcess(hello.child);
removeTempDir(dataDir);

const perS = (ms) => round((totalResources / ms) * 1000);
const result = {
  machine: machine(),
  rounds: ROUNDS,
  bundles: bundles.map(({ file, bytes, resources }) => ({ file, bytes, resources })),
  resources: totalResources,
  report_counts: lastCounts,
  import_ms: { median: round(median(firstRuns)), runs: firstRuns.map((x) => round(x)) },
  import_resources_per_s: perS(median(firstRuns)),
  reimport_ms: { median: round(median(againRuns)), runs: againRuns.map((x) => round(x)) },
  reimport_resources_per_s: perS(median(againRuns)),
  baseline_echo_ms: round(median(echoRuns)),
  baseline_echo_resources_per_s: perS(median(echoRuns)),
  baseline_json_parse_ms: round(median(parseRuns), 2),
  ratio_import_to_echo: round(median(echoRuns) / median(firstRuns), 3),
  server_peak_rss_mib: peakRss,
};
report('fhir-import', result, [
  `FHIR import of ${bundles.length} Synthea bundles (${totalResources} resources), median of ${ROUNDS} rounds:`,
  `  first import  ${result.import_ms.median} ms = ${result.import_resources_per_s} resources/s`,
  `  re-import     ${result.reimport_ms.median} ms = ${result.reimport_resources_per_s} resources/s (all unchanged)`,
  `  baseline: hello-world POST /echo of the same bodies ${result.baseline_echo_ms} ms; JSON.parse alone ${result.baseline_json_parse_ms} ms`,
  `  ratio import / echo baseline: ${result.ratio_import_to_echo}; server peak RSS ${peakRss} MiB`,
]);
