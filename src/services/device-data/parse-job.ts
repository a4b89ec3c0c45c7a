/**
 * The parsing half of a file import, written to run in a worker thread (parse-worker.ts): it reads the
 * spooled upload (or the export.xml inside an Apple Health zip), runs the format's parser, and sends
 * what it finds to the importing thread in batches that are ready to send on: the readings already
 * encoded as the JSON body of health tracking's batch API, plus compact columns (source, instant, where
 * in the file) that the importer needs for its counts and for readings health tracking refuses.
 *
 * Flow control: the importer grants credits, one per batch it has finished storing, and this side never
 * has more than the credits it was given in flight. Parsing runs ahead of storage by at most that many
 * batches, so memory stays constant whatever the file size.
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import yauzl from 'yauzl';
import { parseAppleHealthXml } from './parsers/apple-health.js';
import { parseClarityCsv } from './parsers/clarity.js';
import type { ImportFormat } from './parsers/detect.js';
import { parseFitbitCsv } from './parsers/fitbit.js';
import { MAX_LISTED_ERRORS } from './ingest.js';
import { parseNightscoutJson } from './parsers/nightscout.js';
import {
  FileProblem,
  type DeviceInfo,
  type ParseOptions,
  type ParsedEvent,
  type Ref,
} from './parsers/types.js';
import { parseOffsetIso } from './time.js';

/** Treatments (Nightscout) are stored in groups of at most this many. */
const TREATMENTS_PER_BATCH = 500;

export interface ParseJob {
  path: string;
  format: ImportFormat;
  options: ParseOptions;
  /** Readings per batch (and records of any kind: a file of skipped records still reports progress). */
  batchSize: number;
}

/** Readings of one batch, encoded once, here, for health tracking's `POST /api/v1/metrics/batch`. */
export interface EncodedReadings {
  count: number;
  /**
   * `{"items":[...]}` in UTF-8: the request body for the whole batch. Bytes, not a string: handed over
   * without a copy, and outside the V8 heap (a string this large would wait for a full collection).
   */
  body: Uint8Array;
  /** Item i is bytes [starts[i], ends[i]) of `body` (a reading's JSON), to send a part of the batch again. */
  starts: Uint32Array;
  ends: Uint32Array;
  /** Index of each reading's source in the import's source table (see `ParsedBatch.newSources`). */
  source: Uint32Array;
  /** Each reading's instant, ms since the epoch. */
  ms: Float64Array;
  /** Where each reading is in the file ("line 12"), joined with newlines, in UTF-8. */
  refs: Uint8Array;
}

export interface ParsedBatch {
  /** Bytes of the file read so far (progress). */
  bytes: number;
  /** Records in this batch, of every kind. */
  records: number;
  readings: EncodedReadings | null;
  /** Sources seen for the first time, appended to the source table in this order, with their device. */
  newSources: DeviceInfo[];
  skipped: [reason: string, count: number][];
  /** Malformed records, listed up to MAX_LISTED_ERRORS over the whole file ... */
  invalid: { ref: Ref; problem: string }[];
  /** ... and counted beyond that. */
  invalidUnlisted: number;
  treatments: Record<string, unknown>[];
}

export type WorkerMessage =
  | { type: 'total'; bytes: number }
  | { type: 'batch'; batch: ParsedBatch }
  | { type: 'done' }
  | { type: 'failed'; message: string; code?: string; fileProblem: boolean };

export type ImporterMessage = { type: 'credit' } | { type: 'stop' };

