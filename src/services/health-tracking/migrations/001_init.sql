CREATE SCHEMA IF NOT EXISTS health_tracking;

-- Entries: one row per reading a person entered or edits (notes, glucose context, blood pressure).
-- Values are in the metric's canonical UCUM unit; the value and unit as sent are kept for display.
-- Identity (user, time, type, source): the same source record sent again adds nothing.
-- "C" collation so that ordering matches the byte order used by cursors.
CREATE TABLE health_tracking.entries (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  metric_type text COLLATE "C" NOT NULL,
  source text COLLATE "C" NOT NULL,
  recorded_at timestamptz NOT NULL,
  utc_offset_minutes smallint,
  value double precision NOT NULL,
  value2 double precision,
  input_value double precision NOT NULL,
  input_value2 double precision,
  input_unit text NOT NULL,
  context text,
  notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX entries_identity_idx ON health_tracking.entries (user_id, recorded_at, metric_type, source);
CREATE INDEX entries_type_time_idx ON health_tracking.entries (user_id, metric_type, recorded_at);

-- Series chunks: the samples of one (user, metric type, source, UTC day) in one row, as parallel arrays
-- sorted by time (milliseconds since the day's UTC midnight, float4 canonical values, original UTC
-- offsets in minutes), and `q`: count/min/max/sum of each non-empty quarter-hour, packed (21 bytes per
-- quarter-hour, layout in STORAGE.md). Large values are compressed and stored out of line by TOAST.
CREATE TABLE health_tracking.series_chunks (
  user_id uuid NOT NULL,
  metric_type text COLLATE "C" NOT NULL,
  source text COLLATE "C" NOT NULL,
  day date NOT NULL,
  n integer NOT NULL,
  t_ms integer[] NOT NULL,
  v real[] NOT NULL,
  tz smallint[] NOT NULL,
  q bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, metric_type, source, day)
);
CREATE INDEX series_chunks_day_idx ON health_tracking.series_chunks (user_id, day);

-- Symptom journal.
CREATE TABLE health_tracking.symptoms (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  symptom text NOT NULL,
  severity smallint NOT NULL CHECK (severity BETWEEN 1 AND 10),
  onset_at timestamptz NOT NULL,
  onset_offset_minutes smallint,
  duration_minutes integer CHECK (duration_minutes >= 0),
  notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX symptoms_user_onset_idx ON health_tracking.symptoms (user_id, onset_at, id);

-- Goals on a metric. Target, baseline and tolerance in the canonical unit; `unit` is the one they were set in.
CREATE TABLE health_tracking.goals (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  metric_type text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('increase', 'decrease', 'maintain')),
  target_value double precision NOT NULL,
  baseline_value double precision,
  tolerance double precision,
  unit text NOT NULL,
  deadline date NOT NULL,
  title text,
  notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_user_id_idx ON health_tracking.goals (user_id, id);

-- Idempotency-Key: the first answer to a POST, replayed to a retry with the same key for 24 hours.
CREATE TABLE health_tracking.idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  status smallint NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
