import type { Logger } from 'pino';
import { TokenIssuer } from '../../platform/auth/tokens.js';
import type { ServiceClients } from '../../platform/clients/clients.js';
import { AppError, serviceUnavailable } from '../../platform/http/errors.js';
import type { Reading } from './parsers/types.js';

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

/**
 * Writes readings into health tracking through its batch API, as the user they belong to.
 *
 * Imports, uploads and syncs run without a user request (in the background, or with a Nightscout
 * secret instead of a sign-in), so this signs a short-lived access token for that user with the shared
 * JWT secret, marked with a session id of its own (`device-data:<purpose>`), and never stores it.
 *
 * A batch is all-or-nothing in health tracking: when it refuses some readings (implausible values,
 * future times) they are taken out, reported by index, and the rest is sent again. Already stored
 * readings count as duplicates and add nothing, so a batch can safely be sent again after a failure.
 */
export class HealthWriter {
  private readonly issuer: TokenIssuer;

  constructor(
    private readonly clients: ServiceClients,
    jwtSecret: string,
    private readonly logger: Logger,
  ) {
    this.issuer = new TokenIssuer(jwtSecret, 300);
  }

  tokenFor(userId: string, purpose: string): Promise<string> {
    return this.issuer.signAccess({ userId, sessionId: `${SERVICE}:${purpose}`, role: 'patient', email: '' });
  }

  async ingest(userId: string, purpose: string, readings: readonly Reading[]): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { created: 0, duplicates: 0, rejected: new Map() };
    // Indexes (into `readings`) still to be sent.
    let pending = readings.map((_, i) => i);
    for (let round = 0; pending.length > 0; round += 1) {
      if (round > 50) throw new Error('health tracking kept refusing the batch');
      const answer = await this.post(
        userId,
        purpose,
        pending.map((i) => readings[i]!),
      );
      if (answer.status === 200 || answer.status === 201) {
        const body = answer.body as IngestAnswer;
        outcome.created += body.created;
        outcome.duplicates += body.duplicates;
        return outcome;
      }
      const error = (answer.body as ErrorAnswer | undefined)?.error;
      if (answer.status === 413 && pending.length > 1) {
        // Too large for one request: send it in halves.
        const half = Math.ceil(pending.length / 2);
        for (const part of [pending.slice(0, half), pending.slice(half)]) {
          const sub = await this.ingest(
            userId,
            purpose,
            part.map((i) => readings[i]!),
          );
          outcome.created += sub.created;
          outcome.duplicates += sub.duplicates;
          for (const [j, why] of sub.rejected) outcome.rejected.set(part[j]!, why);
        }
        return outcome;
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
    return outcome;
  }

  private async post(userId: string, purpose: string, items: Reading[]) {
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      if (attempt > 0) await sleep(250 * 2 ** attempt);
      try {
        const token = await this.tokenFor(userId, purpose);
        const answer = await this.clients.call('health-tracking', {
          method: 'POST',
          path: '/api/v1/metrics/batch',
          body: { items },
          token,
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
  async get<T>(userId: string, purpose: string, path: string) {
    const token = await this.tokenFor(userId, purpose);
    return this.clients.call<T>('health-tracking', { method: 'GET', path, token, timeoutMs: 30_000 });
  }
}
