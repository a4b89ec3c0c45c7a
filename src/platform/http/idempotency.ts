import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/db.js';
import { AppError, validationError } from './errors.js';

/**
 * Idempotency-Key on POST (DESIGN: phones retry, and a retried upload must not double the data).
 * The first answer is kept for 24 hours with a fingerprint of the request; a retry with the same key and
 * the same request gets that answer again (header `idempotent-replayed: true`) and changes nothing. The
 * same key with a different request is refused. The key, the change and the remembered answer are
 * written in one transaction, which the service runs under its per-user lock.
 *
 * Each service keeps its keys in its own schema, in a table made by its migrations:
 *   CREATE TABLE <schema>.idempotency_keys (user_id uuid, key text, fingerprint text, status smallint,
 *     body jsonb, created_at timestamptz DEFAULT now(), PRIMARY KEY (user_id, key));
 */
const KEY = /^[\x21-\x7E]{1,255}$/;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw validationError('Idempotency-Key must be 1-255 printable ASCII characters', [
      { field: 'Idempotency-Key', problem: 'must be 1-255 printable ASCII characters (a UUID is ideal)' },
    ]);
  }
  return header;
}

function fingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(
      `${request.method} ${request.routeOptions.url ?? request.url}\n${JSON.stringify(request.body ?? null)}`,
    )
    .digest('hex');
}

export interface Answer {
  status: number;
  body: unknown;
}

export interface IdempotencyScope {
  /** The service's Postgres schema holding `idempotency_keys`. */
  schema: string;
  /** Runs `fn` in one transaction under the service's lock for this user. */
  inUserTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

interface Remembered {
  fingerprint: string;
  status: number;
  body: unknown;
}

async function rememberedReply(
  tx: Queryable,
  schema: string,
  userId: string,
  key: string,
): Promise<Remembered | undefined> {
  await tx.query(
    `DELETE FROM ${schema}.idempotency_keys WHERE user_id = $1 AND created_at < now() - interval '24 hours'`,
    [userId],
  );
  const { rows } = await tx.query<Remembered>(
    `SELECT fingerprint, status, body FROM ${schema}.idempotency_keys WHERE user_id = $1 AND key = $2`,
    [userId, key],
  );
  return rows[0];
}

/** Answers `request` with `run`'s result, or with the remembered answer to an earlier identical request. */
export async function idempotent(
  scope: IdempotencyScope,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  run: (tx: Queryable) => Promise<Answer>,
): Promise<FastifyReply> {
  if (!SCHEMA_NAME.test(scope.schema)) throw new Error(`bad schema name ${scope.schema}`);
  const key = idempotencyKeyOf(request);
  const print = key === undefined ? '' : fingerprint(request);
  const answer = await scope.inUserTransaction(async (tx) => {
    if (key !== undefined) {
      const prior = await rememberedReply(tx, scope.schema, userId, key);
      if (prior) {
        if (prior.fingerprint !== print) {
          throw new AppError(
            422,
            'idempotency_key_reused',
            'This Idempotency-Key was already used for a different request; use a new key for a new request',
          );
        }
        return { status: prior.status, body: prior.body, replayed: true };
      }
    }
    const result = await run(tx);
    if (key !== undefined) {
      await tx.query(
        `INSERT INTO ${scope.schema}.idempotency_keys (user_id, key, fingerprint, status, body) VALUES ($1, $2, $3, $4, $5)`,
        [userId, key, print, result.status, JSON.stringify(result.body)],
      );
    }
    return { ...result, replayed: false };
  });
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(answer.status).send(answer.body);
}
