/**
 * One sync of a SMART connection: the launch Patient, then each search stream page by page (following
 * the searchset Bundle's `next` links), each page imported through the service's FHIR import. Progress
 * is saved after every page, so an interrupted sync continues from the page it stopped at; a type the
 * EHR refuses (403, an OperationOutcome) is reported and the others go on. No SQL here.
 */
import { isObject, type FhirResource, type Json, type JsonObject } from './fhir.js';
import { EhrError, SMART_RESOURCE_TYPES, type SmartResourceType } from './smart-client.js';
import type { ImportStatus } from './store.js';

export interface SearchStream {
  /** Progress key: the resource type, with the category when one type is read in several searches. */
  key: string;
  resourceType: Exclude<SmartResourceType, 'Patient'>;
  params: Record<string, string>;
}

/**
 * Epic requires `category` (or `code`) on Observation searches, so Observations are read by category:
 * laboratory results, vital signs (flowsheets) and social history (smoking status), the US Core
 * categories Epic serves for patients. The other types are searched by patient alone.
 */
export const SEARCH_STREAMS: readonly SearchStream[] = [
  { key: 'Observation:laboratory', resourceType: 'Observation', params: { category: 'laboratory' } },
  { key: 'Observation:vital-signs', resourceType: 'Observation', params: { category: 'vital-signs' } },
  { key: 'Observation:social-history', resourceType: 'Observation', params: { category: 'social-history' } },
  { key: 'Condition', resourceType: 'Condition', params: {} },
  { key: 'MedicationRequest', resourceType: 'MedicationRequest', params: {} },
  { key: 'AllergyIntolerance', resourceType: 'AllergyIntolerance', params: {} },
  { key: 'Immunization', resourceType: 'Immunization', params: {} },
  { key: 'DiagnosticReport', resourceType: 'DiagnosticReport', params: {} },
];

/** Where one stream stands between syncs. */
export interface StreamProgress {
  /** The next page of an unfinished pass (a link the EHR gave); null when no pass is under way. */
  next_url: string | null;
  /** The server time when the unfinished pass began: it becomes the watermark when the pass completes. */
  pass_started_at: string | null;
  /** Everything updated before this instant has been read: the next pass asks for `_lastUpdated=ge` it. */
  watermark: string | null;
  completed_at: string | null;
}

export interface SyncError {
  status: number | null;
  code: string;
  message: string;
}

export interface TypeResult {
  resource_type: SmartResourceType;
  imported: number;
  updated: number;
  unchanged: number;
  skipped: number;
  pages: number;
  /** Every search of this type reached its last page in this sync. */
  complete: boolean;
  error: SyncError | null;
  /** Warnings the EHR put in its searchsets (OperationOutcome entries), a few at most. */
  notes: string[];
}

export interface SyncPort {
  /** An authenticated GET of a URL on the FHIR server; throws EhrError. */
  get(url: string): Promise<{ body: unknown; serverDate: Date | null }>;
  /** Imports a Bundle or one resource for the user; answers the counts by status. */
  importFhir(root: FhirResource): Promise<Record<ImportStatus, number>>;
  /** Persists the progress (and keeps the sync's lease); throws when the connection is gone. */
  saveProgress(progress: Record<string, StreamProgress>): Promise<void>;
}

export interface SyncInput {
  fhirBaseUrl: string;
  patientId: string;
  progress: Record<string, StreamProgress>;
  /** Resource types the server can search by _lastUpdated. */
  lastUpdatedTypes: Set<string>;
}

