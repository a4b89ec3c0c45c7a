// Authenticated profile read through the gateway vs a bare Fastify hello-world, same autocannon settings.
//
//   node bench/profile-read.mjs   (BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_DURATION=10 BENCH_WARMUP=3)
//
// One all-in-one server (warm: its DATA_DIR is initialised first, then it is restarted) and one
// hello-world server run side by side; each round warms up and measures the profile read, then the
// hello-world, so machine noise hits both alike. Reports medians over rounds and the ratio
// profile rate / hello-world rate. Every profile response must be 200, or the run fails.
import {
  assertClean,
  cannon,
  deadline,
  freePort,
  login,
  machine,
  median,
  procCpuMs,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  startHello,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const TARGET_RATIO = 0.4;
const PATH = '/user-profile/api/v1/profile';

deadline(120 + ROUNDS * 2 * (DURATION + WARMUP + 20), 'profile-read');

/**
 * Runs one measurement and adds the server's CPU use during it (all threads; 1.0 = one core busy the
 * whole time) and this process's own (autocannon's), to tell a saturated server from a saturated client.
 */
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

const info = machine();
const dataDir = tempDir();
let pha;
let hello;
const rounds = [];
try {
  // First start initialises the database; the measured server is a warm restart, as in production.
  const email = `profile-${process.pid}@example.com`;
  {
    const port = await freePort();
    const first = await startPha({ dataDir, port });
    await registerAndLogin(port, email);
    await stopProcess(first.child);
  }
  const phaPort = await freePort();
  pha = await startPha({ dataDir, port: phaPort });
  const helloPort = await freePort(phaPort + 1);
  hello = await startHello({ port: helloPort });

  for (let i = 1; i <= ROUNDS; i++) {
    // A fresh token each round (access tokens live 15 minutes).
    const token = await login(phaPort, email);
    const headers = { authorization: `Bearer ${token}` };
    const profileWarm = await cannon({
      port: phaPort,
      path: PATH,
      headers,
      connections: CONNECTIONS,
      duration: WARMUP,
    });
    assertClean(`round ${i} profile warm-up`, profileWarm);
    const profile = await measured(pha.pid, () =>
      cannon({ port: phaPort, path: PATH, headers, connections: CONNECTIONS, duration: DURATION }),
    );
    assertClean(`round ${i} profile`, profile);
    if (Object.keys(profile.status_codes).some((code) => code !== '200')) {
      throw new Error(`round ${i} profile: status codes ${JSON.stringify(profile.status_codes)}`);
    }

    const helloWarm = await cannon({
      port: helloPort,
      path: '/',
      connections: CONNECTIONS,
      duration: WARMUP,
    });
    assertClean(`round ${i} hello warm-up`, helloWarm);
    const helloWorld = await measured(hello.pid, () =>
      cannon({ port: helloPort, path: '/', connections: CONNECTIONS, duration: DURATION }),
    );
    assertClean(`round ${i} hello`, helloWorld);

    const ratio = profile.requests_per_s / helloWorld.requests_per_s;
    rounds.push({ round: i, profile, hello_world: helloWorld, ratio: round(ratio, 3) });
    console.error(
      `  round ${i}: profile ${profile.requests_per_s} req/s p99 ${profile.latency_ms.p99} ms (${profile.total_requests} x 200;` +
        ` CPU server ${profile.server_cpu_cores}, client ${profile.client_cpu_cores})` +
        ` | hello ${helloWorld.requests_per_s} req/s p99 ${helloWorld.latency_ms.p99} ms (CPU server ${helloWorld.server_cpu_cores}, client ${helloWorld.client_cpu_cores})` +
        ` | ratio ${round(ratio, 3)}`,
    );
  }
} finally {
  if (pha) await stopProcess(pha.child);
  if (hello) await stopProcess(hello.child);
  removeTempDir(dataDir);
}

const med = (f) => round(median(rounds.map(f)));
const ratioMedian = median(rounds.map((r) => r.ratio));
const result = {
  benchmark: 'profile-read',
  machine: info,
  settings: {
    rounds: ROUNDS,
    connections: CONNECTIONS,
    duration_s: DURATION,
    warmup_s: WARMUP,
    pipelining: 1,
    path: PATH,
  },
  profile: {
    requests_per_s_median: med((r) => r.profile.requests_per_s),
    p50_ms_median: med((r) => r.profile.latency_ms.p50),
    p99_ms_median: med((r) => r.profile.latency_ms.p99),
    all_200: true,
    server_cpu_cores_median: round(median(rounds.map((r) => r.profile.server_cpu_cores)), 2),
    client_cpu_cores_median: round(median(rounds.map((r) => r.profile.client_cpu_cores)), 2),
  },
  hello_world: {
    requests_per_s_median: med((r) => r.hello_world.requests_per_s),
    p50_ms_median: med((r) => r.hello_world.latency_ms.p50),
    p99_ms_median: med((r) => r.hello_world.latency_ms.p99),
    server_cpu_cores_median: round(median(rounds.map((r) => r.hello_world.server_cpu_cores)), 2),
    client_cpu_cores_median: round(median(rounds.map((r) => r.hello_world.client_cpu_cores)), 2),
  },
  ratio_median_of_rounds: round(ratioMedian, 3),
  ratio_of_medians: 0,
  rounds,
};
result.ratio_of_medians = round(
  result.profile.requests_per_s_median / result.hello_world.requests_per_s_median,
  3,
);
result.targets = {
  profile_at_least_40pct_of_hello: {
    target_ratio: TARGET_RATIO,
    measured_ratio: result.ratio_median_of_rounds,
    pass: ratioMedian >= TARGET_RATIO,
  },
};

report('profile-read', result, [
  `profile-read (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}; ${CONNECTIONS} connections, ${DURATION} s after ${WARMUP} s warm-up, ${ROUNDS} rounds)`,
  `  GET ${PATH} (bearer): median ${result.profile.requests_per_s_median} req/s, p99 ${result.profile.p99_ms_median} ms, every response 200`,
  `  bare Fastify GET /        : median ${result.hello_world.requests_per_s_median} req/s, p99 ${result.hello_world.p99_ms_median} ms`,
  `  CPU cores used (medians)  : profile server ${result.profile.server_cpu_cores_median} / client ${result.profile.client_cpu_cores_median}; hello server ${result.hello_world.server_cpu_cores_median} / client ${result.hello_world.client_cpu_cores_median}`,
  `  ratio profile/hello       : ${result.ratio_median_of_rounds} (median of per-round ratios; ratio of medians ${result.ratio_of_medians})` +
    `  [target >= 0.40: ${result.targets.profile_at_least_40pct_of_hello.pass ? 'PASS' : 'FAIL'}]`,
]);
