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
    const profile = await cannon({
      port: phaPort,
      path: PATH,
      headers,
      connections: CONNECTIONS,
      duration: DURATION,
    });
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
    const helloWorld = await cannon({
      port: helloPort,
      path: '/',
      connections: CONNECTIONS,
      duration: DURATION,
    });
    assertClean(`round ${i} hello`, helloWorld);

    const ratio = profile.requests_per_s / helloWorld.requests_per_s;
    rounds.push({ round: i, profile, hello_world: helloWorld, ratio: round(ratio, 3) });
    console.error(
      `  round ${i}: profile ${profile.requests_per_s} req/s p99 ${profile.latency_ms.p99} ms (${profile.total_requests} x 200)` +
        ` | hello ${helloWorld.requests_per_s} req/s p99 ${helloWorld.latency_ms.p99} ms | ratio ${round(ratio, 3)}`,
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
  },
  hello_world: {
    requests_per_s_median: med((r) => r.hello_world.requests_per_s),
    p50_ms_median: med((r) => r.hello_world.latency_ms.p50),
    p99_ms_median: med((r) => r.hello_world.latency_ms.p99),
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
  `  ratio profile/hello       : ${result.ratio_median_of_rounds} (median of per-round ratios; ratio of medians ${result.ratio_of_medians})` +
    `  [target >= 0.40: ${result.targets.profile_at_least_40pct_of_hello.pass ? 'PASS' : 'FAIL'}]`,
]);