/** Errors after which nothing else can succeed in this sync. */
const FATAL_CODES = new Set(['reauthorization_required', 'disconnected']);
/** How many pages one stream may read in one sync: a guard against a server whose links never end. */
export const MAX_PAGES_PER_STREAM = 5000;
/** When the server sends no Date header, the local clock stands in, this far back for clock skew. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_NOTES = 5;

const emptyResult = (type: SmartResourceType): TypeResult => ({
  resource_type: type,
  imported: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  pages: 0,
  complete: true,
  error: null,
  notes: [],
});

const emptyProgress = (): StreamProgress => ({
  next_url: null,
  pass_started_at: null,
  watermark: null,
  completed_at: null,
});

export function describeError(err: unknown): SyncError {
  if (err instanceof EhrError) return { status: err.status || null, code: err.code, message: err.message };
  return {
    status: null,
    code: 'internal_error',
    message: 'The sync of this type stopped on an unexpected error',
  };
}

/** Whether `link` is on the FHIR server itself: the access token is never sent anywhere else. */
export function onServer(fhirBaseUrl: string, link: string): boolean {
  try {
    const base = new URL(fhirBaseUrl);
    const url = new URL(link);
    const prefix = base.pathname.replace(/\/+$/, '');
    return url.origin === base.origin && (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`));
  } catch {
    return false;
  }
}

export function firstPageUrl(input: SyncInput, stream: SearchStream, watermark: string | null): string {
  const url = new URL(`${input.fhirBaseUrl}/${stream.resourceType}`);
  url.searchParams.set('patient', input.patientId);
  for (const [k, v] of Object.entries(stream.params)) url.searchParams.set(k, v);
  if (watermark && input.lastUpdatedTypes.has(stream.resourceType)) {
    url.searchParams.set('_lastUpdated', `ge${watermark}`);
  }
  return url.toString();
}

/** The searchset without its OperationOutcome entries (search.mode "outcome"), and what they said. */
export function splitOutcomes(bundle: JsonObject): { bundle: FhirResource; notes: string[] } {
  const notes: string[] = [];
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const kept = entries.filter((entry) => {
    if (!isObject(entry)) return true;
    const resource = isObject(entry.resource) ? entry.resource : undefined;
    const outcome =
      (isObject(entry.search) && entry.search.mode === 'outcome') ||
      resource?.resourceType === 'OperationOutcome';
    if (!outcome) return true;
    for (const issue of Array.isArray(resource?.issue) ? resource.issue : []) {
      if (!isObject(issue)) continue;
      const details = isObject(issue.details) ? issue.details.text : undefined;
      const text = [issue.severity, typeof details === 'string' ? details : issue.diagnostics]
        .filter((x): x is string => typeof x === 'string' && x !== '')
        .join(': ');
      if (text) notes.push(text.slice(0, 200));
    }
    return false;
  });
  return { bundle: { ...bundle, resourceType: 'Bundle', entry: kept as Json[] }, notes };
}

export function nextLink(bundle: JsonObject): string | null {
  const links = Array.isArray(bundle.link) ? bundle.link : [];
  const next = links.find((l) => isObject(l) && l.relation === 'next');
  return isObject(next) && typeof next.url === 'string' && next.url !== '' ? next.url : null;
}

function add(result: TypeResult, counts: Record<ImportStatus, number>) {
  result.imported += counts.imported;
  result.updated += counts.updated;
  result.unchanged += counts.unchanged;
  result.skipped += counts.skipped;
  result.pages += 1;
}

function addNotes(result: TypeResult, notes: string[]) {
  for (const note of notes) {
    if (result.notes.length < MAX_NOTES && !result.notes.includes(note)) result.notes.push(note);
  }
}

/** Reads the launch Patient (a read by id: the one resource every patient scope allows). */
async function syncPatient(input: SyncInput, port: SyncPort, result: TypeResult): Promise<void> {
  const { body } = await port.get(`${input.fhirBaseUrl}/Patient/${encodeURIComponent(input.patientId)}`);
  if (!isObject(body) || body.resourceType !== 'Patient') {
    throw new EhrError(502, 'unexpected_response', 'The EHR answered the Patient read with something else');
  }
  add(result, await port.importFhir(body as FhirResource));
  const progress = input.progress.Patient ?? emptyProgress();
  progress.completed_at = new Date().toISOString();
  input.progress.Patient = progress;
  await port.saveProgress(input.progress);
}

/** Reads one search stream from where it stands to its last page. */
async function syncStream(
  input: SyncInput,
  stream: SearchStream,
  port: SyncPort,
  result: TypeResult,
): Promise<void> {
  const progress = input.progress[stream.key] ?? emptyProgress();
  input.progress[stream.key] = progress;
  let resuming = progress.next_url !== null;
  let url = progress.next_url ?? firstPageUrl(input, stream, progress.watermark);
  const seen = new Set<string>();
  for (let page = 0; ; page += 1) {
    if (page >= MAX_PAGES_PER_STREAM || seen.has(url)) {
      throw new EhrError(502, 'paging_loop', `The EHR's ${stream.resourceType} pages do not end; stopped`);
    }
    seen.add(url);
    let answer: { body: unknown; serverDate: Date | null };
    try {
      answer = await port.get(url);
    } catch (err) {
      // A saved page link can expire at the EHR (search sessions are short-lived): start the pass again.
      if (resuming && err instanceof EhrError && [400, 404, 410].includes(err.status)) {
        resuming = false;
        progress.next_url = null;
        progress.pass_started_at = null;
        url = firstPageUrl(input, stream, progress.watermark);
        addNotes(result, [
          `the saved page link was no longer valid (HTTP ${err.status}); the search started again`,
        ]);
        continue;
      }
      throw err;
    }
    resuming = false;
    const body = answer.body;
    if (!isObject(body) || body.resourceType !== 'Bundle') {
      throw new EhrError(
        502,
        'unexpected_response',
        `The EHR answered the ${stream.resourceType} search with something else than a Bundle`,
      );
    }
    progress.pass_started_at ??= (answer.serverDate ?? new Date(Date.now() - CLOCK_SKEW_MS)).toISOString();
    const { bundle, notes } = splitOutcomes(body);
    addNotes(result, notes);
    add(result, await port.importFhir(bundle));
    const next = nextLink(body);
    if (next && !onServer(input.fhirBaseUrl, next)) {
      throw new EhrError(
        502,
        'unexpected_response',
        `The EHR's next ${stream.resourceType} page is not on the FHIR server; not followed`,
      );
    }
    if (next) {
      progress.next_url = next;
    } else {
      progress.next_url = null;
      progress.watermark = progress.pass_started_at;
      progress.pass_started_at = null;
      progress.completed_at = new Date().toISOString();
    }
    await port.saveProgress(input.progress);
    if (!next) return;
    url = next;
  }
}

