import { Type, type TSchema } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { GLUCOSE_CONTEXTS, METRIC_TYPES } from './catalog.js';
import { GOAL_DIRECTIONS } from './goals.js';
import { BUCKETS } from './series.js';

const Strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const MAX_BATCH_ITEMS = 20_000;
/** A batch of 20,000 readings is about 3 MB of JSON. */
export const BATCH_BODY_LIMIT = 8 * 1024 * 1024;

const MetricTypeSchema = StringEnum(METRIC_TYPES, { description: 'A type from GET /api/v1/metrics/catalog' });
const Timestamp = Type.String({
  maxLength: 40,
  description: 'ISO 8601 date-time with a UTC offset, e.g. 2024-05-01T07:00:00+02:00; default: now',
});
const Source = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[ -~]+$',
  description: 'Where the reading comes from (printable ASCII), e.g. "apple_health"; default "manual"',
});
const BloodPressureValue = Type.Object(
  { systolic: Type.Number(), diastolic: Type.Number() },
  { ...Strict, description: 'Blood pressure: one systolic/diastolic reading' },
);
const Value = Type.Union([Type.Number(), BloodPressureValue]);
const Notes = Type.String({ maxLength: 2000 });

export const MetricBody = Type.Object(
  {
    metric_type: MetricTypeSchema,
    value: Value,
    unit: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'A unit the metric accepts: a plain name such as "bpm" or a UCUM code such as "/min"',
    }),
    timestamp: Type.Optional(Timestamp),
    source: Type.Optional(Source),
    context: Type.Optional(
      StringEnum(GLUCOSE_CONTEXTS, { description: 'blood_glucose only: when it was measured' }),
    ),
    notes: Type.Optional(Notes),
  },
  Strict,
);

export const MetricPatchBody = Type.Object(
  {
    metric_type: Type.Optional(MetricTypeSchema),
    value: Type.Optional(Value),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    timestamp: Type.Optional(Timestamp),
    source: Type.Optional(Source),
    context: Type.Optional(Nullable(StringEnum(GLUCOSE_CONTEXTS))),
    notes: Type.Optional(Nullable(Notes)),
  },
  { ...Strict, minProperties: 1 },
);

export const BatchBody = Type.Object(
  {
    items: Type.Array(MetricBody, {
      minItems: 1,
      maxItems: MAX_BATCH_ITEMS,
      description: 'Readings, each validated on its own; any invalid one and nothing is stored',
    }),
  },
  Strict,
);

const Classification = Type.Object({
  class: Type.String(),
  label: Type.String(),
  guideline: Type.String({ description: 'The guideline this class comes from' }),
  note: Type.Optional(Type.String()),
});

export const Metric = Type.Object({
  id: Nullable(Type.String({ format: 'uuid', description: 'null for device samples in series storage' })),
  metric_type: Type.String(),
  value: Value,
  unit: Type.String({ description: 'The unit of `value`, as sent' }),
  ucum_unit: Type.String({ description: 'UCUM code of `unit`' }),
  canonical_value: Value,
  canonical_unit: Type.String({ description: 'UCUM code of the canonical unit' }),
  timestamp: Type.String({ description: 'When measured, with the original UTC offset' }),
  source: Type.String(),
  context: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  storage: StringEnum(['entry', 'series'] as const, {
    description: 'entry: editable; series: device samples, removed by DELETE /api/v1/metrics/series',
  }),
  classification: Nullable(Classification),
  created_at: Nullable(Type.String({ format: 'date-time' })),
  updated_at: Nullable(Type.String({ format: 'date-time' })),
});

export const MetricPage = Type.Object({
  items: Type.Array(Metric),
  next_cursor: Nullable(Type.String()),
});

export const ListQuery = Type.Object(
  {
    metric_type: Type.Optional(
      Type.String({
        pattern: '^[a-z_]+(,[a-z_]+)*$',
        description: 'One type, or several separated by commas',
      }),
    ),
    source: Type.Optional(Source),
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Inclusive ISO 8601 instant' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Exclusive ISO 8601 instant' })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 5000,
        default: 50,
        description: 'Up to 5,000: two weeks of 5-minute CGM readings in one page',
      }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  Strict,
);

export const SeriesDeleteQuery = Type.Object(
  {
    metric_type: Type.Optional(MetricTypeSchema),
    source: Type.Optional(Source),
    from: Type.String({ maxLength: 40 }),
    to: Type.String({ maxLength: 40 }),
  },
  Strict,
);

export const SummaryQuery = Type.Object(
  {
    metric_type: MetricTypeSchema,
    bucket: Type.Optional(
      StringEnum(BUCKETS, { description: 'Default day; weeks start on Monday (ISO 8601)' }),
    ),
    from: Type.Optional(
      Type.String({ maxLength: 40, description: 'Inclusive; default: 30 days before `to`' }),
    ),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Exclusive; default: now' })),
    tz: Type.Optional(
      Type.String({ maxLength: 64, description: 'IANA time zone of the buckets; default UTC' }),
    ),
    source: Type.Optional(Source),
  },
  Strict,
);

const Stat = Type.Object({ min: Type.Number(), max: Type.Number(), mean: Type.Number() });
const BucketStats = Type.Object({
  start: Type.String({
    description: 'Bucket start in the requested time zone; it ends where the next begins',
  }),
  count: Type.Integer(),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  mean: Type.Optional(Type.Number()),
  sum: Type.Optional(Type.Number()),
  systolic: Type.Optional(Stat),
  diastolic: Type.Optional(Stat),
});

