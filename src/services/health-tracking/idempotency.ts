import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../../platform/db/db.js';
import { idempotent as platformIdempotent, type Answer } from '../../platform/http/idempotency.js';
import type { HealthStore } from './store.js';

/** Idempotency-Key on this service's POSTs: keys in health_tracking.idempotency_keys, under the user's lock. */
export function idempotent(
  store: HealthStore,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  run: (tx: Queryable) => Promise<Answer>,
): Promise<FastifyReply> {
  return platformIdempotent(
    { schema: 'health_tracking', inUserTransaction: (fn) => store.forUser(userId, fn) },
    request,
    reply,
    userId,
    run,
  );
}
