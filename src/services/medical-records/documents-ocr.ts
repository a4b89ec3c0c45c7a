import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker } from 'tesseract.js';

/**
 * OCR with tesseract.js (Tesseract 5 compiled to WebAssembly), fully offline: the engine (corePath) and
 * the worker script (workerPath) are tesseract.js's own files in node_modules, the English model is the
 * one @tesseract.js-data/eng ships (langPath, gzipped), and the model cache is off (cacheMethod 'none':
 * tesseract.js would otherwise write eng.traineddata into the working directory). With langPath unset
 * tesseract.js would download the model from a CDN; nothing here leaves the machine.
 *
 * Memory stays bounded: one worker per process, one recognition at a time, and the worker (about 100 MB
 * with the model loaded) is terminated after `idleMs` without work. tesseract.js itself is loaded on the
 * first OCR, not at start-up: most processes never read a scan.
 */

const require = createRequire(import.meta.url);

/** The LSTM-only integer model (2.9 MB gzipped): the one tesseract.js itself picks for OEM.LSTM_ONLY. */
export const ENG_MODEL_DIR = join(
  dirname(require.resolve('@tesseract.js-data/eng/package.json')),
  '4.0.0_best_int',
);

export class OcrError extends Error {}

export class OcrEngine {
  private worker: Promise<Worker> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  /** How many workers were started (tests check the idle shutdown). */
  started = 0;

  constructor(private readonly idleMs = 60_000) {}

  get running(): boolean {
    return this.worker !== null;
  }

  /** The text of an encoded image (PNG, JPEG, TIFF, WebP, BMP). One at a time. */
  recognize(image: Buffer): Promise<{ text: string; confidence: number }> {
    const run = this.queue.then(() => this.recognizeNow(image));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async recognizeNow(image: Buffer) {
    this.clearIdle();
    try {
      const worker = await this.ensureWorker();
      const { data } = await worker.recognize(image);
      return { text: data.text, confidence: data.confidence };
    } catch (err) {
      // After a failure the worker's state is unknown: start afresh next time.
      await this.terminate();
      throw new OcrError(typeof err === 'string' ? err : ((err as Error).message ?? 'OCR failed'));
    } finally {
      this.armIdle();
    }
  }

  private ensureWorker(): Promise<Worker> {
    if (!this.worker) {
      this.started += 1;
      const starting = import('tesseract.js').then(({ createWorker, OEM }) =>
        createWorker('eng', OEM.LSTM_ONLY, {
          langPath: ENG_MODEL_DIR,
          gzip: true,
          cacheMethod: 'none',
          logger: () => {},
          errorHandler: () => {},
        }),
      );
      this.worker = starting;
      starting.catch(() => {
        if (this.worker === starting) this.worker = null;
      });
    }
    return this.worker;
  }

  private clearIdle() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private armIdle() {
    this.clearIdle();
    if (!this.worker) return;
    this.idleTimer = setTimeout(() => void this.terminate(), this.idleMs);
    this.idleTimer.unref();
  }

  async terminate(): Promise<void> {
    this.clearIdle();
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    try {
      await (await worker).terminate();
    } catch {
      // already gone
    }
  }
}
