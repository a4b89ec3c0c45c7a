// Diagnostic (not a benchmark): CPU profile of the all-in-one server under the profile-read load.
//
//   node bench/cpu-profile.mjs [profile|login|health|edge|startup|ingest|batch|summary|import]
//     (BENCH_DURATION=10 BENCH_CONNECTIONS=50; import: BENCH_APPLE_RECORDS=300000)
//
// profile: GET /user-profile/api/v1/profile with a bearer token; login: POST login (4 connections);
// health: the gateway's GET /health (fans out to every service); edge: GET /user-profile/health (public
// route, no token, no database: the edge stack alone); startup: a warm start, up to ready.
// ingest: POST /health-tracking/api/v1/metrics, a new timestamp each (50 connections); batch: POST
// /health-tracking/api/v1/metrics/batch of 5,000 new minutes each (4 connections); summary: a year of
// minute heart rate loaded first (not profiled), then GET /metrics/summary?bucket=hour over the year
// (1 connection); import: an Apple Health export.xml of BENCH_APPLE_RECORDS heart-rate records uploaded
// to /device-data/api/v1/imports, from the upload to "completed".
// Starts the server with `node --cpu-prof` (profile written to bench/out/, which git ignores), drives
// it with autocannon, stops it, and prints the functions with the most self time and the packages /
// files that own the most samples.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  PASSWORD,
  assertClean,
  cannon,
  deadline,
  freePort,
  http,
  registerAndLogin,
  removeTempDir,
  round,
  sleep,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';
import {
  YEAR_END,
  YEAR_START,
  heartRateDay,
  loadYear,
  send,
  writeAppleExport,
  yearBodies,
} from './health-data.mjs';

const TARGET = process.argv[2] ?? 'profile';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const DEFAULT_CONNECTIONS = { login: 4, batch: 4, summary: 1 };
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? DEFAULT_CONNECTIONS[TARGET] ?? 50);
const APPLE_RECORDS = Number(process.env.BENCH_APPLE_RECORDS ?? 300_000);
deadline(TARGET === 'import' ? 600 : 240 + DURATION, 'cpu-profile');

