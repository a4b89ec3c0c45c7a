-- Uploaded documents (PDF, images): the file itself, encrypted, in the database so that every process of the
-- service reads it whatever machine it runs on; its extracted text; the lab values found in it.

CREATE TABLE medical_records.documents (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  title text,
  category text NOT NULL CHECK (category IN ('lab_report', 'discharge_summary', 'imaging', 'letter', 'other')),
  document_date date,
  filename text,
  -- Decided from the file's first bytes, never from what the client said.
  media_type text NOT NULL
    CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'image/webp')),
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  sha256 text NOT NULL,
  -- AES-256-GCM (documents-crypto.ts): version | IV | tag | ciphertext; owner and id bound as associated data.
  content bytea NOT NULL,
  page_count integer,
  extraction_status text NOT NULL DEFAULT 'pending'
    CHECK (extraction_status IN ('pending', 'processing', 'done', 'failed')),
  extraction_method text CHECK (extraction_method IN ('text_layer', 'ocr', 'text_layer_and_ocr')),
  -- Why extraction failed, or what it could not read.
  extraction_reason text,
  -- Sealed (AES-256-GCM, FieldCipher): the text says what the document says.
  extracted_text text,
  extraction_attempts integer NOT NULL DEFAULT 0,
  extraction_started_at timestamptz,
  extraction_finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- The same file uploaded again (a retried upload) is the same document.
  UNIQUE (user_id, sha256)
);

CREATE INDEX documents_user_idx ON medical_records.documents (user_id, id DESC);
CREATE INDEX documents_queue_idx ON medical_records.documents (extraction_status, created_at)
  WHERE extraction_status IN ('pending', 'processing');

-- Lab values read from a document's text, waiting for the user to confirm (a lab record is created) or reject.
CREATE TABLE medical_records.document_suggestions (
  id uuid PRIMARY KEY,
  document_id uuid NOT NULL REFERENCES medical_records.documents (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  position integer NOT NULL,
  test text NOT NULL,
  -- Name, LOINC, value, unit, reference range and the line it was read from (lab-text.ts).
  suggestion jsonb NOT NULL,
  -- 'confirming' while its lab record is being written (taken back after a crash).
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirming', 'confirmed', 'rejected')),
  record_id uuid,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (document_id, position)
);

CREATE INDEX document_suggestions_user_idx ON medical_records.document_suggestions (user_id);
