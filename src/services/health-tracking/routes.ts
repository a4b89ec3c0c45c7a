import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import type { Queryable } from '../../platform/db/db.js';
import { pgErrorCode } from '../../platform/db/db.js';
import { appendEvent } from '../../platform/events/outbox.js';
import { conflict, describeValidation, notFound, validationError } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { CATALOG, displayUnit, metricDef, METRIC_TYPES } from './catalog.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { idempotent } from './idempotency.js';
import { normalizeReading, type Problem, type Reading, type ReadingInput } from './readings.js';
import {
  BUCKETS,
  DAY_MS,
  MAX_BUCKETS,
  bucketCountBound,
  combineStats,
  type Bucket,
  type BucketStats,
} from './series.js';
import * as S from './schemas.js';
import { presentEntry, type EntryRow, type HealthStore, type ItemKey } from './store.js';
import { isTimeZone } from '../../platform/time.js';
import { formatInstant, parseInstant } from './time.js';
import { resolveUnit, tidy } from './units.js';

export const SERVICE = 'health-tracking';

/** Appends a CloudEvent to `health-events` in the caller's transaction. Data: ids, types, times; never notes. */
export function emit(tx: Queryable, userId: string, type: string, data: Record<string, unknown>) {
  return appendEvent(tx, SERVICE, {
    topic: 'health-events',
    type: `org.pha.health.${type}`,
    subject: userId,
    data,
  });
}

/** The problems of a reading as one 400, each naming its field. */
export function invalid(problems: Problem[]): never {
  throw validationError(
    `Invalid body: ${problems.map((p) => `${p.field} ${p.problem}`).join('; ')}`,
    problems,
  );
}

/** A query-string instant, or a 400 naming the parameter. */
export function queryInstant(text: string, field: string): number {
  const parsed = parseInstant(text);
  if ('problem' in parsed) {
    throw validationError(`Invalid querystring: ${field} ${parsed.problem}`, [
      { field, problem: parsed.problem },
    ]);
  }
  return parsed.ms;
}

function checkRange(fromMs: number | undefined, toMs: number | undefined) {
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    throw validationError('Invalid querystring: from must be before to', [
      { field: 'from', problem: 'must be before to' },
    ]);
  }
}

const ISO = (ms: number) => new Date(ms).toISOString();
const sig = (x: number) => tidy(x, 7);

function inputOf(row: EntryRow): ReadingInput {
  const def = metricDef(row.metric_type)!;
  return {
    metric_type: row.metric_type,
    value:
      def.kind === 'blood_pressure'
        ? { systolic: row.input_value, diastolic: row.input_value2! }
        : row.input_value,
    unit: row.input_unit,
    source: row.source,
    ...(row.context ? { context: row.context } : {}),
    ...(row.notes ? { notes: row.notes } : {}),
  };
}

const sameReading = (row: EntryRow, r: Reading) =>
  row.input_value === r.inputValue &&
  row.input_value2 === r.inputValue2 &&
  row.input_unit === r.inputUnit &&
  row.context === r.context &&
  row.notes === r.notes;

type AjvIssue = Parameters<typeof describeValidation>[1][number];