/** The results of a sync that stopped before reading anything. */
export function notAttempted(fatal: SyncError): TypeResult[] {
  return SMART_RESOURCE_TYPES.map((type) => ({
    ...emptyResult(type),
    complete: false,
    error: { status: null, code: 'not_attempted', message: `The sync stopped: ${fatal.message}` },
  }));
}

export interface SyncOutcome {
  results: TypeResult[];
  /** What stopped the whole sync (tokens refused, connection removed), if anything did. */
  fatal: SyncError | null;
}

/** Runs one sync; errors of one type are recorded and the next type goes on. */
export async function runSmartSync(input: SyncInput, port: SyncPort): Promise<SyncOutcome> {
  const results = new Map<SmartResourceType, TypeResult>(
    SMART_RESOURCE_TYPES.map((t) => [t, emptyResult(t)]),
  );
  const tasks: { type: SmartResourceType; label: string; run: (r: TypeResult) => Promise<void> }[] = [
    { type: 'Patient', label: 'Patient', run: (r) => syncPatient(input, port, r) },
    ...SEARCH_STREAMS.map((stream) => ({
      type: stream.resourceType,
      label: stream.params.category
        ? `${stream.resourceType} (${stream.params.category})`
        : stream.resourceType,
      run: (r: TypeResult) => syncStream(input, stream, port, r),
    })),
  ];
  let fatal: SyncError | null = null;
  for (const task of tasks) {
    const result = results.get(task.type)!;
    if (fatal) {
      result.complete = false;
      result.error ??= { status: null, code: 'not_attempted', message: `Not read: ${fatal.message}` };
      continue;
    }
    try {
      await task.run(result);
    } catch (err) {
      if (!(err instanceof EhrError)) throw err;
      const error = describeError(err);
      result.complete = false;
      // One type read in several searches keeps each search's error, named by its category.
      const message = task.label === task.type ? error.message : `${task.label}: ${error.message}`;
      result.error = result.error
        ? { ...result.error, message: `${result.error.message}; ${message}` }
        : { ...error, message };
      if (FATAL_CODES.has(err.code)) fatal = error;
    }
  }
  return { results: [...results.values()], fatal };
}
