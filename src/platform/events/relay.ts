import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/db.js';
import { describeError, PublishError, type EventBus } from './bus.js';
import { onEventAppended, type CloudEvent } from './outbox.js';

export interface RelayOptions {
  /** Rows claimed per round. */
  batchSize?: number;
  /** Poll interval when idle: picks up rows written by other processes. */
  pollIntervalMs?: number;
  /** After appendEvent in this process, poll this often for `busyWindowMs` (its transaction may still be open). */
  busyPollIntervalMs?: number;
  busyWindowMs?: number;
  /** First retry delay of a row that failed to publish; doubles per attempt up to `backoffMaxMs`. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Published rows are deleted after this long. */
  retentionMs?: number;
  /** Idempotency records of consumers are deleted after this long (keep it longer than any redelivery). */
  consumedRetentionMs?: number;
  pruneIntervalMs?: number;
  /**
   * Relay only events whose CloudEvents `source` is one of these (e.g. `/pha/auth`): used when the
   * in-process bus runs in a process that hosts only some services. Default: every event.
   */
  sources?: readonly string[];
  /**
   * Hold row locks (`FOR UPDATE SKIP LOCKED`) while publishing, so several relays can share one
   * PostgreSQL database. Default: on for PostgreSQL, off for PGlite (one connection, one process).
   */
  lockRows?: boolean;
}

export interface RelayResult {
  /** Rows taken in this round (some may be held back behind an earlier event of the same subject). */
  claimed: number;
  published: number;
  failed: number;
}

interface ClaimedRow {
  seq: number | string;
  id: string;
  topic: string;
  event: CloudEvent | string;
  attempts: number;
  blocked: boolean;
}

const DEFAULTS = {
  batchSize: 100,
  pollIntervalMs: 1000,
  busyPollIntervalMs: 50,
  busyWindowMs: 1000,
  backoffBaseMs: 1000,
  backoffMaxMs: 5 * 60_000,
  retentionMs: 7 * 24 * 3600_000,
  consumedRetentionMs: 30 * 24 * 3600_000,
  pruneIntervalMs: 3600_000,
};

const SOURCE_FILTER = (alias: string) =>
  `($2::text[] IS NULL OR ${alias}.event ->> 'source' = ANY ($2::text[]))`;

/**
 * Takes the oldest publishable rows, in order. A row is skipped while an earlier row of the same topic
 * and subject is backing off (so one user's failing event does not hold up everyone else's), and is
 * returned `blocked` while an earlier one is not in this claim (locked by another relay): publishing it
 * now would overtake that one.
 */
const CLAIM_SQL = `
WITH claimed AS (
  SELECT o.seq, o.id, o.topic, o.event, o.ordering_key, o.attempts
  FROM platform.outbox o
  WHERE o.published_at IS NULL
    AND o.next_attempt_at <= now()
    AND ${SOURCE_FILTER('o')}
    AND NOT EXISTS (
      SELECT 1 FROM platform.outbox e
      WHERE e.published_at IS NULL AND e.topic = o.topic AND e.ordering_key = o.ordering_key
        AND e.seq < o.seq AND e.next_attempt_at > now() AND ${SOURCE_FILTER('e')}
    )
  ORDER BY o.seq
  LIMIT $1
  FOR UPDATE OF o SKIP LOCKED
)
SELECT c.seq, c.id, c.topic, c.event, c.attempts,
  EXISTS (
    SELECT 1 FROM platform.outbox e
    WHERE e.published_at IS NULL AND e.topic = c.topic AND e.ordering_key = c.ordering_key
      AND e.seq < c.seq AND e.seq NOT IN (SELECT seq FROM claimed) AND ${SOURCE_FILTER('e')}
  ) AS blocked
FROM claimed c
ORDER BY c.seq`;

const MARK_PUBLISHED_SQL = `UPDATE platform.outbox SET published_at = clock_timestamp() WHERE seq = ANY ($1::bigint[])`;

const MARK_FAILED_SQL = `
UPDATE platform.outbox
SET attempts = attempts + 1,
    last_error = $2,
    next_attempt_at = clock_timestamp()
      + least($4::float8, $3::float8 * power(2, attempts) * (0.8 + random() * 0.4)) * interval '1 millisecond'
WHERE seq = ANY ($1::bigint[])`;

const PRUNE_BATCH = 1000;

/**
 * Without row locks (PGlite: one connection, one process) rounds on the same database take turns, so
 * two relays in one process never claim the same rows.
 */
const unlockedRounds = new WeakMap<Db, Promise<unknown>>();

/**
 * The outbox relay: publishes committed outbox rows to the event bus in order and marks them
 * published. Delivery is at least once: a crash between publishing and marking publishes again.
 * A row that fails is retried with exponential back-off; it is never dropped, and the later events of
 * the same subject on its topic wait for it.
 */
