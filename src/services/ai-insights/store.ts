import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import type { SourceReport } from './gather.js';
import type { InsightDraft } from './insight.js';

/** A stored insight: its draft as last computed, plus identity, owner and the person's dismissal. */
export interface InsightRow extends InsightDraft {
  id: string;
  user_id: string;
  status: 'active' | 'dismissed';
  dismissed_at: Date | null;
  current: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface Narrative {
  text: string;
  model: string;
  generated_at: string;
}

export interface StateRow {
  user_id: string;
  data_version: string;
  computed_version: string;
  computed_at: Date;
  partial: boolean;
  sources: SourceReport[];
  narrative: Narrative | null;
  narrative_digest: string | null;
}

const COLUMNS =
  'id, user_id, fingerprint, kind, severity, title, explanation, metric_types, evidence, rule, depends_on, ' +
  'status, dismissed_at, current, created_at, updated_at';
/** Dismissed insights no longer found are remembered this long, then forgotten. */
const FORGET_AFTER_DAYS = 180;

/** Insights and their computation state; every query names the owner. */
export class InsightStore {
  constructor(private readonly db: Db) {}

  private forUser<T>(userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ai-insights'), hashtext($1))`, [userId]);
      return fn(tx);
    });
  }

  async state(userId: string): Promise<StateRow | undefined> {
    const { rows } = await this.db.query<StateRow>(
      `SELECT user_id, data_version::text, computed_version::text, computed_at, partial, sources, narrative,
              narrative_digest
       FROM ai_insights.states WHERE user_id = $1`,
      [userId],
    );
    return rows[0];
  }

  /** New data arrived for this user (an event): the next read recomputes. Users never computed are skipped. */
  async markStale(tx: Queryable, userId: string): Promise<void> {
    await tx.query(`UPDATE ai_insights.states SET data_version = data_version + 1 WHERE user_id = $1`, [
      userId,
    ]);
  }

  /** The data version a computation starts from. */
  async dataVersion(userId: string): Promise<string> {
    return (await this.state(userId))?.data_version ?? '0';
  }

  /**
   * Stores a computation: each draft upserted by fingerprint (keeping id, status and created_at);
   * insights no longer found are removed, except those of a source that could not be read (kept as
   * they were) and dismissed ones (kept, hidden, so a dismissal survives the finding coming back).
   */
  async saveComputation(
    userId: string,
    drafts: InsightDraft[],
    run: { version: string; sources: SourceReport[] },
  ): Promise<void> {
    const unreadable = run.sources.filter((s) => s.status === 'partial' || s.status === 'unavailable');
    const keep = unreadable.map((s) => s.service);
    await this.forUser(userId, async (tx) => {
      for (const d of drafts) {
        await tx.query(
          `INSERT INTO ai_insights.insights (id, user_id, fingerprint, kind, severity, title, explanation,
             metric_types, evidence, rule, depends_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11)
           ON CONFLICT (user_id, fingerprint) DO UPDATE SET
             kind = excluded.kind, severity = excluded.severity, title = excluded.title,
             explanation = excluded.explanation, metric_types = excluded.metric_types,
             evidence = excluded.evidence, rule = excluded.rule, depends_on = excluded.depends_on,
             current = true,
             updated_at = CASE WHEN ai_insights.insights.current
                 AND ai_insights.insights.explanation = excluded.explanation
                 AND ai_insights.insights.evidence = excluded.evidence
               THEN ai_insights.insights.updated_at ELSE now() END`,
          [
            uuidv7(),
            userId,
            d.fingerprint,
            d.kind,
            d.severity,
            d.title,
            d.explanation,
            d.metric_types,
            JSON.stringify(d.evidence),
            JSON.stringify(d.rule),
            d.depends_on,
          ],
        );
      }
      const found = drafts.map((d) => d.fingerprint);
      await tx.query(
        `DELETE FROM ai_insights.insights
         WHERE user_id = $1 AND status = 'active' AND NOT (fingerprint = ANY($2::text[]))
           AND NOT (depends_on && $3::text[])`,
        [userId, found, keep],
      );
      await tx.query(
        `UPDATE ai_insights.insights SET current = false
         WHERE user_id = $1 AND status = 'dismissed' AND current AND NOT (fingerprint = ANY($2::text[]))
           AND NOT (depends_on && $3::text[])`,
        [userId, found, keep],
      );
      await tx.query(
        `DELETE FROM ai_insights.insights
         WHERE user_id = $1 AND NOT current AND updated_at < now() - make_interval(days => $2)`,
        [userId, FORGET_AFTER_DAYS],
      );
      await tx.query(
        `INSERT INTO ai_insights.states (user_id, data_version, computed_version, computed_at, partial, sources)
         VALUES ($1, $2, $2, now(), $3, $4::jsonb)
         ON CONFLICT (user_id) DO UPDATE SET computed_version = excluded.computed_version,
           computed_at = now(), partial = excluded.partial, sources = excluded.sources`,
        [userId, run.version, unreadable.length > 0, JSON.stringify(run.sources)],
      );
    });
  }

  async saveNarrative(userId: string, narrative: Narrative | null, digest: string | null): Promise<void> {
    await this.db.query(
      `UPDATE ai_insights.states SET narrative = $2::jsonb, narrative_digest = $3 WHERE user_id = $1`,
      [userId, narrative === null ? null : JSON.stringify(narrative), digest],
    );
  }

  /** The current insights of a user (dismissed ones only when asked). */
  async list(userId: string, includeDismissed: boolean): Promise<InsightRow[]> {
    const { rows } = await this.db.query<InsightRow>(
      `SELECT ${COLUMNS} FROM ai_insights.insights
       WHERE user_id = $1 AND current AND ($2 OR status = 'active')`,
      [userId, includeDismissed],
    );
    return rows;
  }

  /** Sets the status of one of the user's current insights; undefined when it is not theirs. */
  async setStatus(
    userId: string,
    id: string,
    status: 'active' | 'dismissed',
  ): Promise<InsightRow | undefined> {
    const { rows } = await this.db.query<InsightRow>(
      `UPDATE ai_insights.insights
       SET status = $3, dismissed_at = CASE WHEN $3 = 'dismissed' THEN now() ELSE NULL END, updated_at = now()
       WHERE id = $1 AND user_id = $2 AND current
       RETURNING ${COLUMNS}`,
      [id, userId, status],
    );
    return rows[0];
  }

  async exportAll(userId: string) {
    const insights = await this.db.query<InsightRow>(
      `SELECT ${COLUMNS} FROM ai_insights.insights WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
    return { insights: insights.rows, state: (await this.state(userId)) ?? null };
  }

  async eraseAll(userId: string): Promise<void> {
    await this.forUser(userId, async (tx) => {
      await tx.query(`DELETE FROM ai_insights.insights WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM ai_insights.states WHERE user_id = $1`, [userId]);
    });
  }
}
