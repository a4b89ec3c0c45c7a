import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';

function wrap(target: PGlite | Transaction): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await target.query<T>(sql, params as unknown[]);
      // PGlite reports 0 affected rows for a SELECT; PostgreSQL reports the rows returned.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
  };
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private readonly queryable: Queryable;

  constructor(
    private readonly pg: PGlite,
    private readonly release: () => void = () => {},
  ) {
    this.queryable = wrap(pg);
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.queryable.query<T>(sql, params);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) => fn(wrap(tx)));
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
    this.release();
  }

  /** A copy of the whole database, used by tests to clone a migrated template. */
  dump(): Promise<File | Blob> {
    return this.pg.dumpDataDir('none');
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PGlite is single-writer: a lock file stops a second process from opening the same directory. */
function lockDirectory(dir: string): () => void {
  const lockPath = `${dir}.lock`;
  if (existsSync(lockPath)) {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
      throw new Error(
        `The embedded database in ${dir} is in use by process ${pid}. Stop it, use another DATA_DIR, or set DATABASE_URL.`,
      );
    }
  }
  writeFileSync(lockPath, String(process.pid));
  return () => rmSync(lockPath, { force: true });
}

/**
 * PostgreSQL's default shared_buffers (128MB) is sized for a server; one person's data does not need it,
 * and the operating system caches the files anyway. 16MB takes ~136 MiB off the embedded server's
 * resident memory (bench/RESULTS.md).
 */
export const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** initdb in a child process when the compiled script is there (see pglite-initdb.ts); else in-process. */
async function initdb(dir: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-initdb.js', import.meta.url));
  if (!existsSync(script)) {
    const pg = await PGlite.create({ dataDir: dir });
    await pg.close();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`Creating the embedded database in ${dir} failed (exit ${code})`)),
    );
  });
}

/** Opens (creating on first use) the embedded database under `dataDir`. */
export async function openPgliteDirectory(dataDir: string): Promise<PgliteDb> {
  mkdirSync(dataDir, { recursive: true });
  const dir = join(dataDir, 'pg');
  const release = lockDirectory(dir);
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) await initdb(dir);
    return new PgliteDb(await PGlite.create({ dataDir: dir, startParams: EMBEDDED_START_PARAMS }), release);
  } catch (err) {
    release();
    throw err;
  }
}

/** An in-memory database, optionally loaded from a dump (tests). */
export async function openPgliteMemory(dump?: Blob): Promise<PgliteDb> {
  const pg = await PGlite.create(dump ? { loadDataDir: dump } : {});
  return new PgliteDb(pg);
}
