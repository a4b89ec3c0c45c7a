import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import { appendEvent } from '../../platform/events/outbox.js';
import {
  contentHash,
  demographicsOf,
  flatten,
  mapResource,
  parseFhirDate,
  sourceIdOf,
  sourceSystemOf,
  type Demographics,
  type FhirResource,
  type Json,
  type Measured,
  type RecordType,
} from './fhir.js';
import { computeFlags, type LabFlags } from './flags.js';

export const SERVICE = 'medical-records';

export interface RecordRow {
  id: string;
  user_id: string;
  record_type: RecordType;
  resource_type: string;
  source_system: string;
  source_id: string;
  effective_at: Date | null;
  effective_text: string | null;
  display: string;
  code_system: string | null;
  code: string | null;
  status: string | null;
  measurement: (Measured & { flags: LabFlags | null }) | null;
  resource?: Json;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, user_id, record_type, resource_type, source_system, source_id, effective_at, effective_text,
  display, code_system, code, status, measurement, created_at, updated_at`;

export type ImportStatus = 'imported' | 'updated' | 'unchanged' | 'skipped';

export interface ImportResult {
  path: string;
  resource_type: string | null;
  source_id: string | null;
  status: ImportStatus;
  record_type: RecordType | 'patient' | null;
  record_id: string | null;
  reason: string | null;
}

export interface ImportReport {
  source_system: string;
  counts: Record<ImportStatus, number>;
  results: ImportResult[];
}

export interface ListQuery {
  types?: RecordType[];
  from?: Date;
  to?: Date;
  after?: { t: number | null; id: string };
  limit: number;
}

export class MedicalStore {
  constructor(private readonly db: Db) {}

  /** One transaction per user at a time: imports of the same person never interleave. */
  forUser<T>(userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('medical-records'), hashtext($1))`, [userId]);
      return fn(tx);
    });
  }

  /** Imports a Bundle or a single resource; reports every resource found. */
  async importFhir(userId: string, root: FhirResource, fallbackSource: string): Promise<ImportReport> {
    return this.forUser(userId, async (tx) => {
      const found = flatten(root);
      const results: ImportResult[] = [];
      // Patients first: their sex and birth date choose the reference ranges of their labs.
      const known = await this.knownPatients(tx, userId);
      for (const entry of found) {
        const r = entry.resource;
        if (r?.resourceType !== 'Patient') continue;
        const demo = demographicsOf(r);
        known.set(`Patient/${sourceIdOf(r, entry.fullUrl)}`, demo);
        if (entry.fullUrl) known.set(entry.fullUrl, demo);
      }
      const byReference = new Map<string, FhirResource>();
      for (const entry of found) {
        const r = entry.resource;
        if (!r) continue;
        if (typeof r.id === 'string') byReference.set(`${r.resourceType}/${r.id}`, r);
        if (entry.fullUrl) byReference.set(entry.fullUrl, r);
      }
      const resolve = (reference: string) => byReference.get(reference);
      const seen = new Map<string, { hash: string; id: string | null }>();
      for (const entry of found) {
        const resource = entry.resource;
        if (!resource) {
          results.push({
            path: entry.path,
            resource_type: entry.resourceType ?? null,
            source_id: null,
            status: 'skipped',
            record_type: null,
            record_id: null,
            reason: entry.problem ?? 'no resource',
          });
          continue;
        }
        const sourceSystem = sourceSystemOf(resource, fallbackSource);
        const sourceId = sourceIdOf(resource, entry.fullUrl);
        const hash = contentHash(resource);
        const base = { path: entry.path, resource_type: resource.resourceType, source_id: sourceId };
        const key = `${sourceSystem}\u0000${resource.resourceType}\u0000${sourceId}`;
        const earlier = seen.get(key);
        if (earlier) {
          results.push({
            ...base,
            status: earlier.hash === hash ? 'unchanged' : 'skipped',
            record_type: null,
            record_id: earlier.id,
            reason:
              earlier.hash === hash
                ? 'the same resource appears earlier in this upload'
                : 'another resource with the same type and id appears earlier in this upload; the first was kept',
          });
          continue;
        }
        if (resource.resourceType === 'Patient') {
          const saved = await this.savePatient(
            tx,
            userId,
            sourceSystem,
            sourceId,
            entry.fullUrl,
            resource,
            hash,
          );
          seen.set(key, { hash, id: saved.id });
          results.push({
            ...base,
            status: saved.status,
            record_type: 'patient',
            record_id: saved.id,
            reason: null,
          });
          continue;
        }
        const mapped = mapResource(resource, resolve);
        if (!mapped.ok) {
          seen.set(key, { hash, id: null });
          results.push({
            ...base,
            status: 'skipped',
            record_type: null,
            record_id: null,
            reason: mapped.reason,
          });
          continue;
        }
        const rec = mapped.record;
        const effectiveAt = parseFhirDate(rec.effective_text ?? undefined) ?? null;
        let measurement: RecordRow['measurement'] = null;
        if (rec.measured) {
          const demo = this.demographicsFor(known, rec.subject);
          const flags =
            rec.record_type === 'lab' || rec.record_type === 'vital_sign'
              ? computeFlags(
                  rec.code_system === 'http://loinc.org' ? rec.code : null,
                  rec.measured,
                  demo,
                  effectiveAt,
                )
              : null;
          measurement = { ...rec.measured, flags };
        }
        const existing = await tx.query<{ id: string; content_hash: string }>(
          `SELECT id, content_hash FROM medical_records.records
            WHERE user_id = $1 AND source_system = $2 AND resource_type = $3 AND source_id = $4`,
          [userId, sourceSystem, resource.resourceType, sourceId],
        );
        const values = [
          rec.record_type,
          effectiveAt,
          rec.effective_text,
          rec.display,
          rec.code_system,
          rec.code,
          rec.status,
          measurement === null ? null : JSON.stringify(measurement),
          JSON.stringify(resource),
          hash,
        ];
        const prior = existing.rows[0];
        let id: string;
        let status: ImportStatus;
        if (!prior) {
          id = uuidv7();
          status = 'imported';
          await tx.query(
            `INSERT INTO medical_records.records (record_type, effective_at, effective_text, display, code_system,
               code, status, measurement, resource, content_hash, id, user_id, source_system, resource_type, source_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15)`,
            [...values, id, userId, sourceSystem, resource.resourceType, sourceId],
          );
        } else if (prior.content_hash === hash) {
          id = prior.id;
          status = 'unchanged';
        } else {
          id = prior.id;
          status = 'updated';
          await tx.query(
            `UPDATE medical_records.records SET record_type = $1, effective_at = $2, effective_text = $3, display = $4,
               code_system = $5, code = $6, status = $7, measurement = $8::jsonb, resource = $9::jsonb,
               content_hash = $10, updated_at = now()
             WHERE id = $11`,
            [...values, id],
          );
        }
        seen.set(key, { hash, id });
        results.push({ ...base, status, record_type: rec.record_type, record_id: id, reason: null });
      }
      const counts: Record<ImportStatus, number> = { imported: 0, updated: 0, unchanged: 0, skipped: 0 };
      for (const r of results) counts[r.status] += 1;
      if (counts.imported + counts.updated > 0) {
        await appendEvent(tx, SERVICE, {
          topic: 'medical-record-events',
          type: 'org.pha.medical.records.imported',
          subject: userId,
          data: {
            counts,
            imported_ids: results
              .filter((r) => r.status === 'imported' && r.record_id)
              .map((r) => r.record_id),
            updated_ids: results.filter((r) => r.status === 'updated' && r.record_id).map((r) => r.record_id),
          },
        });
      }
      return { source_system: fallbackSource, counts, results };
    });
  }

  private async knownPatients(tx: Queryable, userId: string): Promise<Map<string, Demographics>> {
    const { rows } = await tx.query<{
      source_id: string;
      aliases: string[];
      gender: string | null;
      birth_date: string | null;
    }>(`SELECT source_id, aliases, gender, birth_date FROM medical_records.patients WHERE user_id = $1`, [
      userId,
    ]);
    const map = new Map<string, Demographics>();
    for (const row of rows) {
      const demo = { gender: row.gender, birth_date: row.birth_date };
      map.set(`Patient/${row.source_id}`, demo);
      for (const alias of row.aliases) map.set(alias, demo);
    }
    return map;
  }

  /** The subject's demographics; with no subject, those of the only Patient the user has, if one. */
  private demographicsFor(known: Map<string, Demographics>, subject: string | null): Demographics | null {
    if (subject) {
      const direct = known.get(subject) ?? known.get(subject.replace(/^.*\/(Patient\/[^/]+)$/, '$1'));
      if (direct) return direct;
    }
    const distinct = new Set([...known.values()]);
    return distinct.size === 1 ? [...distinct][0]! : null;
  }

  private async savePatient(
    tx: Queryable,
    userId: string,
    sourceSystem: string,
    sourceId: string,
    fullUrl: string | undefined,
    resource: FhirResource,
    hash: string,
  ): Promise<{ id: string; status: ImportStatus }> {
    const demo = demographicsOf(resource);
    const aliases = fullUrl ? [fullUrl] : [];
    const existing = await tx.query<{ id: string; content_hash: string }>(
      `SELECT id, content_hash FROM medical_records.patients WHERE user_id = $1 AND source_system = $2 AND source_id = $3`,
      [userId, sourceSystem, sourceId],
    );
    const prior = existing.rows[0];
    if (prior && prior.content_hash === hash) return { id: prior.id, status: 'unchanged' };
    if (prior) {
      await tx.query(
        `UPDATE medical_records.patients SET gender = $2, birth_date = $3, resource = $4::jsonb, content_hash = $5,
           aliases = $6, updated_at = now() WHERE id = $1`,
        [prior.id, demo.gender, demo.birth_date, JSON.stringify(resource), hash, aliases],
      );
      return { id: prior.id, status: 'updated' };
    }
    const id = uuidv7();
    await tx.query(
      `INSERT INTO medical_records.patients (id, user_id, source_system, source_id, aliases, gender, birth_date,
         resource, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)`,
      [
        id,
        userId,
        sourceSystem,
        sourceId,
        aliases,
        demo.gender,
        demo.birth_date,
        JSON.stringify(resource),
        hash,
      ],
    );
    return { id, status: 'imported' };
  }

  async list(userId: string, q: ListQuery): Promise<RecordRow[]> {
    const params: unknown[] = [userId];
    const where = ['user_id = $1'];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (q.types?.length) where.push(`record_type = ANY(${p(q.types)}::text[])`);
    if (q.from) where.push(`effective_at >= ${p(q.from)}`);
    if (q.to) where.push(`effective_at < ${p(q.to)}`);
    if (q.after) {
      if (q.after.t === null) where.push(`(effective_at IS NULL AND id < ${p(q.after.id)})`);
      else {
        const t = p(new Date(q.after.t));
        where.push(
          `(effective_at < ${t} OR (effective_at = ${t} AND id < ${p(q.after.id)}) OR effective_at IS NULL)`,
        );
      }
    }
    const { rows } = await this.db.query<RecordRow>(
      `SELECT ${COLUMNS} FROM medical_records.records WHERE ${where.join(' AND ')}
        ORDER BY effective_at DESC NULLS LAST, id DESC LIMIT ${p(q.limit)}`,
      params,
    );
    return rows;
  }

  async get(userId: string, id: string): Promise<RecordRow | undefined> {
    const { rows } = await this.db.query<RecordRow>(
      `SELECT ${COLUMNS}, resource FROM medical_records.records WHERE user_id = $1 AND id = $2`,
      [userId, id],
    );
    return rows[0];
  }

  async labHistory(
    userId: string,
    loinc: string,
    from?: Date,
    to?: Date,
    limit = 1000,
  ): Promise<RecordRow[]> {
    const params: unknown[] = [userId, loinc];
    let extra = '';
    if (from) {
      params.push(from);
      extra += ` AND effective_at >= $${params.length}`;
    }
    if (to) {
      params.push(to);
      extra += ` AND effective_at < $${params.length}`;
    }
    params.push(limit);
    const { rows } = await this.db.query<RecordRow>(
      `SELECT ${COLUMNS} FROM medical_records.records
        WHERE user_id = $1 AND code = $2 AND code_system = 'http://loinc.org'
          AND record_type IN ('lab', 'vital_sign') AND effective_at IS NOT NULL${extra}
        ORDER BY effective_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.reverse();
  }

  async exportAll(userId: string) {
    const records = await this.db.query<RecordRow>(
      `SELECT ${COLUMNS}, resource FROM medical_records.records WHERE user_id = $1 ORDER BY effective_at, id`,
      [userId],
    );
    const patients = await this.db.query<{
      id: string;
      source_system: string;
      source_id: string;
      resource: Json;
    }>(
      `SELECT id, source_system, source_id, resource FROM medical_records.patients WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    return { records: records.rows, patients: patients.rows };
  }

  async erase(userId: string): Promise<void> {
    await this.forUser(userId, async (tx) => {
      await tx.query(`DELETE FROM medical_records.records WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM medical_records.patients WHERE user_id = $1`, [userId]);
      await appendEvent(tx, SERVICE, {
        topic: 'medical-record-events',
        type: 'org.pha.medical.account.erased',
        subject: userId,
        data: {},
      });
    });
  }
}