/** The export.xml inside an Apple Health export.zip, streamed out of it. */
export async function openAppleExport(
  path: string,
): Promise<{ stream: Readable; size: number; close: () => void }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, file) =>
      err || !file
        ? reject(
            new FileProblem(`The zip file cannot be read: ${err?.message ?? 'unknown'}`, 'malformed_file'),
          )
        : resolve(file),
    ),
  );
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (/(^|\/)export\.xml$/.test(entry.fileName)) {
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) {
            zip.close();
            reject(
              new FileProblem(
                `export.xml cannot be read from the zip: ${err?.message ?? 'unknown'}`,
                'malformed_file',
              ),
            );
            return;
          }
          resolve({ stream, size: entry.uncompressedSize, close: () => zip.close() });
        });
      } else {
        zip.readEntry();
      }
    });
    zip.on('end', () => {
      zip.close();
      reject(
        new FileProblem('This zip holds no export.xml: it is not an Apple Health export', 'unsupported_file'),
      );
    });
    zip.on('error', (err: Error) => {
      zip.close();
      reject(new FileProblem(`The zip file is damaged: ${err.message}`, 'malformed_file'));
    });
    zip.readEntry();
  });
}

export function parserFor(
  format: ImportFormat,
  input: Readable,
  options: ParseOptions,
): AsyncGenerator<ParsedEvent> {
  switch (format) {
    case 'apple_health_xml':
    case 'apple_health_zip':
      return parseAppleHealthXml(input);
    case 'dexcom_clarity_csv':
      return parseClarityCsv(input, options);
    case 'fitbit_csv':
      return parseFitbitCsv(input, options);
    case 'nightscout_json':
      return parseNightscoutJson(input);
  }
}

/** A stream that counts the bytes passing through it. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err: null, chunk: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

const BODY_START = '{"items":[';
const BODY_END = ']}';

/** Text written into one growing buffer, UTF-8; `take()` hands the bytes over and starts anew. */
class ByteWriter {
  private buffer: Buffer;
  length = 0;

