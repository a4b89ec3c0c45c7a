// A year of minute-level heart rate for one user: load time, bytes per sample on disk, year summaries.
//
//   node bench/heart-rate-year.mjs
//     BENCH_DATABASES=pglite,postgres  BENCH_SUMMARY_REQUESTS=20  BENCH_YEAR_BATCH_DAYS=10
//     BENCH_PG_HOST=127.0.0.1 BENCH_PG_PORT=5432 BENCH_PG_USER=postgres   (the PostgreSQL case)
//
// For each database: a fresh all-in-one server (embedded PGlite in a temp DATA_DIR, or DATABASE_URL to a
// scratch PostgreSQL database made with `createdb` and dropped with `dropdb --force` at the end), one user,
// 525,600 samples of minute heart rate for 2023 (integer bpm, lower at night: the generator of
// src/services/health-tracking/test-data.ts) sent through POST /health-tracking/api/v1/metrics/batch,
// BATCH_DAYS days (1,440 samples a day) per request, one request in flight; the bodies are made before the
// clock starts. Every answer must be 201 with created = items and duplicates = 0.
//
// Then GET /health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=day (and bucket=hour) over
// the whole year (from=2023-01-01T00:00:00Z, to=2024-01-01T00:00:00Z, tz UTC), 2 warm-up + 20 timed
// requests each, one at a time, through the gateway; p50 / p90 of the client-side time. Each answer must
// count 525,600 samples in 365 (8,760) buckets.
//
// Then the size on disk of the health_tracking tables (pg_total_relation_size: heap with its free-space
// and visibility maps, TOAST, every index), as loaded and after VACUUM ANALYZE: with PostgreSQL through
// psql; with PGlite the server is stopped and its DATA_DIR/pg opened in this process with PGlite itself.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  deadline,
  freePort,
  http,
  loadavg1,
  machine,
  median,
  onCleanup,
  procMemory,
  registerAndLogin,
  removeTempDir,
  report,
  round,
  startPha,
  stopProcess,
  tempDir,
} from './lib.mjs';
import {
  YEAR_DAYS as DAYS,
  YEAR_END,
  YEAR_SAMPLES as SAMPLES,
  YEAR_START,
  loadYear,
  yearBodies,
} from './health-data.mjs';

const DATABASES = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',');
/** Databases left out (PostgreSQL not reachable and not asked for explicitly), with the reason. */
const SKIPPED = {};
const SUMMARY_REQUESTS = Number(process.env.BENCH_SUMMARY_REQUESTS ?? 20);
const BATCH_DAYS = Number(process.env.BENCH_YEAR_BATCH_DAYS ?? 10);
const PG = {
  host: process.env.BENCH_PG_HOST ?? '127.0.0.1',
  port: process.env.BENCH_PG_PORT ?? '5432',
  user: process.env.BENCH_PG_USER ?? 'postgres',
};
const TARGET_BYTES_PER_SAMPLE = 32;
const TARGET_SUMMARY_MS = 100;
const BATCH_PATH = '/health-tracking/api/v1/metrics/batch';

deadline(240 + DATABASES.length * 300, 'heart-rate-year');

const SIZES_SQL = `
SELECT c.relname AS table,
       pg_total_relation_size(c.oid)::float8 AS total,
       pg_relation_size(c.oid)::float8 AS heap_main,
       coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0::oid)), 0)::float8 AS toast,
       pg_indexes_size(c.oid)::float8 AS indexes,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)::int AS index_count
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'health_tracking' AND c.relkind = 'r'
ORDER BY c.relname`;
const CHUNKS_SQL = `SELECT count(*)::int AS rows, coalesce(sum(n), 0)::int AS samples FROM health_tracking.series_chunks`;

