import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode, type Db } from './db.js';
import { openPgliteMemory } from './pglite.js';
import { openPostgres } from './postgres.js';

const DATABASE_URL = process.env.DATABASE_URL;

/** A database of this test file's own on the PostgreSQL server, dropped afterwards. */
async function createTemporaryDatabase(adminUrl: string) {
  const name = `pha_unit_db_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

describe('pgErrorCode', () => {
  it('reads a string SQLSTATE code and ignores anything else', () => {
    expect(pgErrorCode({ code: '23505' })).toBe('23505');
    expect(pgErrorCode(Object.assign(new Error('x'), { code: '23503' }))).toBe('23503');
    expect(pgErrorCode({ code: 23505 })).toBeUndefined();
    expect(pgErrorCode(new Error('plain'))).toBeUndefined();
    expect(pgErrorCode(null)).toBeUndefined();
    expect(pgErrorCode('23505')).toBeUndefined();
  });
});

/** The Db port contract, run against each adapter. */
function dbContract(
  kind: 'pglite' | 'postgres',
  open: () => Promise<{ db: Db; cleanup: () => Promise<void> }>,
) {
  let db: Db;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await open());
    await db.exec(`
      CREATE SCHEMA t;
      CREATE TABLE t.parents (id int PRIMARY KEY, label text NOT NULL UNIQUE);
      CREATE TABLE t.children (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES t.parents (id));
      INSERT INTO t.parents VALUES (1, 'one'), (2, 'two'), (3, 'three');
    `);
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it(`reports its kind (${kind})`, () => {
    expect(db.kind).toBe(kind);
  });

  it('binds parameters and returns typed rows', async () => {
    const { rows } = await db.query<{ id: number; label: string }>(
      'SELECT id, label FROM t.parents WHERE id = ANY($1::int[]) AND label <> $2 ORDER BY id',
      [[1, 2, 3], 'two'],
    );
    expect(rows).toEqual([
      { id: 1, label: 'one' },
      { id: 3, label: 'three' },
    ]);
  });

  it('returns int8 counts and integer sums as numbers', async () => {
    const { rows } = await db.query<{ n: unknown; total: unknown; big: unknown }>(
      'SELECT count(*) AS n, sum(id) AS total, 9007199254740991::int8 AS big FROM t.parents',
    );
    expect(rows[0]).toEqual({ n: 3, total: 6, big: 9007199254740991 });
    expect(typeof rows[0]!.n).toBe('number');
    const empty = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM t.parents WHERE false');
    expect(empty.rows[0]!.n).toBe(0);
  });

  it('counts rows changed by UPDATE, DELETE and INSERT', async () => {
    await db.exec('CREATE TABLE t.counted (id int)');
    expect((await db.query('INSERT INTO t.counted VALUES (1), (2), (3)')).rowCount).toBe(3);
    expect((await db.query('UPDATE t.counted SET id = id + 10 WHERE id > 1')).rowCount).toBe(2);
    expect((await db.query('UPDATE t.counted SET id = 0 WHERE id = 999')).rowCount).toBe(0);
    const returning = await db.query<{ id: number }>('DELETE FROM t.counted WHERE id = 12 RETURNING id');
    expect(returning).toEqual({ rows: [{ id: 12 }], rowCount: 1 });
  });

  it('gives a SELECT the number of rows as its rowCount', async () => {
    const { rows, rowCount } = await db.query('SELECT id FROM t.parents');
    expect(rows).toHaveLength(3);
    expect(rowCount).toBe(3);
  });

  it('commits a transaction that resolves and returns its value', async () => {
    const value = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t.children (parent_id) VALUES ($1)', [1]);
      await tx.query('INSERT INTO t.children (parent_id) VALUES ($1)', [2]);
      return 'done';
    });
    expect(value).toBe('done');
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM t.children');
    expect(rows[0]!.n).toBe(2);
  });

  it('rolls a transaction back entirely when its function throws, rethrowing the same error', async () => {
    const failure = new Error('stop here');
    const before = (await db.query<{ n: number }>('SELECT count(*) AS n FROM t.children')).rows[0]!.n;
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t.children (parent_id) VALUES ($1)', [3]);
        await tx.query("UPDATE t.parents SET label = 'changed' WHERE id = 1");
        throw failure;
      }),
    ).rejects.toBe(failure);
    const after = (await db.query<{ n: number }>('SELECT count(*) AS n FROM t.children')).rows[0]!.n;
    expect(after).toBe(before);
    const { rows } = await db.query<{ label: string }>('SELECT label FROM t.parents WHERE id = 1');
    expect(rows[0]!.label).toBe('one');
  });

  it('rolls back when a statement fails inside the transaction, and stays usable', async () => {
    const error = await db
      .transaction(async (tx) => {
        await tx.query("INSERT INTO t.parents VALUES (10, 'ten')");
        await tx.query("INSERT INTO t.parents VALUES (11, 'one')"); // duplicate label
      })
      .catch((err: unknown) => err);
    expect(pgErrorCode(error)).toBe(PG_UNIQUE_VIOLATION);
    const { rows } = await db.query('SELECT id FROM t.parents WHERE id IN (10, 11)');
    expect(rows).toEqual([]);
    await expect(db.transaction(async (tx) => (await tx.query('SELECT 1 AS one')).rows)).resolves.toEqual([
      { one: 1 },
    ]);
  });

  it('hides a transaction’s writes from others until it commits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const tx = db.transaction(async (q) => {
      await q.query("INSERT INTO t.parents VALUES (20, 'twenty')");
      inserted();
      await gate;
    });
    await insertedSignal;
    if (kind === 'postgres') {
      // Another pooled connection does not see the uncommitted row.
      const { rows } = await db.query('SELECT id FROM t.parents WHERE id = 20');
      expect(rows).toEqual([]);
    }
    release();
    await tx;
    expect((await db.query('SELECT id FROM t.parents WHERE id = 20')).rows).toEqual([{ id: 20 }]);
  });

  it('reports SQLSTATE codes for constraint violations', async () => {
    const unique = await db.query("INSERT INTO t.parents VALUES (1, 'again')").catch((err: unknown) => err);
    expect(pgErrorCode(unique)).toBe(PG_UNIQUE_VIOLATION);
    const foreign = await db
      .query('INSERT INTO t.children (parent_id) VALUES (999)')
      .catch((err: unknown) => err);
    expect(pgErrorCode(foreign)).toBe(PG_FOREIGN_KEY_VIOLATION);
  });

  it('runs a script of several statements with exec', async () => {
    await db.exec(`
      CREATE TABLE t.script (id int);
      INSERT INTO t.script VALUES (1);
      INSERT INTO t.script VALUES (2);
    `);
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM t.script');
    expect(rows[0]!.n).toBe(2);
  });

  it('rejects a failing query with the database error', async () => {
    await expect(db.query('SELECT * FROM t.missing')).rejects.toMatchObject({ code: '42P01' });
  });

  it('answers ping', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });
}

describe('PGlite adapter', () => {
  dbContract('pglite', async () => {
    const db = await openPgliteMemory();
    return { db, cleanup: () => db.close() };
  });

  it('refuses queries once closed, and closing twice is harmless', async () => {
    const db = await openPgliteMemory();
    await db.close();
    await expect(db.query('SELECT 1')).rejects.toThrow();
    await expect(db.close()).resolves.toBeUndefined();
  });
});

describe.skipIf(!DATABASE_URL)(
  `PostgreSQL adapter${DATABASE_URL ? '' : ' (skipped: set DATABASE_URL to run)'}`,
  () => {
    let temp: Awaited<ReturnType<typeof createTemporaryDatabase>>;
    beforeAll(async () => {
      temp = await createTemporaryDatabase(DATABASE_URL!);
    });
    afterAll(async () => {
      await temp?.drop();
    });

    describe('contract', () => {
      dbContract('postgres', async () => {
        const db = openPostgres(temp.url, 4);
        return { db, cleanup: () => db.close() };
      });
    });

    it('returns int8 values beyond 2^53 as exact strings rather than rounded numbers', async () => {
      const db = openPostgres(temp.url, 1);
      try {
        const { rows } = await db.query<{ big: unknown; negative: unknown }>(
          'SELECT 9007199254740993::int8 AS big, (-9007199254740993)::int8 AS negative',
        );
        expect(rows[0]).toEqual({ big: '9007199254740993', negative: '-9007199254740993' });
      } finally {
        await db.close();
      }
    });

    it('releases the connection after a rolled-back transaction', async () => {
      const db = openPostgres(temp.url, 1); // one connection: a leak would hang the next call
      try {
        for (let i = 0; i < 3; i += 1) {
          await expect(
            db.transaction(async () => {
              throw new Error(`attempt ${i}`);
            }),
          ).rejects.toThrow(`attempt ${i}`);
        }
        await expect(db.transaction(async (tx) => (await tx.query('SELECT 2 AS two')).rows)).resolves.toEqual(
          [{ two: 2 }],
        );
      } finally {
        await db.close();
      }
    });

    it('refuses queries once closed', async () => {
      const db = openPostgres(temp.url, 1);
      await db.ping();
      await db.close();
      await expect(db.query('SELECT 1')).rejects.toThrow();
    });

    it('fails ping when the server cannot be reached', async () => {
      const db = openPostgres('postgres://postgres@127.0.0.1:1/none', 1);
      try {
        await expect(db.ping()).rejects.toThrow();
      } finally {
        await db.close();
      }
    });
  },
);
