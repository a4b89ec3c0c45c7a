import type { Logger } from 'pino';
import type { FieldCipher } from '../../platform/crypto.js';
import type { DocumentCipher } from './documents-crypto.js';
import { extractDocument, ExtractionProblem } from './documents-extract.js';
import type { OcrEngine } from './documents-ocr.js';
import type { DocumentStore } from './documents-store.js';
import { findLabValues } from './lab-text.js';

/** A job left 'processing' this long without a heartbeat belonged to a process that stopped. */
const STALE_MS = 15 * 60_000;
const MAX_ATTEMPTS = 3;

/**
 * Text extraction in the background: the upload answers at once with status 'pending'; one job at a time
 * per process (OCR takes a core and ~100 MB), taken from the database queue so that a job outlives the
 * request, and a restart picks up what was left.
 */
export class DocumentExtractor {
  private running = false;
  private again = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: DocumentStore,
    private readonly fileCipher: DocumentCipher,
    private readonly textCipher: FieldCipher,
    private readonly ocr: OcrEngine,
    private readonly logger: Logger,
  ) {}

  /** Something was queued: run the queue if this process is not already running it. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.idle = this.drain();
  }

  /** Resolves when the queue is empty (tests, shutdown). */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  async recover(): Promise<void> {
    await this.store.recoverStale(STALE_MS, MAX_ATTEMPTS);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle;
    await this.ocr.terminate();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        for (;;) {
          if (this.stopped) return;
          const job = await this.store.claimNext();
          if (!job) break;
          await this.run(job);
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.error({ err }, 'document extraction queue failed');
    } finally {
      this.running = false;
    }
  }

  private async run(job: NonNullable<Awaited<ReturnType<DocumentStore['claimNext']>>>): Promise<void> {
    const started = Date.now();
    try {
      const bytes = this.fileCipher.open(job.content, job.user_id, job.id);
      const extraction = await extractDocument(job.media_type, bytes, this.ocr, () =>
        this.store.heartbeat(job.id),
      );
      const suggestions = findLabValues(extraction.text, job.document_date);
      const reason = extraction.notes.length > 0 ? extraction.notes.join(' ') : null;
      await this.store.finish(
        job.id,
        {
          sealedText: this.textCipher.seal(extraction.text),
          method: extraction.method,
          pages: extraction.pages,
          reason,
        },
        suggestions,
      );
      this.logger.info(
        {
          document_id: job.id,
          method: extraction.method,
          suggestions: suggestions.length,
          ms: Date.now() - started,
        },
        'document text extracted',
      );
    } catch (err) {
      if (err instanceof ExtractionProblem) {
        await this.store.fail(job.id, err.message);
        this.logger.info({ document_id: job.id }, 'document extraction failed: unreadable file');
      } else {
        // Never the text or the bytes in the log: the error only.
        this.logger.error({ err, document_id: job.id }, 'document extraction failed');
        await this.store.fail(
          job.id,
          'Extraction failed unexpectedly; the file is kept and can be downloaded',
        );
      }
    }
  }
}
