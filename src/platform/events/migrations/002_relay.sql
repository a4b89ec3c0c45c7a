-- What the relay needs to publish in order, retry with back-off and let idempotent consumers skip
-- redelivered events.

-- A strict order: created_at is the same for every row of one transaction, and uuid v7 ids are only
-- monotonic within one process.
ALTER TABLE platform.outbox ADD COLUMN seq bigserial;
-- Events with the same ordering key (the subject: a user id) on the same topic are published in order.
ALTER TABLE platform.outbox ADD COLUMN ordering_key text GENERATED ALWAYS AS (coalesce(event ->> 'subject', '')) STORED;
-- A row that failed to publish waits until this time (exponential back-off).
ALTER TABLE platform.outbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
DROP INDEX platform.outbox_pending_idx;
CREATE INDEX outbox_pending_idx ON platform.outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_pending_key_idx ON platform.outbox (topic, ordering_key, seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_idx ON platform.outbox (published_at) WHERE published_at IS NOT NULL;

-- Events a consumer has handled, recorded in the same transaction as the handler's own writes, so a
-- redelivered event is skipped.
CREATE TABLE platform.consumed_events (
  consumer text NOT NULL,
  event_id text NOT NULL,
  consumed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX consumed_events_consumed_at_idx ON platform.consumed_events (consumed_at);
