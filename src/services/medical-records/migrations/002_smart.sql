-- SMART on FHIR (Epic) standalone patient launch: authorisations in flight and connections.

-- An authorisation in flight: the state and the browser binding are stored hashed, the PKCE verifier
-- sealed; each is used once and expires. The endpoints found at discovery go with it to the callback.
CREATE TABLE medical_records.smart_flows (
  state_hash text PRIMARY KEY,
  user_id uuid NOT NULL,
  provider text NOT NULL CHECK (provider IN ('epic')),
  browser_hash text NOT NULL,
  code_verifier_sealed text NOT NULL,
  fhir_base_url text NOT NULL,
  token_endpoint text NOT NULL,
  redirect_uri text NOT NULL,
  return_to text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX smart_flows_expiry_idx ON medical_records.smart_flows (expires_at);
CREATE INDEX smart_flows_user_idx ON medical_records.smart_flows (user_id);

-- A connection to one EHR patient record. Tokens are sealed with AES-256-GCM (key derived from
-- SECRET_KEY); `progress` holds, per search stream, the next page to fetch and the _lastUpdated
-- watermark of the last complete pass, so an interrupted sync continues where it stopped.
CREATE TABLE medical_records.smart_connections (
  user_id uuid NOT NULL,
  provider text NOT NULL CHECK (provider IN ('epic')),
  fhir_base_url text NOT NULL,
  token_endpoint text NOT NULL,
  patient_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'needs_reauthorization', 'disconnected')),
  access_token_sealed text,
  refresh_token_sealed text,
  token_expires_at timestamptz,
  scope text,
  progress jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_sync_started_at timestamptz,
  last_sync_finished_at timestamptz,
  last_sync_status text,
  last_sync_message text,
  last_sync_results jsonb,
  sync_lease_until timestamptz,
  connected_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, provider)
);
CREATE INDEX smart_connections_due_idx ON medical_records.smart_connections (status, last_sync_finished_at);