export function registerMetricRoutes(root: FastifyInstance, store: HealthStore): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['metrics'];

  /** The same (type, source, time) in either storage, other than entry `exceptId`, is a conflict. */
  async function assertIdentityFree(tx: Queryable, userId: string, r: Reading, exceptId?: string) {
    const other = await store.entryByIdentity(tx, userId, r.type, r.source, r.ms);
    const taken =
      (other !== undefined && other.id !== exceptId) ||
      (await store.sampleExists(tx, userId, r.type, r.source, r.ms));
    if (taken) {
      throw conflict(
        `A ${r.type} reading from source "${r.source}" at ${formatInstant(r.ms, r.offsetMinutes)} is already stored` +
          (other ? `: change it with PUT /api/v1/metrics/${other.id}` : ''),
        'duplicate_reading',
      );
    }
  }

  app.get(
    '/api/v1/metrics/catalog',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Metric types: canonical unit, accepted units and their conversions, plausible range',
        security: [],
        response: { 200: S.Catalog },
      },
    },
    async () => ({
      items: CATALOG.map((def) => {
        const range = (r: NonNullable<typeof def.diastolicRange>) => ({
          min: r.min,
          max: r.max,
          min_exclusive: r.minExclusive ?? false,
          unit: def.canonical,
          source: r.source,
        });
        return {
          metric_type: def.type,
          name: def.name,
          kind: def.kind,
          canonical_unit: { ucum: def.canonical, name: displayUnit(def) },
          units: def.units.map((u) => {
            const linear = resolveUnit(def, u.ucum)!.toCanonical;
            const offset =
              linear.offset === 0
                ? ''
                : ` ${linear.offset < 0 ? '-' : '+'} ${tidy(Math.abs(linear.offset), 10)}`;
            return {
              ucum: u.ucum,
              names: [...u.names],
              to_canonical: `${def.canonical} = ${tidy(linear.scale, 10)} x value${offset}`,
            };
          }),
          plausible_range: range(def.range),
          ...(def.diastolicRange ? { diastolic_range: range(def.diastolicRange) } : {}),
          ...(def.contexts ? { contexts: [...def.contexts] } : {}),
          ...(def.molarMass
            ? { molar_mass: { value: def.molarMass.value, unit: 'g/mol', source: def.molarMass.source } }
            : {}),
          guideline: def.guideline ?? null,
        };
      }),
    }),
  );

  app.post(
    '/api/v1/metrics',
    {
      schema: {
        tags,
        summary: 'Record a reading',
        description:
          'Validated against the catalogue (unit, plausible range) and stored in the canonical unit. ' +
          'The same type, source and time again answers 200 with the stored reading (409 if its value ' +
          'differs). Honours Idempotency-Key.',
        body: S.MetricBody,
        response: { 200: S.Metric, 201: S.Metric, ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const r = normalizeReading(request.body);
      if ('problems' in r) invalid(r.problems);
      return idempotent(store, request, reply, userId, async (tx) => {
        const existing = await store.entryByIdentity(tx, userId, r.type, r.source, r.ms);
        if (existing && sameReading(existing, r)) return { status: 200, body: presentEntry(existing) };
        await assertIdentityFree(tx, userId, r);
        const row = await store.insertEntry(tx, userId, r);
        await emit(tx, userId, 'metric.recorded', {
          entry_id: row.id,
          metric_type: r.type,
          source: r.source,
          time_range: { from: ISO(r.ms), to: ISO(r.ms) },
        });
        return { status: 201, body: presentEntry(row) };
      });
    },
  );

  app.post(
    '/api/v1/metrics/batch',
    {
      attachValidation: true,
      bodyLimit: S.BATCH_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Record many readings at once (all or nothing)',
        description:
          `Up to ${S.MAX_BATCH_ITEMS} readings, each validated on its own; if any is invalid nothing is ` +
          'stored and every problem is listed with its index. Readings already stored (same type, source ' +
          'and time) are counted as duplicates and add nothing. Honours Idempotency-Key.',
        body: S.BatchBody,
        response: { 200: S.IngestResult, 201: S.IngestResult, ...errorResponses(400, 401, 413, 422) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const readings = validateBatch(request);
      return idempotent(store, request, reply, userId, async (tx) => {
        const result = await store.ingest(tx, userId, readings);
        for (const [type, a] of result.added) {
          await emit(tx, userId, 'metrics.ingested', {
            metric_type: type,
            count: a.count,
            sources: [...a.sources],
            entry_ids: a.entryIds,
            time_range: { from: ISO(a.fromMs), to: ISO(a.toMs) },
          });
        }
        return {
          status: result.created > 0 ? 201 : 200,
          body: {
            received: readings.length,
            created: result.created,
            duplicates: result.duplicates,
            series_samples: result.seriesSamples,
            entries: result.entries,
          },
        };
      });
    },
  );

  app.get(
    '/api/v1/metrics',
    {
      schema: {
        tags,
        summary: 'My readings, newest first',
        description:
          'Entries and device samples together. Filters: metric_type (one or a comma list), source, ' +
          'from (inclusive) and to (exclusive). Pass next_cursor as cursor for the next page.',
        querystring: S.ListQuery,
        response: { 200: S.MetricPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const userId = principalOf(request).userId;
      const types = q.metric_type?.split(',');
      for (const type of types ?? []) {
        if (!metricDef(type)) {
          throw validationError(`Invalid querystring: metric_type "${type}" is not a known metric type`, [
            { field: 'metric_type', problem: `"${type}" is not one of: ${METRIC_TYPES.join(', ')}` },
          ]);
        }
      }
      const fromMs = q.from === undefined ? undefined : queryInstant(q.from, 'from');
      const toMs = q.to === undefined ? undefined : queryInstant(q.to, 'to');
      checkRange(fromMs, toMs);
      const after =
        q.cursor === undefined
          ? undefined
          : decodeCursor<ItemKey>(
              q.cursor,
              (c) => Number.isSafeInteger(c.t) && typeof c.type === 'string' && typeof c.source === 'string',
            );
      const limit = q.limit ?? 50;
      const items = await store.list(userId, { types, source: q.source, fromMs, toMs }, after, limit);
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      const next: ItemKey | undefined =
        items.length > limit && last
          ? { t: parseInstantMs(last.timestamp), type: last.metric_type, source: last.source }
          : undefined;
      return { items: page, next_cursor: next ? encodeCursor({ ...next }) : null };
    },
  );

  app.get(
    '/api/v1/metrics/latest',
    {
      schema: {
        tags,
        summary: 'My latest reading of each metric type',
        querystring: Type.Object(
          { metric_type: Type.Optional(S.SummaryQuery.properties.metric_type) },
          {
            additionalProperties: false,
          },
        ),
        response: { 200: S.LatestList, ...errorResponses(400, 401) },
      },
    },
    async (request) => ({
      items: await store.latest(principalOf(request).userId, request.query.metric_type),
    }),
  );

  app.get(
    '/api/v1/metrics/summary',
    {
      schema: {
        tags,
        summary: 'Time buckets of one metric: count, min, max, mean (and sum)',
        description:
          'Buckets of an hour, a day, a week (from Monday) or a month in the time zone `tz`, over ' +
          '[from, to). Entries and device samples together, in the canonical unit. Blood pressure gives ' +
          'systolic and diastolic figures.',
        querystring: S.SummaryQuery,
        response: { 200: S.Summary, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const def = metricDef(q.metric_type)!;
      const toMs = q.to === undefined ? Date.now() : queryInstant(q.to, 'to');
      const fromMs = q.from === undefined ? toMs - 30 * DAY_MS : queryInstant(q.from, 'from');
      checkRange(fromMs, toMs);
      const bucket: Bucket = q.bucket ?? 'day';
      const tz = q.tz ?? 'UTC';
      if (!isTimeZone(tz)) {
        throw validationError(`Invalid querystring: tz "${tz}" is not an IANA time zone`, [
          { field: 'tz', problem: 'must be an IANA time zone such as Europe/Paris' },
        ]);
      }
      if (bucketCountBound(fromMs, toMs, bucket) > MAX_BUCKETS) {
        throw validationError(
          `Invalid querystring: that range has more than ${MAX_BUCKETS} ${bucket} buckets`,
          [
            {
              field: 'bucket',
              problem: `more than ${MAX_BUCKETS} buckets: choose one of ${BUCKETS.join(', ')} larger, or a shorter range`,
            },
          ],
        );
      }
      let rows: BucketStats[];
      try {
        rows = await store.summary(principalOf(request).userId, def.type, {
          fromMs,
          toMs,
          bucket,
          tz,
          source: q.source,
        });
      } catch (err) {
        // A zone the runtime knows but this PostgreSQL does not.
        if (pgErrorCode(err) === '22023') {
          throw validationError(`Invalid querystring: tz "${tz}" is not known to the database`, [
            { field: 'tz', problem: 'is not known to the database' },
          ]);
        }
        throw err;
      }
      const bp = def.kind === 'blood_pressure';
      const present = (r: BucketStats, start: string) => {
        if (bp) {
          return {
            start,
            count: r.count,
            systolic: { min: sig(r.min), max: sig(r.max), mean: sig(r.sum / r.count) },
            diastolic: { min: sig(r.min2!), max: sig(r.max2!), mean: sig(r.sum2! / r.count) },
          };
        }
        return {
          start,
          count: r.count,
          min: sig(r.min),
          max: sig(r.max),
          mean: sig(r.sum / r.count),
          sum: tidy(r.sum, 10),
        };
      };
      const overall = combineStats(rows);
      const overall2 = bp
        ? combineStats(rows.map((r) => ({ count: r.count, min: r.min2!, max: r.max2!, sum: r.sum2! })))
        : null;
      return {
        metric_type: def.type,
        unit: def.canonical,
        bucket,
        tz,
        from: ISO(fromMs),
        to: ISO(toMs),
        buckets: rows.map((r) => present(r, formatInstant(r.startMs, r.offsetMinutes))),
        overall:
          overall === null
            ? null
            : present(
                {
                  ...overall,
                  startMs: fromMs,
                  offsetMinutes: 0,
                  min2: overall2?.min ?? null,
                  max2: overall2?.max ?? null,
                  sum2: overall2?.sum ?? null,
                },
                ISO(fromMs),
              ),
      };
    },
  );

  app.delete(
    '/api/v1/metrics/series',
    {
      schema: {
        tags,
        summary: 'Delete my device samples in a time range',
        description: 'Series samples in [from, to), optionally of one metric type and source. Entries stay.',
        querystring: S.SeriesDeleteQuery,
        response: { 200: S.SeriesDeleteResult, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const userId = principalOf(request).userId;
      const fromMs = queryInstant(q.from, 'from');
      const toMs = queryInstant(q.to, 'to');
      checkRange(fromMs, toMs);
      const removed = await store.forUser(userId, async (tx) => {
        const byType = await store.deleteSamples(tx, userId, {
          type: q.metric_type,
          source: q.source,
          fromMs,
          toMs,
        });
        for (const [type, count] of byType) {
          await emit(tx, userId, 'samples.deleted', {
            metric_type: type,
            count,
            ...(q.source ? { source: q.source } : {}),
            time_range: { from: ISO(fromMs), to: ISO(toMs) },
          });
        }
        return [...byType.values()].reduce((a, b) => a + b, 0);
      });
      return { deleted: removed };
    },
  );

  app.get(
    '/api/v1/metrics/:id',
    {
      schema: {
        tags,
        summary: 'One of my entries',
        params: S.IdParams,
        response: { 200: S.Metric, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await store.entry(principalOf(request).userId, request.params.id);
      if (!row) throw notFound('No such metric entry');
      return presentEntry(row);
    },
  );

  async function update(
    request: FastifyRequest,
    id: string,
    body: Static<typeof S.MetricPatchBody>,
    replace: boolean,
  ) {
    const userId = principalOf(request).userId;
    return store.forUser(userId, async (tx) => {
      const row = await store.entry(userId, id, tx);
      if (!row) throw notFound('No such metric entry');
      const input: ReadingInput = replace ? (body as ReadingInput) : { ...inputOf(row) };
      if (!replace) {
        if (body.metric_type !== undefined) input.metric_type = body.metric_type;
        if (body.value !== undefined) input.value = body.value;
        if (body.unit !== undefined) input.unit = body.unit;
        if (body.timestamp !== undefined) input.timestamp = body.timestamp;
        if (body.source !== undefined) input.source = body.source;
        if (body.context !== undefined) {
          if (body.context === null) delete input.context;
          else input.context = body.context;
        }
        if (body.notes !== undefined) {
          if (body.notes === null) delete input.notes;
          else input.notes = body.notes;
        }
      }
      const r = normalizeReading(input);
      if ('problems' in r) invalid(r.problems);
      if (body.timestamp === undefined) {
        // Editing a reading does not move it in time.
        r.ms = row.recorded_at.getTime();
        r.offsetMinutes = row.utc_offset_minutes;
      }
      const moved =
        r.type !== row.metric_type || r.source !== row.source || r.ms !== row.recorded_at.getTime();
      if (moved) await assertIdentityFree(tx, userId, r, row.id);
      const updated = await store.updateEntry(tx, userId, row.id, r);
      await emit(tx, userId, 'metric.updated', {
        entry_id: row.id,
        metric_type: r.type,
        ...(r.type !== row.metric_type ? { previous_metric_type: row.metric_type } : {}),
        time_range: {
          from: ISO(Math.min(r.ms, row.recorded_at.getTime())),
          to: ISO(Math.max(r.ms, row.recorded_at.getTime())),
        },
      });
      return presentEntry(updated);
    });
  }

  app.put(
    '/api/v1/metrics/:id',
    {
      schema: {
        tags,
        summary: 'Replace one of my entries',
        description: 'The whole reading as for POST; without a timestamp it keeps its time.',
        params: S.IdParams,
        body: S.MetricBody,
        response: { 200: S.Metric, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => update(request, request.params.id, request.body, true),
  );

  app.patch(
    '/api/v1/metrics/:id',
    {
      schema: {
        tags,
        summary: 'Change fields of one of my entries',
        description: 'Only the fields sent change; null clears notes or context.',
        params: S.IdParams,
        body: S.MetricPatchBody,
        response: { 200: S.Metric, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => update(request, request.params.id, request.body, false),
  );

  app.delete(
    '/api/v1/metrics/:id',
    {
      schema: {
        tags,
        summary: 'Delete one of my entries',
        params: S.IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      await store.forUser(userId, async (tx) => {
        const row = await store.deleteEntry(tx, userId, request.params.id);
        if (!row) throw notFound('No such metric entry');
        await emit(tx, userId, 'metric.deleted', {
          entry_id: row.id,
          metric_type: row.metric_type,
          time_range: { from: row.recorded_at.toISOString(), to: row.recorded_at.toISOString() },
        });
      });
      return reply.status(204).send(null);
    },
  );
}

function parseInstantMs(text: string): number {
  const parsed = parseInstant(text);
  if ('problem' in parsed) throw new Error(`unparseable stored timestamp ${text}`);
  return parsed.ms;
}

/**
 * Validates a batch item by item: schema problems (collected by Fastify, attached rather than thrown)
 * and catalogue problems, each with its item's index. Any problem and the whole batch is refused.
 */
function validateBatch(request: FastifyRequest): Reading[] {
  const problems: (Problem & { index: number })[] = [];
  const schemaBad = new Set<number>();
  const issues = (request.validationError as { validation?: AjvIssue[] } | undefined)?.validation ?? [];
  const topLevel: AjvIssue[] = [];
  for (const issue of issues) {
    const m = /^\/items\/(\d+)(\/.*)?$/.exec(issue.instancePath ?? '');
    if (!m) {
      topLevel.push(issue);
      continue;
    }
    const index = Number(m[1]);
    schemaBad.add(index);
    for (const d of describeValidation('item', [{ ...issue, instancePath: m[2] ?? '' }])) {
      problems.push({ index, ...d });
    }
  }
  if (topLevel.length > 0) {
    const details = describeValidation('body', topLevel);
    throw validationError(
      `Invalid body: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`,
      details,
    );
  }
  if (request.validationError && issues.length === 0) throw request.validationError;
  const items = (request.body as { items: ReadingInput[] }).items;
  const now = Date.now();
  const readings: Reading[] = [];
  items.forEach((item, index) => {
    if (schemaBad.has(index)) return;
    const r = normalizeReading(item, now);
    if ('problems' in r) for (const p of r.problems) problems.push({ index, ...p });
    else readings.push(r);
  });
  if (problems.length > 0) {
    const invalidItems = new Set(problems.map((p) => p.index)).size;
    const shown = problems.slice(0, 1000);
    throw validationError(
      `${invalidItems} of ${items.length} readings are invalid; nothing was stored` +
        (shown.length < problems.length
          ? ` (the first ${shown.length} of ${problems.length} problems are listed)`
          : ''),
      shown,
    );
  }
  return readings;
}
