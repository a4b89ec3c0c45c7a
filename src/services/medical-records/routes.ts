import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { AppError, notFound, validationError } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import {
  isObject,
  jsonProblem,
  parseFhirDate,
  MAX_JSON_DEPTH,
  RECORD_TYPES,
  type FhirResource,
  type RecordType,
} from './fhir.js';
import * as S from './schemas.js';
import type { MedicalStore, RecordRow } from './store.js';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function presentRecord(row: RecordRow) {
  return {
    id: row.id,
    record_type: row.record_type,
    resource_type: row.resource_type,
    source: { system: row.source_system, id: row.source_id },
    effective_at: iso(row.effective_at),
    effective_text: row.effective_text,
    display: row.display,
    code: row.code || row.code_system ? { system: row.code_system, code: row.code } : null,
    status: row.status,
    measurement: row.measurement,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    ...(row.resource === undefined ? {} : { resource: row.resource }),
  };
}

function instant(text: string | undefined, field: string): Date | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  // Date.parse takes 2024-02-30 as 2 March, and year 0000, which PostgreSQL has not.
  if (Number.isNaN(ms) || !parseFhirDate(text.slice(0, 10)) || new Date(ms).getUTCFullYear() < 1) {
    throw validationError(`Invalid querystring: ${field} must be an ISO 8601 date or instant`, [
      { field, problem: 'must be an ISO 8601 date or instant, e.g. 2024-01-31 or 2024-01-31T08:00:00Z' },
    ]);
  }
  return new Date(ms);
}

function range(from?: string, to?: string) {
  const f = instant(from, 'from');
  const t = instant(to, 'to');
  if (f && t && f >= t) {
    throw validationError('Invalid querystring: from must be before to', [
      { field: 'from', problem: 'must be before to' },
    ]);
  }
  return { from: f, to: t };
}

function parseTypes(text: string | undefined): RecordType[] | undefined {
  if (!text) return undefined;
  const types = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = types.filter((t) => !(RECORD_TYPES as readonly string[]).includes(t));
  if (bad.length) {
    throw validationError(`Invalid querystring: type ${bad.join(', ')} is not a record type`, [
      { field: 'type', problem: `must be one or more of ${RECORD_TYPES.join(', ')}` },
    ]);
  }
  return types as RecordType[];
}

function decodeCursor(text: string): { t: number | null; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      isObject(parsed) &&
      typeof parsed.id === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(parsed.id) &&
      (parsed.t === null || (typeof parsed.t === 'number' && new Date(parsed.t).getUTCFullYear() >= 1))
    ) {
      return { t: parsed.t, id: parsed.id };
    }
  } catch {
    // falls through to the 400
  }
  throw validationError('cursor is not one this list gave out', [
    { field: 'cursor', problem: 'is not valid: pass next_cursor from the previous page unchanged' },
  ]);
}

export function registerRecordRoutes(root: FastifyInstance, store: MedicalStore): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['medical-records'];

  // FHIR's own media type, parsed like JSON.
  app.addContentTypeParser(
    'application/fhir+json',
    { parseAs: 'string', bodyLimit: S.IMPORT_BODY_LIMIT },
    (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        // Only where it broke: V8's message quotes the body, which is health data.
        const position = /position (\d+)/.exec((err as Error).message)?.[1];
        done(
          new AppError(
            400,
            'invalid_json',
            `The request body is not valid JSON${position ? ` (at character ${position})` : ''}`,
          ),
          undefined,
        );
      }
    },
  );

  app.get(
    '/api/v1/records',
    {
      schema: {
        tags,
        summary: 'My medical records, newest first, across record types',
        querystring: S.ListQuery,
        response: { 200: S.RecordList, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const limit = q.limit ?? 50;
      const rows = await store.list(userId, {
        types: parseTypes(q.type),
        ...range(q.from, q.to),
        after: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const next =
        rows.length > limit && last
          ? Buffer.from(
              JSON.stringify({
                t: last.effective_at ? new Date(last.effective_at).getTime() : null,
                id: last.id,
              }),
            ).toString('base64url')
          : null;
      return { items: page.map(presentRecord), next_cursor: next };
    },
  );

  app.get(
    '/api/v1/records/:id',
    {
      schema: {
        tags,
        summary: 'One record, with the original FHIR resource',
        params: S.IdParams,
        response: { 200: S.RecordDetail, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await store.get(principalOf(request).userId, request.params.id);
      if (!row) throw notFound('No such record');
      return { ...presentRecord(row), resource: row.resource ?? null };
    },
  );

  app.post(
    '/api/v1/fhir/import',
    {
      bodyLimit: S.IMPORT_BODY_LIMIT,
      schema: {
        tags,
        summary:
          'Import FHIR R4: a Bundle (transaction, collection, document, searchset; nested too) or one resource',
        description:
          'Every resource found is reported: imported, updated (the source changed it), unchanged (already ' +
          'imported) or skipped with the reason. The original resource is kept. Lab flags are computed here; ' +
          'the interpretation in the upload is kept as source_interpretation only. Accepts application/json and ' +
          'application/fhir+json.',
        querystring: S.ImportQuery,
        body: S.FhirBody,
        response: { 200: S.ImportReport, ...errorResponses(400, 401, 413) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const body = request.body as unknown;
      if (!isObject(body) || typeof body.resourceType !== 'string') {
        throw validationError('Invalid body: resourceType is required', [
          { field: 'resourceType', problem: 'is required' },
        ]);
      }
      if (!/^[A-Z][A-Za-z]+$/.test(body.resourceType)) {
        throw validationError(
          `Invalid body: resourceType "${body.resourceType}" is not a FHIR resource type`,
          [{ field: 'resourceType', problem: 'is not a FHIR resource type' }],
        );
      }
      // Text that cannot be stored is reported per resource; nesting this deep refuses the upload.
      const tooDeep = jsonProblem(body as FhirResource, MAX_JSON_DEPTH, false);
      if (tooDeep) {
        throw validationError(`Invalid body: ${tooDeep.path} ${tooDeep.problem}`, [
          { field: tooDeep.path, problem: tooDeep.problem },
        ]);
      }
      const source = request.query.source;
      if (source !== undefined && jsonProblem(source, 0)) {
        throw validationError('Invalid querystring: source contains a NUL character or a lone surrogate', [
          { field: 'source', problem: 'must not contain a NUL character or a lone surrogate' },
        ]);
      }
      if (body.resourceType === 'Bundle' && body.entry !== undefined && !Array.isArray(body.entry)) {
        throw validationError('Invalid body: Bundle.entry must be an array', [
          { field: 'entry', problem: 'must be an array' },
        ]);
      }
      return store.importFhir(userId, body as FhirResource, request.query.source ?? 'fhir-upload');
    },
  );

  app.get(
    '/api/v1/labs/:loinc/history',
    {
      schema: {
        tags,
        summary: 'One analyte (by LOINC code) over time, oldest first, with the computed flags',
        params: S.LoincParams,
        querystring: S.HistoryQuery,
        response: { 200: S.LabHistory, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { from, to } = range(request.query.from, request.query.to);
      const rows = await store.labHistory(principalOf(request).userId, request.params.loinc, from, to);
      return {
        loinc: request.params.loinc,
        display: rows[rows.length - 1]?.display ?? null,
        points: rows.map((r) => ({
          record_id: r.id,
          effective_at: iso(r.effective_at)!,
          value: r.measurement?.value ?? null,
          value_text: r.measurement?.value_text ?? null,
          flags: r.measurement?.flags ?? null,
        })),
      };
    },
  );
}
