CREATE SCHEMA IF NOT EXISTS device_data;

-- Devices and data sources: where a user's readings come from. `source` is the stable key the readings
-- carry in health tracking (with the metric type and time it is their identity), so renaming a device
-- never changes the identity of what it recorded.
CREATE TABLE device_data.devices (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  source text COLLATE "C" NOT NULL,
  name text NOT NULL,
  device_type text NOT NULL,
  provider text NOT NULL,
  manufacturer text,
  model text,
  serial_number text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disconnected')),
  registered_by text NOT NULL CHECK (registered_by IN ('user', 'import', 'nightscout', 'connection')),
  readings_imported bigint NOT NULL DEFAULT 0,
  first_reading_at timestamptz,
  last_reading_at timestamptz,
  last_seen_at timestamptz,
  disconnected_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX devices_user_source_idx ON device_data.devices (user_id, source);
CREATE INDEX devices_user_id_idx ON device_data.devices (user_id, id);

-- File imports: one row per uploaded file, with its progress and what became of its records.
CREATE TABLE device_data.imports (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  format text,
  filename text,
  size_bytes bigint NOT NULL DEFAULT 0,
  sha256 text,
  options jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
  progress_bytes bigint NOT NULL DEFAULT 0,
  progress_total bigint NOT NULL DEFAULT 0,
  records_read bigint NOT NULL DEFAULT 0,
  readings_sent bigint NOT NULL DEFAULT 0,
  readings_created bigint NOT NULL DEFAULT 0,
  readings_duplicate bigint NOT NULL DEFAULT 0,
  records_skipped bigint NOT NULL DEFAULT 0,
  records_invalid bigint NOT NULL DEFAULT 0,
  treatments_stored bigint NOT NULL DEFAULT 0,
  skipped_by_reason jsonb NOT NULL DEFAULT '{}'::jsonb,
  errors jsonb NOT NULL DEFAULT '[]'::jsonb,
  sources jsonb NOT NULL DEFAULT '[]'::jsonb,
  message text,
  same_file_as uuid,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imports_user_id_idx ON device_data.imports (user_id, id);
CREATE INDEX imports_user_sha_idx ON device_data.imports (user_id, sha256);
CREATE INDEX imports_status_idx ON device_data.imports (status) WHERE status IN ('queued', 'processing');

-- Nightscout uploader secret: only a hash of what uploaders send (the SHA-1 of the secret) is kept.
CREATE TABLE device_data.nightscout_secrets (
  user_id uuid PRIMARY KEY,
  credential_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

-- Nightscout treatments (insulin, carbs, temp basals...): health tracking has no metric for them, so the
-- uploaded documents are kept here, once per (event type, time).
CREATE TABLE device_data.treatments (
  id text COLLATE "C" NOT NULL,
  user_id uuid NOT NULL,
  event_type text NOT NULL,
  created_at timestamptz NOT NULL,
  utc_offset_minutes smallint,
  insulin double precision,
  carbs double precision,
  duration_minutes double precision,
  entered_by text,
  document jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX treatments_identity_idx ON device_data.treatments (user_id, event_type, created_at);
CREATE INDEX treatments_user_time_idx ON device_data.treatments (user_id, created_at);

-- OAuth authorisations in flight: the state and the browser binding are stored hashed, the PKCE
-- verifier sealed; each is used once and expires.
CREATE TABLE device_data.oauth_flows (
  state_hash text PRIMARY KEY,
  user_id uuid NOT NULL,
  provider text NOT NULL,
  browser_hash text NOT NULL,
  code_verifier_sealed text NOT NULL,
  return_to text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_flows_expiry_idx ON device_data.oauth_flows (expires_at);

-- Cloud connections: tokens sealed with AES-256-GCM (key derived from SECRET_KEY); the sync cursor per
-- data stream lets a sync resume where the last one stopped.
CREATE TABLE device_data.connections (
  user_id uuid NOT NULL,
  provider text NOT NULL,
  device_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'needs_reauthorization', 'disconnected')),
  access_token_sealed text,
  refresh_token_sealed text,
  token_expires_at timestamptz,
  scope text,
  cursors jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_sync_started_at timestamptz,
  last_sync_finished_at timestamptz,
  last_sync_status text,
  last_sync_message text,
  last_sync_counts jsonb,
  sync_lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, provider)
);
CREATE INDEX connections_due_idx ON device_data.connections (status, last_sync_finished_at);
