import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import type { Queryable } from '../../platform/db/db.js';
import { notFound } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { describeRange, displayUnit, inRange, metricDef, type MetricDef } from './catalog.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { goalProblem, goalProgress, type GoalDirection } from './goals.js';
import { idempotent } from './idempotency.js';
import {
  presentSymptom,
  type GoalRow,
  type GoalValues,
  type JournalStore,
  type SymptomValues,
} from './journal.js';
import { FUTURE_TOLERANCE_MS, type Problem } from './readings.js';
import { emit, invalid, queryInstant } from './routes.js';
import * as S from './schemas.js';
import type { HealthStore, MetricItem } from './store.js';
import { EARLIEST_MS, parseInstant, todayUtc } from './time.js';
import { acceptedUnitNames, applyLinear, fromCanonical, resolveUnit, tidy } from './units.js';

type SymptomInput = Static<typeof S.SymptomBody>;

function symptomValues(input: SymptomInput, now = Date.now()): SymptomValues {
  const problems: Problem[] = [];
  const symptom = input.symptom.trim();
  if (symptom === '') problems.push({ field: 'symptom', problem: 'must not be blank' });
  let onsetMs = now;
  let onsetOffset: number | null = null;
  if (input.onset !== undefined) {
    const parsed = parseInstant(input.onset);
    if ('problem' in parsed) problems.push({ field: 'onset', problem: parsed.problem });
    else if (parsed.ms > now + FUTURE_TOLERANCE_MS)
      problems.push({ field: 'onset', problem: 'is in the future' });
    else if (parsed.ms < EARLIEST_MS) problems.push({ field: 'onset', problem: 'is before 1900' });
    else {
      onsetMs = parsed.ms;
      onsetOffset = parsed.offsetMinutes;
    }
  }
  if (problems.length > 0) invalid(problems);
  return {
    symptom,
    severity: input.severity,
    onsetMs,
    onsetOffset,
    durationMinutes: input.duration_minutes ?? null,
    notes: input.notes?.trim() || null,
  };
}

const symptomEvent = (id: string, s: SymptomValues) => ({
  symptom_id: id,
  severity: s.severity,
  onset: new Date(s.onsetMs).toISOString(),
});

