import { createHash, createHmac, hkdfSync } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { randomToken } from '../../platform/crypto.js';
import type { Db } from '../../platform/db/db.js';
import { pgErrorCode, PG_UNIQUE_VIOLATION } from '../../platform/db/db.js';
import {
  AppError,
  conflict,
  forbidden,
  notFound,
  unauthorized,
  validationError,
} from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { emit, type Devices } from './devices.js';
import type { HealthWriter } from './health.js';
import { Ingestor } from './ingest.js';
import { NIGHTSCOUT_SOURCE, nightscoutEntryEvent } from './parsers/nightscout.js';
import type { ParsedEvent } from './parsers/types.js';
import * as S from './schemas.js';
import { normalizeTreatment, presentTreatment, type Treatments } from './treatments.js';
import { parseOffsetIso } from './time.js';

const T = 'device_data.nightscout_secrets';
const SHA1_HEX = /^[0-9a-fA-F]{40}$/;
/** Entries per upload request: uploaders send a few at a time, backfills a few thousand. */
export const MAX_UPLOAD_DOCUMENTS = 5000;
/** 5,000 Nightscout documents of a few hundred bytes each. */
export const NIGHTSCOUT_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The Nightscout API secret. Uploaders send the SHA-1 of the secret in the `api-secret` header; this
 * service keeps only a keyed hash (HMAC-SHA-256 with a key derived from SECRET_KEY) of that SHA-1, so
 * neither the secret nor what uploaders send can be read back from the database.
 */
export class NightscoutSecrets {
  private readonly key: Buffer;

  constructor(
    private readonly db: Db,
    secretKey: string,
  ) {
    this.key = Buffer.from(
      hkdfSync('sha256', secretKey, 'personal-health-assistant', 'device-data:nightscout', 32),
    );
  }

  private credentialHash(sha1Hex: string): string {
    return createHmac('sha256', this.key).update(sha1Hex.toLowerCase()).digest('hex');
  }

