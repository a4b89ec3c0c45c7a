/**
 * SQL of SMART connections: authorisations in flight (state hashed, PKCE verifier sealed) and
 * connections (tokens sealed). Every statement is scoped to one user.
 */
import type { Db } from '../../platform/db/db.js';
import type { StreamProgress, TypeResult } from './smart-sync.js';

export type SmartProvider = 'epic';
export type ConnectionStatus = 'active' | 'needs_reauthorization' | 'disconnected';

export interface FlowRow {
  state_hash: string;
  user_id: string;
  provider: SmartProvider;
  browser_hash: string;
  code_verifier_sealed: string;
  fhir_base_url: string;
  token_endpoint: string;
  redirect_uri: string;
  return_to: string | null;
  expires_at: Date;
}

export interface SmartConnectionRow {
  user_id: string;
  provider: SmartProvider;
  fhir_base_url: string;
  token_endpoint: string;
  patient_id: string;
  status: ConnectionStatus;
  access_token_sealed: string | null;
  refresh_token_sealed: string | null;
  token_expires_at: Date | null;
  scope: string | null;
  progress: Record<string, StreamProgress>;
  last_sync_started_at: Date | null;
  last_sync_finished_at: Date | null;
  last_sync_status: 'ok' | 'partial' | 'failed' | null;
  last_sync_message: string | null;
  last_sync_results: TypeResult[] | null;
  sync_lease_until: Date | null;
  connected_at: Date;
}

export interface SealedTokens {
  access: string;
  refresh: string | null;
  expiresAt: Date | null;
  scope: string | null;
}

const F = 'medical_records.smart_flows';
const C = 'medical_records.smart_connections';
/** A sync holds its connection this long, renewed after every page; a crashed sync frees it after that. */
const LEASE = `interval '15 minutes'`;

export class SmartStore {
  constructor(private readonly db: Db) {}

