// Diagnostic (not a benchmark): CPU profile of the all-in-one server under the profile-read load.
//
//   node bench/cpu-profile.mjs [profile|login|health|edge|startup]   (BENCH_DURATION=10 BENCH_CONNECTIONS=50)
//
// profile: GET /user-profile/api/v1/profile with a bearer token; login: POST login (4 connections);
// health: the gateway's GET /health (fans out to every service); edge: GET /user-profile/health (public
// route, no token, no database: the edge stack alone); startup: a warm start, up to ready.
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
  registerAndLogin,
  removeTempDir,
  round,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';

const TARGET = process.argv[2] ?? 'profile';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? (TARGET === 'login' ? 4 : 50));
deadline(180 + DURATION, 'cpu-profile');

const outDir = join(BENCH_DIR, 'out', `cpu-${TARGET}-${Date.now()}`);
mkdirSync(outDir, { recursive: true });
const dataDir = tempDir();
const email = `cpu-${process.pid}@example.com`;
let load;
// CLOCK_MONOTONIC in microseconds: the same clock V8 stamps profile samples with, so only samples taken
// while the load ran are counted (not start-up, registration or shut-down).
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
let window;
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
    } else {
      const token = await registerAndLogin(port, `cpu2-${process.pid}@example.com`);
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
              : { path: '/user-profile/api/v1/profile', headers: { authorization: `Bearer ${token}` } };
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
