import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../../platform/db/db.js';
import { AppError, validationError } from '../../platform/http/errors.js';
import type { HealthStore } from './store.js';

/**
 * Idempotency-Key on POST: the first answer is kept for 24 hours with a fingerprint of the request;
 * a retry with the same key and the same request gets that answer again (header
 * `idempotent-replayed: true`) and changes nothing. The same key with a different request is refused.
 * The key, the change and the remembered answer are written in one transaction under the user's lock.
 */
const KEY = /^[\x21-\x7E]{1,255}$/;

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

export async function idempotent(
  store: HealthStore,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  run: (tx: Queryable) => Promise<Answer>,
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(request);
  const print = key === undefined ? '' : fingerprint(request);
  const answer = await store.forUser(userId, async (tx) => {
    if (key !== undefined) {
      const prior = await store.idempotentReply(tx, userId, key);
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
    if (key !== undefined) await store.rememberReply(tx, userId, key, print, result.status, result.body);
    return { ...result, replayed: false };
  });
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(answer.status).send(answer.body);
}
