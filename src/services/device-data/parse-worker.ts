/** Entry of the parse worker thread (see file-parse.ts): runs the job it was started with. */
import { parentPort, workerData } from 'node:worker_threads';
import { runParseJob, type ParseJob } from './parse-job.js';

if (parentPort) await runParseJob(workerData as ParseJob, parentPort);
