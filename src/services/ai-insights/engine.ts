import type { Logger } from 'pino';
import type { LanguageModel } from '../../platform/ai/ai.js';
import { analyze } from './analyze.js';
import { gather, type Caller, type SourceReport } from './gather.js';
import { SEVERITY_RANK } from './insight.js';
import { factsDigest, writeNarrative, type NarrativeFact } from './narrative.js';
import type { InsightRow, InsightStore, Narrative, StateRow } from './store.js';

/** Insights older than this are recomputed on read even without an event (windows move with time). */
export const MAX_AGE_MS = 15 * 60_000;
/** After a computation that could not read every source, the next read tries again after this. */
export const RETRY_PARTIAL_MS = 60_000;
/** After the model failed on a set of facts, it is asked again about the same facts after this. */
export const NARRATIVE_RETRY_MS = 10 * 60_000;

export interface Snapshot {
  insights: InsightRow[];
  state: StateRow;
}

export function needsRecompute(state: StateRow | undefined, now: number): boolean {
  if (!state) return true;
  if (BigInt(state.data_version) > BigInt(state.computed_version)) return true;
  const age = now - state.computed_at.getTime();
  return age > MAX_AGE_MS || (state.partial && age > RETRY_PARTIAL_MS);
}

/** Whether the answer may not reflect the newest data: new events since, or a source not read. */
export function isStale(state: StateRow): boolean {
  return BigInt(state.data_version) > BigInt(state.computed_version) || state.partial;
}

/**
 * Computes a user's insights from the other services (through `call`, on the user's behalf), stores
 * them, and writes the narrative when a language model is configured and the facts changed.
 */
export class InsightsEngine {
  /** Reads that find insights out of date share one computation per user. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly store: InsightStore,
    private readonly model: LanguageModel,
    private readonly logger: Logger,
  ) {}

  /** Recomputes now. */
  async refresh(userId: string, call: Caller): Promise<void> {
    const version = await this.store.dataVersion(userId);
    const data = await gather(call);
    const drafts = analyze(data);
    await this.store.saveComputation(userId, drafts, { version, sources: data.sources });
    await this.updateNarrative(userId);
    const unread = data.sources.filter((s) => s.status === 'partial' || s.status === 'unavailable');
    if (unread.length > 0) {
      this.logger.warn(
        { sources: unread.map((s: SourceReport) => `${s.service}: ${s.status}`) },
        'insights computed without some sources',
      );
    }
  }

  /** Recomputes when out of date (stale by an event, too old, or partial), sharing concurrent reads. */
  async ensureFresh(userId: string, call: Caller): Promise<void> {
    if (!needsRecompute(await this.store.state(userId), Date.now())) return;
    let running = this.inFlight.get(userId);
    if (!running) {
      running = this.refresh(userId, call).finally(() => this.inFlight.delete(userId));
      this.inFlight.set(userId, running);
    }
    await running;
  }

  async snapshot(userId: string, includeDismissed: boolean): Promise<Snapshot> {
    const [insights, state] = await Promise.all([
      this.store.list(userId, includeDismissed),
      this.store.state(userId),
    ]);
    if (!state) throw new Error('insights were not computed');
    return { insights: sortInsights(insights), state };
  }

  /** Writes the narrative when a model is configured and the active insights changed since the last one. */
  async updateNarrative(userId: string): Promise<void> {
    if (this.model.kind === 'none') return;
    const active = sortInsights(await this.store.list(userId, false));
    const facts: NarrativeFact[] = active.map((i) => ({
      severity: i.severity,
      title: i.title,
      explanation: i.explanation,
      values: i.evidence.values,
    }));
    const digest = factsDigest(facts);
    const state = await this.store.state(userId);
    if (state?.narrative_digest === digest) return;
    // After a failure the same facts are tried again only after a pause: a model that is down or slow
    // must not slow every read by its timeout.
    const failed = /^failed:(\d+):(.*)$/.exec(state?.narrative_digest ?? '');
    if (failed && failed[2] === digest && Date.now() - Number(failed[1]) < NARRATIVE_RETRY_MS) return;
    const outcome = await writeNarrative(this.model, facts);
    if (outcome.narrative === null && outcome.reason !== 'no_facts') {
      this.logger.warn({ reason: outcome.reason }, 'insights narrative not written');
      await this.store.saveNarrative(userId, null, `failed:${Date.now()}:${digest}`);
      return;
    }
    await this.store.saveNarrative(userId, outcome.narrative as Narrative | null, digest);
  }
}

/** Most severe first, then the most recently changed. */
export function sortInsights(rows: InsightRow[]): InsightRow[] {
  return [...rows].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      b.updated_at.getTime() - a.updated_at.getTime(),
  );
}
