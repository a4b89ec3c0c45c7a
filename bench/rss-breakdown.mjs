// Diagnostic (not a benchmark): where the all-in-one server's resident memory goes.
//
//   node bench/rss-breakdown.mjs
//
// Re-runs itself in child processes (with --expose-gc) that add one part of the server at a time and
// read VmRSS after each step: Node itself, the compiled app's modules (Fastify, plugins, every service),
// PGlite on a fresh directory (initdb), PGlite reopened on an initialised directory, a garbage
// collection, queries, one argon2id hash+verify; and PGlite started with smaller shared_buffers.
// Each step also gives the time since the child's start (performance.now()), a rough start-up breakdown.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The children must not load lib.mjs (it imports autocannon): only the parent imports it, below.
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const steps = [];
const step = (name) => {
  const mib = Math.round(rss() * 10) / 10;
  steps.push({
    step: name,
    t_ms: Math.round(performance.now()),
    rss_mib: mib,
    heap_used_mib: Math.round(process.memoryUsage().heapUsed / 1048576),
    external_mib: Math.round(process.memoryUsage().external / 1048576),
    array_buffers_mib: Math.round(process.memoryUsage().arrayBuffers / 1048576),
  });
};

async function child(mode, dir) {
  step('node started');
  if (mode === 'fresh') {
    const { PGlite } = await import('@electric-sql/pglite');
    step('import @electric-sql/pglite');
    let pg = await PGlite.create({ dataDir: dir });
    step('PGlite.create on empty dir (initdb)');
    await pg.close();
    pg = await PGlite.create({ dataDir: dir });
    step('close + reopen (what openPgliteDirectory does)');
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 200));
    globalThis.gc();
    step('after gc()');
    await pg.close();
    return;
  }
  if (mode === 'app') {
    await import(pathToFileURL(join(ROOT, 'dist', 'src', 'runtime.js')).href);
    step('import dist/src/runtime.js (Fastify, plugins, every service, PGlite module)');
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create({ dataDir: dir });
    step('PGlite.create on initialised dir');
    for (let i = 0; i < 2000; i++)
      await pg.query('SELECT user_id, preferences FROM user_profile.profiles WHERE user_id = $1', [
        '00000000-0000-0000-0000-000000000000',
      ]);
    step('2000 profile SELECTs');
    globalThis.gc();
    step('after gc()');
    const { hash, verify, Algorithm } = await import('@node-rs/argon2');
    const h = await hash('Bench-Pass-123!x', {
      algorithm: Algorithm.Argon2id,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    await verify(h, 'Bench-Pass-123!x');
    step('one argon2id hash + verify (m=19456 KiB)');
    await Promise.all(Array.from({ length: 4 }, () => verify(h, 'Bench-Pass-123!x')));
    step('4 concurrent argon2id verifies');
    await pg.close();
    return;
  }
  if (mode.startsWith('shared_buffers=')) {
    // "shared_buffers=16MB" or "shared_buffers=16MB+initialMemory=<bytes>" (pglite.wasm needs >= 128 MiB:
    // a smaller initialMemory fails with "memory import 0 is smaller than initial 2048")
    const [setting, memory] = mode.split('+initialMemory=');
    const { PGlite } = await import('@electric-sql/pglite');
    step('import @electric-sql/pglite');
    const pg = await PGlite.create({
      dataDir: dir,
      // startParams replaces PGlite's defaults, so they come first.
      startParams: [...PGlite.defaultStartParams, '-c', setting],
      ...(memory ? { initialMemory: Number(memory) } : {}),
    });
    const { rows } = await pg.query("SELECT setting FROM pg_settings WHERE name = 'shared_buffers'");
    for (let i = 0; i < 2000; i++)
      await pg.query('SELECT user_id, preferences FROM user_profile.profiles WHERE user_id = $1', [
        '00000000-0000-0000-0000-000000000000',
      ]);
    step(
      `PGlite.create with -c ${setting}${memory ? ` initialMemory ${memory}` : ''} (pg_settings: ${rows[0].setting} x 8kB) + 2000 SELECTs`,
    );
    await pg.close();
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
  console.log(JSON.stringify(steps));
  process.exit(0);
}

const { deadline, removeTempDir, tempDir } = await import('./lib.mjs');
deadline(300, 'rss-breakdown');
const self = fileURLToPath(import.meta.url);
const run = (mode, dir) => {
  const r = spawnSync(process.execPath, ['--expose-gc', self, '--child', mode, dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};

const base = tempDir();
const pgDir = join(base, 'pg');
try {
  // The app's schema: migrate with the real CLI so the SELECTs hit the real table.
  const m = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), 'migrate'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: base },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (m.status !== 0) throw new Error(`migrate: ${m.stderr}`);
  const scratch = tempDir();
  const result = {
    fresh: run('fresh', join(scratch, 'pg')),
    app: run('app', pgDir),
    shared_buffers_16MB: run('shared_buffers=16MB', pgDir),
    shared_buffers_128MB: run('shared_buffers=128MB', pgDir),
    shared_buffers_1MB: run('shared_buffers=1MB', pgDir),
  };
  removeTempDir(scratch);
  for (const [name, list] of Object.entries(result)) {
    console.log(`${name}:`);
    for (const s of list)
      console.log(
        `  ${String(s.rss_mib).padStart(7)} MiB  at ${String(s.t_ms).padStart(5)} ms  ${s.step}  (JS heap ${s.heap_used_mib}, external ${s.external_mib}, arrayBuffers ${s.array_buffers_mib} MiB)`,
      );
  }
  console.log(`BENCH_RESULT rss-breakdown ${JSON.stringify(result)}`);
} finally {
  removeTempDir(base);
}
