import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFile, type ParseRunner } from './file-parse.js';
import { runParseJob, type ParsedBatch, type WorkerMessage } from './parse-job.js';
import { FileProblem } from './parsers/types.js';

const dir = mkdtempSync(join(tmpdir(), 'pha-file-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const watch = (i: number) => {
  const minute = String(i % 60).padStart(2, '0');
  const hour = String(Math.floor(i / 60) % 24).padStart(2, '0');
  return (
    `<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="${i % 2 ? 'Watch' : 'Phone'}" unit="count/min" ` +
    `startDate="2024-01-01 ${hour}:${minute}:00 +0100" endDate="2024-01-01 ${hour}:${minute}:00 +0100" value="${60 + (i % 30)}"/>`
  );
};

/** An export with `n` heart-rate records, one workout (skipped) and one record without a date (invalid). */
function writeExport(name: string, n: number): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<HealthData locale="en_GB">'];
  for (let i = 0; i < n; i += 1) lines.push(watch(i));
  lines.push('<Workout workoutActivityType="HKWorkoutActivityTypeRunning"/>');
  lines.push(
    '<Record type="HKQuantityTypeIdentifierHeartRate" unit="count/min" startDate="soon" value="70"/>',
  );
  lines.push('</HealthData>');
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function collect(path: string, batchSize: number, runner: ParseRunner) {
  const batches: ParsedBatch[] = [];
  for await (const event of parseFile({ path, format: 'apple_health_xml', options: {}, batchSize }, runner)) {
    if (event.type === 'batch') batches.push(event.batch);
  }
  return batches;
}

function checkBatches(batches: ParsedBatch[], path: string, n: number, batchSize: number) {
  expect(batches.reduce((sum, b) => sum + b.records, 0)).toBe(n + 2);
  expect(batches.every((b) => b.records <= batchSize)).toBe(true);
  expect(batches.at(-1)!.bytes).toBe(statSync(path).size);
  // Sources arrive once, in the order they are first seen; readings point at them by index.
  const sources = batches.flatMap((b) => b.newSources.map((d) => d.source));
  expect(sources).toEqual(['apple_health:Phone', 'apple_health:Watch']);
  const items: { value: number; timestamp: string; source: string }[] = [];
  for (const b of batches) {
    const r = b.readings;
    if (!r) continue; // a batch of only skipped or invalid records
    const text = Buffer.from(r.body).toString('utf8');
    const body = JSON.parse(text) as { items: typeof items };
    expect(body.items).toHaveLength(r.count);
    body.items.forEach((item, i) => {
      // Each reading can be cut out of the body on its own (to send part of a batch again).
      expect(JSON.parse(Buffer.from(r.body.subarray(r.starts[i], r.ends[i])).toString('utf8'))).toEqual(item);
      expect(sources[r.source[i]!]).toBe(item.source);
      expect(r.ms[i]).toBe(Date.parse(item.timestamp));
    });
    expect(Buffer.from(r.refs).toString('utf8').split('\n')).toHaveLength(r.count);
    items.push(...body.items);
  }
  expect(items).toHaveLength(n);
  expect(items[0]).toEqual({
    metric_type: 'heart_rate',
    value: 60,
    unit: 'bpm',
    timestamp: '2024-01-01T00:00:00.000+01:00',
    source: 'apple_health:Phone',
  });
  expect(batches.flatMap((b) => b.skipped)).toEqual([['Workouts (no workout store yet)', 1]]);
  expect(batches.flatMap((b) => b.invalid)).toEqual([
    { ref: `line ${n + 4}`, problem: 'HeartRate: startDate "soon" is not a date' },
  ]);
}

describe('parse jobs', () => {
  it('encodes batches of readings ready to send, with their sources, instants and file positions', async () => {
    const path = writeExport('export-inline.xml', 250);
    checkBatches(await collect(path, 100, { workerScript: null }), path, 250, 100);
  });

  it('runs at most `window` batches ahead of the importer (credits), then finishes when given more', async () => {
    const path = writeExport('export-credits.xml', 50);
    const { port1, port2 } = new MessageChannel();
    const received: WorkerMessage[] = [];
    port1.on('message', (m: WorkerMessage) => received.push(m));
    const job = runParseJob({ path, format: 'apple_health_xml', options: {}, batchSize: 10 }, port2, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 52 records make 6 batches; without a credit back only the first one is sent.
    expect(received.map((m) => m.type)).toEqual(['batch']);
    for (let i = 0; i < 6; i += 1) port1.postMessage({ type: 'credit' });
    await job;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.map((m) => m.type)).toEqual([...Array<string>(6).fill('batch'), 'done']);
    port1.close();
  });

  it('reports a file that is not an export as a FileProblem, after what it read', async () => {
    const path = join(dir, 'not-health.xml');
    writeFileSync(path, '<?xml version="1.0"?><svg></svg>');
    await expect(collect(path, 100, { workerScript: null })).rejects.toThrow(FileProblem);
  });

  describe('in a worker thread', () => {
    let script: string | undefined;
    let why = '';
    beforeAll(async () => {
      // Tests run the TypeScript sources; the worker needs JavaScript: bundle its entry with esbuild (a
      // dependency of vite), as the build compiles it.
      const esbuild = await import('esbuild').catch(() => undefined);
      if (!esbuild) {
        why = 'esbuild is not installed';
        return;
      }
      script = join(dir, 'parse-worker.mjs');
      await esbuild.build({
        entryPoints: [fileURLToPath(new URL('./parse-worker.ts', import.meta.url))],
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
        // CommonJS dependencies bundled into ESM need a require.
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
    }, 60_000);

    it('parses in the worker with the same batches as on this thread', async (ctx) => {
      if (!script) ctx.skip(why);
      const path = writeExport('export-worker.xml', 3000);
      const runner = { workerScript: pathToFileURL(script!) };
      const inWorker = await collect(path, 1000, runner);
      checkBatches(inWorker, path, 3000, 1000);
      const inline = await collect(path, 1000, { workerScript: null });
      const bodies = (batches: ParsedBatch[]) =>
        batches.map((b) => (b.readings ? Buffer.from(b.readings.body).toString('utf8') : null));
      expect(bodies(inWorker)).toEqual(bodies(inline));
    });

    it('passes a FileProblem from the worker on as a FileProblem', async (ctx) => {
      if (!script) ctx.skip(why);
      const path = join(dir, 'not-health-worker.xml');
      writeFileSync(path, '<?xml version="1.0"?><svg></svg>');
      const err = await collect(path, 100, { workerScript: pathToFileURL(script!) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileProblem);
      expect((err as FileProblem).message).toMatch(/not an Apple Health export/);
    });
  });
});
