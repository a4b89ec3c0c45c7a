import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { v7 as uuidv7 } from 'uuid';
import { principalOf } from '../../platform/auth/guard.js';
import type { SessionRevocations } from '../../platform/auth/revocations.js';
import type { FieldCipher } from '../../platform/crypto.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../platform/db/db.js';
import { AppError, conflict, notFound, validationError } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import type { DocumentCipher } from './documents-crypto.js';
import { DOCUMENT_TYPES, detectType, EXTENSIONS, imageSize, type DocumentType } from './documents-detect.js';
import { MAX_OCR_PIXELS, openPdf } from './documents-extract.js';
import type { DocumentExtractor } from './documents-extraction.js';
import * as S from './documents-schemas.js';
import {
  CATEGORIES,
  DOCUMENT_SOURCE,
  type Category,
  type DocumentRow,
  type DocumentStore,
  type SuggestionRow,
} from './documents-store.js';
import { LOINC, type FhirResource } from './fhir.js';
import { LAB_BY_KEY, loincFor, UCUM_SYSTEM, unitFromInput, unitsOf, type UnitDef } from './lab-catalog.js';
import { LINK_RESPONSE_HEADERS, linkAuthenticator, linkOf, type LinkSigner } from './links.js';
import { presentRecord } from './routes.js';
import type { MedicalStore } from './store.js';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export interface DocumentDeps {
  documents: DocumentStore;
  records: MedicalStore;
  fileCipher: DocumentCipher;
  textCipher: FieldCipher;
  extractor: DocumentExtractor;
  links: LinkSigner;
  revocations: SessionRevocations;
}

export const contentUrl = (id: string) => `api/v1/documents/${id}/content`;

export function presentDocument(row: DocumentRow) {
  return {
    id: row.id,
    title: row.title,
    category: row.category,
    document_date: row.document_date,
    filename: row.filename,
    media_type: row.media_type,
    size_bytes: Number(row.size_bytes),
    sha256: row.sha256,
    record_id: row.record_id ?? null,
    extraction: {
      status: row.extraction_status,
      method: row.extraction_method,
      reason: row.extraction_reason,
      pages: row.page_count,
      attempts: row.extraction_attempts,
      started_at: iso(row.extraction_started_at),
      finished_at: iso(row.extraction_finished_at),
    },
    content_url: contentUrl(row.id),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export function presentSuggestion(row: SuggestionRow) {
  return {
    ...row.suggestion,
    id: row.id,
    status: row.status,
    record_id: row.record_id,
    decided_at: iso(row.decided_at),
  };
}

const tooLarge = () =>
  new AppError(
    413,
    'payload_too_large',
    `The file is larger than ${S.MAX_DOCUMENT_BYTES} bytes (20 MiB), the limit of a document`,
    { limit_bytes: S.MAX_DOCUMENT_BYTES },
    { connection: 'close' },
  );

const ACCEPTED = 'PDF, PNG, JPEG, TIFF or WebP';

/** The file name as the client sent it, without any folder, control characters, or more than 255 characters. */
export function cleanFilename(name: string | undefined): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = [...base]
    .filter((c) => c.charCodeAt(0) > 0x1f && c.charCodeAt(0) !== 0x7f)
    .join('')
    .trim()
    .slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? null : clean;
}

/** A Content-Disposition that no file name can break out of (RFC 6266 with an RFC 8187 UTF-8 name). */
export function contentDisposition(
  filename: string | null,
  id: string,
  type: DocumentType,
  disposition: 'attachment' | 'inline' = 'attachment',
): string {
  const ext = EXTENSIONS[type];
  let name = filename ?? `document-${id}.${ext}`;
  if (!name.toLowerCase().endsWith(`.${ext}`) && !(type === 'image/jpeg' && /\.jpe?g$/i.test(name))) {
    name = `${name}.${ext}`;
  }
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function parseDocumentDate(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  const valid = date && date.toISOString().slice(0, 10) === text.trim();
  if (!valid) {
    throw validationError('document_date must be a date such as 2024-03-05', [
      { field: 'document_date', problem: 'must be a calendar date YYYY-MM-DD' },
    ]);
  }
  // A day of slack for time zones ahead of UTC.
  if (date.getTime() > Date.now() + 86_400_000) {
    throw validationError('document_date is in the future', [
      { field: 'document_date', problem: 'is in the future' },
    ]);
  }
  return text.trim();
}

interface Upload {
  bytes: Buffer;
  filename: string | null;
  fields: { title?: string; document_date?: string; category?: string };
}

const FIELDS = ['title', 'document_date', 'category'] as const;

async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'multipart_required',
      'Send the document as multipart/form-data with the file in the field "file"',
      [{ field: 'file', problem: 'is required as a multipart file field' }],
    );
  }
  let bytes: Buffer | null = null;
  let filename: string | null = null;
  const fields: Upload['fields'] = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw validationError(
            `Unexpected file field "${part.fieldname}": send the document in the field "file"`,
            [{ field: part.fieldname, problem: 'is not a field of this upload; the file goes in "file"' }],
          );
        }
        if (bytes !== null) {
          part.file.resume();
          throw validationError('Send one file per upload', [
            { field: 'file', problem: 'was sent more than once' },
          ]);
        }
        bytes = await part.toBuffer();
        filename = cleanFilename(part.filename);
      } else {
        const name = part.fieldname;
        if (!(FIELDS as readonly string[]).includes(name)) {
          throw validationError(`Unknown field "${name}": the fields are file, ${FIELDS.join(', ')}`, [
            { field: name, problem: `is not a field of this upload (file, ${FIELDS.join(', ')})` },
          ]);
        }
        const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
        fields[name as (typeof FIELDS)[number]] = value;
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    if (code === 'FST_FILES_LIMIT') {
      throw validationError('Send one file per upload', [
        { field: 'file', problem: 'was sent more than once' },
      ]);
    }
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw validationError(`Too many fields: the fields are file, ${FIELDS.join(', ')}`, [
        { field: 'body', problem: 'has too many parts' },
      ]);
    }
    if (code === 'FST_PROTO_VIOLATION' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
      throw validationError('The multipart body is malformed', [
        { field: 'body', problem: 'is not valid multipart' },
      ]);
    }
    throw new AppError(
      400,
      'upload_failed',
      'The upload was interrupted or malformed before the whole file arrived',
    );
  }
  if (bytes === null) {
    throw validationError('No file: send the document in the multipart field "file"', [
      { field: 'file', problem: 'is required' },
    ]);
  }
  return { bytes, filename, fields };
}

