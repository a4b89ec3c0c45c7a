// Runs every benchmark in turn, each in its own process, and writes their JSON results together.
//
//   node bench/run-all.mjs                 startup, profile-read, login, and the health-tracking /
//                                          device-data ones: metrics-ingest, heart-rate-year,
//                                          apple-health-import   (npm run bench)
//   node bench/run-all.mjs --diagnostics   also request-path and rss-breakdown
//   node bench/run-all.mjs --health        only metrics-ingest, heart-rate-year, apple-health-import
//   node bench/run-all.mjs startup login   only the named ones
//
// Results: printed, and saved to bench/out/results-<timestamp>.json (bench/out/ is git-ignored).
// Needs a build (npm run build). Each benchmark is bounded in time and cleans up its own processes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, CLI, ROOT, machine } from './lib.mjs';

const CORE = ['startup', 'profile-read', 'login'];
// Health tracking and device data (heart-rate-year also uses a local PostgreSQL when one answers).
const HEALTH = ['metrics-ingest', 'heart-rate-year', 'apple-health-import'];
const MAIN = [...CORE, ...HEALTH];
const DIAGNOSTICS = ['request-path', 'rss-breakdown'];
const args = process.argv.slice(2);
const named = args.filter((a) => !a.startsWith('--'));
const selected =
  named.length > 0
    ? named
    : args.includes('--health')
      ? HEALTH
      : [...MAIN, ...(args.includes('--diagnostics') ? DIAGNOSTICS : [])];
const LIMIT_S = 900;

if (!existsSync(CLI)) {
  console.error(`${CLI} not found: run "npm run build" first`);
  process.exit(2);
}
for (const name of selected) {
  if (!existsSync(join(BENCH_DIR, `${name}.mjs`))) {
    console.error(`unknown benchmark "${name}" (known: ${[...MAIN, ...DIAGNOSTICS].join(', ')})`);
    process.exit(2);
  }
}

function run(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(BENCH_DIR, `${name}.mjs`)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(
        chunk
          .toString()
          .replace(/^BENCH_RESULT .*$/gm, '')
          .replace(/\n{2,}/g, '\n'),
      );
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), LIMIT_S * 1000);
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', stop);
      const line = stdout.split('\n').find((l) => l.startsWith(`BENCH_RESULT ${name} `));
      resolve({
        name,
        code,
        signal,
        result: line ? JSON.parse(line.slice(`BENCH_RESULT ${name} `.length)) : null,
      });
    });
  });
}

const started = machine();
const out = { started: started.date, machine: started, results: {}, failures: [] };
for (const name of selected) {
  console.log(`\n=== ${name} ===`);
  const r = await run(name);
  if (r.code === 0 && r.result) out.results[name] = r.result;
  else out.failures.push({ name, code: r.code, signal: r.signal });
}
out.finished = new Date().toISOString();

const targets = Object.values(out.results).flatMap((r) =>
  Object.entries(r.targets ?? {}).map(
    ([k, v]) => `  ${v.pass ? 'PASS' : 'FAIL'}  ${k}: ${JSON.stringify(v)}`,
  ),
);
console.log('\n=== targets ===');
console.log(targets.join('\n') || '  (none measured)');
if (out.failures.length > 0)
  console.log(`\nFAILED: ${out.failures.map((f) => `${f.name} (exit ${f.code ?? f.signal})`).join(', ')}`);

mkdirSync(join(BENCH_DIR, 'out'), { recursive: true });
const file = join(BENCH_DIR, 'out', `results-${out.started.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 2));
console.log(`\nresults: ${file}`);
process.exit(out.failures.length > 0 ? 1 : 0);
