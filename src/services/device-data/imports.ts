import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../platform/db/db.js';
import { isRole, type Role } from '../../platform/auth/principal.js';
import { AppError } from '../../platform/http/errors.js';
import { emit, type Devices } from './devices.js';
import type { HealthWriter } from './health.js';
import { Ingestor, type IngestCounts } from './ingest.js';
import { parseFile } from './file-parse.js';
import { SNIFF_BYTES, type ImportFormat } from './parsers/detect.js';
import { FileProblem, type ParseOptions } from './parsers/types.js';
import type { Treatments } from './treatments.js';

export type ImportStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface ImportRow {
  id: string;
  user_id: string;
  format: ImportFormat | null;
  filename: string | null;
  size_bytes: string | number;
  sha256: string | null;
  options: ParseOptions;
  status: ImportStatus;
  progress_bytes: string | number;
  progress_total: string | number;
  records_read: string | number;
  readings_sent: string | number;
  readings_created: string | number;
  readings_duplicate: string | number;
  records_skipped: string | number;
  records_invalid: string | number;
  treatments_stored: string | number;
  skipped_by_reason: Record<string, number>;
  errors: { ref: string; problem: string }[];
  sources: string[];
  message: string | null;
  same_file_as: string | null;
  /** Role of the user who uploaded the file (health tracking is called with it). */
  requested_role: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const T = 'device_data.imports';
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentImport(row: ImportRow) {
  const total = Number(row.progress_total);
  const done = Number(row.progress_bytes);
  return {
    id: row.id,
    status: row.status,
    format: row.format,
    filename: row.filename,
    size_bytes: Number(row.size_bytes),
    sha256: row.sha256,
    timezone: row.options.timezone ?? null,
    progress: {
      bytes_processed: done,
      bytes_total: total,
      percent:
        row.status === 'completed' ? 100 : total > 0 ? Math.min(99, Math.floor((100 * done) / total)) : 0,
    },
    counts: {
      records_read: Number(row.records_read),
      readings_sent: Number(row.readings_sent),
      readings_created: Number(row.readings_created),
      readings_duplicate: Number(row.readings_duplicate),
      records_skipped: Number(row.records_skipped),
      records_invalid: Number(row.records_invalid),
      treatments_stored: Number(row.treatments_stored),
    },
    skipped_by_reason: row.skipped_by_reason,
    errors: row.errors,
    sources: row.sources,
    message: row.message,
    same_file_as: row.same_file_as,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export interface Spooled {
  path: string;
  size: number;
  sha256: string;
  head: Buffer;
}

/** The answer to an upload over the limit; the connection closes rather than read the rest. */
export const tooLarge = (maxBytes: number) =>
  new AppError(
    413,
    'payload_too_large',
    `The file is larger than ${maxBytes} bytes, the limit of an import`,
    undefined,
    {
      connection: 'close',
    },
  );

/**
 * Writes an upload to disk as it arrives (constant memory), hashing it and keeping its first bytes to
 * recognise the format. More than `maxBytes` and it stops with 413; the partial file is removed. The
 * request stream is not destroyed (the client still gets the answer): the rest of it is discarded.
 */
export async function spool(input: Readable, path: string, maxBytes: number): Promise<Spooled> {
  const hash = createHash('sha256');
  const headParts: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(tooLarge(maxBytes));
        return;
      }
      hash.update(chunk);
      if (headLength < SNIFF_BYTES) {
        headParts.push(chunk.subarray(0, SNIFF_BYTES - headLength));
        headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
      }
      callback(null, chunk);
    },
  });
  const out = createWriteStream(path, { mode: 0o600 });
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        input.unpipe(meter);
        input.resume();
        meter.destroy();
        out.destroy();
        reject(err);
      };
      input.on('error', fail);
      input.on('aborted', () => fail(new Error('aborted')));
      meter.on('error', fail);
      out.on('error', fail);
      out.on('finish', () => resolve());
      input.pipe(meter).pipe(out);
    });
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
  return { path, size, sha256: hash.digest('hex'), head: Buffer.concat(headParts) };
}

