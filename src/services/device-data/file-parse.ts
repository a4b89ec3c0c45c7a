/**
 * Runs a parse job (parse-job.ts) in a worker thread and hands its batches to the importer one at a
 * time. The worker has its own V8 heap, capped, so the parser's garbage (strings and objects per record)
 * neither slows the importing thread nor grows its heap, and parsing overlaps with storing: the worker
 * parses the next batch while this thread stores the current one.
 *
 * When the compiled worker script is not there (tests run the TypeScript sources), the same job runs on
 * this thread behind a MessageChannel: same messages, same flow control, no parallelism.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { FileProblem } from './parsers/types.js';
import {
  runParseJob,
  type ImporterMessage,
  type ParseJob,
  type ParsedBatch,
  type WorkerMessage,
} from './parse-job.js';

/**
 * The worker's heap limits, in MB. It holds a few batches (about 150 bytes a reading once encoded) and
 * the parser's state; what it allocates per record is garbage collected young. Above the cap the worker
 * stops with ERR_WORKER_OUT_OF_MEMORY and the import fails, instead of the service's process growing.
 */
export const PARSE_WORKER_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 };

/** Batches parsed ahead of the one being stored. */
const WINDOW = 2;

const COMPILED_WORKER = new URL('./parse-worker.js', import.meta.url);

export type ParseEvent = { type: 'total'; bytes: number } | { type: 'batch'; batch: ParsedBatch };

export interface ParseRunner {
  /** Where the worker script is; null runs the job on this thread. Default: the compiled parse-worker.js. */
  workerScript?: URL | string | null;
}

function defaultWorkerScript(): URL | null {
  return COMPILED_WORKER.protocol === 'file:' && existsSync(fileURLToPath(COMPILED_WORKER))
    ? COMPILED_WORKER
    : null;
}

/** What both a Worker and a MessagePort offer. */
interface Port {
  postMessage(message: ImporterMessage): void;
  on(event: 'message', listener: (message: WorkerMessage) => void): unknown;
  off(event: 'message', listener: (message: WorkerMessage) => void): unknown;
}

interface Channel {
  port: Port;
  close(): Promise<void>;
}

function openChannel(job: ParseJob, script: URL | string | null, onFailure: (err: Error) => void): Channel {
  if (script === null) {
    const { port1, port2 } = new MessageChannel();
    const running = runParseJob(job, port2, WINDOW).catch(onFailure);
    return {
      port: port1,
      close: async () => {
        port1.postMessage({ type: 'stop' } satisfies ImporterMessage);
        await running;
        port1.close();
        port2.close();
      },
    };
  }
  const worker = new Worker(script, { workerData: job, resourceLimits: PARSE_WORKER_LIMITS });
  worker.on('error', onFailure);
  worker.on('exit', (code) => {
    if (code !== 0) onFailure(new Error(`the parse worker stopped (exit code ${code})`));
  });
  return {
    port: worker,
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Parses the file of `job` and yields its batches (and, for a zip, the size of the export inside it
 * first). The next batch is asked for only when the caller comes back for it, so parsing never runs more
 * than WINDOW batches ahead of the caller. A file that cannot be read throws FileProblem.
 */
export async function* parseFile(job: ParseJob, runner: ParseRunner = {}): AsyncGenerator<ParseEvent> {
  const script = runner.workerScript === undefined ? defaultWorkerScript() : runner.workerScript;
  const inbox: WorkerMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const ring = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const channel = openChannel(job, script, (err) => {
    failure ??=
      (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new Error(
            `the parse worker reached its memory limit (${PARSE_WORKER_LIMITS.maxOldGenerationSizeMb} MB)`,
          )
        : err;
    ring();
  });
  const onMessage = (message: WorkerMessage) => {
    inbox.push(message);
    ring();
  };
  channel.port.on('message', onMessage);
  try {
    for (;;) {
      const message = inbox.shift();
      if (!message) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      switch (message.type) {
        case 'total':
          yield message;
          break;
        case 'batch':
          yield message;
          channel.port.postMessage({ type: 'credit' } satisfies ImporterMessage);
          break;
        case 'done':
          return;
        case 'failed':
          if (message.fileProblem) throw new FileProblem(message.message, message.code);
          throw new Error(`parsing failed: ${message.message}`);
      }
    }
  } finally {
    channel.port.off('message', onMessage);
    await channel.close();
  }
}
