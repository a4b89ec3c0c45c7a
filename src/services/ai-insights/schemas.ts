import { Type, type TSchema } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { KINDS, SEVERITIES, SOURCES } from './insight.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const Quantity = Type.Object({
  value: Type.Number(),
  unit: Type.String({ description: 'UCUM unit; "1" for a ratio or a statistic' }),
});

export const Insight = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Stable across recomputations of the same finding' }),
  kind: StringEnum(KINDS),
  title: Type.String(),
  explanation: Type.String({ description: 'Plain language: what the data show and what the guideline says' }),
  severity: StringEnum(SEVERITIES),
  status: StringEnum(['active', 'dismissed'] as const),
  metric_types: Type.Array(Type.String(), {
    description: 'Health-tracking metric types, or loinc:<code> for a lab test',
  }),
  evidence: Type.Object({
    from: Type.String({ description: 'Start of the data used (ISO 8601)' }),
    to: Type.String({ description: 'End of the data used (ISO 8601)' }),
    sample_count: Type.Integer({ description: 'Readings (or days, pairs, meals, results) the rule used' }),
    record_ids: Type.Array(Type.String(), {
      description: 'Ids of the records used where they have one (entries, meals, medical records)',
    }),
    values: Type.Record(Type.String(), Quantity, {
      description: 'The figures behind the insight, each with its unit',
    }),
  }),
  rule: Type.Object({
    id: Type.String(),
    name: Type.String(),
    citation: Type.String({ description: 'The guideline or paper the rule follows' }),
  }),
  dismissed_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const Source = Type.Object({
  service: StringEnum(SOURCES),
  status: StringEnum(['ok', 'partial', 'unavailable', 'not_needed'] as const, {
    description:
      'partial or unavailable: some data could not be read, and the insights from it are those of an earlier computation',
  }),
  message: Nullable(Type.String()),
});

export const InsightList = Type.Object({
  insights: Type.Array(Insight),
  narrative: Nullable(
    Type.Object(
      {
        text: Type.String(),
        model: Type.String(),
        generated_at: Type.String({ format: 'date-time' }),
      },
      { description: 'A short summary of the active insights by a language model, when one is configured' },
    ),
  ),
  generated_at: Type.String({ format: 'date-time', description: 'When the insights were computed' }),
  stale: Type.Boolean({
    description:
      'New data arrived while computing, or a source could not be read: some insights may be behind',
  }),
  sources: Type.Array(Source),
  disclaimer: Type.String(),
});

const csv = (values: readonly string[], what: string) =>
  Type.String({
    pattern: `^(${values.join('|')})(,(${values.join('|')}))*$`,
    description: `One or more ${what}, comma-separated: ${values.join(', ')}`,
  });

export const ListQuery = Type.Object(
  {
    include_dismissed: Type.Optional(Type.Boolean({ default: false })),
    kind: Type.Optional(csv(KINDS, 'kinds')),
    severity: Type.Optional(csv(SEVERITIES, 'severities')),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