/** Import jobs: their rows, and one worker per process that runs them in order. */
export class Imports {
  private readonly queue: string[] = [];
  private running = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly devices: Devices,
    private readonly treatments: Treatments,
    private readonly health: HealthWriter,
    private readonly logger: Logger,
    readonly spoolDir: string,
    private readonly batchSize: number,
  ) {
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  }

  spoolPath(id: string) {
    return join(this.spoolDir, `${id}.upload`);
  }

  newId() {
    return uuidv7();
  }

  async get(userId: string, id: string): Promise<ImportRow | undefined> {
    const { rows } = await this.db.query<ImportRow>(`SELECT * FROM ${T} WHERE user_id = $1 AND id = $2`, [
      userId,
      id,
    ]);
    return rows[0];
  }

  async list(userId: string, limit: number, beforeId?: string): Promise<ImportRow[]> {
    const { rows } = await this.db.query<ImportRow>(
      `SELECT * FROM ${T} WHERE user_id = $1 AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [userId, beforeId ?? null, limit],
    );
    return rows;
  }

  /** The last completed import of the same bytes, if any. */
  async sameFile(userId: string, sha256: string): Promise<ImportRow | undefined> {
    const { rows } = await this.db.query<ImportRow>(
      `SELECT * FROM ${T} WHERE user_id = $1 AND sha256 = $2 AND status = 'completed' AND same_file_as IS NULL
       ORDER BY id DESC LIMIT 1`,
      [userId, sha256],
    );
    return rows[0];
  }

  async create(
    user: { userId: string; role: Role },
    id: string,
    file: { format: ImportFormat; filename: string | null; size: number; sha256: string },
    options: ParseOptions,
    sameFileAs?: ImportRow,
  ): Promise<ImportRow> {
    const userId = user.userId;
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ImportRow>(
        `INSERT INTO ${T} (id, user_id, format, filename, size_bytes, sha256, options, status, progress_total,
           same_file_as, message, finished_at, requested_role)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5, $9, $10, CASE WHEN $9::uuid IS NULL THEN NULL ELSE now() END, $11)
         RETURNING *`,
        [
          id,
          userId,
          file.format,
          file.filename,
          file.size,
          file.sha256,
          JSON.stringify(options),
          sameFileAs ? 'completed' : 'queued',
          sameFileAs?.id ?? null,
          sameFileAs
            ? `This file was imported before (import ${sameFileAs.id}): nothing new to add. Send force=true to read it again.`
            : null,
          user.role,
        ],
      );
      await emit(tx, userId, sameFileAs ? 'import.completed' : 'import.queued', {
        import_id: id,
        format: file.format,
        ...(sameFileAs ? { same_file_as: sameFileAs.id, readings_created: 0 } : {}),
      });
      return rows[0]!;
    });
  }

  enqueue(id: string) {
    this.queue.push(id);
    if (!this.running && !this.stopped) this.idle = this.drain();
  }

  /** Resolves when the worker has nothing left to do (tests, shutdown). */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  async stop() {
    this.stopped = true;
    await this.idle;
  }

  /**
   * At start-up: jobs whose upload is still on this machine's disk are run again (what was already
   * stored counts as duplicates); jobs left behind by a process that stopped long ago are failed.
   */
  async recover(): Promise<void> {
    const { rows } = await this.db.query<{ id: string; updated_at: Date }>(
      `SELECT id, updated_at FROM ${T} WHERE status IN ('queued', 'processing') ORDER BY id`,
    );
    for (const row of rows) {
      if (existsSync(this.spoolPath(row.id))) {
        this.enqueue(row.id);
      } else if (Date.now() - row.updated_at.getTime() > 15 * 60_000) {
        await this.db.query(
          `UPDATE ${T} SET status = 'failed', finished_at = now(), updated_at = now(),
             message = 'The import was interrupted and its upload is gone: upload the file again (nothing already imported will be doubled)'
           WHERE id = $1 AND status IN ('queued', 'processing')`,
          [row.id],
        );
      }
    }
  }

  private async drain() {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const id = this.queue.shift()!;
        try {
          await this.run(id);
        } catch (err) {
          this.logger.error({ err, import_id: id }, 'import worker failed');
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async saveProgress(id: string, bytes: number, counts: IngestCounts) {
    await this.db.query(
      `UPDATE ${T} SET progress_bytes = $2, records_read = $3, readings_sent = $4, readings_created = $5,
         readings_duplicate = $6, records_skipped = $7, records_invalid = $8, treatments_stored = $9,
         skipped_by_reason = $10, errors = $11, sources = $12, updated_at = now()
       WHERE id = $1`,
      [
        id,
        bytes,
        counts.records_read,
        counts.readings_sent,
        counts.readings_created,
        counts.readings_duplicate,
        counts.records_skipped,
        counts.records_invalid,
        counts.treatments_stored,
        JSON.stringify(counts.skipped_by_reason),
        JSON.stringify(counts.errors),
        JSON.stringify(counts.sources),
      ],
    );
  }

  private async run(id: string): Promise<void> {
    const { rows } = await this.db.query<ImportRow>(
      `UPDATE ${T} SET status = 'processing', started_at = COALESCE(started_at, now()), updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'processing') RETURNING *`,
      [id],
    );
    const job = rows[0];
    const path = this.spoolPath(id);
    if (!job || !job.format) {
      rmSync(path, { force: true });
      return;
    }
    const progress = { bytes: 0 };
    const ingestor = new Ingestor(
      { userId: job.user_id, ...(isRole(job.requested_role) ? { role: job.requested_role } : {}) },
      `import:${id}`,
      this.health,
      this.devices,
      'import',
      this.batchSize,
      this.treatments,
      (counts) => this.saveProgress(id, progress.bytes, counts),
    );
    let status: ImportStatus = 'completed';
    let message: string | null = null;
    try {
      const parsed = parseFile({ path, format: job.format, options: job.options, batchSize: this.batchSize });
      for await (const event of parsed) {
        if (event.type === 'total') {
          await this.db.query(`UPDATE ${T} SET progress_total = $2 WHERE id = $1`, [id, event.bytes]);
        } else {
          progress.bytes = event.batch.bytes;
          await ingestor.addBatch(event.batch);
        }
      }
      if (ingestor.counts.records_read === 0) message = 'The file holds no records';
    } catch (err) {
      status = 'failed';
      if (err instanceof FileProblem || err instanceof AppError) {
        message = err.message;
      } else {
        this.logger.error({ err, import_id: id }, 'import failed');
        message =
          'The import stopped on an unexpected error; upload the file again (nothing already imported will be doubled)';
      }
    } finally {
      rmSync(path, { force: true });
    }
    const counts = ingestor.counts;
    await this.saveProgress(id, progress.bytes, counts);
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE ${T} SET status = $2, message = $3, finished_at = now(), updated_at = now(),
           progress_bytes = CASE WHEN $2 = 'completed' THEN progress_total ELSE progress_bytes END
         WHERE id = $1`,
        [id, status, message],
      );
      await emit(tx, job.user_id, status === 'completed' ? 'import.completed' : 'import.failed', {
        import_id: id,
        format: job.format,
        readings_created: counts.readings_created,
        readings_duplicate: counts.readings_duplicate,
        records_invalid: counts.records_invalid,
        sources: counts.sources,
      });
    });
  }
}