function sizesReport(tables, chunkStats) {
  const all = tables.reduce((a, t) => a + t.total, 0);
  const chunks = tables.find((t) => t.table === 'series_chunks');
  return {
    tables,
    series_chunks_rows: chunkStats.rows,
    series_chunks_samples: chunkStats.samples,
    health_tracking_total_bytes: all,
    series_chunks_total_bytes: chunks.total,
    bytes_per_sample_all_tables: round(all / SAMPLES, 2),
    bytes_per_sample_series_chunks: round(chunks.total / SAMPLES, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL helpers (psql / createdb / dropdb on 127.0.0.1)

const pgArgs = ['-h', PG.host, '-p', PG.port, '-U', PG.user];
function psqlJson(db, sql) {
  const out = execFileSync(
    'psql',
    [
      ...pgArgs,
      '-d',
      db,
      '-X',
      '-q',
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim());
}
function psqlExec(db, sql) {
  execFileSync('psql', [...pgArgs, '-d', db, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  });
}

// ---------------------------------------------------------------------------------------------

async function summaries(port, token) {
  const out = {};
  for (const bucket of ['day', 'hour']) {
    const path =
      `/health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=${bucket}` +
      `&from=${new Date(YEAR_START).toISOString()}&to=${new Date(YEAR_END).toISOString()}`;
    const headers = { authorization: `Bearer ${token}` };
    const times = [];
    let last;
    for (let i = 0; i < 2 + SUMMARY_REQUESTS; i++) {
      const t0 = performance.now();
      const res = await http(port, 'GET', path, { headers, timeoutMs: 60_000 });
      const ms = performance.now() - t0;
      if (res.status !== 200)
        throw new Error(`summary ${bucket}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      if (i >= 2) times.push(ms);
      last = res.body;
    }
    const expectBuckets = bucket === 'day' ? DAYS : DAYS * 24;
    if (last.overall.count !== SAMPLES || last.buckets.length !== expectBuckets) {
      throw new Error(
        `summary ${bucket}: count ${last.overall.count} (want ${SAMPLES}), ${last.buckets.length} buckets (want ${expectBuckets})`,
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    out[bucket] = {
      requests: times.length,
      buckets: last.buckets.length,
      count: last.overall.count,
      response_bytes: Buffer.byteLength(JSON.stringify(last)),
      p50_ms: round(median(times), 1),
      p90_ms: round(pct(90), 1),
      min_ms: round(sorted[0], 1),
      max_ms: round(sorted[sorted.length - 1], 1),
      runs_ms: times.map((t) => round(t, 1)),
    };
    console.error(
      `    summary bucket=${bucket}: p50 ${out[bucket].p50_ms} ms, p90 ${out[bucket].p90_ms} ms (min ${out[bucket].min_ms}, max ${out[bucket].max_ms}; ${out[bucket].buckets} buckets, ${out[bucket].response_bytes} bytes)`,
    );
  }
  return out;
}

async function load(port, token, bodies) {
  const r = await loadYear(port, token, bodies, BATCH_PATH);
  return {
    samples: r.samples,
    requests: r.requests,
    samples_per_request: bodies[0].count,
    request_body_bytes_total: bodies.reduce((a, b) => a + Buffer.byteLength(b.json), 0),
    seconds: round(r.ms / 1000, 2),
    samples_per_s: round(r.samples / (r.ms / 1000)),
  };
}

async function runDatabase(kind, bodies) {
  const dataDir = tempDir();
  let server;
  let dbName;
  let dropDb = () => {};
  const env = { ACCESS_TOKEN_TTL_SECONDS: '3600' };
  const res = { database: kind, loadavg_1m_start: loadavg1() };
  try {
    if (kind === 'postgres') {
      dbName = `pha_bench_hr_${process.pid}_${Date.now()}`;
      execFileSync('createdb', [...pgArgs, dbName]);
      dropDb = onCleanup(() => execFileSync('dropdb', [...pgArgs, '--force', '--if-exists', dbName]));
      env.DATABASE_URL = `postgres://${PG.user}@${PG.host}:${PG.port}/${dbName}`;
      res.server_version = psqlJson(dbName, 'SELECT version() AS v')[0].v;
    }
    const port = await freePort();
    server = await startPha({ dataDir, port, env, timeoutMs: 120_000 });
    const token = await registerAndLogin(port, `hr-year-${kind}-${process.pid}@example.com`);
    console.error(`  ${kind}: loading ${SAMPLES} samples in ${bodies.length} batches...`);
    res.load = await load(port, token, bodies);
    console.error(
      `    load: ${res.load.seconds} s = ${res.load.samples_per_s} samples/s (${res.load.requests} requests of ${res.load.samples_per_request})`,
    );
    res.summary = await summaries(port, token);
    res.server_memory_mib = procMemory(server.pid);
    if (kind === 'postgres') {
      const chunkStats = psqlJson(dbName, CHUNKS_SQL)[0];
      res.disk_as_loaded = sizesReport(psqlJson(dbName, SIZES_SQL), chunkStats);
      psqlExec(dbName, 'VACUUM ANALYZE');
      res.disk_after_vacuum = sizesReport(psqlJson(dbName, SIZES_SQL), chunkStats);
      res.database_size_bytes = psqlJson(
        dbName,
        'SELECT pg_database_size(current_database())::float8 AS s',
      )[0].s;
      await stopProcess(server.child);
    } else {
      await stopProcess(server.child);
      // The server is stopped: open its database here, with the PGlite the app uses.
      const { PGlite } = await import('@electric-sql/pglite');
      const pg = await PGlite.create({ dataDir: join(dataDir, 'pg') });
      try {
        const q = async (sql) => (await pg.query(sql)).rows;
        const chunkStats = (await q(CHUNKS_SQL))[0];
        res.disk_as_loaded = sizesReport(await q(SIZES_SQL), chunkStats);
        await pg.exec('VACUUM ANALYZE');
        res.disk_after_vacuum = sizesReport(await q(SIZES_SQL), chunkStats);
        res.database_size_bytes = (await q('SELECT pg_database_size(current_database())::float8 AS s'))[0].s;
        res.server_version = (await q('SELECT version() AS v'))[0].v;
      } finally {
        await pg.close();
      }
      res.data_dir_pg_du_bytes = Number(
        execFileSync('du', ['-sb', join(dataDir, 'pg')], { encoding: 'utf8' }).split('\t')[0],
      );
    }
    const d = res.disk_as_loaded;
    console.error(
      `    disk: health_tracking ${d.health_tracking_total_bytes} bytes = ${d.bytes_per_sample_all_tables} bytes/sample (series_chunks ${d.bytes_per_sample_series_chunks}); after VACUUM ${res.disk_after_vacuum.bytes_per_sample_all_tables}`,
    );
    res.loadavg_1m_end = loadavg1();
    return res;
  } finally {
    if (server) await stopProcess(server.child);
    removeTempDir(dataDir);
    dropDb();
  }
}

// PostgreSQL is needed only for its half: without a server (and without BENCH_DATABASES naming it) the
// embedded case still runs and the result says why PostgreSQL is missing.
if (DATABASES.includes('postgres')) {
  try {
    execFileSync('psql', [...pgArgs, '-d', 'postgres', '-X', '-At', '-c', 'SELECT 1'], { stdio: 'pipe' });
  } catch (err) {
    if (process.env.BENCH_DATABASES) throw err;
    SKIPPED.postgres = `no PostgreSQL at ${PG.user}@${PG.host}:${PG.port} (${
      String(err.stderr ?? err.message)
        .trim()
        .split('\n')[0]
    })`;
    DATABASES.splice(DATABASES.indexOf('postgres'), 1);
    console.error(`  skipping postgres: ${SKIPPED.postgres}`);
  }
}

const info = machine();
const bodies = yearBodies(BATCH_DAYS);
const results = {};
for (const kind of DATABASES) results[kind] = await runDatabase(kind, bodies);

const result = {
  benchmark: 'heart-rate-year',
  machine: info,
  settings: {
    samples: SAMPLES,
    days: DAYS,
    batch_days: BATCH_DAYS,
    summary_requests: SUMMARY_REQUESTS,
    summary_range: [new Date(YEAR_START).toISOString(), new Date(YEAR_END).toISOString()],
    tz: 'UTC',
    databases: DATABASES,
    skipped: SKIPPED,
  },
  ...results,
};
result.targets = {};
for (const kind of DATABASES) {
  const r = results[kind];
  const bps = r.disk_as_loaded.bytes_per_sample_all_tables;
  result.targets[`${kind}_at_most_32_bytes_per_sample`] = {
    target: TARGET_BYTES_PER_SAMPLE,
    measured_bytes_per_sample: bps,
    after_vacuum: r.disk_after_vacuum.bytes_per_sample_all_tables,
    pass: bps <= TARGET_BYTES_PER_SAMPLE,
  };
  const worst = Math.max(r.summary.day.p50_ms, r.summary.hour.p50_ms);
  result.targets[`${kind}_year_summary_under_100ms`] = {
    target_ms: TARGET_SUMMARY_MS,
    day_p50_ms: r.summary.day.p50_ms,
    day_p90_ms: r.summary.day.p90_ms,
    hour_p50_ms: r.summary.hour.p50_ms,
    hour_p90_ms: r.summary.hour.p90_ms,
    pass: worst < TARGET_SUMMARY_MS,
  };
}
const pf = (t) => (t.pass ? 'PASS' : 'FAIL');
report('heart-rate-year', result, [
  `heart-rate-year (${info.date}, node ${info.node}, ${info.nproc} CPU ${info.cpu_model}; ${SAMPLES} samples, ${BATCH_DAYS * 1440} per batch, ${SUMMARY_REQUESTS} summaries per bucket)`,
  ...DATABASES.flatMap((kind) => {
    const r = results[kind];
    const tb = result.targets[`${kind}_at_most_32_bytes_per_sample`];
    const ts = result.targets[`${kind}_year_summary_under_100ms`];
    return [
      `  ${kind}: load ${r.load.seconds} s = ${r.load.samples_per_s} samples/s`,
      `  ${kind}: disk ${r.disk_as_loaded.bytes_per_sample_all_tables} bytes/sample (all health_tracking tables with indexes; series_chunks ${r.disk_as_loaded.bytes_per_sample_series_chunks}; after VACUUM ${r.disk_after_vacuum.bytes_per_sample_all_tables})  [<= 32: ${pf(tb)}]`,
      `  ${kind}: summary year bucket=day p50 ${r.summary.day.p50_ms} ms p90 ${r.summary.day.p90_ms} ms; bucket=hour p50 ${r.summary.hour.p50_ms} ms p90 ${r.summary.hour.p90_ms} ms  [< 100 ms: ${pf(ts)}]`,
    ];
  }),
]);
