import { Type } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { RECORD_TYPES } from './fhir.js';

/** FHIR uploads: the Synthea patient bundles reach 700 KB; leave room for long histories. */
export const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;
export const MAX_PAGE = 500;

export const RecordTypeSchema = StringEnum(RECORD_TYPES);

export const ListQuery = Type.Object({
  type: Type.Optional(
    Type.String({ description: `One or more of ${RECORD_TYPES.join(', ')}, comma-separated` }),
  ),
  from: Type.Optional(Type.String({ description: 'ISO 8601 instant; records effective at or after it' })),
  to: Type.Optional(Type.String({ description: 'ISO 8601 instant; records effective before it' })),
  cursor: Type.Optional(Type.String({ description: 'next_cursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 })),
});

const Quantity = Type.Object({
  value: Type.Number(),
  unit: Type.Union([Type.String(), Type.Null()]),
  code: Type.Union([Type.String(), Type.Null()]),
});
const NullableQuantity = Type.Union([Quantity, Type.Null()]);

export const Flags = Type.Object({
  flag: Type.Union([StringEnum(['LL', 'L', 'N', 'H', 'HH'] as const), Type.Null()], {
    description: 'Computed by the server (HL7 v3 interpretation codes); never taken from the upload',
  }),
  abnormal: Type.Union([Type.Boolean(), Type.Null()]),
  critical: Type.Boolean(),
  reference_range: Type.Union([
    Type.Object({
      low: NullableQuantity,
      high: NullableQuantity,
      text: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  critical_limits: Type.Union([
    Type.Object({
      low: Type.Union([Type.Number(), Type.Null()]),
      high: Type.Union([Type.Number(), Type.Null()]),
      unit: Type.String(),
      source: Type.String(),
    }),
    Type.Null(),
  ]),
  note: Type.Union([Type.String(), Type.Null()]),
});

export const Measurement = Type.Object({
  value: NullableQuantity,
  value_text: Type.Union([Type.String(), Type.Null()]),
  components: Type.Array(
    Type.Object({
      code: Type.Union([Type.String(), Type.Null()]),
      display: Type.String(),
      value: NullableQuantity,
    }),
  ),
  source_interpretation: Type.Array(Type.String(), {
    description: 'The interpretation the source sent, kept as given; the flags do not use it',
  }),
  flags: Type.Union([Flags, Type.Null()]),
});

export const RecordSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  record_type: RecordTypeSchema,
  resource_type: Type.String(),
  source: Type.Object({ system: Type.String(), id: Type.String() }),
  effective_at: Type.Union([Type.String(), Type.Null()]),
  effective_text: Type.Union([Type.String(), Type.Null()]),
  display: Type.String(),
  code: Type.Union([
    Type.Object({
      system: Type.Union([Type.String(), Type.Null()]),
      code: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  status: Type.Union([Type.String(), Type.Null()]),
  measurement: Type.Union([Measurement, Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const RecordDetail = Type.Intersect([
  RecordSummary,
  Type.Object({ resource: Type.Unknown({ description: 'The original FHIR resource, unchanged' }) }),
]);

export const RecordList = Type.Object({
  items: Type.Array(RecordSummary),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ImportQuery = Type.Object({
  source: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'The system the resources come from (default "fhir-upload"); meta.source overrides it per resource',
    }),
  ),
});

export const FhirBody = Type.Object(
  { resourceType: Type.String({ minLength: 1 }) },
  { additionalProperties: true, description: 'A FHIR R4 Bundle (any type, nested too) or a single resource' },
);

const ImportStatus = StringEnum(['imported', 'updated', 'unchanged', 'skipped'] as const);

export const ImportReport = Type.Object({
  source_system: Type.String(),
  counts: Type.Object({
    imported: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    skipped: Type.Integer(),
  }),
  results: Type.Array(
    Type.Object({
      path: Type.String(),
      resource_type: Type.Union([Type.String(), Type.Null()]),
      source_id: Type.Union([Type.String(), Type.Null()]),
      status: ImportStatus,
      record_type: Type.Union([Type.String(), Type.Null()]),
      record_id: Type.Union([Type.String(), Type.Null()]),
      reason: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const LoincParams = Type.Object({ loinc: Type.String({ pattern: '^[0-9]{1,7}-[0-9]$' }) });
export const HistoryQuery = Type.Object({
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
});
export const LabHistory = Type.Object({
  loinc: Type.String(),
  display: Type.Union([Type.String(), Type.Null()]),
  points: Type.Array(
    Type.Object({
      record_id: Type.String(),
      effective_at: Type.String(),
      value: NullableQuantity,
      value_text: Type.Union([Type.String(), Type.Null()]),
      flags: Type.Union([Flags, Type.Null()]),
    }),
  ),
});
