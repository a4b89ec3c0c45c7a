// Diagnostic: where the profile read's time goes, by peeling layers off the request path.
//
//   node bench/request-path.mjs   (BENCH_ROUNDS=2 BENCH_CONNECTIONS=50 BENCH_DURATION=5 BENCH_WARMUP=2)
//
// Same autocannon settings against, in turn:
//   hello-world             bare Fastify 5, GET /
//   service /health        the all-in-one server's edge stack only (helmet, CORS, rate limit, metrics,
//                          request ids, error model) on a public route: no token, no database
//   profile                 the same plus bearer-token verification (jose HS256 + revocation lookup)
//                          and one PGlite SELECT by primary key
// plus the in-process ceilings of the two costly steps: jose jwtVerify as the app calls it, and the
// profile SELECT on PGlite in this process (no HTTP at all).
import { join } from 'node:path';
import { SignJWT, jwtVerify } from 'jose';
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
deadline(180 + ROUNDS * 3 * (DURATION + WARMUP + 10), 'request-path');

/** Calls of `fn` per second with `inFlight` calls outstanding, for `ms`. */
async function rate(fn, inFlight = CONNECTIONS, ms = 3000) {
  for (let i = 0; i < 500; i++) await fn();
  let n = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await fn();
        n++;
      }
    }),
  );
  return round(n / ((performance.now() - t0) / 1000));
}

const info = machine();
const dataDir = tempDir();
const email = `path-${process.pid}@example.com`;
const results = { hello_world: [], service_health: [], profile: [] };
let userId;
try {
  {
    const port = await freePort();
    const first = await startPha({ dataDir, port });
    await registerAndLogin(port, email);
    await stopProcess(first.child);
  }
  const port = await freePort();
  const pha = await startPha({ dataDir, port });
  const helloPort = await freePort(port + 1);
  const hello = await startHello({ port: helloPort });
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      const token = await login(port, email);
      userId ??= JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub;
      const targets = [
        ['hello_world', { port: helloPort, path: '/' }],
        ['service_health', { port, path: '/user-profile/health' }],
        [
          'profile',
          { port, path: '/user-profile/api/v1/profile', headers: { authorization: `Bearer ${token}` } },
        ],
      ];
      for (const [name, opts] of targets) {
        assertClean(`${name} warm-up`, await cannon({ ...opts, connections: CONNECTIONS, duration: WARMUP }));
        const r = await cannon({ ...opts, connections: CONNECTIONS, duration: DURATION });
        assertClean(name, r);
        results[name].push(r);
        console.error(
          `  round ${i} ${name.padEnd(15)} ${r.requests_per_s} req/s, p99 ${r.latency_ms.p99} ms`,
        );
      }
    }
  } finally {
    await stopProcess(pha.child);
    await stopProcess(hello.child);
  }

  // In-process ceilings, with both servers stopped.
  const key = new TextEncoder().encode('k'.repeat(64));
  const jwt = await new SignJWT({ sid: 's', role: 'patient', typ: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('u')
    .setIssuer('i')
    .setAudience('a')
    .setIssuedAt()
    .setExpirationTime('900s')
    .sign(key);
  const opts = { algorithms: ['HS256'], issuer: 'i', audience: 'a' };
  results.jose_verify_per_s = await rate(() => jwtVerify(jwt, key, opts));
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create({ dataDir: join(dataDir, 'pg') });
  const { rows } = await pg.query(
    "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_schema = 'user_profile' AND table_name = 'profiles'",
  );
  const select = `SELECT ${rows[0].c} FROM user_profile.profiles WHERE user_id = $1`;
  const found = await pg.query(select, [userId]);
  if (found.rows.length !== 1) throw new Error('profile row not found');
  results.pglite_profile_select_per_s = await rate(() => pg.query(select, [userId]));
  results.pglite_select_1_per_s = await rate(() => pg.query('SELECT 1'));
  await pg.close();
} finally {
  removeTempDir(dataDir);
}

const med = (name) => round(median(results[name].map((r) => r.requests_per_s)));
const p99 = (name) => round(median(results[name].map((r) => r.latency_ms.p99)));
const result = {
  benchmark: 'request-path',
  machine: info,
  settings: { rounds: ROUNDS, connections: CONNECTIONS, duration_s: DURATION, warmup_s: WARMUP },
  requests_per_s_median: {
    hello_world: med('hello_world'),
    service_health: med('service_health'),
    profile: med('profile'),
  },
  p99_ms_median: {
    hello_world: p99('hello_world'),
    service_health: p99('service_health'),
    profile: p99('profile'),
  },
  in_process_per_s: {
    jose_jwtVerify_uint8array_key: results.jose_verify_per_s,
    pglite_profile_select_by_pk: results.pglite_profile_select_per_s,
    pglite_select_1: results.pglite_select_1_per_s,
  },
  runs: {
    hello_world: results.hello_world,
    service_health: results.service_health,
    profile: results.profile,
  },
};
const r = result.requests_per_s_median;
report('request-path', result, [
  `request-path (${info.date}; ${CONNECTIONS} connections, ${DURATION} s after ${WARMUP} s warm-up, ${ROUNDS} rounds, medians)`,
  `  hello-world GET /             : ${r.hello_world} req/s (1.00)`,
  `  GET /user-profile/health      : ${r.service_health} req/s (${round(r.service_health / r.hello_world, 3)} of hello-world): edge stack only`,
  `  GET /user-profile/api/v1/profile: ${r.profile} req/s (${round(r.profile / r.hello_world, 3)}): + JWT + PGlite SELECT`,
  `  in-process: jose jwtVerify ${result.in_process_per_s.jose_jwtVerify_uint8array_key}/s, PGlite profile SELECT ${result.in_process_per_s.pglite_profile_select_by_pk}/s, PGlite SELECT 1 ${result.in_process_per_s.pglite_select_1}/s`,
]);