function metadataOf(fields: Upload['fields']): {
  title: string | null;
  category: Category;
  documentDate: string | null;
} {
  const title = fields.title?.trim() || null;
  // PostgreSQL text cannot hold a NUL: refused here rather than failing the insert (a 500).
  if (title?.includes('\u0000')) {
    throw validationError('title contains a NUL character', [
      { field: 'title', problem: 'must not contain a NUL (U+0000) character' },
    ]);
  }
  if (title && title.length > 200) {
    throw validationError('title is longer than 200 characters', [
      { field: 'title', problem: 'is longer than 200 characters' },
    ]);
  }
  const category = (fields.category?.trim() || 'other') as Category;
  if (!CATEGORIES.includes(category)) {
    throw validationError(`category must be one of ${CATEGORIES.join(', ')}`, [
      { field: 'category', problem: `must be one of ${CATEGORIES.join(', ')}` },
    ]);
  }
  const documentDate = fields.document_date?.trim() ? parseDocumentDate(fields.document_date) : null;
  return { title, category, documentDate };
}

/** Refuses what cannot be stored and read: wrong type, unreadable header, corrupt or locked PDF. */
async function inspect(bytes: Buffer): Promise<DocumentType> {
  const type = detectType(bytes);
  if (!type) {
    throw new AppError(
      415,
      'unsupported_file_type',
      `This file is not a ${ACCEPTED} (told from its content, not its name)`,
      {
        accepted: DOCUMENT_TYPES,
      },
    );
  }
  if (type === 'application/pdf') {
    let pdf;
    try {
      pdf = await openPdf(bytes);
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'PasswordException') {
        throw new AppError(
          422,
          'pdf_encrypted',
          'The PDF is protected by a password: upload a copy without one',
        );
      }
      throw new AppError(
        422,
        'corrupt_pdf',
        `The PDF is damaged and cannot be read: ${(err as Error).message}`,
      );
    }
    await pdf.loadingTask.destroy();
    return type;
  }
  const size = imageSize(type, bytes);
  if (!size || size.width === 0 || size.height === 0) {
    throw new AppError(
      422,
      'corrupt_image',
      `The ${EXTENSIONS[type].toUpperCase()} image is damaged: its size cannot be read`,
    );
  }
  if (size.width * size.height > MAX_OCR_PIXELS) {
    throw new AppError(
      422,
      'image_too_large',
      `The image is ${size.width}x${size.height} pixels; at most ${MAX_OCR_PIXELS / 1e6} million pixels can be read (e.g. A4 at 600 dpi)`,
      { width: size.width, height: size.height, max_pixels: MAX_OCR_PIXELS },
    );
  }
  return type;
}

