CREATE SCHEMA IF NOT EXISTS medical_records;

-- One row per imported clinical resource. The source identity makes re-imports harmless.
CREATE TABLE medical_records.records (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  record_type text NOT NULL CHECK (record_type IN ('lab', 'vital_sign', 'observation', 'diagnostic_report',
    'condition', 'medication', 'allergy', 'immunization', 'procedure', 'encounter', 'document')),
  resource_type text NOT NULL,
  source_system text NOT NULL,
  source_id text NOT NULL,
  effective_at timestamptz,
  -- The date as the source wrote it (may be partial: "2012" or "2012-05").
  effective_text text,
  display text NOT NULL,
  code_system text,
  code text,
  status text,
  -- Value, unit, reference range and the server-computed flags (labs and vital signs).
  measurement jsonb,
  -- The original FHIR resource, unchanged.
  resource jsonb NOT NULL,
  content_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, source_system, resource_type, source_id)
);

CREATE INDEX records_user_time ON medical_records.records (user_id, effective_at DESC NULLS LAST, id DESC);
CREATE INDEX records_user_type_time
  ON medical_records.records (user_id, record_type, effective_at DESC NULLS LAST, id DESC);
CREATE INDEX records_user_code ON medical_records.records (user_id, code, effective_at);

-- Patient resources: demographics kept (for sex- and age-specific reference ranges), not a record type.
CREATE TABLE medical_records.patients (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  source_system text NOT NULL,
  source_id text NOT NULL,
  -- Other ids this Patient was referred to by within its import (e.g. "urn:uuid:...").
  aliases text[] NOT NULL DEFAULT '{}',
  gender text,
  birth_date text,
  resource jsonb NOT NULL,
  content_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, source_system, source_id)
);
