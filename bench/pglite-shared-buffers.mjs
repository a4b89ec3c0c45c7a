// Experiment preload (not used by the benchmarks unless asked): starts PGlite with a smaller
// shared_buffers than PostgreSQL's default 128MB, without touching the app, to measure what that saves.
//
//   BENCH_SERVER_NODE_ARGS="--import ./bench/pglite-shared-buffers.mjs" PGLITE_SHARED_BUFFERS=16MB \
//     node bench/startup.mjs
//
// PGlite's startParams replace its defaults, so its own defaultStartParams come first.
import { PGlite } from '@electric-sql/pglite';

const setting = process.env.PGLITE_SHARED_BUFFERS ?? '16MB';
const create = PGlite.create.bind(PGlite);
PGlite.create = (options = {}) =>
  create({
    ...options,
    startParams: [...(options.startParams ?? PGlite.defaultStartParams), '-c', `shared_buffers=${setting}`],
  });
