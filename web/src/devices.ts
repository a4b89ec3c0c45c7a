// The device-data API as the web app uses it: devices, file imports (uploaded with progress), cloud
// connections and the Nightscout uploader's secret.
import { api, upload, type UploadProgress } from './api';
import { query, type Page } from './health';

export const DEVICE_DATA = '/device-data/api/v1';

export interface DeviceConnection {
  provider: string;
  status: string;
  last_sync_at: string | null;
  last_sync_status: string | null;
}

export interface Device {
  id: string;
  name: string;
  device_type: string;
  provider: string;
  source: string;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  status: 'active' | 'disconnected';
  registered_by: 'user' | 'import' | 'nightscout' | 'connection' | string;
  connection: DeviceConnection | null;
  readings_received: number;
  first_reading_at: string | null;
  last_reading_at: string | null;
  last_seen_at: string | null;
  disconnected_at: string | null;
  created_at: string;
  updated_at: string;
}

export type ImportStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface Import {
  id: string;
  status: ImportStatus;
  format: string | null;
  filename: string | null;
  size_bytes: number;
  timezone: string | null;
  progress: { bytes_processed: number; bytes_total: number; percent: number };
  counts: {
    records_read: number;
    readings_sent: number;
    readings_created: number;
    readings_duplicate: number;
    records_skipped: number;
    records_invalid: number;
    treatments_stored: number;
  };
  skipped_by_reason: Record<string, number>;
  errors: { ref: string; problem: string }[];
  sources: string[];
  message: string | null;
  same_file_as: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  updated_at: string;
}

export type Provider = 'dexcom' | 'oura';

export interface Connection {
  provider: Provider;
  name: string;
  configured: boolean;
  message: string | null;
  status: 'not_connected' | 'active' | 'needs_reauthorization' | 'disconnected';
  device_id: string | null;
  last_sync_started_at: string | null;
  last_sync_finished_at: string | null;
  last_sync_status: string | null;
  last_sync_message: string | null;
  last_sync_counts: Record<string, number> | null;
  cursors: Record<string, string>;
}

export interface NightscoutSecret {
  api_secret: string;
  nightscout_url: string;
  created_at: string;
}

export interface NightscoutStatus {
  configured: boolean;
  nightscout_url: string;
  created_at: string | null;
  last_used_at: string | null;
}

/** The formats the importer reads, as the server names them. */
export const FORMAT_NAMES: Record<string, string> = {
  apple_health_zip: 'Apple Health export (export.zip)',
  apple_health_xml: 'Apple Health export (export.xml)',
  dexcom_clarity_csv: 'Dexcom Clarity CSV export',
  fitbit_csv: 'Fitbit CSV table',
  nightscout_json: 'Nightscout JSON',
};

/** Formats whose times are local, without an offset: the server needs their time zone. */
export const NEEDS_TIMEZONE = new Set(['dexcom_clarity_csv', 'fitbit_csv']);

/**
 * What a file looks like from its first bytes, the way the server recognises it (the server decides;
 * this only says which questions to ask, such as the time zone).
 */
export async function sniffFormat(file: Blob): Promise<string | null> {
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'apple_health_zip';
  const text = new TextDecoder()
    .decode(head)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('<'))
    return /<HealthData[\s>]|<!DOCTYPE HealthData/.test(text) ? 'apple_health_xml' : null;
  if (text.startsWith('[')) return 'nightscout_json';
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (/Event Type/.test(first) && /Glucose Value \((mg\/dL|mmol\/L)\)/.test(first))
    return 'dexcom_clarity_csv';
  const names = first.split(',').map((n) => n.trim().replace(/^"|"$/g, ''));
  const has = (...required: string[]) => required.every((r) => names.includes(r));
  if (
    has('ActivityDate', 'TotalSteps') ||
    has('SleepDay', 'TotalMinutesAsleep') ||
    has('Date', 'WeightKg') ||
    (has('Id', 'Time', 'Value') && names.length === 3)
  ) {
    return 'fitbit_csv';
  }
  return null;
}

export const devices = {
  list: (cursor?: string) =>
    api<Page<Device>>('GET', `${DEVICE_DATA}/devices${query({ cursor, limit: 20 })}`),
  rename: (id: string, name: string) =>
    api<Device>('PATCH', `${DEVICE_DATA}/devices/${encodeURIComponent(id)}`, { body: { name } }),
  disconnect: (id: string) =>
    api<Device>('POST', `${DEVICE_DATA}/devices/${encodeURIComponent(id)}/disconnect`),
  reconnect: (id: string) =>
    api<Device>('POST', `${DEVICE_DATA}/devices/${encodeURIComponent(id)}/reconnect`),
  remove: (id: string) => api<void>('DELETE', `${DEVICE_DATA}/devices/${encodeURIComponent(id)}`),

  imports: (cursor?: string) =>
    api<Page<Import>>('GET', `${DEVICE_DATA}/imports${query({ cursor, limit: 10 })}`),
  importById: (id: string) => api<Import>('GET', `${DEVICE_DATA}/imports/${encodeURIComponent(id)}`),
  /** 202 and the import when the server starts reading it; 200 with `same_file_as` when it had it already. */
  upload: (
    file: File,
    options: { timezone?: string; force?: boolean },
    onProgress: (progress: UploadProgress) => void,
    signal?: AbortSignal,
  ) =>
    upload<Import>(
      `${DEVICE_DATA}/imports${query({
        filename: file.name.slice(0, 255),
        timezone: options.timezone,
        force: options.force ? 'true' : undefined,
      })}`,
      file,
      onProgress,
      signal,
    ),

  connections: () => api<{ items: Connection[] }>('GET', `${DEVICE_DATA}/connections`),
  authorize: (provider: Provider, returnTo: string) =>
    api<{ authorization_url: string }>('POST', `${DEVICE_DATA}/connections/${provider}/authorize`, {
      body: { return_to: returnTo },
    }),
  sync: (provider: Provider) => api<Connection>('POST', `${DEVICE_DATA}/connections/${provider}/sync`),
  disconnectProvider: (provider: Provider) =>
    api<Connection>('DELETE', `${DEVICE_DATA}/connections/${provider}`),

  nightscout: () => api<NightscoutStatus>('GET', `${DEVICE_DATA}/nightscout/secret`),
  newNightscoutSecret: () => api<NightscoutSecret>('PUT', `${DEVICE_DATA}/nightscout/secret`, { body: {} }),
  removeNightscoutSecret: () => api<void>('DELETE', `${DEVICE_DATA}/nightscout/secret`),
};
