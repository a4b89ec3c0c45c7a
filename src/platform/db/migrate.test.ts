import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pgErrorCode, type Db } from './db.js';
import { MigrationError, migrate, readMigrations, splitStatements, type Migration } from './migrate.js';
import { openPgliteMemory } from './pglite.js';
import { openPostgres } from './postgres.js';

const DATABASE_URL = process.env.DATABASE_URL;

/** A database of this test file's own on the PostgreSQL server, dropped afterwards. */
async function createTemporaryDatabase(adminUrl: string) {
  const name = `pha_unit_migrate_${randomBytes(6).toString('hex')}`;
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

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
let serviceCounter = 0;
/** A service name of its own per test, so tests sharing one database never see each other's migrations. */
const newService = () => `svc${++serviceCounter}_${randomBytes(3).toString('hex')}`;

describe('splitStatements', () => {
  it('splits on semicolons at the end of a line and keeps multi-line statements whole', () => {
    const sql = [
      'CREATE SCHEMA IF NOT EXISTS auth;',
      'CREATE TABLE auth.users (',
      '  id uuid PRIMARY KEY,',
      '  email text NOT NULL',
      ');',
      'CREATE INDEX users_email ON auth.users (email);',
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS auth;',
      'CREATE TABLE auth.users (\n  id uuid PRIMARY KEY,\n  email text NOT NULL\n);',
      'CREATE INDEX users_email ON auth.users (email);',
    ]);
  });

  it('drops comment lines and blank lines, including those inside a statement', () => {
    const sql = [
      '-- 001: users',
      '',
      '   -- indented comment',
      'CREATE TABLE a (',
      '  -- the key',
      '  id int',
      ');',
      '',
      '--',
    ].join('\n');
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (\n  id int\n);']);
  });

  it('keeps semicolons, comments and blank lines inside $$ bodies', () => {
    const sql = [
      'CREATE FUNCTION touch() RETURNS trigger AS $$',
      'BEGIN',
      '  -- keep me',
      '',
      '  NEW.updated_at = now();',
      '  RETURN NEW;',
      'END;',
      '$$ LANGUAGE plpgsql;',
      'CREATE TABLE b (id int);',
    ].join('\n');
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toBe(sql.split('\nCREATE TABLE b')[0]);
    expect(statements[0]).toContain('  -- keep me\n\n  NEW.updated_at');
    expect(statements[1]).toBe('CREATE TABLE b (id int);');
  });

  it('treats a $$ body opened and closed on one line as ordinary text', () => {
    const sql = [
      'CREATE FUNCTION one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;',
      'DO $$ BEGIN PERFORM 1; END $$;',
      'SELECT 2;',
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      'CREATE FUNCTION one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;',
      'DO $$ BEGIN PERFORM 1; END $$;',
      'SELECT 2;',
    ]);
  });

  it('keeps a last statement without a semicolon', () => {
    expect(splitStatements('SELECT 1;\nSELECT 2')).toEqual(['SELECT 1;', 'SELECT 2']);
  });

  it('understands CRLF line endings', () => {
    expect(splitStatements('SELECT 1;\r\n-- note\r\nSELECT\r\n  2;\r\n')).toEqual([
      'SELECT 1;',
      'SELECT\r\n  2;',
    ]);
  });

  it('gives nothing for an empty or comment-only script', () => {
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('-- nothing yet\n\n-- really nothing\n')).toEqual([]);
  });

  it('ends a statement at a semicolon followed by a comment', () => {
    expect(splitStatements('CREATE TABLE a (id int); -- the a table\nCREATE TABLE b (id int);')).toEqual([
      'CREATE TABLE a (id int); -- the a table',
      'CREATE TABLE b (id int);',
    ]);
  });

  it('keeps tagged dollar-quoted bodies ($fn$ ... $fn$) whole', () => {
    const body = 'CREATE FUNCTION f() RETURNS int AS $fn$\nBEGIN\n  RETURN 1;\nEND;\n$fn$ LANGUAGE plpgsql;';
    expect(splitStatements(body)).toEqual([body]);
  });
});