function effectiveDate(text: string): string {
  const ok =
    /^\d{4}-\d{2}-\d{2}$/.test(text) ||
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const ms = ok ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
  if (Number.isNaN(ms) || (text.length === 10 && new Date(ms).toISOString().slice(0, 10) !== text)) {
    throw validationError('effective_date must be a date (2024-03-05) or an instant with an offset', [
      { field: 'effective_date', problem: 'must be YYYY-MM-DD or an ISO 8601 instant with an offset' },
    ]);
  }
  if (ms > Date.now() + 86_400_000) {
    throw validationError('effective_date is in the future', [
      { field: 'effective_date', problem: 'is in the future' },
    ]);
  }
  return text;
}

/** The FHIR Observation a confirmed suggestion becomes, stored through the service's FHIR import. */
function observationOf(
  row: SuggestionRow,
  documentId: string,
  unit: UnitDef,
  value: number | null,
  effective: string,
): FhirResource {
  const s = row.suggestion;
  const lab = LAB_BY_KEY.get(s.test)!;
  const loinc = loincFor(lab, unit.ucum, s.source.text)!;
  const quantity = (v: number, u: { ucum: string; display: string }) => ({
    value: v,
    unit: u.display,
    system: UCUM_SYSTEM,
    code: u.ucum,
  });
  // The printed range is in the printed unit, whatever unit the value was corrected to.
  const rangeUnit = s.unit ?? { ucum: unit.ucum, display: unit.display };
  const range = s.reference_range;
  const corrected = value !== s.value || unit.ucum !== s.unit?.ucum;
  return {
    resourceType: 'Observation',
    id: row.id,
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'laboratory',
            display: 'Laboratory',
          },
        ],
      },
    ],
    code: { coding: [{ system: LOINC, code: loinc.code, display: loinc.display }], text: lab.name },
    effectiveDateTime: effective,
    ...(value !== null
      ? { valueQuantity: quantity(value, unit) }
      : { valueString: `${s.value_text} ${unit.display}` }),
    ...(range
      ? {
          referenceRange: [
            {
              ...(range.low !== null ? { low: quantity(range.low, rangeUnit) } : {}),
              ...(range.high !== null ? { high: quantity(range.high, rangeUnit) } : {}),
              text: range.text,
            },
          ],
        }
      : {}),
    derivedFrom: [{ reference: `DocumentReference/${documentId}` }],
    note: [
      {
        text:
          `Read from an uploaded document (line ${s.source.line}: "${s.source.text}") and confirmed by the user` +
          (corrected
            ? `, who corrected the value or unit (printed: ${s.value_text} ${s.unit?.display ?? ''})`.trimEnd()
            : ''),
      },
    ],
  };
}

