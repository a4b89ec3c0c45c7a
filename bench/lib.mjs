// Shared helpers for the benchmarks: child processes, readiness polling, RSS, autocannon, stats.
// Everything targets 127.0.0.1 only; every child and temp dir is tracked and removed on exit.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);
export const HOST = '127.0.0.1';
/** The compiled CLI (override with PHA_CLI to benchmark another build). */
export const CLI = process.env.PHA_CLI ?? join(ROOT, 'dist', 'src', 'cli.js');
export const HELLO = join(BENCH_DIR, 'hello-world-server.mjs');

/** Environment for the all-in-one server: limits raised so the benchmark measures the app, not 429s. */
export const SERVER_ENV = {
  HOST,
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
};

// ---------------------------------------------------------------------------------------------
// cleanup

const children = new Set();
const tempDirs = new Set();
const cleanupHooks = new Set();

/**
 * Registers a synchronous clean-up step (e.g. dropping a scratch PostgreSQL database) run on exit, error
 * or Ctrl-C after the child processes are killed; returns a function that runs it once and unregisters it.
 */
export function onCleanup(fn) {
  const hook = () => {
    cleanupHooks.delete(hook);
    fn();
  };
  cleanupHooks.add(hook);
  return hook;
}

export function tempDir(prefix = 'pha-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.lock`, { force: true });
  tempDirs.delete(dir);
}

function cleanupSync() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
  for (const hook of [...cleanupHooks]) {
    try {
      hook();
    } catch {
      /* best effort */
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.once('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    cleanupSync();
    process.exit(130);
  });
}

/** Kills the script (and its children) if it runs longer than `seconds`. */
export function deadline(seconds, name) {
  const timer = setTimeout(() => {
    console.error(`${name}: gave up after ${seconds} s`);
    cleanupSync();
    process.exit(3);
  }, seconds * 1000);
  timer.unref();
  return timer;
}

// ---------------------------------------------------------------------------------------------
// stats and machine

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summary(xs) {
  return {
    median: round(median(xs)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
    runs: xs.map((x) => round(x)),
  };
}

export function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not linux */
  }
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'n/a';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: Number(sh('nproc', [])),
    cpu_model: cpuModel,
    memory: sh('free', ['-h']).split('\n')[1]?.replace(/\s+/g, ' ') ?? 'n/a',
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    git_head: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    git_dirty: sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'package.json']) !== '',
    dist_built: existsSync(CLI) ? statSync(CLI).mtime.toISOString() : 'not built',
    ...(process.env.BENCH_SERVER_NODE_ARGS ? { server_node_args: process.env.BENCH_SERVER_NODE_ARGS } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// ports and HTTP

/** Returns the first free port in [from, to] on 127.0.0.1. */
export async function freePort(from = 18300, to = 18399) {
  for (let port = from; port <= to; port++) {
    const ok = await new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, HOST, () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

/**
 * One HTTP request to 127.0.0.1 whose body `writeBody(req, reject)` writes (and ends); resolves
 * { status, body, ms } with the body parsed as JSON when possible and ms the client-side time.
 */
export function rawRequest(
  port,
  method,
  path,
  { headers = {}, timeoutMs = 5000, writeBody = (req) => req.end() },
) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(
      { host: HOST, port, method, path, agent: false, timeout: timeoutMs, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode, body: parsed, ms: performance.now() - t0 });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    writeBody(req, reject);
  });
}

/** One HTTP request to 127.0.0.1 with an optional JSON body; resolves { status, body, ms }. */
export function http(port, method, path, { body, headers = {}, timeoutMs = 5000 } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return rawRequest(port, method, path, {
    timeoutMs,
    headers: {
      ...(payload
        ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
        : {}),
      ...headers,
    },
    writeBody: (req) => req.end(payload),
  });
}

// ---------------------------------------------------------------------------------------------
// child processes

/**
 * Spawns a server and polls `readyPath` every `pollMs` until it answers 200.
 * `ready_ms` is measured from just before spawn() to the first 200.
 */
