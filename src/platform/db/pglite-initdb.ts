/**
 * Creates an embedded database directory (initdb) in a process of its own: initdb's WebAssembly
 * instance holds several hundred MB that a long-running server would otherwise keep until a full GC.
 * Usage: node pglite-initdb.js <directory>
 */
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: pglite-initdb <directory>');
  process.exit(2);
}
const pg = await PGlite.create({ dataDir: dir });
await pg.close();
