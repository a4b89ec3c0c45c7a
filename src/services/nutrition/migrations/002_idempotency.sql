-- Idempotency-Key: the first answer to a POST, replayed to a retry with the same key for 24 hours.
CREATE TABLE nutrition.idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  status smallint NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