  constructor(private readonly initialBytes: number) {
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    const room = this.length + text.length * 3;
    if (room > this.buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(room, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** The bytes written, in a buffer of their own (it can be transferred), and a fresh one for the next. */
  take(): Uint8Array {
    const bytes = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.length);
    this.buffer = Buffer.allocUnsafeSlow(Math.max(this.initialBytes, this.buffer.length));
    this.length = 0;
    return bytes;
  }
}

/** Collects one batch; `take()` hands it over encoded and starts the next. */
export class BatchEncoder {
  private readonly body = new ByteWriter(2 * 1024 * 1024);
  private readonly refs = new ByteWriter(256 * 1024);
  private starts: number[] = [];
  private ends: number[] = [];
  private sourceOf: number[] = [];
  private msOf: number[] = [];
  private records = 0;
  private newSources: DeviceInfo[] = [];
  private skipped = new Map<string, number>();
  private invalid: { ref: Ref; problem: string }[] = [];
  private invalidUnlisted = 0;
  private invalidListed = 0;
  private treatments: Record<string, unknown>[] = [];
  private readonly sources = new Map<string, number>();

  constructor(private readonly batchSize: number) {}

  /** Adds one parsed record; true when the batch is full. */
  add(event: ParsedEvent): boolean {
    this.records += 1;
    switch (event.kind) {
      case 'reading': {
        const key = event.reading.source;
        let index = this.sources.get(key);
        if (index === undefined) {
          index = this.sources.size;
          this.sources.set(key, index);
          this.newSources.push(event.device);
        }
        this.body.write(this.starts.length === 0 ? BODY_START : ',');
        this.starts.push(this.body.length);
        this.body.write(JSON.stringify(event.reading));
        this.ends.push(this.body.length);
        this.refs.write(this.starts.length === 1 ? event.ref : `\n${event.ref}`);
        this.sourceOf.push(index);
        this.msOf.push(event.at ?? parseOffsetIso(event.reading.timestamp)?.ms ?? 0);
        break;
      }
      case 'treatment':
        this.treatments.push(event.document);
        break;
      case 'skipped':
        this.skipped.set(event.reason, (this.skipped.get(event.reason) ?? 0) + 1);
        break;
      case 'invalid':
        if (this.invalidListed < MAX_LISTED_ERRORS) {
          this.invalidListed += 1;
          this.invalid.push({ ref: event.ref, problem: event.problem });
        } else {
          this.invalidUnlisted += 1;
        }
        break;
    }
    return this.records >= this.batchSize || this.treatments.length >= TREATMENTS_PER_BATCH;
  }

  get isEmpty(): boolean {
    return this.records === 0;
  }

  take(bytes: number): ParsedBatch {
    const count = this.starts.length;
    let readings: EncodedReadings | null = null;
    if (count > 0) {
      this.body.write(BODY_END);
      readings = {
        count,
        body: this.body.take(),
        starts: Uint32Array.from(this.starts),
        ends: Uint32Array.from(this.ends),
        source: Uint32Array.from(this.sourceOf),
        ms: Float64Array.from(this.msOf),
        refs: this.refs.take(),
      };
    }
    const batch: ParsedBatch = {
      bytes,
      records: this.records,
      readings,
      newSources: this.newSources,
      skipped: [...this.skipped],
      invalid: this.invalid,
      invalidUnlisted: this.invalidUnlisted,
      treatments: this.treatments,
    };
    this.starts = [];
    this.ends = [];
    this.sourceOf = [];
    this.msOf = [];
    this.records = 0;
    this.newSources = [];
    this.skipped = new Map();
    this.invalid = [];
    this.invalidUnlisted = 0;
    this.treatments = [];
    return batch;
  }
}

/** Typed arrays of a batch, handed over without a copy. */
const transferList = (batch: ParsedBatch): ArrayBuffer[] =>
  batch.readings
    ? [
        batch.readings.body.buffer as ArrayBuffer,
        batch.readings.refs.buffer as ArrayBuffer,
        batch.readings.starts.buffer as ArrayBuffer,
        batch.readings.ends.buffer as ArrayBuffer,
        batch.readings.source.buffer as ArrayBuffer,
        batch.readings.ms.buffer as ArrayBuffer,
      ]
    : [];

/**
 * Runs one parse job, talking to the importer over `port`: `window` batches may be sent before the
 * first credit comes back. Ends with a `done` or `failed` message; a `stop` message ends it early.
 */
export async function runParseJob(job: ParseJob, port: MessagePort, window = 2): Promise<void> {
  let credits = window;
  let stopped = false;
  let wake: (() => void) | undefined;
  const onMessage = (message: ImporterMessage) => {
    if (message.type === 'credit') credits += 1;
    else stopped = true;
    wake?.();
  };
  port.on('message', onMessage);
  const waitForCredit = async () => {
    while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  };
  let close = () => {};
  const counter = new ByteCounter();
  const encoder = new BatchEncoder(job.batchSize);
  const send = async () => {
    await waitForCredit();
    if (stopped) return;
    credits -= 1;
    const batch = encoder.take(counter.bytes);
    port.postMessage({ type: 'batch', batch } satisfies WorkerMessage, transferList(batch));
  };
  try {
    let source: Readable;
    if (job.format === 'apple_health_zip') {
      const inner = await openAppleExport(job.path);
      close = inner.close;
      port.postMessage({ type: 'total', bytes: inner.size } satisfies WorkerMessage);
      source = inner.stream;
    } else {
      source = createReadStream(job.path);
    }
    source.on('error', (err) => counter.destroy(err));
    for await (const event of parserFor(job.format, source.pipe(counter), job.options)) {
      if (encoder.add(event)) await send();
      if (stopped) break;
    }
    if (!stopped) {
      if (!encoder.isEmpty) await send();
      port.postMessage({ type: 'done' } satisfies WorkerMessage);
    }
  } catch (err) {
    // What was read before the problem is still stored (the importer flushes on failure too).
    if (!encoder.isEmpty && !stopped) await send();
    const problem = err instanceof FileProblem;
    port.postMessage({
      type: 'failed',
      message: err instanceof Error ? err.message : String(err),
      ...(problem ? { code: err.code } : {}),
      fileProblem: problem,
    } satisfies WorkerMessage);
  } finally {
    close();
    counter.destroy();
    port.off('message', onMessage);
  }
}
