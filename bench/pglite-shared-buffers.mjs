// Experiment preload (not used by the benchmarks unless asked): starts PGlite with a smaller
// shared_buffers than PostgreSQL's default 128MB, without touching the app, to measure what that saves.
//
//   BENCH_SERVER_NODE_ARGS="--import ./bench/pglite-shared-buffers.mjs" PGLITE_SHARED_BUFFERS=16MB \
//     node bench/startup.mjs
//
// PGlite's startParams replace its defaults, so the defaults (PGlite 0.5.14, defaultStartParams) are
// repeated here.
import { PGlite } from '@electric-sql/pglite';

const DEFAULTS = [
  '--single',
  '-F',
  '-O',
  '-j',
  '-c',
  'search_path=public',
  '-c',
  'exit_on_error=false',
  '-c',
  'log_checkpoints=false',
  '-c',
  'max_worker_processes=0',
  '-c',
  'max_parallel_workers=0',
  '-c',
  'max_parallel_workers_per_gather=0',
  '-c',
  'io_method=sync',
  '-c',
  'max_parallel_maintenance_workers=0',
];
const setting = process.env.PGLITE_SHARED_BUFFERS ?? '16MB';
const create = PGlite.create.bind(PGlite);
PGlite.create = (options = {}) =>
  create({
    ...options,
    startParams: [...(options.startParams ?? DEFAULTS), '-c', `shared_buffers=${setting}`],
  });
