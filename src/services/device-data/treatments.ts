import { randomBytes } from 'node:crypto';
import type { Db } from '../../platform/db/db.js';
import { nightscoutInstant } from './parsers/nightscout.js';
import { isoWithOffset } from '../../platform/time.js';
import type { TreatmentSink } from './ingest.js';

export interface TreatmentRow {
  id: string;
  event_type: string;
  created_at: Date;
  utc_offset_minutes: number | null;
  insulin: number | null;
  carbs: number | null;
  duration_minutes: number | null;
  entered_by: string | null;
  document: Record<string, unknown>;
}

const T = 'device_data.treatments';
const OBJECT_ID = /^[0-9a-f]{24}$/;
/** Largest treatment document kept (Loop and AndroidAPS documents are a few hundred bytes). */
export const MAX_TREATMENT_BYTES = 16 * 1024;

const num = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(v)
      ? Number(v)
      : null;

export interface NormalizedTreatment {
  id: string;
  eventType: string;
  ms: number;
  offsetMinutes: number;
  document: Record<string, unknown>;
}

/** Checks and normalises one Nightscout treatment; a string says what is wrong with it. */
export function normalizeTreatment(doc: Record<string, unknown>): NormalizedTreatment | string {
  const eventType = typeof doc.eventType === 'string' ? doc.eventType.trim() : '';
  if (eventType === '' || eventType.length > 100) return 'eventType must be a text of 1 to 100 characters';
  const at = nightscoutInstant(doc, 'created_at', 'timestamp');
  if (!at) return 'created_at must be an ISO 8601 date-time with an offset (or date in epoch milliseconds)';
  if (at.ms > Date.now() + 24 * 3600_000) return 'created_at is in the future';
  if (JSON.stringify(doc).length > MAX_TREATMENT_BYTES) return `is larger than ${MAX_TREATMENT_BYTES} bytes`;
  const given = typeof doc._id === 'string' && OBJECT_ID.test(doc._id) ? doc._id : undefined;
  return {
    id: given ?? randomBytes(12).toString('hex'),
    eventType,
    ms: at.ms,
    offsetMinutes: at.offsetMinutes,
    document: doc,
  };
}

export function presentTreatment(row: TreatmentRow) {
  const createdAt = isoWithOffset(row.created_at.getTime(), row.utc_offset_minutes ?? 0);
  return {
    ...row.document,
    _id: row.id,
    eventType: row.event_type,
    created_at: createdAt,
    mills: row.created_at.getTime(),
    ...(row.utc_offset_minutes === null ? {} : { utcOffset: row.utc_offset_minutes }),
  };
}

/** Nightscout treatments of each user, once per (event type, time). */
export class Treatments implements TreatmentSink {
  constructor(private readonly db: Db) {}

  /** Stores what is new; returns how many were new. */
  async store(userId: string, documents: Record<string, unknown>[]): Promise<number> {
    let stored = 0;
    for (const doc of documents) {
      const t = normalizeTreatment(doc);
      if (typeof t === 'string') continue;
      stored += await this.insert(userId, t);
    }
    return stored;
  }

  async insert(userId: string, t: NormalizedTreatment): Promise<number> {
    const d = t.document;
    const { _id: _ignored, ...document } = d;
    const { rowCount } = await this.db.query(
      `INSERT INTO ${T} (id, user_id, event_type, created_at, utc_offset_minutes, insulin, carbs, duration_minutes,
         entered_by, document)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [
        t.id,
        userId,
        t.eventType,
        new Date(t.ms).toISOString(),
        t.offsetMinutes,
        num(d.insulin),
        num(d.carbs),
        num(d.duration),
        typeof d.enteredBy === 'string' ? d.enteredBy.slice(0, 200) : null,
        JSON.stringify(document),
      ],
    );
    return rowCount;
  }

  async byIdentity(userId: string, eventType: string, ms: number): Promise<TreatmentRow | undefined> {
    const { rows } = await this.db.query<TreatmentRow>(
      `SELECT * FROM ${T} WHERE user_id = $1 AND event_type = $2 AND created_at = $3`,
      [userId, eventType, new Date(ms).toISOString()],
    );
    return rows[0];
  }

  async list(userId: string, count: number, fromMs?: number, toMs?: number): Promise<TreatmentRow[]> {
    const { rows } = await this.db.query<TreatmentRow>(
      `SELECT * FROM ${T} WHERE user_id = $1
         AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at <= $3)
       ORDER BY created_at DESC, id LIMIT $4`,
      [
        userId,
        fromMs === undefined ? null : new Date(fromMs).toISOString(),
        toMs === undefined ? null : new Date(toMs).toISOString(),
        count,
      ],
    );
    return rows;
  }

  async remove(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM ${T} WHERE user_id = $1 AND id = $2`, [userId, id]);
    return rowCount > 0;
  }
}
