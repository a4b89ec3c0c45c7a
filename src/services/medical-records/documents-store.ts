import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import { appendEvent } from '../../platform/events/outbox.js';
import type { DocumentType } from './documents-detect.js';
import type { ExtractionMethod } from './documents-extract.js';
import { contentHash, LOINC, type FhirResource } from './fhir.js';
import type { LabSuggestion } from './lab-text.js';
import { SERVICE } from './store.js';

/** The source system of the records rows that stand for uploaded documents in GET /records. */
export const DOCUMENT_SOURCE = 'pha:document-upload';

export const CATEGORIES = ['lab_report', 'discharge_summary', 'imaging', 'letter', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

/** LOINC document types (LOINC Document Ontology) for the categories that have one. */
const CATEGORY_TYPES: Record<Category, { code: string | null; label: string }> = {
  lab_report: { code: '11502-2', label: 'Laboratory report' },
  discharge_summary: { code: '18842-5', label: 'Discharge summary' },
  imaging: { code: '18748-4', label: 'Diagnostic imaging study' },
  letter: { code: null, label: 'Letter' },
  other: { code: null, label: 'Document' },
};

export type ExtractionStatus = 'pending' | 'processing' | 'done' | 'failed';
export type SuggestionStatus = 'pending' | 'confirming' | 'confirmed' | 'rejected';

export interface DocumentRow {
  id: string;
  user_id: string;
  title: string | null;
  category: Category;
  document_date: string | null;
  filename: string | null;
  media_type: DocumentType;
  size_bytes: number;
  sha256: string;
  page_count: number | null;
  extraction_status: ExtractionStatus;
  extraction_method: ExtractionMethod | null;
  extraction_reason: string | null;
  extracted_text: string | null;
  extraction_attempts: number;
  extraction_started_at: Date | null;
  extraction_finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
  record_id?: string | null;
}

export interface SuggestionRow {
  id: string;
  document_id: string;
  user_id: string;
  position: number;
  test: string;
  suggestion: LabSuggestion;
  status: SuggestionStatus;
  record_id: string | null;
  decided_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewDocument {
  id: string;
  userId: string;
  title: string | null;
  category: Category;
  documentDate: string | null;
  filename: string | null;
  mediaType: DocumentType;
  bytes: Buffer;
  sealed: Buffer;
}

// to_char keeps the calendar date as written (a date column would come back as a local-midnight Date).
const COLUMNS = `d.id, d.user_id, d.title, d.category, to_char(d.document_date, 'YYYY-MM-DD') AS document_date,
  d.filename, d.media_type, d.size_bytes, d.sha256, d.page_count, d.extraction_status, d.extraction_method,
  d.extraction_reason, d.extracted_text, d.extraction_attempts, d.extraction_started_at, d.extraction_finished_at,
  d.created_at, d.updated_at,
  (SELECT r.id FROM medical_records.records r
    WHERE r.user_id = d.user_id AND r.source_system = '${DOCUMENT_SOURCE}' AND r.resource_type = 'DocumentReference'
      AND r.source_id = d.id::text) AS record_id`;

const SUGGESTION_COLUMNS = `id, document_id, user_id, position, test, suggestion, status, record_id, decided_at,
  created_at, updated_at`;

/** The FHIR DocumentReference that stands for an uploaded document among the records. */
export function documentReference(doc: NewDocument, createdAt: Date): FhirResource {
  const type = CATEGORY_TYPES[doc.category];
  return {
    resourceType: 'DocumentReference',
    id: doc.id,
    status: 'current',
    type: {
      ...(type.code ? { coding: [{ system: LOINC, code: type.code, display: type.label }] } : {}),
      text: type.label,
    },
    date: createdAt.toISOString(),
    ...(doc.title ? { description: doc.title } : {}),
    content: [
      {
        attachment: {
          contentType: doc.mediaType,
          size: doc.bytes.length,
          // FHIR Attachment.hash is the base64 SHA-1 of the data.
          hash: createHash('sha1').update(doc.bytes).digest('base64'),
          ...(doc.filename ? { title: doc.filename } : {}),
          ...(doc.documentDate ? { creation: doc.documentDate } : {}),
          url: `api/v1/documents/${doc.id}/content`,
        },
      },
    ],
    ...(doc.documentDate ? { context: { period: { start: doc.documentDate } } } : {}),
  };
}

/**
 * Documents in SQL. Files travel to and from the bytea column as base64 (decode/encode in SQL): PGlite
 * converts a bytea parameter or result about 10-40 times slower (20 MB: 23 s in, 6 s out, against 2 s and
 * 0.6 s as base64), and PostgreSQL takes either.
 */
export class DocumentStore {
  constructor(private readonly db: Db) {}

  /** The user's document with these bytes, if they uploaded them before. */
  async findSame(userId: string, sha256: string): Promise<DocumentRow | undefined> {
    const { rows } = await this.db.query<DocumentRow>(
      `SELECT ${COLUMNS} FROM medical_records.documents d WHERE d.user_id = $1 AND d.sha256 = $2`,
      [userId, sha256],
    );
    return rows[0];
  }

  /** Stores the document and the records row that lists it, in one transaction. */
  async create(doc: NewDocument, sha256: string): Promise<DocumentRow> {
    const createdAt = new Date();
    const resource = documentReference(doc, createdAt);
    const recordId = uuidv7();
    const type = CATEGORY_TYPES[doc.category];
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO medical_records.documents (id, user_id, title, category, document_date, filename, media_type,
           size_bytes, sha256, content, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9, decode($10, 'base64'), $11, $11)`,
        [
          doc.id,
          doc.userId,
          doc.title,
          doc.category,
          doc.documentDate,
          doc.filename,
          doc.mediaType,
          doc.bytes.length,
          sha256,
          doc.sealed.toString('base64'),
          createdAt,
        ],
      );
      await tx.query(
        `INSERT INTO medical_records.records (id, user_id, record_type, resource_type, source_system, source_id,
           effective_at, effective_text, display, code_system, code, status, measurement, resource, content_hash)
         VALUES ($1, $2, 'document', 'DocumentReference', $3, $4, $5, $6, $7, $8, $9, 'current', NULL, $10::jsonb, $11)`,
        [
          recordId,
          doc.userId,
          DOCUMENT_SOURCE,
          doc.id,
          doc.documentDate ? new Date(`${doc.documentDate}T00:00:00Z`) : createdAt,
          doc.documentDate ?? createdAt.toISOString(),
          doc.title ?? doc.filename ?? type.label,
          type.code ? LOINC : null,
          type.code,
          JSON.stringify(resource),
          contentHash(resource),
        ],
      );
      await appendEvent(tx, SERVICE, {
        topic: 'medical-record-events',
        type: 'org.pha.medical.document.uploaded',
        subject: doc.userId,
        data: { document_id: doc.id, record_id: recordId, media_type: doc.mediaType, category: doc.category },
      });
    });
    return (await this.get(doc.userId, doc.id))!;
  }

  async get(userId: string, id: string): Promise<DocumentRow | undefined> {
    const { rows } = await this.db.query<DocumentRow>(
      `SELECT ${COLUMNS} FROM medical_records.documents d WHERE d.user_id = $1 AND d.id = $2`,
      [userId, id],
    );
    return rows[0];
  }

  async list(userId: string, limit: number, beforeId?: string): Promise<DocumentRow[]> {
    const { rows } = await this.db.query<DocumentRow>(
      `SELECT ${COLUMNS} FROM medical_records.documents d
        WHERE d.user_id = $1 AND ($2::uuid IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3`,
      [userId, beforeId ?? null, limit],
    );
    return rows;
  }

  async content(
    userId: string,
    id: string,
  ): Promise<{ content: Buffer; media_type: DocumentType; filename: string | null } | undefined> {
    const { rows } = await this.db.query<{
      content: string;
      media_type: DocumentType;
      filename: string | null;
    }>(
      `SELECT encode(content, 'base64') AS content, media_type, filename FROM medical_records.documents WHERE user_id = $1 AND id = $2`,
      [userId, id],
    );
    const row = rows[0];
    return row ? { ...row, content: Buffer.from(row.content, 'base64') } : undefined;
  }

  async suggestions(documentIds: string[]): Promise<SuggestionRow[]> {
    if (documentIds.length === 0) return [];
    const { rows } = await this.db.query<SuggestionRow>(
      `SELECT ${SUGGESTION_COLUMNS} FROM medical_records.document_suggestions
        WHERE document_id = ANY($1::uuid[]) ORDER BY document_id, position`,
      [documentIds],
    );
    return rows;
  }

  async suggestion(userId: string, documentId: string, id: string): Promise<SuggestionRow | undefined> {
    const { rows } = await this.db.query<SuggestionRow>(
      `SELECT ${SUGGESTION_COLUMNS} FROM medical_records.document_suggestions
        WHERE user_id = $1 AND document_id = $2 AND id = $3`,
      [userId, documentId, id],
    );
    return rows[0];
  }

  /** Deletes the document, its suggestions and its records row. Lab records already confirmed stay. */
  async delete(userId: string, id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `DELETE FROM medical_records.documents WHERE user_id = $1 AND id = $2 RETURNING id`,
        [userId, id],
      );
      if (rows.length === 0) return false;
      await this.deleteRecordRows(tx, userId, [id]);
      await appendEvent(tx, SERVICE, {
        topic: 'medical-record-events',
        type: 'org.pha.medical.document.deleted',
        subject: userId,
        data: { document_id: id },
      });
      return true;
    });
  }

  private async deleteRecordRows(tx: Queryable, userId: string, ids: string[]) {
    await tx.query(
      `DELETE FROM medical_records.records
        WHERE user_id = $1 AND source_system = $2 AND resource_type = 'DocumentReference' AND source_id = ANY($3::text[])`,
      [userId, DOCUMENT_SOURCE, ids],
    );
  }

  // ---- the extraction queue ---------------------------------------------------------------------------------

  /**
   * Takes the oldest pending document for extraction. SKIP LOCKED: processes of the service sharing the
   * database never take the same one.
   */
  async claimNext(): Promise<
    | { id: string; user_id: string; media_type: DocumentType; document_date: string | null; content: Buffer }
    | undefined
  > {
    const { rows } = await this.db.query<{
      id: string;
      user_id: string;
      media_type: DocumentType;
      document_date: string | null;
      content: string;
    }>(
      `UPDATE medical_records.documents SET extraction_status = 'processing', extraction_attempts = extraction_attempts + 1,
         extraction_started_at = now(), updated_at = now()
       WHERE id = (SELECT id FROM medical_records.documents WHERE extraction_status = 'pending'
                    ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, user_id, media_type, to_char(document_date, 'YYYY-MM-DD') AS document_date,
         encode(content, 'base64') AS content`,
    );
    const row = rows[0];
    return row ? { ...row, content: Buffer.from(row.content, 'base64') } : undefined;
  }

  /** Marks a job as alive (long OCR runs), so recovery does not take it back. */
  async heartbeat(id: string): Promise<void> {
    await this.db.query(
      `UPDATE medical_records.documents SET updated_at = now() WHERE id = $1 AND extraction_status = 'processing'`,
      [id],
    );
  }

  /** Saves the text and the suggestions; nothing when the document was deleted meanwhile. */
  async finish(
    id: string,
    result: { sealedText: string; method: ExtractionMethod; pages: number | null; reason: string | null },
    suggestions: LabSuggestion[],
  ): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ user_id: string }>(
        `UPDATE medical_records.documents SET extraction_status = 'done', extraction_method = $2, page_count = $3,
           extraction_reason = $4, extracted_text = $5, extraction_finished_at = now(), updated_at = now()
         WHERE id = $1 AND extraction_status = 'processing' RETURNING user_id`,
        [id, result.method, result.pages, result.reason, result.sealedText],
      );
      const userId = rows[0]?.user_id;
      if (!userId) return null;
      await tx.query(`DELETE FROM medical_records.document_suggestions WHERE document_id = $1`, [id]);
      for (const [position, s] of suggestions.entries()) {
        await tx.query(
          `INSERT INTO medical_records.document_suggestions (id, document_id, user_id, position, test, suggestion)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
          [uuidv7(), id, userId, position, s.test, JSON.stringify(s)],
        );
      }
      await appendEvent(tx, SERVICE, {
        topic: 'medical-record-events',
        type: 'org.pha.medical.document.extracted',
        subject: userId,
        data: { document_id: id, method: result.method, suggestions: suggestions.length },
      });
      return suggestions.length;
    });
  }

  async fail(id: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE medical_records.documents SET extraction_status = 'failed', extraction_reason = $2,
         extraction_finished_at = now(), updated_at = now()
       WHERE id = $1 AND extraction_status = 'processing'`,
      [id, reason],
    );
  }

  /**
   * At start-up: jobs a stopped process left 'processing' (no heartbeat for `staleMs`) go back to the
   * queue, or fail once they have been tried `maxAttempts` times (a file that crashes the extractor).
   */
  async recoverStale(staleMs: number, maxAttempts: number): Promise<void> {
    const cutoff = new Date(Date.now() - staleMs);
    await this.db.query(
      `UPDATE medical_records.documents SET updated_at = now(),
         extraction_status = CASE WHEN extraction_attempts >= $2 THEN 'failed' ELSE 'pending' END,
         extraction_reason = CASE WHEN extraction_attempts >= $2
           THEN 'Extraction was interrupted ' || extraction_attempts || ' times; it is not tried again' ELSE NULL END,
         extraction_finished_at = CASE WHEN extraction_attempts >= $2 THEN now() ELSE NULL END
       WHERE extraction_status = 'processing' AND updated_at < $1`,
      [cutoff, maxAttempts],
    );
  }

  // ---- suggestions ---------------------------------------------------------------------------------------

  /**
   * Takes a pending suggestion for confirmation (one request wins). A 'confirming' left by a crash for
   * more than a minute can be taken again: writing its lab record is idempotent.
   */
  async claimSuggestion(userId: string, documentId: string, id: string): Promise<SuggestionRow | undefined> {
    const { rows } = await this.db.query<SuggestionRow>(
      `UPDATE medical_records.document_suggestions SET status = 'confirming', updated_at = now()
        WHERE user_id = $1 AND document_id = $2 AND id = $3
          AND (status = 'pending' OR (status = 'confirming' AND updated_at < now() - interval '1 minute'))
        RETURNING ${SUGGESTION_COLUMNS}`,
      [userId, documentId, id],
    );
    return rows[0];
  }

  async releaseSuggestion(id: string): Promise<void> {
    await this.db.query(
      `UPDATE medical_records.document_suggestions SET status = 'pending', updated_at = now()
        WHERE id = $1 AND status = 'confirming'`,
      [id],
    );
  }

  async markConfirmed(id: string, recordId: string): Promise<SuggestionRow | undefined> {
    const { rows } = await this.db.query<SuggestionRow>(
      `UPDATE medical_records.document_suggestions SET status = 'confirmed', record_id = $2, decided_at = now(),
         updated_at = now()
        WHERE id = $1 AND status = 'confirming' RETURNING ${SUGGESTION_COLUMNS}`,
      [id, recordId],
    );
    return rows[0];
  }

  async reject(userId: string, documentId: string, id: string): Promise<SuggestionRow | undefined> {
    const { rows } = await this.db.query<SuggestionRow>(
      `UPDATE medical_records.document_suggestions SET status = 'rejected', decided_at = now(), updated_at = now()
        WHERE user_id = $1 AND document_id = $2 AND id = $3 AND status = 'pending'
        RETURNING ${SUGGESTION_COLUMNS}`,
      [userId, documentId, id],
    );
    return rows[0];
  }

  // ---- account ---------------------------------------------------------------------------------------------

  async exportAll(userId: string): Promise<{ documents: DocumentRow[]; suggestions: SuggestionRow[] }> {
    const { rows } = await this.db.query<DocumentRow>(
      `SELECT ${COLUMNS} FROM medical_records.documents d WHERE d.user_id = $1 ORDER BY d.id`,
      [userId],
    );
    return { documents: rows, suggestions: await this.suggestions(rows.map((r) => r.id)) };
  }

  async erase(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `DELETE FROM medical_records.documents WHERE user_id = $1 RETURNING id`,
        [userId],
      );
      await tx.query(`DELETE FROM medical_records.document_suggestions WHERE user_id = $1`, [userId]);
      if (rows.length > 0)
        await this.deleteRecordRows(
          tx,
          userId,
          rows.map((r) => r.id),
        );
    });
  }
}