export const Summary = Type.Object({
  metric_type: Type.String(),
  unit: Type.String({ description: 'UCUM code: every figure is in the canonical unit' }),
  bucket: Type.String(),
  tz: Type.String(),
  from: Type.String(),
  to: Type.String(),
  buckets: Type.Array(BucketStats),
  overall: Nullable(BucketStats),
});

export const LatestList = Type.Object({ items: Type.Array(Metric) });

export const IngestResult = Type.Object({
  received: Type.Integer(),
  created: Type.Integer(),
  duplicates: Type.Integer({ description: 'Already stored (same type, source and time): nothing added' }),
  series_samples: Type.Integer({ description: 'How many of the created readings went to series storage' }),
  entries: Type.Array(Type.Object({ index: Type.Integer(), id: Type.String({ format: 'uuid' }) }), {
    description: 'Readings stored as editable entries (with notes, context, or blood pressure)',
  }),
});

export const SeriesDeleteResult = Type.Object({ deleted: Type.Integer() });

const RangeInfo = Type.Object({
  min: Type.Number(),
  max: Type.Number(),
  min_exclusive: Type.Boolean(),
  unit: Type.String(),
  source: Type.String(),
});

export const Catalog = Type.Object({
  items: Type.Array(
    Type.Object({
      metric_type: Type.String(),
      name: Type.String(),
      kind: Type.String(),
      canonical_unit: Type.Object({ ucum: Type.String(), name: Type.String() }),
      units: Type.Array(
        Type.Object({ ucum: Type.String(), names: Type.Array(Type.String()), to_canonical: Type.String() }),
      ),
      plausible_range: RangeInfo,
      diastolic_range: Type.Optional(RangeInfo),
      contexts: Type.Optional(Type.Array(Type.String())),
      molar_mass: Type.Optional(
        Type.Object({ value: Type.Number(), unit: Type.String(), source: Type.String() }),
      ),
      guideline: Nullable(Type.String()),
    }),
  ),
});

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

// ---- symptoms ------------------------------------------------------------------------------------

const SymptomName = Type.String({ minLength: 1, maxLength: 200 });
const Severity = Type.Integer({
  minimum: 1,
  maximum: 10,
  description: '1 (barely noticeable) to 10 (worst)',
});
const Duration = Type.Integer({ minimum: 0, maximum: 525_600, description: 'Minutes (at most a year)' });

export const SymptomBody = Type.Object(
  {
    symptom: SymptomName,
    severity: Severity,
    onset: Type.Optional(Timestamp),
    duration_minutes: Type.Optional(Nullable(Duration)),
    notes: Type.Optional(Nullable(Notes)),
  },
  Strict,
);

export const SymptomPatchBody = Type.Object(
  {
    symptom: Type.Optional(SymptomName),
    severity: Type.Optional(Severity),
    onset: Type.Optional(Timestamp),
    duration_minutes: Type.Optional(Nullable(Duration)),
    notes: Type.Optional(Nullable(Notes)),
  },
  { ...Strict, minProperties: 1 },
);

export const Symptom = Type.Object({
  id: Type.String({ format: 'uuid' }),
  symptom: Type.String(),
  severity: Type.Integer(),
  onset: Type.String(),
  duration_minutes: Nullable(Type.Integer()),
  notes: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const SymptomQuery = Type.Object(
  {
    symptom: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive match' }),
    ),
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Onset at or after' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Onset before' })),
    min_severity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  Strict,
);

export const SymptomPage = Type.Object({ items: Type.Array(Symptom), next_cursor: Nullable(Type.String()) });

// ---- goals ---------------------------------------------------------------------------------------

const DateOnly = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

export const GoalBody = Type.Object(
  {
    metric_type: MetricTypeSchema,
    direction: StringEnum(GOAL_DIRECTIONS),
    target_value: Type.Number(),
    unit: Type.String({ minLength: 1, maxLength: 32 }),
    deadline: DateOnly,
    baseline_value: Type.Optional(
      Type.Number({ description: 'Where you start; default: your latest reading of this metric' }),
    ),
    tolerance: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'maintain goals: the allowed distance from the target',
      }),
    ),
    title: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    notes: Type.Optional(Nullable(Notes)),
  },
  Strict,
);

export const GoalPatchBody = Type.Object(
  {
    direction: Type.Optional(StringEnum(GOAL_DIRECTIONS)),
    target_value: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    deadline: Type.Optional(DateOnly),
    baseline_value: Type.Optional(Nullable(Type.Number())),
    tolerance: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0 }))),
    title: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    notes: Type.Optional(Nullable(Notes)),
  },
  { ...Strict, minProperties: 1 },
);

export const Goal = Type.Object({
  id: Type.String({ format: 'uuid' }),
  metric_type: Type.String(),
  direction: Type.String(),
  target_value: Type.Number(),
  baseline_value: Nullable(Type.Number()),
  tolerance: Nullable(Type.Number()),
  unit: Type.String(),
  deadline: Type.String(),
  title: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  progress: Type.Object({
    status: Type.String(),
    achieved: Type.Boolean(),
    progress_percent: Nullable(Type.Number()),
    current_value: Nullable(Type.Number({ description: 'Latest reading, in the goal unit' })),
    current_at: Nullable(Type.String()),
    remaining: Nullable(Type.Number({ description: 'Still to go, in the goal unit' })),
  }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const GoalQuery = Type.Object(
  {
    metric_type: Type.Optional(MetricTypeSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  Strict,
);

export const GoalPage = Type.Object({ items: Type.Array(Goal), next_cursor: Nullable(Type.String()) });