export async function registerDocumentRoutes(root: FastifyInstance, deps: DocumentDeps): Promise<void> {
  const { documents, records, fileCipher, textCipher, extractor, links } = deps;
  const tags = ['documents'];
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const detail = async (row: DocumentRow) => ({
    ...presentDocument(row),
    text: row.extracted_text ? textCipher.open(row.extracted_text) : null,
    suggestions: (await documents.suggestions([row.id])).map(presentSuggestion),
  });

  app.get(
    '/api/v1/documents',
    {
      schema: {
        tags,
        summary: 'My uploaded documents, newest first, with their extraction status',
        querystring: S.DocumentListQuery,
        response: { 200: S.DocumentList, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const limit = request.query.limit ?? 50;
      const cursor = request.query.cursor;
      let before: string | undefined;
      if (cursor !== undefined) {
        before = Buffer.from(cursor, 'base64url').toString('utf8');
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(before)) {
          throw validationError('cursor is not one this list gave out', [
            { field: 'cursor', problem: 'is not valid: pass next_cursor from the previous page unchanged' },
          ]);
        }
      }
      const rows = await documents.list(userId, limit + 1, before);
      const page = rows.slice(0, limit);
      return {
        items: page.map(presentDocument),
        next_cursor:
          rows.length > limit ? Buffer.from(page[page.length - 1]!.id).toString('base64url') : null,
      };
    },
  );

  app.get(
    '/api/v1/documents/:id',
    {
      schema: {
        tags,
        summary: 'One document: metadata, extraction status, extracted text and lab value suggestions',
        params: S.DocumentParams,
        response: { 200: S.DocumentDetail, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await documents.get(principalOf(request).userId, request.params.id);
      if (!row) throw notFound('No such document');
      return detail(row);
    },
  );

  app.post(
    '/api/v1/documents/:id/link',
    {
      schema: {
        tags,
        summary: 'A short-lived link that opens the original file without the bearer token',
        description:
          'The link (GET /api/v1/documents/{id}/content?link=...) works for this document only, for 5 minutes ' +
          'at most (never beyond the access token that asked for it), and stops at once when that sign-in ' +
          'ends (logout, account deletion). Through a link the file is served inline, to open in a browser tab.',
        params: S.DocumentParams,
        response: { 200: S.SignedLink, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!(await documents.get(principal.userId, request.params.id))) throw notFound('No such document');
      const { token, expiresAt } = links.sign('document', principal, request.params.id);
      return {
        url: `/medical-records/${contentUrl(request.params.id)}?link=${token}`,
        expires_at: expiresAt.toISOString(),
      };
    },
  );

  app.get(
    '/api/v1/documents/:id/content',
    {
      config: {
        signedLink: linkAuthenticator(
          links,
          deps.revocations,
          'document',
          (request) => (request.params as { id: string }).id,
        ),
      },
      schema: {
        tags,
        summary: 'The original file, byte for byte',
        description:
          'Takes the bearer token (served as an attachment) or a link from POST /api/v1/documents/{id}/link ' +
          '(?link=; served inline, to open in a browser tab). A link that has expired, was altered, is for ' +
          'another document or whose sign-in ended answers 401 (link_expired, link_invalid, ' +
          'link_other_resource, session_revoked).',
        params: S.DocumentParams,
        querystring: S.ContentQuery,
        response: { ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const found = await documents.content(userId, request.params.id);
      if (!found) throw notFound('No such document');
      const bytes = fileCipher.open(found.content, userId, request.params.id);
      const linked = linkOf(request) !== undefined;
      if (linked) reply.headers(LINK_RESPONSE_HEADERS);
      return reply
        .header('content-type', found.media_type)
        .header(
          'content-disposition',
          contentDisposition(
            found.filename,
            request.params.id,
            found.media_type,
            linked ? 'inline' : 'attachment',
          ),
        )
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(bytes);
    },
  );

  app.delete(
    '/api/v1/documents/:id',
    {
      schema: {
        tags,
        summary: 'Delete a document, its text and its suggestions (lab records already confirmed stay)',
        params: S.DocumentParams,
        response: { ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const deleted = await documents.delete(principalOf(request).userId, request.params.id);
      if (!deleted) throw notFound('No such document');
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/documents/:id/suggestions/:sid/confirm',
    {
      schema: {
        tags,
        summary:
          'Confirm a lab value found in the document: it becomes a lab record (flags computed by the server)',
        description:
          'Send {} to take the value as read, or correct it with value, unit (one of the units known for the ' +
          'test) and effective_date. A suggestion is confirmed once: a second confirm is a 409.',
        params: S.SuggestionParams,
        body: S.ConfirmBody,
        response: { 201: S.ConfirmResult, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const { id, sid } = request.params;
      const row = await documents.suggestion(userId, id, sid);
      if (!row) throw notFound('No such suggestion');
      const refuse = (current: SuggestionRow) => {
        if (current.status === 'confirmed') {
          return new AppError(409, 'already_confirmed', 'This suggestion is already confirmed', {
            record_id: current.record_id,
          });
        }
        if (current.status === 'rejected')
          return conflict('This suggestion was rejected', 'suggestion_rejected');
        return conflict('This suggestion is being confirmed by another request', 'confirmation_in_progress');
      };
      if (row.status !== 'pending' && row.status !== 'confirming') throw refuse(row);
      const s = row.suggestion;
      const lab = LAB_BY_KEY.get(s.test);
      if (!lab) throw new Error(`suggestion ${row.id} names an unknown test ${s.test}`);
      const body = request.body ?? {};
      const accepted = unitsOf(lab);
      let unit: UnitDef | undefined;
      if (body.unit !== undefined) {
        unit = unitFromInput(body.unit, accepted);
        if (!unit) {
          throw validationError(`unit "${body.unit}" is not a unit of ${lab.name}`, [
            { field: 'unit', problem: `must be one of ${accepted.join(', ')}` },
          ]);
        }
      } else if (s.unit) {
        unit = unitFromInput(s.unit.ucum, accepted);
      }
      if (!unit) {
        throw validationError(`No unit was printed with this value: say which (${accepted.join(', ')})`, [
          { field: 'unit', problem: `is required: one of ${accepted.join(', ')}` },
        ]);
      }
      const value = body.value ?? s.value;
      if (value !== null && (!Number.isFinite(value) || value < 0)) {
        throw validationError('value must be a number of zero or more', [
          { field: 'value', problem: 'must be a finite number, zero or more' },
        ]);
      }
      const effective = body.effective_date ?? s.effective_date;
      if (!effective) {
        throw validationError('The document gives no date for this result: send effective_date', [
          { field: 'effective_date', problem: 'is required: no collection date was found in the document' },
        ]);
      }
      const observation = observationOf(row, id, unit, value, effectiveDate(effective));
      const claimed = await documents.claimSuggestion(userId, id, sid);
      if (!claimed) {
        const current = await documents.suggestion(userId, id, sid);
        if (!current) throw notFound('No such suggestion');
        throw refuse(current);
      }
      let recordId: string;
      try {
        const report = await records.importFhir(userId, observation, DOCUMENT_SOURCE);
        const result = report.results[0];
        if (!result?.record_id || result.status === 'skipped') {
          throw new Error(`the lab record was not stored: ${result?.reason ?? 'no result'}`);
        }
        recordId = result.record_id;
      } catch (err) {
        await documents.releaseSuggestion(sid);
        throw err;
      }
      const confirmed = await documents.markConfirmed(sid, recordId);
      const record = await records.get(userId, recordId);
      if (!confirmed || !record) throw new Error('the confirmed suggestion or its record disappeared');
      return reply
        .status(201)
        .send({ suggestion: presentSuggestion(confirmed), record: presentRecord(record) });
    },
  );

  app.post(
    '/api/v1/documents/:id/suggestions/:sid/reject',
    {
      schema: {
        tags,
        summary: 'Dismiss a lab value found in the document',
        params: S.SuggestionParams,
        response: { 200: S.Suggestion, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const { id, sid } = request.params;
      const rejected = await documents.reject(userId, id, sid);
      if (rejected) return presentSuggestion(rejected);
      const current = await documents.suggestion(userId, id, sid);
      if (!current) throw notFound('No such suggestion');
      if (current.status === 'rejected') return presentSuggestion(current);
      throw new AppError(
        409,
        'already_confirmed',
        'This suggestion is confirmed: delete its lab record instead',
        {
          record_id: current.record_id,
        },
      );
    },
  );

  // The upload lives in a scope of its own: multipart only, and a body up to the document limit.
  await root.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    await scope.register(multipart, {
      limits: {
        fileSize: S.MAX_DOCUMENT_BYTES,
        files: 1,
        fields: FIELDS.length,
        parts: FIELDS.length + 1,
        fieldSize: 1024,
      },
    });
    // Any other content type reaches the handler, which names the problem.
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/v1/documents',
      {
        schema: {
          tags,
          summary: 'Upload a document (PDF, PNG, JPEG, TIFF, WebP) as multipart/form-data',
          description:
            `Fields: file (required, up to ${S.MAX_DOCUMENT_BYTES} bytes), title, document_date (YYYY-MM-DD), ` +
            `category (${CATEGORIES.join(', ')}; default other). The type is told from the file content. ` +
            'The file is stored encrypted; its text is extracted in the background (text layer, else OCR): ' +
            'follow extraction.status on GET /api/v1/documents/{id}. The same file uploaded again answers 200 ' +
            'with the document already stored.',
          response: {
            200: S.DocumentDetail,
            202: S.DocumentDetail,
            ...errorResponses(400, 401, 413, 415, 422),
          },
        },
      },
      async (request, reply) => {
        const userId = principalOf(request).userId;
        if (Number(request.headers['content-length'] ?? 0) > S.UPLOAD_BODY_LIMIT) throw tooLarge();
        const upload = await readUpload(request);
        if (upload.bytes.length === 0) {
          throw validationError('The file is empty', [{ field: 'file', problem: 'is empty' }]);
        }
        const meta = metadataOf(upload.fields);
        const mediaType = await inspect(upload.bytes);
        const sha256 = createHash('sha256').update(upload.bytes).digest('hex');
        const same = await documents.findSame(userId, sha256);
        if (same) return reply.status(200).send(await detail(same));
        const id = uuidv7();
        let row: DocumentRow;
        try {
          row = await documents.create(
            {
              id,
              userId,
              ...meta,
              filename: upload.filename,
              mediaType,
              bytes: upload.bytes,
              sealed: fileCipher.seal(upload.bytes, userId, id),
            },
            sha256,
          );
        } catch (err) {
          // The same file sent twice at once: the other request stored it.
          const raced =
            pgErrorCode(err) === PG_UNIQUE_VIOLATION ? await documents.findSame(userId, sha256) : undefined;
          if (raced) return reply.status(200).send(await detail(raced));
          throw err;
        }
        extractor.wake();
        reply.header('location', `api/v1/documents/${id}`);
        return reply.status(202).send(await detail(row));
      },
    );
  });
}