export async function startProcess({
  args,
  env = {},
  port,
  readyPath,
  timeoutMs = 60_000,
  pollMs = 10,
  nodeArgs = [],
}) {
  const output = [];
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  // When the server's own "ready on" / "listening" log line arrived, to tell its start-up from polling.
  let logReadyMs = NaN;
  let logListeningMs = NaN;
  const keep = (chunk) => {
    const text = chunk.toString();
    const at = Number(process.hrtime.bigint() - t0) / 1e6;
    if (Number.isNaN(logListeningMs) && text.includes('Server listening at')) logListeningMs = at;
    if (Number.isNaN(logReadyMs) && text.includes('ready on http')) logReadyMs = at;
    output.push(text);
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
  });
  const deadlineAt = Date.now() + timeoutMs;
  for (;;) {
    if (exited)
      throw new Error(`server exited before ready (${JSON.stringify(exited)}):\n${output.join('')}`);
    if (Date.now() > deadlineAt) {
      await stopProcess(child);
      throw new Error(`server not ready after ${timeoutMs} ms:\n${output.join('')}`);
    }
    try {
      const res = await http(port, 'GET', readyPath, { timeoutMs: 2000 });
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(pollMs);
  }
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let readyCpuMs = NaN;
  try {
    readyCpuMs = procCpuMs(child.pid);
  } catch {
    /* not linux */
  }
  return { child, pid: child.pid, port, readyMs, readyCpuMs, logListeningMs, logReadyMs, output };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** Extra node flags for the all-in-one server, for experiments (e.g. a --import preload). */
export const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

export function startPha({ dataDir, port, env = {}, nodeArgs = [], timeoutMs }) {
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run "npm run build" first`);
  return startProcess({
    args: [CLI, 'start'],
    env: { ...SERVER_ENV, DATA_DIR: dataDir, ...env },
    port,
    readyPath: '/health',
    nodeArgs: [...SERVER_NODE_ARGS, ...nodeArgs],
    timeoutMs,
  });
}

export function startHello({ port, nodeArgs = [] }) {
  return startProcess({ args: [HELLO], env: { HOST }, port, readyPath: '/', nodeArgs });
}

/** VmRSS (and friends) of a live process, in MiB. */
export function procMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rss_mib: round(kb('VmRSS') / 1024),
    hwm_mib: round(kb('VmHWM') / 1024),
    rss_anon_mib: round(kb('RssAnon') / 1024),
    rss_file_mib: round(kb('RssFile') / 1024),
  };
}

/** CPU time (user + system, all threads) the process has used so far, in ms. */
export function procCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (USER_HZ = 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const loadavg1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// app helpers

export const PASSWORD = 'Bench-Pass-123!x';

export async function registerAndLogin(port, email) {
  const reg = await http(port, 'POST', '/auth/api/v1/auth/register', {
    body: { email, password: PASSWORD, full_name: 'Bench User' },
    timeoutMs: 15_000,
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  return login(port, email);
}

export async function login(port, email) {
  const res = await http(port, 'POST', '/auth/api/v1/auth/login', {
    body: { email, password: PASSWORD },
    timeoutMs: 15_000,
  });
  if (res.status !== 200 || !res.body.access_token) {
    throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.access_token;
}

// ---------------------------------------------------------------------------------------------
// autocannon

/**
 * Runs autocannon and returns the numbers we report, plus status-code counts. `requests` (optional) is
 * autocannon's per-request list, e.g. `[{ setupRequest }]` to give every request its own body.
 */
export async function cannon({ port, path, method = 'GET', headers, body, connections, duration, requests }) {
  const result = await autocannon({
    url: `http://${HOST}:${port}${path}`,
    method,
    headers,
    body,
    connections,
    duration,
    pipelining: 1,
    timeout: 30,
    ...(requests ? { requests } : {}),
  });
  return {
    connections,
    duration_s: duration,
    requests_per_s: round(result.requests.average),
    total_requests: result.requests.total,
    latency_ms: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      avg: round(result.latency.average, 2),
      max: result.latency.max,
    },
    ok_2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    status_codes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]),
    ),
  };
}

/** Throws if any response was not 2xx or any request failed: a benchmark of errors is worthless. */
export function assertClean(label, r) {
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0 || r.ok_2xx === 0) {
    throw new Error(
      `${label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts, ${r.ok_2xx} 2xx ${JSON.stringify(r.status_codes)}`,
    );
  }
}

/** Writes the JSON result to stdout (one line, prefixed for run-all) and the human summary. */
export function report(name, result, lines) {
  if (result.machine)
    result.machine.loadavg_end = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(lines.join('\n'));
  console.log(`BENCH_RESULT ${name} ${JSON.stringify(result)}`);
}