describe('readMigrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pha-migrations-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (files: Record<string, string>) => {
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  };

  it('gives no migrations for a directory that does not exist', () => {
    expect(readMigrations(join(dir, 'missing'))).toEqual([]);
  });

  it('reads NNN_name.sql files in order with their version, name and text', () => {
    write({
      '002_add_index.sql': 'CREATE INDEX i ON t (id);\n',
      '001_create-table.sql': 'CREATE TABLE t (id int);\n',
      '003_more.sql': 'SELECT 1;\n',
    });
    expect(readMigrations(dir)).toEqual([
      { version: 1, name: 'create-table', sql: 'CREATE TABLE t (id int);\n' },
      { version: 2, name: 'add_index', sql: 'CREATE INDEX i ON t (id);\n' },
      { version: 3, name: 'more', sql: 'SELECT 1;\n' },
    ]);
  });

  it('ignores files that are not .sql', () => {
    write({ '001_init.sql': 'SELECT 1;', 'README.md': '# notes', '002_draft.sql.bak': 'SELECT 2;' });
    expect(readMigrations(dir).map((m) => m.version)).toEqual([1]);
  });

  it.each([
    'create_users.sql',
    '001-create_users.sql',
    '001_create users.sql',
    '001_.sql',
    'V1__init.sql',
    '1a_x.sql',
  ])('rejects the badly named file %j', (name) => {
    write({ '001_ok.sql': 'SELECT 1;', [name]: 'SELECT 2;' });
    expect(() => readMigrations(dir)).toThrow(MigrationError);
    expect(() => readMigrations(dir)).toThrow(
      `Migration file ${join(dir, name)} must be named like 001_create_users.sql`,
    );
  });

  it('rejects two files with the same version', () => {
    write({ '001_init.sql': 'SELECT 1;', '002_a.sql': 'SELECT 2;', '002_b.sql': 'SELECT 3;' });
    expect(() => readMigrations(dir)).toThrow(MigrationError);
  });

  it('orders migrations by version number, not by file name', () => {
    write({ '9_nine.sql': 'SELECT 9;', '10_ten.sql': 'SELECT 10;' });
    expect(readMigrations(dir).map((m) => m.version)).toEqual([9, 10]);
  });
});