const outDir = join(BENCH_DIR, 'out', `cpu-${TARGET}-${Date.now()}`);
mkdirSync(outDir, { recursive: true });
const dataDir = tempDir();
const email = `cpu-${process.pid}@example.com`;
let load;
// CLOCK_MONOTONIC in microseconds: the same clock V8 stamps profile samples with, so only samples taken
// while the load ran are counted (not start-up, registration or shut-down).
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
let window;
let appleFile;
if (TARGET === 'import') {
  // Written before the server starts, so that writing it does not compete with the profiled import.
  appleFile = join(tempDir('pha-bench-apple-'), 'export.xml');
  await writeAppleExport(appleFile, APPLE_RECORDS);
}
try {
  {
    const port = await freePort();
    const first = await startPha({ dataDir, port });
    await registerAndLogin(port, email);
    await stopProcess(first.child);
  }
  const port = await freePort();
  const server = await startPha({ dataDir, port, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`] });
  try {
    if (TARGET === 'startup') {
      // The main thread from process start to the first 200 on /health (warm DATA_DIR).
      window = { from: 0, to: nowUs() };
      load = { requests_per_s: '-', latency_ms: { p99: '-' }, total_requests: 0 };
      console.log(`start-to-ready ${round(server.readyMs)} ms, CPU ${server.readyCpuMs} ms (all threads)`);
    } else if (TARGET === 'import') {
      const token = await registerAndLogin(port, `cpu2-${process.pid}@example.com`);
      const auth = { authorization: `Bearer ${token}` };
      const from = nowUs();
      const t0 = performance.now();
      const up = await send(port, 'POST', '/device-data/api/v1/imports', {
        body: appleFile,
        file: true,
        headers: { 'content-type': 'application/xml', ...auth },
      });
      if (up.status !== 202) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body).slice(0, 300)}`);
      let row;
      for (;;) {
        row = (await http(port, 'GET', `/device-data/api/v1/imports/${up.body.id}`, { headers: auth })).body;
        if (row.status === 'completed' || row.status === 'failed') break;
        await sleep(200);
      }
      window = { from, to: nowUs() };
      if (row.status !== 'completed' || row.counts.readings_created !== APPLE_RECORDS) {
        throw new Error(`import: ${row.status} ${JSON.stringify(row.counts)}`);
      }
      const s = (performance.now() - t0) / 1000;
      load = {
        requests_per_s: `${round(APPLE_RECORDS / s)} records/s`,
        latency_ms: { p99: '-' },
        total_requests: `${APPLE_RECORDS} records in ${round(s, 2)} s,`,
      };
    } else {
      const token = await registerAndLogin(port, `cpu2-${process.pid}@example.com`);
      const bearer = { authorization: `Bearer ${token}` };
      const json = { 'content-type': 'application/json', ...bearer };
      let counter = 0;
      let dayCache = { day: -1, items: [] };
      if (TARGET === 'summary') await loadYear(port, token, yearBodies(10));
      const opts =
        TARGET === 'login'
          ? {
              path: '/auth/api/v1/auth/login',
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ email, password: PASSWORD }),
            }
          : TARGET === 'health'
            ? { path: '/health' }
            : TARGET === 'edge'
              ? { path: '/user-profile/health' }
              : TARGET === 'ingest'
                ? {
                    path: '/health-tracking/api/v1/metrics',
                    requests: [
                      {
                        method: 'POST',
                        headers: json,
                        setupRequest: (req) => ({
                          ...req,
                          path: '/health-tracking/api/v1/metrics',
                          body: JSON.stringify({
                            metric_type: 'heart_rate',
                            value: 72,
                            unit: 'bpm',
                            timestamp: new Date(Date.UTC(2015, 0, 1) + 1000 * counter++).toISOString(),
                          }),
                        }),
                      },
                    ],
                  }
                : TARGET === 'batch'
                  ? {
                      path: '/health-tracking/api/v1/metrics/batch',
                      requests: [
                        {
                          method: 'POST',
                          headers: json,
                          setupRequest: (req) => {
                            // 5,000 new minutes: three and a half days of minute heart rate.
                            const items = [];
                            while (items.length < 5000) {
                              const day = Math.floor(counter / 1440);
                              if (dayCache.day !== day) {
                                dayCache = {
                                  day,
                                  items: heartRateDay(Date.UTC(2000, 0, 1) + day * 86_400_000, day),
                                };
                              }
                              items.push(dayCache.items[counter % 1440]);
                              counter++;
                            }
                            return {
                              ...req,
                              path: '/health-tracking/api/v1/metrics/batch',
                              body: JSON.stringify({ items }),
                            };
                          },
                        },
                      ],
                    }
                  : TARGET === 'summary'
                    ? {
                        path:
                          '/health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=hour' +
                          `&from=${new Date(YEAR_START).toISOString()}&to=${new Date(YEAR_END).toISOString()}`,
                        headers: bearer,
                      }
                    : { path: '/user-profile/api/v1/profile', headers: bearer };
      const from = nowUs();
      load = await cannon({ port, connections: CONNECTIONS, duration: DURATION, ...opts });
      window = { from, to: nowUs() };
      assertClean(TARGET, load);
    }
  } finally {
    await stopProcess(server.child);
  }
} finally {
  removeTempDir(dataDir);
}

const file = readdirSync(outDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${outDir}`);
const profile = JSON.parse(readFileSync(join(outDir, file), 'utf8'));

// Self time per node from the samples taken during the load.
const dt = new Map();
let t = profile.startTime;
let outside = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < window.from || t > window.to) {
    outside++;
    continue;
  }
  const id = profile.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
if (dt.size === 0) throw new Error('no samples inside the load window (clocks do not line up?)');
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
const byOwner = new Map();
const owner = (url) => {
  if (!url) return '(native/VM)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url;
  const src = /\/dist\/(src\/.*)$/.exec(url);
  return src ? src[1] : url;
};
for (const node of profile.nodes) {
  const t = dt.get(node.id) ?? 0;
  if (!t) continue;
  const cf = node.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${owner(cf.url)}:${cf.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  const o = cf.url ? owner(cf.url) : cf.functionName;
  byOwner.set(o, (byOwner.get(o) ?? 0) + t);
}
const top = (m, n) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, v]) =>
        `  ${round((100 * v) / total)
          .toFixed(1)
          .padStart(5)}%  ${k}`,
    );

console.log(
  `load: ${load.requests_per_s} req/s, p99 ${load.latency_ms.p99} ms, ${load.total_requests} requests`,
);
console.log(
  `profile: ${join(outDir, file)} (${round(total / 1e6)} s sampled during the load; ${outside} samples outside it ignored)`,
);
console.log('self time by function:');
console.log(top(byFn, 25).join('\n'));
console.log('self time by package / file:');
console.log(top(byOwner, 20).join('\n'));
