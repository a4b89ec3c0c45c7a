import { Type, type TSchema } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { DOCUMENT_TYPES } from './documents-detect.js';
import { CATEGORIES } from './documents-store.js';
import { RecordSummary } from './schemas.js';

export { SignedLink } from './export-schemas.js';

/** The largest file accepted: 20 MiB (a long scanned report at 300 dpi fits). */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** The request around it: the multipart framing and the metadata fields. */
export const UPLOAD_BODY_LIMIT = MAX_DOCUMENT_BYTES + 64 * 1024;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const DocumentParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const ContentQuery = Type.Object(
  {
    link: Type.Optional(
      Type.String({
        description:
          'A signed link token from POST /api/v1/documents/{id}/link, in place of the bearer token',
      }),
    ),
  },
  { additionalProperties: false },
);
export const SuggestionParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sid: Type.String({ format: 'uuid' }),
});
export const DocumentListQuery = Type.Object({
  cursor: Type.Optional(Type.String({ description: 'next_cursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

const Extraction = Type.Object({
  status: StringEnum(['pending', 'processing', 'done', 'failed'] as const, {
    description: 'Text extraction runs in the background after the upload',
  }),
  method: Nullable(StringEnum(['text_layer', 'ocr', 'text_layer_and_ocr'] as const)),
  reason: Nullable(Type.String({ description: 'Why extraction failed, or what it could not read' })),
  pages: Nullable(Type.Integer()),
  attempts: Type.Integer(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
});

export const DocumentSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Nullable(Type.String()),
  category: StringEnum(CATEGORIES),
  document_date: Nullable(Type.String({ description: 'The date of the document (YYYY-MM-DD), as given' })),
  filename: Nullable(Type.String()),
  media_type: StringEnum(DOCUMENT_TYPES, { description: 'Decided from the file content' }),
  size_bytes: Type.Integer(),
  sha256: Type.String(),
  record_id: Nullable(Type.String({ description: 'The record (type document) listing it in GET /records' })),
  extraction: Extraction,
  content_url: Type.String({
    description: 'Where the original file is downloaded (relative to the service)',
  }),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const Quantityish = Type.Object({ ucum: Type.String(), display: Type.String() });

export const Suggestion = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: StringEnum(['pending', 'confirming', 'confirmed', 'rejected'] as const),
  record_id: Nullable(Type.String({ description: 'The lab record created when confirmed' })),
  decided_at: Nullable(Type.String()),
  test: Type.String(),
  name: Type.String(),
  printed_name: Type.String(),
  loinc: Nullable(Type.Object({ code: Type.String(), display: Type.String() })),
  value: Nullable(Type.Number()),
  comparator: Nullable(Type.String()),
  value_text: Type.String({ description: 'The value as printed' }),
  unit: Nullable(Quantityish),
  reference_range: Nullable(
    Type.Object({ low: Nullable(Type.Number()), high: Nullable(Type.Number()), text: Type.String() }),
  ),
  effective_date: Nullable(Type.String()),
  source: Type.Object({ line: Type.Integer(), text: Type.String() }),
  notes: Type.Array(Type.String()),
});

export const DocumentDetail = Type.Intersect([
  DocumentSummary,
  Type.Object({
    text: Nullable(Type.String({ description: 'The extracted text, once extraction is done' })),
    suggestions: Type.Array(Suggestion, {
      description: 'Lab values found in the text, for the user to confirm or reject',
    }),
  }),
]);

export const DocumentList = Type.Object({
  items: Type.Array(DocumentSummary),
  next_cursor: Nullable(Type.String()),
});

export const ConfirmBody = Type.Object(
  {
    value: Type.Optional(
      Type.Number({ description: 'The corrected value, when the suggestion read it wrong' }),
    ),
    unit: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 40,
        description: 'The corrected unit (UCUM code or usual spelling)',
      }),
    ),
    effective_date: Type.Optional(
      Type.String({
        description: 'When the sample was taken (YYYY-MM-DD or an ISO 8601 instant with offset)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ConfirmResult = Type.Object({ suggestion: Suggestion, record: RecordSummary });
