// Login rate of the all-in-one server vs the raw argon2id verify rate of @node-rs/argon2 in-process.
//
//   node bench/login.mjs   (BENCH_LOGIN_CONNECTIONS=4,16 BENCH_DURATION=10 BENCH_WARMUP=3 BENCH_ROUNDS=3)
//
// Only successful logins (one registered user, correct password), so the brute-force throttle never
// engages; every response must be 200. Baseline: `verify()` of a hash made with the app's parameters
// (src/services/auth/passwords.ts: argon2id m=19456 KiB, t=2, p=1), run in this process with the same
// number of verifications in flight as the login benchmark has connections, for BENCH_VERIFY_SECONDS,
// and with one in flight (the single-thread rate).
import { Algorithm, hash, verify } from '@node-rs/argon2';
import {
  PASSWORD,
  assertClean,
  cannon,
  deadline,
  freePort,
  machine,
  median,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';

const CONNECTIONS = (process.env.BENCH_LOGIN_CONNECTIONS ?? '4,16').split(',').map(Number);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const VERIFY_SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// Keep in step with src/services/auth/passwords.ts (checked below against the hash the server stores).
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const PATH = '/auth/api/v1/auth/login';

deadline(
  120 + ROUNDS * (VERIFY_SECONDS + CONNECTIONS.length * (DURATION + WARMUP + VERIFY_SECONDS + 20)),
  'login',
);

/** verify() calls per second with `inFlight` calls outstanding at all times (libuv thread pool). */
async function verifyRate(hashed, inFlight, seconds) {
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      if (!(await verify(hashed, PASSWORD))) throw new Error('verify returned false');
      latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))], 1);
  return {
    in_flight: inFlight,
    verifies: latencies.length,
    per_s: round(latencies.length / elapsed),
    p50_ms: pct(50),
    p99_ms: pct(99),
  };
}

const info = machine();
const threadpool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const dataDir = tempDir();
const email = `login-${process.pid}@example.com`;
const hashed = await hash(PASSWORD, ARGON2);
if (!hashed.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'))
  throw new Error(`unexpected hash parameters: ${hashed}`);
const logins = Object.fromEntries(CONNECTIONS.map((c) => [c, []]));
const verifies = Object.fromEntries([1, ...CONNECTIONS].map((c) => [c, []]));
try {
  const port = await freePort();
  const server = await startPha({ dataDir, port });
  try {
    await registerAndLogin(port, email);
    const body = JSON.stringify({ email, password: PASSWORD });
    const headers = { 'content-type': 'application/json' };
    // The machine is noisy: login and its baseline alternate, round after round, and medians are kept.
    // The baseline runs while the (idle) server waits, so the two never share the CPUs.
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      const v1 = await verifyRate(hashed, 1, VERIFY_SECONDS);
      verifies[1].push(v1);
      console.error(`  round ${round_} verify in-flight 1: ${v1.per_s}/s, p50 ${v1.p50_ms} ms`);
      for (const connections of CONNECTIONS) {
        const warm = await cannon({
          port,
          path: PATH,
          method: 'POST',
          headers,
          body,
          connections,
          duration: WARMUP,
        });
        assertClean(`login warm-up c=${connections}`, warm);
        const r = await cannon({
          port,
          path: PATH,
          method: 'POST',
          headers,
          body,
          connections,
          duration: DURATION,
        });
        assertClean(`login c=${connections}`, r);
        if (Object.keys(r.status_codes).some((code) => code !== '200'))
          throw new Error(`login c=${connections}: ${JSON.stringify(r.status_codes)}`);
        logins[connections].push(r);
        const v = await verifyRate(hashed, connections, VERIFY_SECONDS);
        verifies[connections].push(v);
        console.error(
          `  round ${round_} login c=${connections}: ${r.requests_per_s} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms (${r.total_requests} x 200)` +
            ` | verify in-flight ${connections}: ${v.per_s}/s`,
        );
      }
    }
  } finally {
    await stopProcess(server.child);
  }
} finally {
  removeTempDir(dataDir);
}

const med = (xs) => round(median(xs));
const loginSummary = CONNECTIONS.map((c) => ({
  connections: c,
  requests_per_s_median: med(logins[c].map((r) => r.requests_per_s)),
  p50_ms_median: med(logins[c].map((r) => r.latency_ms.p50)),
  p99_ms_median: med(logins[c].map((r) => r.latency_ms.p99)),
  all_200: true,
  runs: logins[c],
}));
const verifySummary = Object.entries(verifies).map(([c, runs]) => ({
  in_flight: Number(c),
  per_s_median: med(runs.map((v) => v.per_s)),
  p50_ms_median: med(runs.map((v) => v.p50_ms)),
  runs,
}));
const result = {
  benchmark: 'login',
  machine: info,
  argon2: {
    algorithm: 'argon2id',
    memory_kib: 19_456,
    iterations: 2,
    parallelism: 1,
    library: '@node-rs/argon2 2.2.1',
    uv_threadpool_size: threadpool,
  },
  settings: {
    rounds: ROUNDS,
    duration_s: DURATION,
    warmup_s: WARMUP,
    verify_seconds: VERIFY_SECONDS,
    path: PATH,
  },
  login: loginSummary,
  verify_baseline: verifySummary,
  ratios: loginSummary.map((l) => {
    const v = verifySummary.find((x) => x.in_flight === l.connections);
    return {
      connections: l.connections,
      login_per_s: l.requests_per_s_median,
      verify_per_s: v.per_s_median,
      ratio: round(l.requests_per_s_median / v.per_s_median, 3),
      ratio_to_single_verify: round(l.requests_per_s_median / verifySummary[0].per_s_median, 3),
    };
  }),
};

report('login', result, [
  `login (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}; argon2id m=19456 KiB t=2 p=1, UV_THREADPOOL_SIZE=${threadpool})`,
  ...loginSummary.map(
    (l) =>
      `  POST ${PATH} c=${l.connections}: median ${l.requests_per_s_median} req/s, p50 ${l.p50_ms_median} ms, p99 ${l.p99_ms_median} ms, all 200`,
  ),
  ...verifySummary.map(
    (v) => `  raw verify() in-flight ${v.in_flight}: median ${v.per_s_median}/s, p50 ${v.p50_ms_median} ms`,
  ),
  ...result.ratios.map(
    (r) =>
      `  ratio login/verify c=${r.connections}: ${r.ratio} (login / single-threaded verify: ${r.ratio_to_single_verify})`,
  ),
]);
