import { rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { AppError, notFound, validationError } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { decodeCursor, encodeCursor } from './device-routes.js';
import { presentImport, spool, tooLarge, type Imports } from './imports.js';
import { detectFormat, FORMAT_NAMES, IMPORT_FORMATS, type ImportFormat } from './parsers/detect.js';
import type { ParseOptions } from './parsers/types.js';
import * as S from './schemas.js';
import { isTimeZone } from '../../platform/time.js';

const NEEDS_TIMEZONE: readonly ImportFormat[] = ['dexcom_clarity_csv', 'fitbit_csv'];

export async function registerImportRoutes(
  root: FastifyInstance,
  imports: Imports,
  maxBytes: number,
): Promise<void> {
  const tags = ['imports'];

  const readRoutes = root.withTypeProvider<TypeBoxTypeProvider>();
  readRoutes.get(
    '/api/v1/imports',
    {
      schema: {
        tags,
        summary: 'My file imports, newest first',
        querystring: S.PageQuery,
        response: { 200: S.ImportPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      const rows = await imports.list(userId, limit + 1, before);
      const page = rows.slice(0, limit);
      return {
        items: page.map(presentImport),
        next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    },
  );

  readRoutes.get(
    '/api/v1/imports/:id',
    {
      schema: {
        tags,
        summary: 'One import: status, progress, counts and the problems found (with their line)',
        params: S.IdParams,
        response: { 200: S.Import, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await imports.get(principalOf(request).userId, request.params.id);
      if (!row) throw notFound('No such import');
      return presentImport(row);
    },
  );

  // Uploads live in a scope of their own: the body is streamed to disk as it arrives, whatever its type.
  await root.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 0, parts: 2 } });
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/api/v1/imports',
      {
        schema: {
          tags,
          summary: 'Import a file: Apple Health, Dexcom Clarity, Fitbit or Nightscout',
          description:
            `Send the file as the body (any content type) or as the "file" field of multipart/form-data. ` +
            `Recognised from its content: ${IMPORT_FORMATS.map((f) => FORMAT_NAMES[f]).join('; ')}. ` +
            `Up to ${maxBytes} bytes. It is read in the background: follow GET /api/v1/imports/{id}. ` +
            'Each source record becomes one reading: importing the same file again adds nothing.',
          querystring: S.ImportQuery,
          response: { 200: S.Import, 202: S.Import, ...errorResponses(400, 401, 413, 415) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const userId = principal.userId;
        // The import runs later, without this request: it acts for the user with the role they have now.
        const owner = { userId, role: principal.role };
        const q = request.query;
        if (q.timezone !== undefined && !isTimeZone(q.timezone)) {
          throw validationError(`Invalid querystring: timezone "${q.timezone}" is not an IANA time zone`, [
            { field: 'timezone', problem: 'must be an IANA time zone such as Europe/Paris' },
          ]);
        }
        const declared = Number(request.headers['content-length'] ?? 0);
        if (declared > maxBytes) throw tooLarge(maxBytes);
        let stream: Readable;
        let filename = q.filename ?? null;
        if (request.isMultipart()) {
          const part = await request.file();
          if (!part || part.fieldname !== 'file') {
            throw validationError('Send the file in the multipart field "file"', [
              { field: 'file', problem: 'is required' },
            ]);
          }
          stream = part.file;
          filename ??= part.filename || null;
        } else {
          stream = request.raw;
        }
        const id = imports.newId();
        const path = imports.spoolPath(id);
        let spooled;
        try {
          spooled = await spool(stream, path, maxBytes);
        } catch (err) {
          if (err instanceof AppError) throw err;
          const code = (err as { code?: string }).code;
          if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
          throw new AppError(
            400,
            'upload_failed',
            'The upload was interrupted before the whole file arrived',
          );
        }
        if ((stream as Readable & { truncated?: boolean }).truncated) {
          rmSync(path, { force: true });
          throw tooLarge(maxBytes);
        }
        if (spooled.size === 0) {
          rmSync(path, { force: true });
          throw validationError('The file is empty', [{ field: 'file', problem: 'is empty' }]);
        }
        const format = detectFormat(spooled.head) ?? q.format;
        if (!format) {
          rmSync(path, { force: true });
          throw new AppError(
            415,
            'unsupported_file',
            `This is not a file this importer reads. Accepted: ${IMPORT_FORMATS.map((f) => FORMAT_NAMES[f]).join('; ')}`,
            { accepted_formats: IMPORT_FORMATS },
          );
        }
        if (NEEDS_TIMEZONE.includes(format) && q.timezone === undefined) {
          rmSync(path, { force: true });
          throw validationError(
            `A ${FORMAT_NAMES[format]} holds local times without an offset: say which time zone the device was set to with ?timezone= (e.g. Europe/Paris)`,
            [{ field: 'timezone', problem: 'is required for this file' }],
          );
        }
        const options: ParseOptions = {
          ...(q.timezone !== undefined ? { timezone: q.timezone } : {}),
          ...(q.fitbit_user_id !== undefined ? { fitbitUserId: q.fitbit_user_id } : {}),
        };
        const file = {
          format,
          filename: filename?.slice(0, 255) ?? null,
          size: spooled.size,
          sha256: spooled.sha256,
        };
        const previous = q.force ? undefined : await imports.sameFile(userId, spooled.sha256);
        if (previous) {
          rmSync(path, { force: true });
          const row = await imports.create(owner, id, file, options, previous);
          return reply.status(200).send(presentImport(row));
        }
        const row = await imports.create(owner, id, file, options);
        imports.enqueue(id);
        reply.header('location', `api/v1/imports/${id}`);
        return reply.status(202).send(presentImport(row));
      },
    );
  });
}
