import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class MigrationError extends Error {}

/** Reads `NNN_name.sql` files in order. */
export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) return [];
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
      if (!match)
        throw new MigrationError(`Migration file ${join(dir, file)} must be named like 001_create_users.sql`);
      return { file, version: Number(match[1]), name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i += 1) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new MigrationError(
        `Migrations ${migrations[i - 1]!.file} and ${migrations[i]!.file} in ${dir} have the same version`,
      );
    }
  }
  return migrations.map(({ version, name, sql }) => ({ version, name, sql }));
}

const checksum = (sql: string) => createHash('sha256').update(sql).digest('hex');

/**
 * Applies a service's pending migrations, each in its own transaction, under an advisory lock so that
 * services starting together never apply the same migration twice. A migration already applied whose
 * file has since changed is an error: migrations are append-only.
 */
export async function migrate(db: Db, service: string, migrations: Migration[]): Promise<number[]> {
  // Services starting together race to create the bookkeeping table: serialise that too.
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('pha_migrations'))");
    await tx.query(`CREATE TABLE IF NOT EXISTS public.pha_migrations (
      service text NOT NULL,
      version integer NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (service, version)
    )`);
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pha_migrations:${service}`]);
      const existing = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM public.pha_migrations WHERE service = $1 AND version = $2',
        [service, migration.version],
      );
      if (existing.rows[0]) {
        if (existing.rows[0].checksum !== checksum(migration.sql)) {
          throw new MigrationError(
            `Migration ${service}/${migration.version}_${migration.name} changed after it was applied; add a new migration instead`,
          );
        }
        return false;
      }
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query(
        'INSERT INTO public.pha_migrations (service, version, name, checksum) VALUES ($1, $2, $3, $4)',
        [service, migration.version, migration.name, checksum(migration.sql)],
      );
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

/**
 * Splits a migration script on semicolons at the end of a line, outside dollar-quoted bodies, so each
 * statement runs through the transaction's own connection. Migrations keep one statement per `;` line.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  // The tag of the dollar-quoted body we are inside ($$ or $name$), if any.
  let openTag: string | undefined;
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    if (openTag === undefined && (trimmed.startsWith('--') || trimmed === '')) continue;
    current += line + '\n';
    for (const tag of line.match(/\$[A-Za-z_]*\$/g) ?? []) {
      if (openTag === undefined) openTag = tag;
      else if (tag === openTag) openTag = undefined;
    }
    const code = trimmed.replace(/\s*--.*$/, '');
    if (openTag === undefined && code.endsWith(';')) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}
