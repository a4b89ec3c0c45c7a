import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.js';

// int8 (counts, sums) as numbers when they fit, as PGlite does, so both adapters return the same shapes.
pg.types.setTypeParser(20, (value: string) => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
});

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    },
  };
}

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private readonly queryable: Queryable;

  constructor(private readonly pool: pg.Pool) {
    this.queryable = wrap(pool);
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.queryable.query<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(wrap(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function openPostgres(url: string, maxConnections = 5): PostgresDb {
  return new PostgresDb(
    new pg.Pool({
      connectionString: url,
      max: maxConnections,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'personal-health-assistant',
    }),
  );
}