  async set(userId: string, secret: string): Promise<Date> {
    const hash = this.credentialHash(createHash('sha1').update(secret).digest('hex'));
    try {
      const { rows } = await this.db.query<{ created_at: Date }>(
        `INSERT INTO ${T} (user_id, credential_hash) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET credential_hash = EXCLUDED.credential_hash, created_at = now(),
           last_used_at = NULL
         RETURNING created_at`,
        [userId, hash],
      );
      return rows[0]!.created_at;
    } catch (err) {
      if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) {
        throw conflict(
          'That secret cannot be used: choose another (or let the server make one)',
          'secret_unavailable',
        );
      }
      throw err;
    }
  }

  async status(userId: string) {
    const { rows } = await this.db.query<{ created_at: Date; last_used_at: Date | null }>(
      `SELECT created_at, last_used_at FROM ${T} WHERE user_id = $1`,
      [userId],
    );
    return rows[0];
  }

  async remove(userId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM ${T} WHERE user_id = $1`, [userId]);
    return rowCount > 0;
  }

  /** The user whose secret this is (`api-secret` carries its SHA-1 in hex). */
  async userFor(apiSecret: string): Promise<string | undefined> {
    if (!SHA1_HEX.test(apiSecret)) return undefined;
    const { rows } = await this.db.query<{ user_id: string }>(
      `UPDATE ${T} SET last_used_at = now() WHERE credential_hash = $1 RETURNING user_id`,
      [this.credentialHash(apiSecret)],
    );
    return rows[0]?.user_id;
  }
}

const asArray = (body: unknown): unknown[] =>
  Array.isArray(body) ? body : body === undefined || body === null ? [] : [body];

export function registerNightscoutRoutes(
  root: FastifyInstance,
  deps: {
    db: Db;
    secrets: NightscoutSecrets;
    devices: Devices;
    treatments: Treatments;
    health: HealthWriter;
    batchSize: number;
    publicUrl: string;
    version: string;
  },
): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['nightscout'];
  const nightscoutUrl = `${deps.publicUrl}/device-data`;
  const uploaderSecurity = [{ nightscoutApiSecret: [] }];

  /** The user an uploader acts for, from its `api-secret` header. */
  async function uploader(request: FastifyRequest): Promise<string> {
    const header = request.headers['api-secret'];
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) {
      throw unauthorized(
        'Send the SHA-1 of your Nightscout API secret in the api-secret header',
        'api_secret_required',
      );
    }
    const userId = await deps.secrets.userFor(value.trim());
    if (!userId) throw unauthorized('The api-secret is not valid', 'invalid_api_secret');
    const device = await deps.devices.bySource(userId, NIGHTSCOUT_SOURCE);
    if (device?.status === 'disconnected') {
      throw forbidden(
        'The Nightscout uploader was disconnected: reconnect it in your devices to upload again',
      );
    }
    return userId;
  }

  // ---- the secret (signed-in user) -------------------------------------------------------------------

  app.put(
    '/api/v1/nightscout/secret',
    {
      schema: {
        tags,
        summary: 'Set or rotate my Nightscout API secret',
        description:
          'Uploaders (xDrip+, Loop, AndroidAPS) use it with the Nightscout URL shown. The old secret stops working at once.',
        body: S.SecretBody,
        response: { 200: S.SecretAnswer, ...errorResponses(400, 401, 409) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const secret = request.body.secret ?? randomToken(18);
      const createdAt = await deps.secrets.set(userId, secret);
      await deps.db.transaction((tx) => emit(tx, userId, 'nightscout.secret_set', {}));
      return { api_secret: secret, nightscout_url: nightscoutUrl, created_at: createdAt.toISOString() };
    },
  );

  app.get(
    '/api/v1/nightscout/secret',
    {
      schema: {
        tags,
        summary: 'Whether I have a Nightscout API secret (never the secret itself)',
        response: { 200: S.SecretStatus, ...errorResponses(401) },
      },
    },
    async (request) => {
      const row = await deps.secrets.status(principalOf(request).userId);
      return {
        configured: row !== undefined,
        nightscout_url: nightscoutUrl,
        created_at: row?.created_at.toISOString() ?? null,
        last_used_at: row?.last_used_at?.toISOString() ?? null,
      };
    },
  );

  app.delete(
    '/api/v1/nightscout/secret',
    {
      schema: {
        tags,
        summary: 'Remove my Nightscout API secret: uploads stop',
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      if (!(await deps.secrets.remove(principalOf(request).userId)))
        throw notFound('No Nightscout secret is set');
      return reply.status(204).send(null);
    },
  );

  // ---- what uploaders call ---------------------------------------------------------------------------

  const status = async () => ({
    status: 'ok',
    name: 'Personal Health Assistant',
    version: deps.version,
    serverTime: new Date().toISOString(),
    serverTimeEpoch: Date.now(),
    apiEnabled: true,
    careportalEnabled: true,
    settings: { units: 'mg/dl', enable: ['careportal'] },
  });
  for (const url of ['/api/v1/status', '/api/v1/status.json']) {
    app.get(
      url,
      {
        config: { public: true },
        schema: { tags, summary: 'Nightscout status (uploaders check the site with it)', security: [] },
      },
      status,
    );
  }

  app.get(
    '/api/v1/experiments/test',
    {
      config: { public: true },
      schema: { tags, summary: 'Checks the api-secret (Loop does this)', security: uploaderSecurity },
    },
    async (request) => {
      await uploader(request);
      return { status: 'ok' };
    },
  );

  app.get(
    '/api/v1/verifyauth',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Checks the api-secret (AndroidAPS, Nightscout clients)',
        security: uploaderSecurity,
      },
    },
    async (request) => {
      let ok = false;
      try {
        await uploader(request);
        ok = true;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
      return {
        status: 200,
        message: ok
          ? { canRead: true, canWrite: true, isAdmin: true, message: 'OK', rolefound: 'FOUND' }
          : {
              canRead: false,
              canWrite: false,
              isAdmin: false,
              message: 'UNAUTHORIZED',
              rolefound: 'NOTFOUND',
            },
      };
    },
  );

  async function uploadEntries(userId: string, documents: unknown[]) {
    if (documents.length > MAX_UPLOAD_DOCUMENTS) {
      throw validationError(`At most ${MAX_UPLOAD_DOCUMENTS} entries per request`, [
        { field: 'body', problem: `has ${documents.length} entries` },
      ]);
    }
    const events: ParsedEvent[] = documents.map((d, i) => nightscoutEntryEvent(d, `entry ${i + 1}`));
    // Uploaders sign with the API secret, not a user sign-in: the user's role is not known (least role).
    const ingestor = new Ingestor(
      { userId },
      'nightscout',
      deps.health,
      deps.devices,
      'nightscout',
      deps.batchSize,
    );
    for (const event of events) await ingestor.add(event);
    await ingestor.flush();
    const refused = new Set(ingestor.counts.errors.map((e) => e.ref));
    const accepted = events.flatMap((e, i) => {
      if (e.kind !== 'reading' || refused.has(e.ref)) return [];
      const doc = documents[i] as Record<string, unknown>;
      const ms = parseOffsetIso(e.reading.timestamp)!.ms;
      return [{ ...doc, type: doc.type ?? 'sgv', date: ms, dateString: e.reading.timestamp }];
    });
    return { accepted, counts: ingestor.counts };
  }

  for (const url of ['/api/v1/entries', '/api/v1/entries.json']) {
    app.post(
      url,
      {
        config: { public: true },
        bodyLimit: NIGHTSCOUT_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Upload CGM entries (Nightscout API v1)',
          description:
            'sgv and mbg entries become blood_glucose readings (mg/dL) in health tracking, source "nightscout"; ' +
            'the same time again adds nothing. Values under 40 are sensor status codes and are left out. ' +
            'Answers the entries accepted.',
          security: uploaderSecurity,
          body: Type.Unknown(),
          response: { 200: Type.Array(Type.Unknown()), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const userId = await uploader(request);
        const { accepted, counts } = await uploadEntries(userId, asArray(request.body));
        reply.header('x-readings-created', String(counts.readings_created));
        reply.header('x-records-refused', String(counts.records_invalid + counts.records_skipped));
        return accepted;
      },
    );
  }

  /** Glucose readings as Nightscout entries, newest first, from health tracking. */
  async function readEntries(userId: string, count: number, fromMs?: number, toMs?: number) {
    const out: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    while (out.length < count) {
      const params = new URLSearchParams({
        metric_type: 'blood_glucose',
        limit: String(Math.min(500, count - out.length)),
      });
      if (fromMs !== undefined) params.set('from', new Date(fromMs).toISOString());
      if (toMs !== undefined) params.set('to', new Date(toMs + 1).toISOString());
      if (cursor) params.set('cursor', cursor);
      const page = await deps.health.get<{
        items: { canonical_value: number; timestamp: string; source: string }[];
        next_cursor: string | null;
      }>({ userId }, 'nightscout', `/api/v1/metrics?${params.toString()}`);
      if (page.status !== 200)
        throw new AppError(502, 'health_tracking_failed', 'Health tracking could not be read');
      for (const item of page.body.items) {
        const at = parseOffsetIso(item.timestamp);
        if (!at) continue;
        out.push({
          type: 'sgv',
          sgv: Math.round(item.canonical_value),
          date: at.ms,
          dateString: item.timestamp,
          device: item.source,
          units: 'mg/dl',
        });
      }
      if (!page.body.next_cursor) break;
      cursor = page.body.next_cursor;
    }
    return out;
  }

  const listQuery = (q: Record<string, unknown>) => {
    const count = Number(q.count ?? 10);
    if (!Number.isInteger(count) || count < 1 || count > 10_000) {
      throw validationError('count must be a whole number from 1 to 10000', [
        { field: 'count', problem: 'out of range' },
      ]);
    }
    return count;
  };

  for (const url of [
    '/api/v1/entries',
    '/api/v1/entries.json',
    '/api/v1/entries/sgv',
    '/api/v1/entries/sgv.json',
  ]) {
    app.get(
      url,
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Latest glucose entries (Nightscout API v1)',
          description:
            'All my blood_glucose readings (every source), newest first; count (default 10), find[date][$gte|$lte].',
          security: uploaderSecurity,
          querystring: S.NightscoutListQuery,
          response: { 200: Type.Array(Type.Unknown()), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const userId = await uploader(request);
        const q = request.query as Record<string, unknown>;
        const count = listQuery(q);
        const gte = q['find[date][$gte]'] as number | undefined;
        const lte = q['find[date][$lte]'] as number | undefined;
        return readEntries(userId, count, gte, lte);
      },
    );
  }

  // ---- treatments ------------------------------------------------------------------------------------

  for (const url of ['/api/v1/treatments', '/api/v1/treatments.json']) {
    app.post(
      url,
      {
        config: { public: true },
        bodyLimit: NIGHTSCOUT_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Upload treatments (insulin, carbs, temp basals...; Nightscout API v1)',
          description:
            'Kept in this service (health tracking has no insulin or carbohydrate metric), once per event type and time.',
          security: uploaderSecurity,
          body: Type.Unknown(),
          response: { 200: Type.Array(Type.Unknown()), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const userId = await uploader(request);
        const documents = asArray(request.body);
        if (documents.length > MAX_UPLOAD_DOCUMENTS) {
          throw validationError(`At most ${MAX_UPLOAD_DOCUMENTS} treatments per request`, [
            { field: 'body', problem: `has ${documents.length} treatments` },
          ]);
        }
        const problems: { field: string; problem: string }[] = [];
        const normalized = documents.map((d, i) => {
          if (typeof d !== 'object' || d === null || Array.isArray(d)) {
            problems.push({ field: `[${i}]`, problem: 'is not a JSON object' });
            return undefined;
          }
          const t = normalizeTreatment(d as Record<string, unknown>);
          if (typeof t === 'string') problems.push({ field: `[${i}]`, problem: t });
          return typeof t === 'string' ? undefined : t;
        });
        if (problems.length > 0) {
          throw validationError(
            `Invalid treatments: ${problems.map((p) => `${p.field} ${p.problem}`).join('; ')}`,
            problems,
          );
        }
        const out: unknown[] = [];
        let created = 0;
        for (const t of normalized) {
          created += await deps.treatments.insert(userId, t!);
          const row = await deps.treatments.byIdentity(userId, t!.eventType, t!.ms);
          if (row) out.push(presentTreatment(row));
        }
        if (created > 0) {
          await deps.db.transaction((tx) => emit(tx, userId, 'treatments.uploaded', { count: created }));
        }
        return out;
      },
    );
    app.get(
      url,
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Latest treatments (Nightscout API v1)',
          security: uploaderSecurity,
          querystring: S.NightscoutListQuery,
          response: { 200: Type.Array(Type.Unknown()), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const userId = await uploader(request);
        const q = request.query as Record<string, unknown>;
        const count = listQuery(q);
        const bound = (name: string) => {
          const v = q[name];
          if (v === undefined) return undefined;
          const parsed = parseOffsetIso(String(v));
          if (!parsed)
            throw validationError(`${name} must be an ISO 8601 date-time with an offset`, [
              { field: name, problem: 'is not a date-time' },
            ]);
          return parsed.ms;
        };
        const rows = await deps.treatments.list(
          userId,
          count,
          bound('find[created_at][$gte]'),
          bound('find[created_at][$lte]'),
        );
        return rows.map(presentTreatment);
      },
    );
  }

  app.delete(
    '/api/v1/treatments/:id',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Delete a treatment (Nightscout API v1)',
        security: uploaderSecurity,
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) }),
        response: { 200: Type.Unknown(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const userId = await uploader(request);
      if (!(await deps.treatments.remove(userId, request.params.id))) throw notFound('No such treatment');
      return { n: 1, ok: 1 };
    },
  );
}
