/**
 * Epic (SMART on FHIR) standalone patient launch: the authorisation-code flow with PKCE (S256) and a
 * single-use, expiring state bound to the user and the browser that started it; tokens sealed at rest
 * and refreshed when they expire or the EHR answers 401; syncs of the launch patient's records, on
 * demand or on a schedule, imported through the service's FHIR import.
 */
import type { Logger } from 'pino';
import type { EpicFhirConfig } from '../../platform/config.js';
import { FieldCipher, randomToken, sha256 } from '../../platform/crypto.js';
import { AppError, conflict } from '../../platform/http/errors.js';
import { pkcePair } from '../../platform/oauth/pkce.js';
import type { FhirResource } from './fhir.js';
import {
  authorizationUrl,
  discover,
  EhrError,
  fhirGet,
  lastUpdatedSearchable,
  patientScopes,
  tokenRequest,
  type ClientCredentials,
  type TokenResponse,
} from './smart-client.js';
import type { SealedTokens, SmartConnectionRow, SmartProvider, SmartStore } from './smart-store.js';
import { notAttempted, runSmartSync, type SyncError, type TypeResult } from './smart-sync.js';
import type { MedicalStore } from './store.js';

/** How long an authorisation may take, from the authorize call to the callback. */
export const FLOW_TTL_MS = 10 * 60_000;
/** Refresh an access token this long before it expires (Epic's live for about an hour). */
const REFRESH_MARGIN_MS = 60_000;
const PROVIDER: SmartProvider = 'epic';
const NAME = 'Epic';
/** Where the browser comes back: the service's callback behind the gateway. */
export const CALLBACK_PATH = '/api/v1/connections/epic/callback';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export class EpicConnections {
  private readonly cipher: FieldCipher;
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly smart: SmartStore,
    private readonly records: MedicalStore,
    private readonly config: EpicFhirConfig,
    secretKey: string,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {
    this.cipher = new FieldCipher(secretKey, 'medical-records:smart-tokens');
  }

  configured(): boolean {
    return Boolean(this.config.clientId);
  }

  notConfiguredMessage(): string {
    return (
      'Epic is not configured on this server: the operator sets EPIC_FHIR_CLIENT_ID (and EPIC_FHIR_CLIENT_SECRET ' +
      'for a confidential client) from the app registered at fhir.epic.com'
    );
  }

  private requireConfigured(): ClientCredentials {
    if (!this.config.clientId) throw new AppError(409, 'epic_not_configured', this.notConfiguredMessage());
    return {
      clientId: this.config.clientId,
      ...(this.config.clientSecret ? { clientSecret: this.config.clientSecret } : {}),
    };
  }

  redirectUri(): string {
    return this.config.redirectUri ?? `${this.publicUrl}/medical-records${CALLBACK_PATH}`;
  }

  get(userId: string) {
    return this.smart.get(userId, PROVIDER);
  }

  /** The connection as the user sees it: never the tokens. */
  present(row: SmartConnectionRow | undefined) {
    const configured = this.configured();
    return {
      provider: PROVIDER,
      name: NAME,
      configured,
      message: configured ? null : this.notConfiguredMessage(),
      fhir_base_url: row?.fhir_base_url ?? this.config.fhirBaseUrl,
      status: row?.status ?? ('not_connected' as const),
      connected: row?.status === 'active',
      patient_id: row?.patient_id ?? null,
      scope: row?.scope ?? null,
      connected_at: iso(row?.connected_at),
      sync_in_progress: Boolean(row?.sync_lease_until && row.sync_lease_until.getTime() > Date.now()),
      last_sync: row?.last_sync_started_at
        ? {
            started_at: iso(row.last_sync_started_at)!,
            finished_at: iso(row.last_sync_finished_at),
            status: row.last_sync_status,
            message: row.last_sync_message,
            types: row.last_sync_results ?? [],
          }
        : null,
    };
  }

  // ---- authorisation -------------------------------------------------------------------------------

  /** Starts a standalone launch: the URL to open, and the binding the browser must bring back. */
  async authorize(userId: string, returnTo: string | undefined) {
    const client = this.requireConfigured();
    const base = this.config.fhirBaseUrl;
    let smart;
    try {
      smart = await discover(base);
    } catch (err) {
      throw asAppError(err);
    }
    const state = randomToken(32);
    const browser = randomToken(32);
    const { verifier, challenge } = pkcePair();
    const expiresAt = new Date(Date.now() + FLOW_TTL_MS);
    const redirectUri = this.redirectUri();
    await this.smart.saveFlow({
      state_hash: sha256(state),
      user_id: userId,
      provider: PROVIDER,
      browser_hash: sha256(browser),
      code_verifier_sealed: this.cipher.seal(verifier),
      fhir_base_url: base,
      token_endpoint: smart.tokenEndpoint,
      redirect_uri: redirectUri,
      return_to: returnTo ?? null,
      expires_at: expiresAt,
    });
    const scopes = patientScopes(smart.capabilities);
    return {
      browser,
      answer: {
        provider: PROVIDER,
        authorization_url: authorizationUrl(smart, {
          clientId: client.clientId,
          redirectUri,
          scopes,
          state,
          challenge,
          fhirBaseUrl: base,
        }),
        redirect_uri: redirectUri,
        scopes,
        expires_at: expiresAt.toISOString(),
      },
    };
  }

  /**
   * Completes a launch. The state is taken (used once) only when it belongs to this browser (its cookie)
   * or to this user (an app completing with its own token), and only while fresh; then the code is
   * exchanged with the PKCE verifier and the tokens are sealed.
   */
  async complete(
    state: string,
    binding: { browser?: string; userId?: string },
    result: { code?: string; error?: string },
  ): Promise<{ userId: string; returnTo: string | null; row: SmartConnectionRow }> {
    const client = this.requireConfigured();
    const flow = await this.smart.takeFlow(sha256(state), {
      ...(binding.userId !== undefined ? { userId: binding.userId } : {}),
      ...(binding.browser !== undefined ? { browserHash: sha256(binding.browser) } : {}),
    });
    if (!flow || flow.expires_at.getTime() < Date.now()) {
      throw new AppError(
        400,
        'state_mismatch',
        'This authorisation does not match one started here (unknown, used or expired state, or another browser or user): start again',
      );
    }
    if (result.error || !result.code) {
      throw new AppError(
        400,
        'authorization_denied',
        `${NAME} did not authorise the connection${result.error ? ` (${result.error.slice(0, 100)})` : ''}`,
      );
    }
    let tokens: TokenResponse;
    try {
      tokens = await tokenRequest(flow.token_endpoint, client, {
        grant_type: 'authorization_code',
        code: result.code,
        redirect_uri: flow.redirect_uri,
        code_verifier: this.cipher.open(flow.code_verifier_sealed),
      });
    } catch (err) {
      if (err instanceof EhrError && err.code === 'invalid_grant') {
        throw new AppError(
          400,
          'authorization_failed',
          `${NAME} refused the authorisation code (invalid_grant: expired, used, or the PKCE verifier did not match): start again`,
        );
      }
      throw asAppError(err);
    }
    if (!tokens.patient) {
      throw new AppError(
        502,
        'no_patient_context',
        `${NAME} granted access without a patient (no "patient" in the token response): the launch needs launch/patient`,
      );
    }
    const row = await this.smart.connect(
      flow.user_id,
      PROVIDER,
      { fhirBaseUrl: flow.fhir_base_url, tokenEndpoint: flow.token_endpoint, patientId: tokens.patient },
      this.seal(tokens, null),
    );
    return { userId: flow.user_id, returnTo: flow.return_to, row };
  }

  private seal(tokens: TokenResponse, previousRefresh: string | null): SealedTokens {
    return {
      access: this.cipher.seal(tokens.accessToken),
      // A refresh answer without a refresh token keeps the one we have (Epic does not rotate them).
      refresh: tokens.refreshToken ? this.cipher.seal(tokens.refreshToken) : previousRefresh,
      expiresAt: tokens.expiresAt ?? null,
      scope: tokens.scope ?? null,
    };
  }

  async disconnect(userId: string): Promise<SmartConnectionRow | undefined> {
    return this.smart.disconnect(userId, PROVIDER);
  }

  // ---- tokens and reads ----------------------------------------------------------------------------

  private async accessToken(row: SmartConnectionRow, force: boolean): Promise<string> {
    const fresh =
      row.token_expires_at === null || row.token_expires_at.getTime() - REFRESH_MARGIN_MS > Date.now();
    if (!force && fresh && row.access_token_sealed) return this.cipher.open(row.access_token_sealed);
    const reauthorize = (why: string) =>
      new EhrError(401, 'reauthorization_required', `${NAME} access ${why}: connect ${NAME} again`);
    if (!row.refresh_token_sealed) throw reauthorize('expired and no refresh token was granted');
    let tokens: TokenResponse;
    try {
      tokens = await tokenRequest(row.token_endpoint, this.requireConfigured(), {
        grant_type: 'refresh_token',
        refresh_token: this.cipher.open(row.refresh_token_sealed),
      });
    } catch (err) {
      if (err instanceof EhrError && (err.status === 400 || err.status === 401)) {
        throw reauthorize(`could not be renewed (${err.code})`);
      }
      throw err;
    }
    const sealed = this.seal(tokens, row.refresh_token_sealed);
    if (!(await this.smart.saveTokens(row.user_id, PROVIDER, sealed))) {
      throw new EhrError(409, 'disconnected', `${NAME} was disconnected during the sync`);
    }
    row.access_token_sealed = sealed.access;
    row.refresh_token_sealed = sealed.refresh;
    row.token_expires_at = sealed.expiresAt;
    return tokens.accessToken;
  }

  /** A FHIR read with the connection's token; on 401 the token is refreshed and the read tried once more. */
  private async read(row: SmartConnectionRow, url: string) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await fhirGet(url, await this.accessToken(row, attempt > 0));
      if (answer.status !== 401) return answer;
    }
    throw new EhrError(
      401,
      'reauthorization_required',
      `${NAME} refused the renewed access token: connect ${NAME} again`,
    );
  }

  // ---- sync ----------------------------------------------------------------------------------------

  /** Syncs now. Refuses (409) when not connected or while another sync of the connection runs. */
  async syncNow(userId: string): Promise<SmartConnectionRow> {
    this.requireConfigured();
    const row = await this.smart.lease(userId, PROVIDER);
    if (!row) {
      const existing = await this.smart.get(userId, PROVIDER);
      if (!existing || existing.status === 'disconnected') {
        throw new AppError(409, 'not_connected', `${NAME} is not connected`);
      }
      if (existing.status === 'needs_reauthorization') {
        throw new AppError(409, 'authorization_required', `${NAME} needs to be connected again`);
      }
      throw conflict(`A sync of this ${NAME} connection is already running`, 'sync_in_progress');
    }
    return this.runSync(row);
  }

  private async runSync(row: SmartConnectionRow): Promise<SmartConnectionRow> {
    let outcome: { results: TypeResult[]; fatal: SyncError | null };
    let unexpected = false;
    try {
      // Which types may be searched by _lastUpdated; a server without a usable CapabilityStatement is read in full.
      const lastUpdatedTypes = await this.read(row, `${row.fhir_base_url}/metadata`)
        .then((answer) => lastUpdatedSearchable(answer.body))
        .catch((err: unknown) => {
          if (err instanceof EhrError && err.code === 'reauthorization_required') throw err;
          return new Set<string>();
        });
      outcome = await runSmartSync(
        {
          fhirBaseUrl: row.fhir_base_url,
          patientId: row.patient_id,
          progress: { ...row.progress },
          lastUpdatedTypes,
        },
        {
          get: (url) => this.read(row, url),
          importFhir: async (root: FhirResource) =>
            (await this.records.importFhir(row.user_id, root, row.fhir_base_url)).counts,
          saveProgress: async (progress) => {
            if (!(await this.smart.saveProgress(row.user_id, PROVIDER, progress))) {
              throw new EhrError(409, 'disconnected', `${NAME} was disconnected during the sync`);
            }
          },
        },
      );
    } catch (err) {
      if (err instanceof EhrError) {
        const fatal = { status: err.status || null, code: err.code, message: err.message };
        outcome = { results: notAttempted(fatal), fatal };
      } else {
        unexpected = true;
        this.logger.error({ err, provider: PROVIDER }, 'SMART sync failed');
        const fatal = {
          status: null,
          code: 'internal_error',
          message: 'The sync stopped on an unexpected error; the next sync resumes where it stopped',
        };
        outcome = { results: notAttempted(fatal), fatal };
      }
    }
    const failedTypes = outcome.results.filter((r) => r.error).map((r) => r.resource_type);
    const status = outcome.fatal ? 'failed' : failedTypes.length > 0 ? 'partial' : 'ok';
    const message = outcome.fatal
      ? outcome.fatal.message
      : failedTypes.length > 0
        ? `${NAME} did not give ${failedTypes.join(', ')}; the other types were synced`
        : null;
    const finished = await this.smart.finishSync(row.user_id, PROVIDER, {
      status,
      message,
      results: outcome.results,
      needsReauthorization: !unexpected && outcome.fatal?.code === 'reauthorization_required',
    });
    return finished ?? row;
  }

  /** Syncs every active connection whose last sync is older than the interval. */
  async syncDue(): Promise<number> {
    if (!this.configured() || this.config.syncIntervalMinutes <= 0) return 0;
    let done = 0;
    for (const due of await this.smart.due(this.config.syncIntervalMinutes)) {
      try {
        await this.syncNow(due.user_id);
        done += 1;
      } catch (err) {
        if (!(err instanceof AppError))
          this.logger.error({ err, provider: PROVIDER }, 'scheduled SMART sync failed');
      }
    }
    return done;
  }

  startScheduler(): void {
    const minutes = this.config.syncIntervalMinutes;
    if (minutes <= 0 || !this.configured() || this.timer) return;
    const tick = () => {
      const run = this.syncDue().catch((err: unknown) =>
        this.logger.error({ err, provider: PROVIDER }, 'SMART sync scheduler failed'),
      );
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    };
    // Look for due connections every few minutes (or at the interval, if shorter).
    this.timer = setInterval(tick, Math.min(minutes, 5) * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running]);
  }

  // ---- account ---------------------------------------------------------------------------------------

  /** The user's connections for the account export: tokens are credentials, never exported. */
  async exportFor(userId: string) {
    return (await this.smart.listForUser(userId)).map((row) => this.present(row));
  }

  erase(userId: string): Promise<void> {
    return this.smart.erase(userId);
  }
}

export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof EhrError) {
    return new AppError(502, 'ehr_error', err.message, {
      ehr_status: err.status || null,
      ehr_code: err.code,
    });
  }
  return new AppError(502, 'ehr_error', 'The EHR could not be reached');
}
