import { Type, type TSchema } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { Flags } from './schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ExportQuery = Type.Object(
  {
    vitals: Type.Optional(
      StringEnum(['latest', 'none'] as const, {
        description:
          'latest (default): add the latest reading of each vital sign from health-tracking as vital-signs ' +
          'Observations; none: only what this service keeps',
      }),
    ),
  },
  { additionalProperties: false },
);

export const FhirBundle = Type.Object(
  {
    resourceType: Type.Literal('Bundle'),
    id: Type.String(),
    type: Type.Literal('collection'),
    timestamp: Type.String(),
    entry: Type.Array(
      Type.Object({
        fullUrl: Type.String({ description: 'urn:uuid:...; every reference in the Bundle points to one' }),
        resource: Type.Object(
          { resourceType: Type.String() },
          { additionalProperties: true, description: 'A FHIR R4 resource' },
        ),
      }),
    ),
  },
  { additionalProperties: true, description: 'A FHIR R4 Bundle of type collection (application/fhir+json)' },
);

export const SummaryQuery = Type.Object(
  {
    labs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 200,
        description:
          'How many analytes to list (the latest result of each, newest first); default 20 (15 on the HTML page)',
      }),
    ),
    link: Type.Optional(
      Type.String({
        description:
          'A signed link token from POST /api/v1/summary/link, in place of the bearer token (summary.html only)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SignedLink = Type.Object({
  url: Type.String({
    description:
      'Path on the API origin (through the gateway) that opens the resource without a bearer token, e.g. in a new browser tab',
  }),
  expires_at: Type.String({ format: 'date-time', description: 'When the link stops working' }),
});

const Coded = Nullable(Type.Object({ system: Nullable(Type.String()), code: Nullable(Type.String()) }));
const Quantity = Type.Object({
  value: Type.Number(),
  unit: Nullable(Type.String()),
  code: Nullable(Type.String()),
});
const Note = Nullable(Type.String({ description: 'Why a record with an unusual status is shown' }));
const BloodPressure = Type.Object({ systolic: Type.Number(), diastolic: Type.Number() });

export const PatientSummary = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  patient: Type.Object({
    name: Nullable(Type.String()),
    birth_date: Nullable(Type.String()),
    age_years: Nullable(Type.Integer()),
    gender: Nullable(Type.String()),
    deceased: Type.Boolean(),
    source: Nullable(StringEnum(['fhir-patient', 'profile'] as const)),
  }),
  problems: Type.Array(
    Type.Object({
      record_id: Type.String({ format: 'uuid' }),
      display: Type.String(),
      code: Coded,
      clinical_status: Nullable(Type.String()),
      verification_status: Nullable(Type.String()),
      onset: Nullable(Type.String()),
      recorded_date: Nullable(Type.String()),
      note: Note,
    }),
    {
      description:
        'Conditions that are active, recurrent or relapsed; refuted and entered-in-error ones excluded',
    },
  ),
  medications: Type.Array(
    Type.Object({
      record_id: Type.String({ format: 'uuid' }),
      resource_type: Type.String(),
      display: Type.String(),
      code: Coded,
      status: Nullable(Type.String()),
      dosage: Nullable(Type.String()),
      date: Nullable(Type.String()),
      note: Note,
    }),
    { description: 'Active or on-hold MedicationRequests and MedicationStatements; stopped ones excluded' },
  ),
  allergies: Type.Array(
    Type.Object({
      record_id: Type.String({ format: 'uuid' }),
      display: Type.String(),
      code: Coded,
      clinical_status: Nullable(Type.String()),
      verification_status: Nullable(Type.String()),
      criticality: Nullable(Type.String()),
      categories: Type.Array(Type.String()),
      reactions: Type.Array(
        Type.Object({ manifestations: Type.Array(Type.String()), severity: Nullable(Type.String()) }),
      ),
      note: Note,
    }),
  ),
  labs: Type.Array(
    Type.Object({
      record_id: Type.String({ format: 'uuid' }),
      display: Type.String(),
      code: Coded,
      status: Nullable(Type.String()),
      effective_at: Nullable(Type.String()),
      effective_text: Nullable(Type.String()),
      value: Nullable(Quantity),
      value_text: Nullable(Type.String()),
      components: Type.Array(
        Type.Object({ code: Nullable(Type.String()), display: Type.String(), value: Nullable(Quantity) }),
      ),
      flags: Nullable(Flags),
    }),
    { description: 'The latest valid result of each analyte, newest first, with the flags computed here' },
  ),
  vitals: Type.Object({
    status: StringEnum(['ok', 'unavailable'] as const),
    message: Nullable(Type.String()),
    items: Type.Array(
      Type.Object({
        metric_type: Type.String(),
        name: Type.String(),
        value: Type.Union([Type.Number(), BloodPressure]),
        unit: Type.String({ description: 'UCUM code' }),
        timestamp: Type.String(),
        source: Type.String(),
        classification: Nullable(
          Type.Object({ class: Type.String(), label: Type.String(), guideline: Type.String() }),
        ),
      }),
    ),
  }),
  excluded: Type.Object({
    problems: Type.Integer(),
    medications: Type.Integer(),
    allergies: Type.Integer(),
  }),
  sources: Type.Array(
    Type.Object({
      name: Type.String(),
      status: StringEnum(['ok', 'unavailable', 'not-used'] as const),
      detail: Type.String(),
    }),
  ),
});