  async saveFlow(flow: FlowRow): Promise<void> {
    await this.db.query(`DELETE FROM ${F} WHERE expires_at < now()`);
    await this.db.query(
      `INSERT INTO ${F} (state_hash, user_id, provider, browser_hash, code_verifier_sealed, fhir_base_url,
         token_endpoint, redirect_uri, return_to, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        flow.state_hash,
        flow.user_id,
        flow.provider,
        flow.browser_hash,
        flow.code_verifier_sealed,
        flow.fhir_base_url,
        flow.token_endpoint,
        flow.redirect_uri,
        flow.return_to,
        flow.expires_at,
      ],
    );
  }

  /**
   * Takes (deletes and returns) the flow of a state, only when it is bound to this browser or this user:
   * someone else's attempt with a state neither consumes nor reveals it.
   */
  async takeFlow(
    stateHash: string,
    binding: { browserHash?: string; userId?: string },
  ): Promise<FlowRow | undefined> {
    const { rows } = await this.db.query<FlowRow>(
      binding.userId !== undefined
        ? `DELETE FROM ${F} WHERE state_hash = $1 AND user_id = $2 RETURNING *`
        : `DELETE FROM ${F} WHERE state_hash = $1 AND browser_hash = $2 RETURNING *`,
      [stateHash, binding.userId ?? binding.browserHash ?? ''],
    );
    return rows[0];
  }

  async get(userId: string, provider: SmartProvider): Promise<SmartConnectionRow | undefined> {
    const { rows } = await this.db.query<SmartConnectionRow>(
      `SELECT * FROM ${C} WHERE user_id = $1 AND provider = $2`,
      [userId, provider],
    );
    return rows[0];
  }

  /** Stores a connection; connecting to another server or patient starts its sync progress afresh. */
  async connect(
    userId: string,
    provider: SmartProvider,
    target: { fhirBaseUrl: string; tokenEndpoint: string; patientId: string },
    tokens: SealedTokens,
  ): Promise<SmartConnectionRow> {
    const { rows } = await this.db.query<SmartConnectionRow>(
      `INSERT INTO ${C} AS c (user_id, provider, fhir_base_url, token_endpoint, patient_id, status,
         access_token_sealed, refresh_token_sealed, token_expires_at, scope)
       VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9)
       ON CONFLICT (user_id, provider) DO UPDATE SET
         progress = CASE WHEN c.fhir_base_url = EXCLUDED.fhir_base_url AND c.patient_id = EXCLUDED.patient_id
                         THEN c.progress ELSE '{}'::jsonb END,
         last_sync_results = CASE WHEN c.fhir_base_url = EXCLUDED.fhir_base_url AND c.patient_id = EXCLUDED.patient_id
                         THEN c.last_sync_results ELSE NULL END,
         fhir_base_url = EXCLUDED.fhir_base_url, token_endpoint = EXCLUDED.token_endpoint,
         patient_id = EXCLUDED.patient_id, status = 'active',
         access_token_sealed = EXCLUDED.access_token_sealed, refresh_token_sealed = EXCLUDED.refresh_token_sealed,
         token_expires_at = EXCLUDED.token_expires_at, scope = EXCLUDED.scope, sync_lease_until = NULL,
         connected_at = now(), updated_at = now()
       RETURNING *`,
      [
        userId,
        provider,
        target.fhirBaseUrl,
        target.tokenEndpoint,
        target.patientId,
        tokens.access,
        tokens.refresh,
        tokens.expiresAt,
        tokens.scope,
      ],
    );
    return rows[0]!;
  }

  /** Replaces the tokens after a refresh, unless the connection was disconnected meanwhile. */
  async saveTokens(userId: string, provider: SmartProvider, tokens: SealedTokens): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE ${C} SET access_token_sealed = $3, refresh_token_sealed = $4, token_expires_at = $5,
         scope = COALESCE($6, scope), updated_at = now()
       WHERE user_id = $1 AND provider = $2 AND status = 'active' RETURNING 1`,
      [userId, provider, tokens.access, tokens.refresh, tokens.expiresAt, tokens.scope],
    );
    return rows.length > 0;
  }

  /** Takes the sync lease of an active connection; undefined when it is not active or a sync holds it. */
  async lease(userId: string, provider: SmartProvider): Promise<SmartConnectionRow | undefined> {
    const { rows } = await this.db.query<SmartConnectionRow>(
      `UPDATE ${C} SET sync_lease_until = now() + ${LEASE}, last_sync_started_at = now(), updated_at = now()
       WHERE user_id = $1 AND provider = $2 AND status = 'active'
         AND (sync_lease_until IS NULL OR sync_lease_until < now())
       RETURNING *`,
      [userId, provider],
    );
    return rows[0];
  }

  /** Saves the progress and renews the lease; false when the connection is no longer active. */
  async saveProgress(
    userId: string,
    provider: SmartProvider,
    progress: Record<string, StreamProgress>,
  ): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE ${C} SET progress = $3::jsonb, sync_lease_until = now() + ${LEASE}, updated_at = now()
       WHERE user_id = $1 AND provider = $2 AND status = 'active' RETURNING 1`,
      [userId, provider, JSON.stringify(progress)],
    );
    return rows.length > 0;
  }

  async finishSync(
    userId: string,
    provider: SmartProvider,
    outcome: {
      status: 'ok' | 'partial' | 'failed';
      message: string | null;
      results: TypeResult[];
      needsReauthorization: boolean;
    },
  ): Promise<SmartConnectionRow | undefined> {
    const { rows } = await this.db.query<SmartConnectionRow>(
      `UPDATE ${C} SET last_sync_finished_at = now(), last_sync_status = $3, last_sync_message = $4,
         last_sync_results = $5::jsonb, sync_lease_until = NULL, updated_at = now(),
         status = CASE WHEN status = 'active' AND $6 THEN 'needs_reauthorization' ELSE status END
       WHERE user_id = $1 AND provider = $2 RETURNING *`,
      [
        userId,
        provider,
        outcome.status,
        outcome.message,
        JSON.stringify(outcome.results),
        outcome.needsReauthorization,
      ],
    );
    return rows[0];
  }

  /** Deletes the tokens; the connection's record of what was synced stays (and the imported records). */
  async disconnect(userId: string, provider: SmartProvider): Promise<SmartConnectionRow | undefined> {
    const { rows } = await this.db.query<SmartConnectionRow>(
      `UPDATE ${C} SET status = 'disconnected', access_token_sealed = NULL, refresh_token_sealed = NULL,
         token_expires_at = NULL, sync_lease_until = NULL, updated_at = now()
       WHERE user_id = $1 AND provider = $2 AND status <> 'disconnected' RETURNING *`,
      [userId, provider],
    );
    return rows[0];
  }

  /** Active connections whose last sync is older than `minutes`, oldest first. */
  async due(minutes: number, limit = 20): Promise<{ user_id: string; provider: SmartProvider }[]> {
    const { rows } = await this.db.query<{ user_id: string; provider: SmartProvider }>(
      `SELECT user_id, provider FROM ${C}
       WHERE status = 'active' AND (sync_lease_until IS NULL OR sync_lease_until < now())
         AND (last_sync_finished_at IS NULL OR last_sync_finished_at < now() - make_interval(mins => $1))
       ORDER BY last_sync_finished_at NULLS FIRST LIMIT $2`,
      [minutes, limit],
    );
    return rows;
  }

  async listForUser(userId: string): Promise<SmartConnectionRow[]> {
    const { rows } = await this.db.query<SmartConnectionRow>(
      `SELECT * FROM ${C} WHERE user_id = $1 ORDER BY provider`,
      [userId],
    );
    return rows;
  }

  async erase(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${F} WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM ${C} WHERE user_id = $1`, [userId]);
    });
  }
}
