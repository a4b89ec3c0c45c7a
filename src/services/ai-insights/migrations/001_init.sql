CREATE SCHEMA IF NOT EXISTS ai_insights;

-- One row per user: what the last computation saw and when. Events about the user's data raise
-- data_version; a computation records the version it started from, so new data during it keep it stale.
CREATE TABLE ai_insights.states (
  user_id uuid PRIMARY KEY,
  data_version bigint NOT NULL DEFAULT 0,
  computed_version bigint NOT NULL DEFAULT 0,
  computed_at timestamptz NOT NULL,
  -- Some source could not be read: retried sooner than the usual maximum age.
  partial boolean NOT NULL DEFAULT false,
  sources jsonb NOT NULL,
  -- {text, model, generated_at}, and the digest of the active insights it was written from.
  narrative jsonb,
  narrative_digest text
);

CREATE TABLE ai_insights.insights (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  -- rule id + metric + subject: a recomputed insight keeps its id and its dismissal.
  fingerprint text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('out_of_range', 'trend', 'anomaly', 'correlation', 'lab', 'cgm')),
  severity text NOT NULL CHECK (severity IN ('info', 'low', 'moderate', 'high')),
  title text NOT NULL,
  explanation text NOT NULL,
  metric_types text[] NOT NULL,
  evidence jsonb NOT NULL,
  rule jsonb NOT NULL,
  depends_on text[] NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'dismissed')),
  dismissed_at timestamptz,
  -- false: the latest computation did not find it; a dismissed one is kept so its dismissal survives.
  current boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, fingerprint)
);
CREATE INDEX insights_by_user ON ai_insights.insights (user_id, current);
