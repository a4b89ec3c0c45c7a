import type { Logger } from 'pino';
import type { ActingPermission } from '../../platform/auth/acting.js';
import type { ActingClients, ActingUser } from '../../platform/clients/acting.js';
import { AppError, serviceUnavailable } from '../../platform/http/errors.js';
import type { EncodedReadings } from './parse-job.js';
import type { Reading } from './parsers/types.js';

export type { ActingUser } from '../../platform/clients/acting.js';

export const SERVICE = 'device-data';

interface IngestAnswer {
  received: number;
  created: number;
  duplicates: number;
}

interface ErrorAnswer {
  error?: { code?: string; message?: string; details?: unknown };
}

export interface BatchOutcome {
  created: number;
  duplicates: number;
  /** Index in the batch sent -> why health tracking refused that reading. */
  rejected: Map<number, string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Readings to send, as the JSON body of health tracking's batch API: all of them, or some by index. */
export interface OutgoingReadings {
  readonly length: number;
  /** `{"items":[...]}` with every reading (null) or the ones at `indices`, in that order. */
  body(indices: readonly number[] | null): string | Uint8Array;
}

/** Reading objects, serialised when sent. */
export function readingObjects(readings: readonly Reading[]): OutgoingReadings {
  return {
    length: readings.length,
    body: (indices) => JSON.stringify({ items: indices ? indices.map((i) => readings[i]!) : readings }),
  };
}

const ITEMS_START = Buffer.from('{"items":[');
const ITEMS_END = Buffer.from(']}');
const COMMA = Buffer.from(',');

/** Readings a parse job already encoded: the whole body as it came, or its items cut out by offset. */
export function encodedReadings(e: EncodedReadings): OutgoingReadings {
  return {
    length: e.count,
    body: (indices) => {
      if (indices === null) return e.body;
      const parts: Uint8Array[] = [ITEMS_START];
      indices.forEach((i, n) => {
        if (n > 0) parts.push(COMMA);
        parts.push(e.body.subarray(e.starts[i], e.ends[i]));
      });
      parts.push(ITEMS_END);
      return Buffer.concat(parts);
    },
  };
}

/** The calls device data makes to health tracking for a user: the only ones its tokens permit. */
export const HEALTH_TRACKING_CALLS: readonly ActingPermission[] = [
  { service: 'health-tracking', method: 'POST', route: '/api/v1/metrics/batch' },
  { service: 'health-tracking', method: 'GET', route: '/api/v1/metrics' },
];

/**
 * Writes readings into health tracking through its batch API, as the user they belong to.
 *
 * Imports, uploads and syncs run without a user request (in the background, or with a Nightscout
 * secret instead of a sign-in), so the calls go through the platform's acting client: a short-lived
 * token that names this service and the purpose, permits only HEALTH_TRACKING_CALLS, and carries the
 * user's role when the request that started the work gave it.
 *
 * A batch is all-or-nothing in health tracking: when it refuses some readings (implausible values,
 * future times) they are taken out, reported by index, and the rest is sent again. Already stored
 * readings count as duplicates and add nothing, so a batch can safely be sent again after a failure.
 */
export class HealthWriter {
  constructor(
    private readonly acting: ActingClients,
    private readonly logger: Logger,
  ) {}

  async ingest(
    user: ActingUser,
    purpose: string,
    readings: readonly Reading[] | OutgoingReadings,
  ): Promise<BatchOutcome> {
    const batch = Array.isArray(readings)
      ? readingObjects(readings as readonly Reading[])
      : (readings as OutgoingReadings);
    const outcome: BatchOutcome = { created: 0, duplicates: 0, rejected: new Map() };
    await this.send(
      user,
      purpose,
      batch,
      Array.from({ length: batch.length }, (_, i) => i),
      outcome,
    );
    return outcome;
  }

  /** Sends the readings at `indices` (indexes into `batch`), adding what happened to `outcome`. */
  private async send(
    user: ActingUser,
    purpose: string,
    batch: OutgoingReadings,
    indices: number[],
    outcome: BatchOutcome,
  ): Promise<void> {
    let pending = indices;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round > 50) throw new Error('health tracking kept refusing the batch');
      const answer = await this.post(
        user,
        purpose,
        batch.body(pending.length === batch.length ? null : pending),
      );
      if (answer.status === 200 || answer.status === 201) {
        const body = answer.body as IngestAnswer;
        outcome.created += body.created;
        outcome.duplicates += body.duplicates;
        return;
      }
      const error = (answer.body as ErrorAnswer | undefined)?.error;
      if (answer.status === 413 && pending.length > 1) {
        // Too large for one request: send it in halves.
        const half = Math.ceil(pending.length / 2);
        await this.send(user, purpose, batch, pending.slice(0, half), outcome);
        await this.send(user, purpose, batch, pending.slice(half), outcome);
        return;
      }
      if (answer.status === 400 && Array.isArray(error?.details)) {
        const refused = new Map<number, string[]>();
        for (const d of error.details as { index?: unknown; field?: unknown; problem?: unknown }[]) {
          if (typeof d.index !== 'number' || !Number.isInteger(d.index)) continue;
          const list = refused.get(d.index) ?? [];
          list.push(`${String(d.field ?? 'reading')} ${String(d.problem ?? 'is invalid')}`);
          refused.set(d.index, list);
        }
        if (refused.size > 0) {
          for (const [j, problems] of refused) {
            const original = pending[j];
            if (original !== undefined) outcome.rejected.set(original, problems.join('; '));
          }
          pending = pending.filter((_, j) => !refused.has(j));
          continue;
        }
      }
      if (answer.status === 401 || answer.status === 403) {
        throw new AppError(502, 'health_tracking_refused', 'Health tracking refused the import credentials');
      }
      this.logger.error({ status: answer.status, code: error?.code }, 'health tracking refused a batch');
      throw new AppError(
        502,
        'health_tracking_failed',
        `Health tracking could not store the readings (HTTP ${answer.status}${error?.message ? `: ${error.message}` : ''})`,
      );
    }
  }

  private async post(user: ActingUser, purpose: string, json: string | Uint8Array) {
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      if (attempt > 0) await sleep(250 * 2 ** attempt);
      try {
        const answer = await this.acting.call(user, purpose, 'health-tracking', {
          method: 'POST',
          path: '/api/v1/metrics/batch',
          json,
          timeoutMs: 120_000,
        });
        if (answer.status === 502 || answer.status === 503 || answer.status === 504) {
          lastError = new Error(`HTTP ${answer.status}`);
          continue;
        }
        return answer;
      } catch (err) {
        // Duplicates add nothing, so sending the same batch again is safe.
        lastError = err;
      }
    }
    if (lastError instanceof AppError) throw lastError;
    throw serviceUnavailable('Health tracking did not answer; the import can be run again safely');
  }

  /** A GET on health tracking as the user (the Nightscout read API answers from it). */
  get<T>(user: ActingUser, purpose: string, path: string) {
    return this.acting.call<T>(user, purpose, 'health-tracking', { method: 'GET', path, timeoutMs: 30_000 });
  }
}
