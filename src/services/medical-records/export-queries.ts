import type { Db } from '../../platform/db/db.js';
import type { FhirResource, RecordType } from './fhir.js';
import type { RecordRow } from './store.js';

/** Reads for the FHIR export and the patient summary (this service's own tables only). */

export interface PatientRow {
  id: string;
  source_system: string;
  source_id: string;
  aliases: string[];
  gender: string | null;
  birth_date: string | null;
  resource: FhirResource;
}

export type RecordWithResource = RecordRow & { resource: FhirResource };

const COLUMNS = `id, user_id, record_type, resource_type, source_system, source_id, effective_at, effective_text,
  display, code_system, code, status, measurement, resource, created_at, updated_at`;

/** Observation statuses that mean the result is void (FHIR R4 observation-status). */
export const VOID_OBSERVATION_STATUSES = ['entered-in-error', 'cancelled'] as const;

export class ExportQueries {
  constructor(private readonly db: Db) {}

  /** The user's Patient resources, oldest first. */
  async patients(userId: string): Promise<PatientRow[]> {
    const { rows } = await this.db.query<PatientRow>(
      `SELECT id, source_system, source_id, aliases, gender, birth_date, resource
         FROM medical_records.patients WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
    return rows;
  }

  /** Every record (or those of the given types) with its FHIR resource, oldest first, undated last. */
  async records(userId: string, types?: readonly RecordType[]): Promise<RecordWithResource[]> {
    const { rows } = await this.db.query<RecordWithResource>(
      `SELECT ${COLUMNS} FROM medical_records.records
        WHERE user_id = $1 AND ($2::text[] IS NULL OR record_type = ANY($2::text[]))
        ORDER BY effective_at NULLS LAST, id`,
      [userId, types ? [...types] : null],
    );
    return rows;
  }

  /**
   * The newest valid result of each analyte (by code, or by name when uncoded), newest first. Void
   * results (entered in error, cancelled) are passed over, so an older valid value shows instead.
   */
  async latestLabs(userId: string, limit: number): Promise<RecordRow[]> {
    const { rows } = await this.db.query<RecordRow>(
      `SELECT * FROM (
         SELECT DISTINCT ON (coalesce(code_system, ''), coalesce(code, lower(display)))
                id, user_id, record_type, resource_type, source_system, source_id, effective_at, effective_text,
                display, code_system, code, status, measurement, created_at, updated_at
           FROM medical_records.records
          WHERE user_id = $1 AND record_type = 'lab'
            AND (status IS NULL OR NOT (status = ANY($2::text[])))
          ORDER BY coalesce(code_system, ''), coalesce(code, lower(display)), effective_at DESC NULLS LAST, id DESC
       ) latest
       ORDER BY effective_at DESC NULLS LAST, id DESC
       LIMIT $3`,
      [userId, [...VOID_OBSERVATION_STATUSES], limit],
    );
    return rows;
  }

  /** How many records the user has, by source system (for the summary's sources). */
  async countsBySource(userId: string): Promise<{ source_system: string; n: number }[]> {
    const { rows } = await this.db.query<{ source_system: string; n: string | number }>(
      `SELECT source_system, count(*) AS n FROM medical_records.records WHERE user_id = $1
        GROUP BY source_system ORDER BY source_system`,
      [userId],
    );
    return rows.map((r) => ({ source_system: r.source_system, n: Number(r.n) }));
  }
}
