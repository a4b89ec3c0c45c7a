import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import { formatInstant } from './time.js';
import { SCHEMA } from './store.js';
import type { GoalDirection } from './goals.js';
import type { MetricType } from './catalog.js';

// ---- symptoms ------------------------------------------------------------------------------------

export interface SymptomRow {
  id: string;
  user_id: string;
  symptom: string;
  severity: number;
  onset_at: Date;
  onset_offset_minutes: number | null;
  duration_minutes: number | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SymptomValues {
  symptom: string;
  severity: number;
  onsetMs: number;
  onsetOffset: number | null;
  durationMinutes: number | null;
  notes: string | null;
}

export function presentSymptom(row: SymptomRow) {
  return {
    id: row.id,
    symptom: row.symptom,
    severity: row.severity,
    onset: formatInstant(row.onset_at.getTime(), row.onset_offset_minutes),
    duration_minutes: row.duration_minutes,
    notes: row.notes,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const SYMPTOM_COLUMNS = `id, user_id, symptom, severity, onset_at, onset_offset_minutes, duration_minutes, notes,
  created_at, updated_at`;

// ---- goals ---------------------------------------------------------------------------------------

export interface GoalRow {
  id: string;
  user_id: string;
  metric_type: MetricType;
  direction: GoalDirection;
  target_value: number;
  baseline_value: number | null;
  tolerance: number | null;
  unit: string;
  deadline: string;
  title: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface GoalValues {
  metricType: MetricType;
  direction: GoalDirection;
  target: number;
  baseline: number | null;
  tolerance: number | null;
  unit: string;
  deadline: string;
  title: string | null;
  notes: string | null;
}

const GOAL_COLUMNS = `id, user_id, metric_type, direction, target_value, baseline_value, tolerance, unit,
  deadline::text AS deadline, title, notes, created_at, updated_at`;

/** Symptom journal and goals: SQL, scoped to the owner. */
export class JournalStore {
  constructor(private readonly db: Db) {}

  async symptom(userId: string, id: string, q: Queryable = this.db): Promise<SymptomRow | undefined> {
    const { rows } = await q.query<SymptomRow>(
      `SELECT ${SYMPTOM_COLUMNS} FROM ${SCHEMA}.symptoms WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0];
  }

  async insertSymptom(q: Queryable, userId: string, s: SymptomValues): Promise<SymptomRow> {
    const { rows } = await q.query<SymptomRow>(
      `INSERT INTO ${SCHEMA}.symptoms (id, user_id, symptom, severity, onset_at, onset_offset_minutes,
         duration_minutes, notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SYMPTOM_COLUMNS}`,
      [uuidv7(), userId, ...symptomValues(s)],
    );
    return rows[0]!;
  }

  async updateSymptom(q: Queryable, userId: string, id: string, s: SymptomValues): Promise<SymptomRow> {
    const { rows } = await q.query<SymptomRow>(
      `UPDATE ${SCHEMA}.symptoms SET symptom = $3, severity = $4, onset_at = $5, onset_offset_minutes = $6,
         duration_minutes = $7, notes = $8, updated_at = now()
       WHERE id = $1 AND user_id = $2 RETURNING ${SYMPTOM_COLUMNS}`,
      [id, userId, ...symptomValues(s)],
    );
    return rows[0]!;
  }

  async deleteSymptom(q: Queryable, userId: string, id: string): Promise<SymptomRow | undefined> {
    const { rows } = await q.query<SymptomRow>(
      `DELETE FROM ${SCHEMA}.symptoms WHERE id = $1 AND user_id = $2 RETURNING ${SYMPTOM_COLUMNS}`,
      [id, userId],
    );
    return rows[0];
  }

  /** Newest onset first; `after` is the (onset, id) of the last item of the previous page. */
  async listSymptoms(
    userId: string,
    filter: { symptom?: string; fromMs?: number; toMs?: number; minSeverity?: number },
    after: { t: number; id: string } | undefined,
    limit: number,
  ): Promise<SymptomRow[]> {
    const { rows } = await this.db.query<SymptomRow>(
      `SELECT ${SYMPTOM_COLUMNS} FROM ${SCHEMA}.symptoms
       WHERE user_id = $1 AND ($2::text IS NULL OR lower(symptom) = lower($2))
         AND ($3::timestamptz IS NULL OR onset_at >= $3) AND ($4::timestamptz IS NULL OR onset_at < $4)
         AND ($5::integer IS NULL OR severity >= $5)
         AND ($6::timestamptz IS NULL OR (onset_at, id) < ($6, $7::uuid))
       ORDER BY onset_at DESC, id DESC LIMIT $8`,
      [
        userId,
        filter.symptom ?? null,
        filter.fromMs === undefined ? null : new Date(filter.fromMs).toISOString(),
        filter.toMs === undefined ? null : new Date(filter.toMs).toISOString(),
        filter.minSeverity ?? null,
        after ? new Date(after.t).toISOString() : null,
        after?.id ?? null,
        limit + 1,
      ],
    );
    return rows;
  }

  async goal(userId: string, id: string, q: Queryable = this.db): Promise<GoalRow | undefined> {
    const { rows } = await q.query<GoalRow>(
      `SELECT ${GOAL_COLUMNS} FROM ${SCHEMA}.goals WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0];
  }

  async insertGoal(q: Queryable, userId: string, g: GoalValues): Promise<GoalRow> {
    const { rows } = await q.query<GoalRow>(
      `INSERT INTO ${SCHEMA}.goals (id, user_id, metric_type, direction, target_value, baseline_value, tolerance,
         unit, deadline, title, notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${GOAL_COLUMNS}`,
      [uuidv7(), userId, ...goalValues(g)],
    );
    return rows[0]!;
  }

  async updateGoal(q: Queryable, userId: string, id: string, g: GoalValues): Promise<GoalRow> {
    const { rows } = await q.query<GoalRow>(
      `UPDATE ${SCHEMA}.goals SET metric_type = $3, direction = $4, target_value = $5, baseline_value = $6,
         tolerance = $7, unit = $8, deadline = $9, title = $10, notes = $11, updated_at = now()
       WHERE id = $1 AND user_id = $2 RETURNING ${GOAL_COLUMNS}`,
      [id, userId, ...goalValues(g)],
    );
    return rows[0]!;
  }

  async deleteGoal(q: Queryable, userId: string, id: string): Promise<GoalRow | undefined> {
    const { rows } = await q.query<GoalRow>(
      `DELETE FROM ${SCHEMA}.goals WHERE id = $1 AND user_id = $2 RETURNING ${GOAL_COLUMNS}`,
      [id, userId],
    );
    return rows[0];
  }

  async listGoals(
    userId: string,
    filter: { metricType?: string },
    afterId: string | undefined,
    limit: number,
  ): Promise<GoalRow[]> {
    // Ids are UUIDv7, ordered by creation time: newest first is id order.
    const { rows } = await this.db.query<GoalRow>(
      `SELECT ${GOAL_COLUMNS} FROM ${SCHEMA}.goals
       WHERE user_id = $1 AND ($2::text IS NULL OR metric_type = $2)
         AND ($3::uuid IS NULL OR id < $3::uuid)
       ORDER BY id DESC LIMIT $4`,
      [userId, filter.metricType ?? null, afterId ?? null, limit + 1],
    );
    return rows;
  }

  async exportAll(userId: string): Promise<{ symptoms: SymptomRow[]; goals: GoalRow[] }> {
    const symptoms = await this.db.query<SymptomRow>(
      `SELECT ${SYMPTOM_COLUMNS} FROM ${SCHEMA}.symptoms WHERE user_id = $1 ORDER BY onset_at, id`,
      [userId],
    );
    const goals = await this.db.query<GoalRow>(
      `SELECT ${GOAL_COLUMNS} FROM ${SCHEMA}.goals WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
    return { symptoms: symptoms.rows, goals: goals.rows };
  }
}

function symptomValues(s: SymptomValues): unknown[] {
  return [
    s.symptom,
    s.severity,
    new Date(s.onsetMs).toISOString(),
    s.onsetOffset,
    s.durationMinutes,
    s.notes,
  ];
}

function goalValues(g: GoalValues): unknown[] {
  return [g.metricType, g.direction, g.target, g.baseline, g.tolerance, g.unit, g.deadline, g.title, g.notes];
}
