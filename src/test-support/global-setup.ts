import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { builtBackendServices } from '../catalog.js';
import { openPgliteMemory } from '../platform/db/pglite.js';
import { openPostgres } from '../platform/db/postgres.js';
import { migrateServices } from '../runtime.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

/**
 * Builds one migrated database for the whole run, once: a PGlite dump (initdb takes seconds), or a
 * PostgreSQL template database when DATABASE_URL is set. Each test file then starts from a copy.
 */
export default async function setup(project: TestProject) {
  const slugs = builtBackendServices().map((s) => s.slug);
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `pha_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const templateUrl = new URL(url);
    templateUrl.pathname = `/${name}`;
    const db = openPostgres(templateUrl.toString(), 1);
    await migrateServices(db, slugs);
    await db.close();
    project.provide('postgresTemplate', name);
    project.provide('pgliteTemplate', '');
    return async () => {
      // Drop the per-file copies and the template.
      const { rows } = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`${name}_%`],
      );
      for (const row of rows) await admin.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  const db = await openPgliteMemory();
  await migrateServices(db, slugs);
  const dump = await db.dump();
  await db.close();
  const dir = mkdtempSync(join(tmpdir(), 'pha-test-'));
  const file = join(dir, 'template.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  project.provide('postgresTemplate', '');
  return () => rmSync(dir, { recursive: true, force: true });
}