export function registerSymptomRoutes(
  root: FastifyInstance,
  store: HealthStore,
  journal: JournalStore,
): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['symptoms'];

  app.post(
    '/api/v1/symptoms',
    {
      schema: {
        tags,
        summary: 'Record a symptom',
        description: 'Severity 1-10; onset defaults to now. Honours Idempotency-Key.',
        body: S.SymptomBody,
        response: { 201: S.Symptom, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const values = symptomValues(request.body);
      return idempotent(store, request, reply, userId, async (tx) => {
        const row = await journal.insertSymptom(tx, userId, values);
        await emit(tx, userId, 'symptom.recorded', symptomEvent(row.id, values));
        return { status: 201, body: presentSymptom(row) };
      });
    },
  );

  app.get(
    '/api/v1/symptoms',
    {
      schema: {
        tags,
        summary: 'My symptom journal, newest onset first',
        querystring: S.SymptomQuery,
        response: { 200: S.SymptomPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const fromMs = q.from === undefined ? undefined : queryInstant(q.from, 'from');
      const toMs = q.to === undefined ? undefined : queryInstant(q.to, 'to');
      const after =
        q.cursor === undefined
          ? undefined
          : decodeCursor<{ t: number; id: string }>(
              q.cursor,
              (c) => Number.isSafeInteger(c.t) && typeof c.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id),
            );
      const limit = q.limit ?? 50;
      const rows = await journal.listSymptoms(
        principalOf(request).userId,
        { symptom: q.symptom, fromMs, toMs, minSeverity: q.min_severity },
        after,
        limit,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(presentSymptom),
        next_cursor:
          rows.length > limit && last ? encodeCursor({ t: last.onset_at.getTime(), id: last.id }) : null,
      };
    },
  );

  app.get(
    '/api/v1/symptoms/:id',
    {
      schema: {
        tags,
        summary: 'One symptom of my journal',
        params: S.IdParams,
        response: { 200: S.Symptom, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await journal.symptom(principalOf(request).userId, request.params.id);
      if (!row) throw notFound('No such symptom');
      return presentSymptom(row);
    },
  );

  app.patch(
    '/api/v1/symptoms/:id',
    {
      schema: {
        tags,
        summary: 'Change a symptom',
        description: 'Only the fields sent change; null clears duration or notes.',
        params: S.IdParams,
        body: S.SymptomPatchBody,
        response: { 200: S.Symptom, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      return store.forUser(userId, async (tx) => {
        const row = await journal.symptom(userId, request.params.id, tx);
        if (!row) throw notFound('No such symptom');
        const b = request.body;
        const values = symptomValues({
          symptom: b.symptom ?? row.symptom,
          severity: b.severity ?? row.severity,
          duration_minutes: b.duration_minutes === undefined ? row.duration_minutes : b.duration_minutes,
          notes: b.notes === undefined ? row.notes : b.notes,
          ...(b.onset === undefined ? {} : { onset: b.onset }),
        });
        if (b.onset === undefined) {
          values.onsetMs = row.onset_at.getTime();
          values.onsetOffset = row.onset_offset_minutes;
        }
        const updated = await journal.updateSymptom(tx, userId, row.id, values);
        await emit(tx, userId, 'symptom.updated', symptomEvent(row.id, values));
        return presentSymptom(updated);
      });
    },
  );

  app.delete(
    '/api/v1/symptoms/:id',
    {
      schema: {
        tags,
        summary: 'Delete a symptom',
        params: S.IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      await store.forUser(userId, async (tx) => {
        const row = await journal.deleteSymptom(tx, userId, request.params.id);
        if (!row) throw notFound('No such symptom');
        await emit(tx, userId, 'symptom.deleted', { symptom_id: row.id });
      });
      return reply.status(204).send(null);
    },
  );
}

// ---- goals ---------------------------------------------------------------------------------------

interface GoalInput {
  metric_type: string;
  direction: GoalDirection;
  target_value: number;
  unit: string;
  deadline: string;
  baseline_value?: number | null;
  tolerance?: number | null;
  title?: string | null;
  notes?: string | null;
}

/**
 * Validates a goal in the unit it is set in and converts it to canonical values. A tolerance is a
 * difference, so it converts by the scale alone (2 °F of tolerance is 1.11 °C, not -16.7 °C).
 */
function goalValues(input: GoalInput, latest: number | null, checkDeadline: boolean): GoalValues {
  const def = metricDef(input.metric_type)!;
  if (def.kind === 'blood_pressure') {
    invalid([
      {
        field: 'metric_type',
        problem: 'goals on blood_pressure (two values) are not supported; track a reading instead',
      },
    ]);
  }
  const unit = resolveUnit(def, input.unit);
  if (!unit) {
    invalid([
      {
        field: 'unit',
        problem: `"${input.unit}" is not a unit of ${def.type}; use one of: ${acceptedUnitNames(def).join(', ')}`,
      },
    ]);
  }
  const problems: Problem[] = [];
  const canonical = (v: number) => tidy(applyLinear(unit.toCanonical, v));
  const show = (v: number) => `${fromCanonical(def, unit.name, v)} ${unit.name}`;
  const checkValue = (field: string, value: number) => {
    const c = canonical(value);
    if (!inRange(def.range, c)) {
      problems.push({
        field,
        problem: `${value} ${unit.name} is outside the plausible range for ${def.type}: ${describeRange(def.range, displayUnit(def))}`,
      });
    }
    return c;
  };
  const target = checkValue('target_value', input.target_value);
  const baseline =
    input.baseline_value === undefined
      ? latest
      : input.baseline_value === null
        ? null
        : checkValue('baseline_value', input.baseline_value);
  const tolerance =
    input.tolerance === undefined || input.tolerance === null
      ? null
      : tidy(Math.abs(unit.toCanonical.scale) * input.tolerance);
  if (checkDeadline && input.deadline < todayUtc()) {
    problems.push({ field: 'deadline', problem: 'is in the past' });
  }
  if (problems.length === 0) {
    const p = goalProblem(input.direction, target, baseline, tolerance, show);
    if (p) problems.push(p);
  }
  if (problems.length > 0) invalid(problems);
  return {
    metricType: def.type,
    direction: input.direction,
    target,
    baseline,
    tolerance,
    unit: unit.name,
    deadline: input.deadline,
    title: input.title?.trim() || null,
    notes: input.notes?.trim() || null,
  };
}

export function presentGoal(row: GoalRow, latest: MetricItem | undefined, today = todayUtc()) {
  const def: MetricDef = metricDef(row.metric_type)!;
  const unit = resolveUnit(def, row.unit)!;
  const inUnit = (v: number) => fromCanonical(def, row.unit, v);
  const perUnit = Math.abs(unit.toCanonical.scale);
  const current = latest && typeof latest.canonical_value === 'number' ? latest.canonical_value : null;
  const p = goalProgress(
    {
      direction: row.direction,
      target: row.target_value,
      baseline: row.baseline_value,
      tolerance: row.tolerance,
      deadline: row.deadline,
    },
    current,
    today,
  );
  return {
    id: row.id,
    metric_type: row.metric_type,
    direction: row.direction,
    target_value: inUnit(row.target_value),
    baseline_value: row.baseline_value === null ? null : inUnit(row.baseline_value),
    tolerance: row.tolerance === null ? null : tidy(row.tolerance / perUnit),
    unit: row.unit,
    deadline: row.deadline,
    title: row.title,
    notes: row.notes,
    progress: {
      status: p.status,
      achieved: p.achieved,
      progress_percent: p.progress_percent,
      current_value: current === null ? null : inUnit(current),
      current_at: latest?.timestamp ?? null,
      remaining: p.remaining === null ? null : tidy(p.remaining / perUnit, 10),
    },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const goalEvent = (id: string, g: GoalValues) => ({
  goal_id: id,
  metric_type: g.metricType,
  direction: g.direction,
  deadline: g.deadline,
});

export function registerGoalRoutes(root: FastifyInstance, store: HealthStore, journal: JournalStore): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['goals'];

  async function latestOf(userId: string, type: string): Promise<MetricItem | undefined> {
    return (await store.latest(userId, type))[0];
  }
  const latestValue = (item: MetricItem | undefined) =>
    item && typeof item.canonical_value === 'number' ? item.canonical_value : null;

  app.post(
    '/api/v1/goals',
    {
      schema: {
        tags,
        summary: 'Set a goal on a metric',
        description:
          'increase or decrease towards target_value, or maintain within ±tolerance of it, by the deadline. ' +
          'The baseline defaults to my latest reading. Honours Idempotency-Key.',
        body: S.GoalBody,
        response: { 201: S.Goal, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const latest = await latestOf(userId, request.body.metric_type);
      const values = goalValues(request.body, latestValue(latest), true);
      return idempotent(store, request, reply, userId, async (tx: Queryable) => {
        const row = await journal.insertGoal(tx, userId, values);
        await emit(tx, userId, 'goal.created', goalEvent(row.id, values));
        return { status: 201, body: presentGoal(row, latest) };
      });
    },
  );

  app.get(
    '/api/v1/goals',
    {
      schema: {
        tags,
        summary: 'My goals with their progress, newest first',
        querystring: S.GoalQuery,
        response: { 200: S.GoalPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const after =
        q.cursor === undefined
          ? undefined
          : decodeCursor<{ id: string }>(
              q.cursor,
              (c) => typeof c.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id),
            );
      const limit = q.limit ?? 50;
      const rows = await journal.listGoals(userId, { metricType: q.metric_type }, after?.id, limit);
      const page = rows.slice(0, limit);
      const latest = new Map((await store.latest(userId)).map((m) => [m.metric_type, m]));
      const last = page[page.length - 1];
      return {
        items: page.map((row) => presentGoal(row, latest.get(row.metric_type))),
        next_cursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );

  app.get(
    '/api/v1/goals/:id',
    {
      schema: {
        tags,
        summary: 'One of my goals with its progress',
        params: S.IdParams,
        response: { 200: S.Goal, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const row = await journal.goal(userId, request.params.id);
      if (!row) throw notFound('No such goal');
      return presentGoal(row, await latestOf(userId, row.metric_type));
    },
  );

  app.patch(
    '/api/v1/goals/:id',
    {
      schema: {
        tags,
        summary: 'Change a goal',
        description: 'Only the fields sent change; values are in `unit` (the goal unit unless sent).',
        params: S.IdParams,
        body: S.GoalPatchBody,
        response: { 200: S.Goal, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const latest = await store.latest(userId);
      return store.forUser(userId, async (tx) => {
        const row = await journal.goal(userId, request.params.id, tx);
        if (!row) throw notFound('No such goal');
        const current = presentGoal(row, undefined);
        const b = request.body;
        const unitName = b.unit ?? row.unit;
        const def = metricDef(row.metric_type)!;
        // Values not sent keep their meaning: convert them from the goal unit into the new one.
        const carry = (canonical: number | null) =>
          canonical === null || !resolveUnit(def, unitName) ? null : fromCanonical(def, unitName, canonical);
        const values = goalValues(
          {
            metric_type: row.metric_type,
            direction: b.direction ?? row.direction,
            unit: unitName,
            target_value: b.target_value ?? carry(row.target_value) ?? current.target_value,
            baseline_value: b.baseline_value === undefined ? carry(row.baseline_value) : b.baseline_value,
            tolerance:
              b.tolerance !== undefined
                ? b.tolerance
                : row.tolerance === null || !resolveUnit(def, unitName)
                  ? null
                  : tidy(row.tolerance / Math.abs(resolveUnit(def, unitName)!.toCanonical.scale)),
            deadline: b.deadline ?? row.deadline,
            title: b.title === undefined ? row.title : b.title,
            notes: b.notes === undefined ? row.notes : b.notes,
          },
          null,
          b.deadline !== undefined,
        );
        const updated = await journal.updateGoal(tx, userId, row.id, values);
        await emit(tx, userId, 'goal.updated', goalEvent(row.id, values));
        return presentGoal(
          updated,
          latest.find((m) => m.metric_type === row.metric_type),
        );
      });
    },
  );

  app.delete(
    '/api/v1/goals/:id',
    {
      schema: {
        tags,
        summary: 'Delete a goal',
        params: S.IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      await store.forUser(userId, async (tx) => {
        const row = await journal.deleteGoal(tx, userId, request.params.id);
        if (!row) throw notFound('No such goal');
        await emit(tx, userId, 'goal.deleted', { goal_id: row.id, metric_type: row.metric_type });
      });
      return reply.status(204).send(null);
    },
  );
}