export class OutboxRelay {
  private readonly options: typeof DEFAULTS;
  private readonly sources: string[] | null;
  private readonly lockRows: boolean;
  private running = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private busyUntil = 0;
  private failures = 0;
  private lastPrune = 0;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    options: RelayOptions = {},
  ) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...DEFAULTS, ...defined };
    this.sources = options.sources ? [...options.sources] : null;
    this.lockRows = options.lockRows ?? db.kind === 'postgres';
  }

  /** Starts relaying in the background: now, after each appendEvent in this process, and on a timer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.unlisten = onEventAppended(() => this.notify());
    this.schedule(0);
  }

  /** Relays soon: call after committing outbox rows (appendEvent does it for this process). */
  notify(): void {
    this.busyUntil = Date.now() + this.options.busyWindowMs;
    if (!this.running) return;
    if (this.inFlight) this.again = true;
    else this.schedule(Math.min(5, this.options.busyPollIntervalMs));
  }

  /** Stops the timer and waits for the round in progress. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    this.unlisten?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /**
   * One round: claims a batch, publishes it topic by topic and records the outcome. With row locks the
   * claim, the publishing and the marks are one transaction, so a relay that dies releases its rows.
   */
  runOnce(): Promise<RelayResult> {
    if (this.lockRows) return this.db.transaction((tx) => this.relayBatch(tx));
    const round = (unlockedRounds.get(this.db) ?? Promise.resolve()).then(() => this.relayBatch(this.db));
    unlockedRounds.set(
      this.db,
      round.catch(() => {}),
    );
    return round;
  }

  /** Deletes published rows and consumer records past their retention. Returns how many rows went. */
  async prune(): Promise<{ outbox: number; consumed: number }> {
    const outbox = await this.deleteInBatches(
      `DELETE FROM platform.outbox WHERE seq IN (
         SELECT seq FROM platform.outbox
         WHERE published_at < now() - $1::float8 * interval '1 millisecond' LIMIT ${PRUNE_BATCH})`,
      this.options.retentionMs,
    );
    const consumed = await this.deleteInBatches(
      `DELETE FROM platform.consumed_events WHERE (consumer, event_id) IN (
         SELECT consumer, event_id FROM platform.consumed_events
         WHERE consumed_at < now() - $1::float8 * interval '1 millisecond' LIMIT ${PRUNE_BATCH})`,
      this.options.consumedRetentionMs,
    );
    return { outbox, consumed };
  }

  private async deleteInBatches(sql: string, ageMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.db.query(sql, [ageMs]);
      total += rowCount;
      if (rowCount < PRUNE_BATCH || this.stopping) return total;
    }
  }

  private async relayBatch(q: Queryable): Promise<RelayResult> {
    const { rows } = await q.query<ClaimedRow>(CLAIM_SQL, [this.options.batchSize, this.sources]);
    const result: RelayResult = { claimed: rows.length, published: 0, failed: 0 };
    const byTopic = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      if (row.blocked) continue;
      const list = byTopic.get(row.topic) ?? [];
      list.push(row);
      byTopic.set(row.topic, list);
    }
    const published: (number | string)[] = [];
    for (const [topic, group] of byTopic) {
      const events = group.map((row) =>
        typeof row.event === 'string' ? (JSON.parse(row.event) as CloudEvent) : row.event,
      );
      try {
        await this.bus.publish(topic, events);
        published.push(...group.map((row) => row.seq));
      } catch (err) {
        const delivered = new Set(err instanceof PublishError ? err.delivered : []);
        const failed = group.filter((row) => !delivered.has(row.id));
        published.push(...group.filter((row) => delivered.has(row.id)).map((row) => row.seq));
        if (failed.length === 0) continue;
        const error = describeError(err);
        await q.query(MARK_FAILED_SQL, [
          failed.map((row) => row.seq),
          error,
          this.options.backoffBaseMs,
          this.options.backoffMaxMs,
        ]);
        result.failed += failed.length;
        this.logger.warn(
          {
            topic,
            events: failed.length,
            attempts: Math.max(...failed.map((row) => row.attempts)) + 1,
            error,
          },
          'events not published; they will be retried',
        );
      }
    }
    if (published.length > 0) await q.query(MARK_PUBLISHED_SQL, [published]);
    result.published = published.length;
    return result;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const at = Date.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.cycle().finally(() => {
        this.inFlight = undefined;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async cycle(): Promise<void> {
    let delay: number;
    try {
      for (;;) {
        if (!this.running) return;
        this.again = false;
        const round = await this.runOnce();
        if (round.claimed < this.options.batchSize || round.published === 0) break;
      }
      if (this.running && Date.now() - this.lastPrune >= this.options.pruneIntervalMs) {
        this.lastPrune = Date.now();
        const pruned = await this.prune();
        if (pruned.outbox + pruned.consumed > 0) this.logger.debug(pruned, 'pruned published events');
      }
      this.failures = 0;
      delay = Date.now() < this.busyUntil ? this.options.busyPollIntervalMs : this.options.pollIntervalMs;
    } catch (err) {
      this.failures += 1;
      delay = Math.min(30_000, this.options.pollIntervalMs * 2 ** Math.min(this.failures, 10));
      if (!this.running) return;
      this.logger.error(
        { error: describeError(err), retry_in_ms: delay },
        'outbox relay could not read the outbox',
      );
    }
    if (!this.running) return;
    this.schedule(this.again ? 0 : delay);
  }
}
