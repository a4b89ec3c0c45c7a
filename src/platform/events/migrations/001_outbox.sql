CREATE SCHEMA IF NOT EXISTS platform;

-- Transactional outbox: a state change and its event are written in the same transaction; the relay
-- publishes rows in order and marks them published. Delivery is at least once.
CREATE TABLE platform.outbox (
  id uuid PRIMARY KEY,
  topic text NOT NULL,
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX outbox_pending_idx ON platform.outbox (created_at) WHERE published_at IS NULL;
