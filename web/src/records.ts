// The medical-records API as the web app uses it: the records list, one record with its original FHIR
// resource, FHIR import with its per-resource report, a lab's history, the patient summary and the FHIR
// export, documents with the lab values read from them, and the Epic (SMART on FHIR) connection. Lab flags are the server's
// (computed from the value, the reference range and cited critical limits); the app only shows them.
import { api, fetchFile, upload, type UploadProgress } from './api';
import { query, type Page } from './health';

export const RECORDS = '/medical-records/api/v1';

export const RECORD_TYPES = [
  'lab',
  'vital_sign',
  'observation',
  'diagnostic_report',
  'condition',
  'medication',
  'allergy',
  'immunization',
  'procedure',
  'encounter',
  'document',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const TYPE_NAMES: Record<string, { one: string; many: string }> = {
  lab: { one: 'Lab result', many: 'Lab results' },
  vital_sign: { one: 'Vital sign', many: 'Vital signs' },
  observation: { one: 'Observation', many: 'Other observations' },
  diagnostic_report: { one: 'Report', many: 'Reports' },
  condition: { one: 'Condition', many: 'Conditions' },
  medication: { one: 'Medication', many: 'Medications' },
  allergy: { one: 'Allergy', many: 'Allergies' },
  immunization: { one: 'Immunisation', many: 'Immunisations' },
  procedure: { one: 'Procedure', many: 'Procedures' },
  encounter: { one: 'Visit', many: 'Visits' },
  document: { one: 'Document', many: 'Documents' },
  patient: { one: 'Patient details', many: 'Patient details' },
};

export interface Quantity {
  value: number;
  unit: string | null;
  code: string | null;
}

export type Flag = 'LL' | 'L' | 'N' | 'H' | 'HH';

export interface LabFlags {
  flag: Flag | null;
  abnormal: boolean | null;
  critical: boolean;
  reference_range: { low: Quantity | null; high: Quantity | null; text: string | null } | null;
  critical_limits: { low: number | null; high: number | null; unit: string; source: string } | null;
  note: string | null;
}

export interface Measurement {
  value: Quantity | null;
  value_text: string | null;
  components: { code: string | null; display: string; value: Quantity | null }[];
  source_interpretation: string[];
  flags: LabFlags | null;
}

export interface MedicalRecord {
  id: string;
  record_type: RecordType;
  resource_type: string;
  source: { system: string; id: string };
  effective_at: string | null;
  effective_text: string | null;
  display: string;
  code: { system: string | null; code: string | null } | null;
  status: string | null;
  measurement: Measurement | null;
  created_at: string;
  updated_at: string;
}

export interface RecordDetail extends MedicalRecord {
  resource: unknown;
}

export type ImportResultStatus = 'imported' | 'updated' | 'unchanged' | 'skipped';

export interface ImportReport {
  source_system: string;
  counts: Record<ImportResultStatus, number>;
  results: {
    path: string;
    resource_type: string | null;
    source_id: string | null;
    status: ImportResultStatus;
    record_type: string | null;
    record_id: string | null;
    reason: string | null;
  }[];
}

export interface LabPoint {
  record_id: string;
  effective_at: string;
  value: Quantity | null;
  value_text: string | null;
  flags: LabFlags | null;
}

export interface LabHistory {
  loinc: string;
  display: string | null;
  points: LabPoint[];
}

export const LOINC = 'http://loinc.org';

/** The LOINC code of a record, when it has one (the key of its lab history). */
export const loincOf = (r: MedicalRecord): string | null =>
  r.code?.system === LOINC && r.code.code && /^[0-9]{1,7}-[0-9]$/.test(r.code.code) ? r.code.code : null;

/** The flag in words: the letters are the HL7 codes the server sends; the words say what they mean. */
export const FLAG_WORDS: Record<Flag, string> = {
  LL: 'Critically low',
  L: 'Low',
  N: 'Within the reference range',
  H: 'High',
  HH: 'Critically high',
};

export interface Coded {
  system: string | null;
  code: string | null;
}

export interface PatientSummary {
  generated_at: string;
  patient: {
    name: string | null;
    birth_date: string | null;
    age_years: number | null;
    gender: string | null;
    deceased: boolean;
    source: 'fhir-patient' | 'profile' | null;
  };
  problems: {
    record_id: string;
    display: string;
    code: Coded | null;
    clinical_status: string | null;
    verification_status: string | null;
    onset: string | null;
    recorded_date: string | null;
    note: string | null;
  }[];
  medications: {
    record_id: string;
    resource_type: string;
    display: string;
    code: Coded | null;
    status: string | null;
    dosage: string | null;
    date: string | null;
    note: string | null;
  }[];
  allergies: {
    record_id: string;
    display: string;
    code: Coded | null;
    clinical_status: string | null;
    verification_status: string | null;
    criticality: string | null;
    categories: string[];
    reactions: { manifestations: string[]; severity: string | null }[];
    note: string | null;
  }[];
  labs: {
    record_id: string;
    display: string;
    code: Coded | null;
    status: string | null;
    effective_at: string | null;
    effective_text: string | null;
    value: Quantity | null;
    value_text: string | null;
    components: { code: string | null; display: string; value: Quantity | null }[];
    flags: LabFlags | null;
  }[];
  vitals: {
    status: 'ok' | 'unavailable';
    message: string | null;
    items: {
      metric_type: string;
      name: string;
      value: number | { systolic: number; diastolic: number };
      unit: string;
      timestamp: string;
      source: string;
      classification: { class: string; label: string; guideline: string } | null;
    }[];
  };
  excluded: { problems: number; medications: number; allergies: number };
  sources: { name: string; status: 'ok' | 'unavailable' | 'not-used'; detail: string }[];
}

export type DocumentCategory = 'lab_report' | 'discharge_summary' | 'imaging' | 'letter' | 'other';

export const CATEGORY_NAMES: Record<DocumentCategory, string> = {
  lab_report: 'Lab report',
  discharge_summary: 'Discharge summary',
  imaging: 'Imaging report',
  letter: 'Letter',
  other: 'Other',
};

export interface MedicalDocument {
  id: string;
  title: string | null;
  category: DocumentCategory;
  document_date: string | null;
  filename: string | null;
  media_type: string;
  size_bytes: number;
  sha256: string;
  record_id: string | null;
  extraction: {
    status: 'pending' | 'processing' | 'done' | 'failed';
    method: 'text_layer' | 'ocr' | 'text_layer_and_ocr' | null;
    reason: string | null;
    pages: number | null;
    attempts: number;
    started_at: string | null;
    finished_at: string | null;
  };
  content_url: string;
  created_at: string;
  updated_at: string;
}

export interface Suggestion {
  id: string;
  status: 'pending' | 'confirming' | 'confirmed' | 'rejected';
  record_id: string | null;
  decided_at: string | null;
  test: string;
  name: string;
  printed_name: string;
  loinc: { code: string; display: string } | null;
  value: number | null;
  comparator: string | null;
  value_text: string;
  unit: { ucum: string; display: string } | null;
  reference_range: { low: number | null; high: number | null; text: string } | null;
  effective_date: string | null;
  source: { line: number; text: string };
  notes: string[];
}

export interface DocumentDetail extends MedicalDocument {
  text: string | null;
  suggestions: Suggestion[];
}

export interface EpicSyncType {
  resource_type: string;
  imported: number;
  updated: number;
  unchanged: number;
  skipped: number;
  pages: number;
  complete: boolean;
  error: { status: number | null; code: string; message: string } | null;
  notes: string[];
}

export interface EpicConnection {
  provider: 'epic';
  name: string;
  configured: boolean;
  message: string | null;
  fhir_base_url: string;
  status: 'not_connected' | 'active' | 'needs_reauthorization' | 'disconnected';
  connected: boolean;
  patient_id: string | null;
  scope: string | null;
  connected_at: string | null;
  sync_in_progress: boolean;
  last_sync: {
    started_at: string;
    finished_at: string | null;
    status: 'ok' | 'partial' | 'failed' | null;
    message: string | null;
    types: EpicSyncType[];
  } | null;
}

/** A short-lived signed link to one resource: a path on this origin that needs no token. */
export interface SignedLink {
  url: string;
  expires_at: string;
}

const doc = (id: string) => `${RECORDS}/documents/${encodeURIComponent(id)}`;

export const records = {
  list: (params: { type?: string; from?: string; to?: string; cursor?: string; limit?: number }) =>
    api<Page<MedicalRecord>>('GET', `${RECORDS}/records${query(params)}`),
  get: (id: string) => api<RecordDetail>('GET', `${RECORDS}/records/${encodeURIComponent(id)}`),
  /** Sends the file as it is (the server parses it), as JSON whatever the browser guessed its type to be. */
  importFile: (
    file: File,
    source: string | undefined,
    onProgress: (progress: UploadProgress) => void,
    signal?: AbortSignal,
  ) =>
    upload<ImportReport>(
      `${RECORDS}/fhir/import${query({ source })}`,
      file.slice(0, file.size, 'application/json'),
      onProgress,
      signal,
    ),
  labHistory: (loinc: string) =>
    api<LabHistory>('GET', `${RECORDS}/labs/${encodeURIComponent(loinc)}/history`),

  summary: () => api<PatientSummary>('GET', `${RECORDS}/summary`),
  /** The printable page, as the server makes it (a file to open or keep: its inline styles are its own). */
  summaryPage: () => fetchFile(`${RECORDS}/summary.html`),
  /** A link (minutes long) that opens the printable page in a browser tab, without the token. */
  summaryLink: () => api<SignedLink>('POST', `${RECORDS}/summary/link`),
  /** Every record as one FHIR R4 Bundle (with the latest vital signs from health tracking). */
  exportFhir: () => fetchFile(`${RECORDS}/fhir/export`),

  documents: (cursor?: string) =>
    api<Page<MedicalDocument>>('GET', `${RECORDS}/documents${query({ cursor, limit: 20 })}`),
  document: (id: string) => api<DocumentDetail>('GET', doc(id)),
  uploadDocument: (form: FormData, onProgress: (progress: UploadProgress) => void, signal?: AbortSignal) =>
    upload<DocumentDetail>(`${RECORDS}/documents`, form, onProgress, signal),
  documentFile: (id: string) => fetchFile(`${doc(id)}/content`),
  /** A link (minutes long) that opens the original file in a browser tab, without the token. */
  documentLink: (id: string) => api<SignedLink>('POST', `${doc(id)}/link`),
  deleteDocument: (id: string) => api<void>('DELETE', doc(id)),
  confirm: (id: string, sid: string, body: { value?: number; unit?: string; effective_date?: string }) =>
    api<{ suggestion: Suggestion; record: MedicalRecord }>(
      'POST',
      `${doc(id)}/suggestions/${encodeURIComponent(sid)}/confirm`,
      { body },
    ),
  reject: (id: string, sid: string) =>
    api<Suggestion>('POST', `${doc(id)}/suggestions/${encodeURIComponent(sid)}/reject`),

  epic: () => api<EpicConnection>('GET', `${RECORDS}/connections/epic`),
  connectEpic: (returnTo: string) =>
    api<{ authorization_url: string }>('POST', `${RECORDS}/connections/epic/authorize`, {
      body: { return_to: returnTo },
    }),
  syncEpic: () => api<EpicConnection>('POST', `${RECORDS}/connections/epic/sync`),
  disconnectEpic: () => api<EpicConnection>('DELETE', `${RECORDS}/connections/epic`),
};