/** The migrate() contract, run against each adapter. */
function migrateSuite(open: () => Promise<{ db: Db; cleanup: () => Promise<void> }>) {
  let db: Db;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await open());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const tableExists = async (name: string) => {
    const { rows } = await db.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
      name,
    ]);
    return rows[0]!.exists;
  };
  const recorded = async (service: string) =>
    (
      await db.query<{ version: number; name: string; checksum: string }>(
        'SELECT version, name, checksum FROM public.pha_migrations WHERE service = $1 ORDER BY version',
        [service],
      )
    ).rows;

  const threeMigrations = (schema: string): Migration[] => [
    { version: 1, name: 'schema', sql: `CREATE SCHEMA ${schema};` },
    {
      version: 2,
      name: 'items',
      sql: `-- items\nCREATE TABLE ${schema}.items (\n  id serial PRIMARY KEY,\n  label text NOT NULL\n);\n`,
    },
    { version: 3, name: 'add_note', sql: `ALTER TABLE ${schema}.items ADD COLUMN note text;` },
  ];

  it('applies migrations in order and records each with its checksum', async () => {
    const service = newService();
    const migrations = threeMigrations(service);
    expect(await migrate(db, service, migrations)).toEqual([1, 2, 3]);
    await db.query(`INSERT INTO ${service}.items (label, note) VALUES ('a', 'b')`);
    expect(await recorded(service)).toEqual(
      migrations.map((m) => ({ version: m.version, name: m.name, checksum: sha256(m.sql) })),
    );
  });

  it('is idempotent: a second run applies nothing and keeps the data', async () => {
    const service = newService();
    const migrations = threeMigrations(service);
    await migrate(db, service, migrations);
    await db.query(`INSERT INTO ${service}.items (label) VALUES ('kept')`);
    expect(await migrate(db, service, migrations)).toEqual([]);
    expect(await migrate(db, service, migrations)).toEqual([]);
    const { rows } = await db.query<{ label: string }>(`SELECT label FROM ${service}.items`);
    expect(rows).toEqual([{ label: 'kept' }]);
    expect(await recorded(service)).toHaveLength(3);
  });

  it('applies only the migrations added since the last run', async () => {
    const service = newService();
    const migrations = threeMigrations(service);
    expect(await migrate(db, service, migrations.slice(0, 2))).toEqual([1, 2]);
    expect(await migrate(db, service, migrations)).toEqual([3]);
  });

  it('refuses a migration that changed after it was applied, and applies nothing after it', async () => {
    const service = newService();
    const migrations = threeMigrations(service);
    await migrate(db, service, migrations.slice(0, 2));
    const changed = [
      migrations[0]!,
      { ...migrations[1]!, sql: migrations[1]!.sql.replace('label text', 'label varchar(10)') },
      migrations[2]!,
    ];
    const attempt = migrate(db, service, changed);
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(db, service, changed)).rejects.toThrow(
      `Migration ${service}/2_items changed after it was applied; add a new migration instead`,
    );
    expect((await recorded(service)).map((r) => r.version)).toEqual([1, 2]);
    const { rows } = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'note'`,
      [service],
    );
    expect(rows).toEqual([]);
  });

  it('notices a change of a single whitespace character', async () => {
    const service = newService();
    await migrate(db, service, [{ version: 1, name: 'a', sql: 'SELECT 1;' }]);
    await expect(migrate(db, service, [{ version: 1, name: 'a', sql: 'SELECT 1; ' }])).rejects.toThrow(
      MigrationError,
    );
  });

  it('rolls a failing migration back entirely and does not record it', async () => {
    const service = newService();
    const good = { version: 1, name: 'schema', sql: `CREATE SCHEMA ${service};` };
    const bad = {
      version: 2,
      name: 'half',
      sql: [
        `CREATE TABLE ${service}.half (id int);`,
        `INSERT INTO ${service}.half VALUES (1);`,
        `CREATE TABLE ${service}.other (id int);`,
        'SELECT 1 / 0;',
      ].join('\n'),
    };
    const later = { version: 3, name: 'later', sql: `CREATE TABLE ${service}.later (id int);` };
    const failure = await migrate(db, service, [good, bad, later]).catch((err: unknown) => err);
    expect(pgErrorCode(failure)).toBe('22012'); // division_by_zero, passed through unchanged
    expect(await tableExists(`${service}.half`)).toBe(false);
    expect(await tableExists(`${service}.other`)).toBe(false);
    expect(await tableExists(`${service}.later`)).toBe(false);
    expect((await recorded(service)).map((r) => r.version)).toEqual([1]);

    // Once fixed, the migration applies from a clean slate.
    const fixed = { ...bad, sql: bad.sql.replace('SELECT 1 / 0;', 'SELECT 1;') };
    expect(await migrate(db, service, [good, fixed, later])).toEqual([2, 3]);
    const { rows } = await db.query(`SELECT id FROM ${service}.half`);
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('keeps each service’s versions apart', async () => {
    const a = newService();
    const b = newService();
    expect(await migrate(db, a, [{ version: 1, name: 'x', sql: `CREATE SCHEMA ${a};` }])).toEqual([1]);
    expect(await migrate(db, b, [{ version: 1, name: 'y', sql: `CREATE SCHEMA ${b};` }])).toEqual([1]);
    expect(await recorded(a)).toEqual([{ version: 1, name: 'x', checksum: sha256(`CREATE SCHEMA ${a};`) }]);
    expect(await recorded(b)).toEqual([{ version: 1, name: 'y', checksum: sha256(`CREATE SCHEMA ${b};`) }]);
  });

  it('runs functions with $$ bodies and several statements per migration', async () => {
    const service = newService();
    const sql = [
      `CREATE SCHEMA ${service};`,
      `CREATE TABLE ${service}.t (id int, updated_at timestamptz);`,
      `CREATE FUNCTION ${service}.touch() RETURNS trigger AS $$`,
      'BEGIN',
      '  -- set the time',
      '  NEW.updated_at = now();',
      '  RETURN NEW;',
      'END;',
      '$$ LANGUAGE plpgsql;',
      `CREATE TRIGGER touch BEFORE INSERT ON ${service}.t FOR EACH ROW EXECUTE FUNCTION ${service}.touch();`,
    ].join('\n');
    expect(await migrate(db, service, [{ version: 1, name: 'fn', sql }])).toEqual([1]);
    await db.query(`INSERT INTO ${service}.t (id) VALUES (1)`);
    const { rows } = await db.query<{ touched: boolean }>(
      `SELECT updated_at IS NOT NULL AS touched FROM ${service}.t`,
    );
    expect(rows).toEqual([{ touched: true }]);
  });

  it('applies the files readMigrations reads', async () => {
    const service = newService();
    const dir = mkdtempSync(join(tmpdir(), 'pha-migrations-'));
    try {
      writeFileSync(join(dir, '001_schema.sql'), `CREATE SCHEMA ${service};\n`);
      writeFileSync(join(dir, '002_table.sql'), `CREATE TABLE ${service}.t (id int);\n`);
      expect(await migrate(db, service, readMigrations(dir))).toEqual([1, 2]);
      expect(await tableExists(`${service}.t`)).toBe(true);
      expect(await recorded(service)).toEqual([
        { version: 1, name: 'schema', checksum: sha256(`CREATE SCHEMA ${service};\n`) },
        { version: 2, name: 'table', checksum: sha256(`CREATE TABLE ${service}.t (id int);\n`) },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does nothing for an empty list but still creates the bookkeeping table', async () => {
    expect(await migrate(db, newService(), [])).toEqual([]);
    expect(await tableExists('public.pha_migrations')).toBe(true);
  });
}

describe('migrate on PGlite (in memory)', () => {
  migrateSuite(async () => {
    const db = await openPgliteMemory();
    return { db, cleanup: () => db.close() };
  });
});

describe.skipIf(!DATABASE_URL)(
  `migrate on PostgreSQL${DATABASE_URL ? '' : ' (skipped: set DATABASE_URL to run)'}`,
  () => {
    migrateSuite(async () => {
      const temp = await createTemporaryDatabase(DATABASE_URL!);
      const db = openPostgres(temp.url, 4);
      return {
        db,
        cleanup: async () => {
          await db.close();
          await temp.drop();
        },
      };
    });

    describe('services starting together', () => {
      let temp: Awaited<ReturnType<typeof createTemporaryDatabase>>;
      const pools: Db[] = [];
      beforeAll(async () => {
        temp = await createTemporaryDatabase(DATABASE_URL!);
        for (let i = 0; i < 6; i += 1) pools.push(openPostgres(temp.url, 2));
        await Promise.all(pools.map((p) => p.ping())); // connected before the race starts
      });
      afterAll(async () => {
        await Promise.all(pools.map((p) => p.close()));
        await temp?.drop();
      });

      it('apply each migration exactly once when the bookkeeping table exists', async () => {
        const service = newService();
        await migrate(pools[0]!, service, []);
        const migrations: Migration[] = [
          { version: 1, name: 'schema', sql: `CREATE SCHEMA ${service};` },
          { version: 2, name: 't', sql: `CREATE TABLE ${service}.t (id int);` },
          { version: 3, name: 'row', sql: `INSERT INTO ${service}.t VALUES (1);` },
        ];
        const results = await Promise.all(pools.map((p) => migrate(p, service, migrations)));
        expect(results.flat().sort()).toEqual([1, 2, 3]);
        const { rows } = await pools[0]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${service}.t`);
        expect(rows[0]!.n).toBe(1);
      });

      // Without the global lock around `CREATE TABLE IF NOT EXISTS public.pha_migrations`, sessions that
      // do not yet see another session's uncommitted CREATE try to create the table too and PostgreSQL
      // answers them `duplicate key value violates unique constraint "pg_type_typname_nsp_index"` (23505).
      // That happens under load by chance; an event trigger that makes CREATE TABLE take 300 ms makes the
      // overlap certain here.
      it('never fail on a fresh database when several start at once', async () => {
        await pools[0]!.exec(`DROP TABLE IF EXISTS public.pha_migrations;
        CREATE FUNCTION public.slow_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(0.3); END $$;
        CREATE EVENT TRIGGER slow_create_table ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
          EXECUTE FUNCTION public.slow_ddl();`);
        const service = newService();
        const results = await Promise.allSettled(
          pools.map((p) => migrate(p, service, [{ version: 1, name: 'noop', sql: 'SELECT 1;' }])),
        );
        const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(failures.map((f) => String(f.reason))).toEqual([]);
        expect(results.map((r) => (r.status === 'fulfilled' ? r.value : [])).flat()).toEqual([1]);
      });
    });
  },
);
