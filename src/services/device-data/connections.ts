import type { Logger } from 'pino';
import type { Db } from '../../platform/db/db.js';
import { FieldCipher, randomToken, sha256 } from '../../platform/crypto.js';
import { AppError, conflict } from '../../platform/http/errors.js';
import { pkcePair } from '../../platform/oauth/pkce.js';
import type { DeviceDataConfig, ProviderConfig } from './config.js';
import { emit, type Devices } from './devices.js';
import type { HealthWriter } from './health.js';
import { Ingestor } from './ingest.js';
import {
  authorizationUrl,
  failure,
  ProviderError,
  providerFetch,
  tokenRequest,
  type TokenSet,
} from './oauth.js';
import { PROVIDER_SYNCS, type ProviderSync } from './providers.js';

export type Provider = keyof typeof PROVIDER_SYNCS;
export const FLOW_TTL_MS = 10 * 60_000;
/** Refresh an access token this long before it expires. */
const REFRESH_MARGIN_MS = 2 * 60_000;

export interface ConnectionRow {
  user_id: string;
  provider: Provider;
  device_id: string;
  status: 'active' | 'needs_reauthorization' | 'disconnected';
  access_token_sealed: string | null;
  refresh_token_sealed: string | null;
  token_expires_at: Date | null;
  scope: string | null;
  cursors: Record<string, string>;
  last_sync_started_at: Date | null;
  last_sync_finished_at: Date | null;
  last_sync_status: string | null;
  last_sync_message: string | null;
  last_sync_counts: Record<string, number> | null;
  sync_lease_until: Date | null;
}

interface FlowRow {
  user_id: string;
  provider: Provider;
  browser_hash: string;
  code_verifier_sealed: string;
  return_to: string | null;
  expires_at: Date;
}

const C = 'device_data.connections';
const F = 'device_data.oauth_flows';
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Cloud connections (Dexcom, Oura): the OAuth 2.0 authorisation-code flow with PKCE and a single-use
 * state bound to the user and to the browser that started it; tokens sealed at rest and refreshed
 * before they expire; syncs that resume from per-stream cursors, on demand or on a schedule.
 */
export class Connections {
  private readonly cipher: FieldCipher;
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly devices: Devices,
    private readonly health: HealthWriter,
    private readonly config: DeviceDataConfig,
    secretKey: string,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {
    this.cipher = new FieldCipher(secretKey, 'device-data:oauth');
  }

  providerConfig(provider: Provider): ProviderConfig {
    return this.config[provider];
  }

  configured(provider: Provider): boolean {
    const c = this.providerConfig(provider);
    return Boolean(c.clientId && c.clientSecret);
  }

  notConfiguredMessage(provider: Provider): string {
    const prefix = provider.toUpperCase();
    return `${PROVIDER_SYNCS[provider].name} is not configured on this server: the operator sets ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET (from the ${PROVIDER_SYNCS[provider].name} developer portal)`;
  }

  redirectUri(): string {
    return this.config.oauthRedirectUri ?? `${this.publicUrl}/device-data/api/v1/connections/callback`;
  }

  async get(userId: string, provider: Provider): Promise<ConnectionRow | undefined> {
    const { rows } = await this.db.query<ConnectionRow>(
      `SELECT * FROM ${C} WHERE user_id = $1 AND provider = $2`,
      [userId, provider],
    );
    return rows[0];
  }

  async forDevice(userId: string, deviceId: string) {
    const { rows } = await this.db.query<ConnectionRow>(
      `SELECT * FROM ${C} WHERE user_id = $1 AND device_id = $2`,
      [userId, deviceId],
    );
    return rows[0] ? summary(rows[0]) : null;
  }

  async byUser(userId: string) {
    const { rows } = await this.db.query<ConnectionRow>(`SELECT * FROM ${C} WHERE user_id = $1`, [userId]);
    return new Map(rows.map((r) => [r.device_id, summary(r)]));
  }

  present(provider: Provider, row: ConnectionRow | undefined) {
    const configured = this.configured(provider);
    return {
      provider,
      name: PROVIDER_SYNCS[provider].name,
      configured,
      message: configured ? null : this.notConfiguredMessage(provider),
      status: row?.status ?? ('not_connected' as const),
      device_id: row?.device_id ?? null,
      last_sync_started_at: iso(row?.last_sync_started_at ?? null),
      last_sync_finished_at: iso(row?.last_sync_finished_at ?? null),
      last_sync_status: row?.last_sync_status ?? null,
      last_sync_message: row?.last_sync_message ?? null,
      last_sync_counts: row?.last_sync_counts ?? null,
      cursors: row?.cursors ?? {},
    };
  }

  // ---- authorisation -------------------------------------------------------------------------------

  /** Starts a flow: the URL to send the browser to, and the binding that browser must bring back. */
  async authorize(userId: string, provider: Provider, returnTo: string | undefined) {
    if (!this.configured(provider)) {
      throw new AppError(503, 'provider_not_configured', this.notConfiguredMessage(provider));
    }
    const state = randomToken(32);
    const browser = randomToken(32);
    const { verifier, challenge } = pkcePair();
    const expiresAt = new Date(Date.now() + FLOW_TTL_MS);
    await this.db.query(`DELETE FROM ${F} WHERE expires_at < now()`);
    await this.db.query(
      `INSERT INTO ${F} (state_hash, user_id, provider, browser_hash, code_verifier_sealed, return_to, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        sha256(state),
        userId,
        provider,
        sha256(browser),
        this.cipher.seal(verifier),
        returnTo ?? null,
        expiresAt,
      ],
    );
    const redirectUri = this.redirectUri();
    return {
      browser,
      answer: {
        provider,
        authorization_url: authorizationUrl(this.providerConfig(provider), { state, challenge, redirectUri }),
        redirect_uri: redirectUri,
        expires_at: expiresAt.toISOString(),
      },
    };
  }

  /**
   * Completes a flow. The state is looked up by its hash and consumed (used once); it must be fresh and
   * belong to this browser (`browser`, from the cookie set when the flow started) or to this user
   * (`userId`, when an app completes the flow with its own token).
   */
  async complete(
    state: string,
    binding: { browser?: string; userId?: string },
    result: { code?: string; error?: string },
  ): Promise<{ provider: Provider; userId: string; returnTo: string | null; row: ConnectionRow }> {
    const { rows } = await this.db.query<FlowRow>(`DELETE FROM ${F} WHERE state_hash = $1 RETURNING *`, [
      sha256(state),
    ]);
    const flow = rows[0];
    const mismatch = () =>
      new AppError(
        400,
        'state_mismatch',
        'This authorisation does not match one started here (unknown, used or expired state, or another browser): start again',
      );
    if (!flow || flow.expires_at.getTime() < Date.now()) throw mismatch();
    if (
      binding.userId !== undefined
        ? binding.userId !== flow.user_id
        : sha256(binding.browser ?? '') !== flow.browser_hash
    ) {
      throw mismatch();
    }
    if (result.error || !result.code) {
      throw new AppError(
        400,
        'authorization_denied',
        `${PROVIDER_SYNCS[flow.provider].name} did not authorise the connection${result.error ? ` (${result.error.slice(0, 100)})` : ''}`,
      );
    }
    const config = this.providerConfig(flow.provider);
    let tokens: TokenSet;
    try {
      tokens = await tokenRequest(PROVIDER_SYNCS[flow.provider].name, config, {
        grant_type: 'authorization_code',
        code: result.code,
        redirect_uri: this.redirectUri(),
        code_verifier: this.cipher.open(flow.code_verifier_sealed),
      });
    } catch (err) {
      throw asAppError(err);
    }
    const row = await this.store(flow.user_id, flow.provider, tokens);
    return { provider: flow.provider, userId: flow.user_id, returnTo: flow.return_to, row };
  }

  private async store(userId: string, provider: Provider, tokens: TokenSet): Promise<ConnectionRow> {
    const sync = PROVIDER_SYNCS[provider];
    const device = await this.devices.ensure(userId, sync.device, 'connection', true);
    return this.db.transaction(async (tx) => {
      // Connecting again keeps the cursors: the next sync resumes where the last one stopped.
      const { rows } = await tx.query<ConnectionRow>(
        `INSERT INTO ${C} (user_id, provider, device_id, status, access_token_sealed, refresh_token_sealed,
           token_expires_at, scope)
         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7)
         ON CONFLICT (user_id, provider) DO UPDATE SET device_id = EXCLUDED.device_id, status = 'active',
           access_token_sealed = EXCLUDED.access_token_sealed, refresh_token_sealed = EXCLUDED.refresh_token_sealed,
           token_expires_at = EXCLUDED.token_expires_at, scope = EXCLUDED.scope, sync_lease_until = NULL,
           updated_at = now()
         RETURNING *`,
        [
          userId,
          provider,
          device.id,
          this.cipher.seal(tokens.accessToken),
          tokens.refreshToken ? this.cipher.seal(tokens.refreshToken) : null,
          tokens.expiresAt ? new Date(tokens.expiresAt) : null,
          tokens.scope ?? null,
        ],
      );
      if (device.status === 'disconnected') {
        await tx.query(
          `UPDATE device_data.devices SET status = 'active', disconnected_at = NULL, updated_at = now()
           WHERE user_id = $1 AND id = $2`,
          [userId, device.id],
        );
      }
      await emit(tx, userId, 'connection.connected', { provider, device_id: device.id });
      return rows[0]!;
    });
  }

  /** Forgets the tokens of the connection of a device (or removes it with the device). */
  async disconnectDevice(userId: string, deviceId: string, remove = false): Promise<void> {
    const { rows } = await this.db.query<ConnectionRow>(
      `SELECT * FROM ${C} WHERE user_id = $1 AND device_id = $2`,
      [userId, deviceId],
    );
    if (rows[0]) await this.disconnect(userId, rows[0].provider, remove);
  }

  async disconnect(userId: string, provider: Provider, remove = false): Promise<ConnectionRow | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = remove
        ? await tx.query<ConnectionRow>(`DELETE FROM ${C} WHERE user_id = $1 AND provider = $2 RETURNING *`, [
            userId,
            provider,
          ])
        : await tx.query<ConnectionRow>(
            `UPDATE ${C} SET status = 'disconnected', access_token_sealed = NULL, refresh_token_sealed = NULL,
               token_expires_at = NULL, sync_lease_until = NULL, updated_at = now()
             WHERE user_id = $1 AND provider = $2 RETURNING *`,
            [userId, provider],
          );
      if (rows[0]) {
        if (!remove) {
          await tx.query(
            `UPDATE device_data.devices SET status = 'disconnected', disconnected_at = now(), updated_at = now()
             WHERE user_id = $1 AND id = $2`,
            [userId, rows[0].device_id],
          );
        }
        await emit(tx, userId, 'connection.disconnected', { provider, device_id: rows[0].device_id });
      }
      return rows[0];
    });
  }

  // ---- tokens and provider calls -------------------------------------------------------------------

  private async accessToken(row: ConnectionRow, force = false): Promise<string> {
    const expiring =
      row.token_expires_at !== null && row.token_expires_at.getTime() - REFRESH_MARGIN_MS < Date.now();
    if (!force && !expiring && row.access_token_sealed) return this.cipher.open(row.access_token_sealed);
    if (!row.refresh_token_sealed) {
      throw new ProviderError(
        row.provider,
        401,
        `${PROVIDER_SYNCS[row.provider].name} access expired: connect again`,
      );
    }
    const tokens = await tokenRequest(PROVIDER_SYNCS[row.provider].name, this.providerConfig(row.provider), {
      grant_type: 'refresh_token',
      refresh_token: this.cipher.open(row.refresh_token_sealed),
      redirect_uri: this.redirectUri(),
    });
    // Providers may rotate the refresh token (Dexcom's are single-use): keep the new one.
    row.access_token_sealed = this.cipher.seal(tokens.accessToken);
    if (tokens.refreshToken) row.refresh_token_sealed = this.cipher.seal(tokens.refreshToken);
    row.token_expires_at = tokens.expiresAt ? new Date(tokens.expiresAt) : null;
    await this.db.query(
      `UPDATE ${C} SET access_token_sealed = $3, refresh_token_sealed = $4, token_expires_at = $5, updated_at = now()
       WHERE user_id = $1 AND provider = $2`,
      [row.user_id, row.provider, row.access_token_sealed, row.refresh_token_sealed, row.token_expires_at],
    );
    return tokens.accessToken;
  }

  private async providerGet(
    row: ConnectionRow,
    path: string,
    query: Record<string, string>,
  ): Promise<unknown> {
    const name = PROVIDER_SYNCS[row.provider].name;
    const url = new URL(this.providerConfig(row.provider).apiBaseUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const token = await this.accessToken(row, attempt > 0);
      const response = await providerFetch(name, url.toString(), {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      if (response.status === 401 && attempt === 0) continue;
      if (!response.ok) throw await failure(name, response, `GET ${path}`);
      return response.json();
    }
    throw new ProviderError(row.provider, 401, `${name} refused the access token`);
  }

  // ---- sync ----------------------------------------------------------------------------------------

  /** Syncs one connection now. Refuses (409) while another sync of it runs. */
  async syncNow(userId: string, provider: Provider): Promise<ConnectionRow> {
    const { rows } = await this.db.query<ConnectionRow>(
      `UPDATE ${C} SET sync_lease_until = now() + interval '15 minutes', last_sync_started_at = now(), updated_at = now()
       WHERE user_id = $1 AND provider = $2 AND status = 'active'
         AND (sync_lease_until IS NULL OR sync_lease_until < now())
       RETURNING *`,
      [userId, provider],
    );
    const row = rows[0];
    if (!row) {
      const existing = await this.get(userId, provider);
      if (!existing || existing.status === 'disconnected') {
        throw new AppError(409, 'not_connected', `${PROVIDER_SYNCS[provider].name} is not connected`);
      }
      if (existing.status === 'needs_reauthorization') {
        throw new AppError(
          409,
          'authorization_required',
          `${PROVIDER_SYNCS[provider].name} needs to be connected again`,
        );
      }
      throw conflict('A sync of this connection is already running', 'sync_in_progress');
    }
    return this.runSync(row, PROVIDER_SYNCS[provider]);
  }

  private async runSync(row: ConnectionRow, sync: ProviderSync): Promise<ConnectionRow> {
    // A scheduled sync has no request of the user: their role is not known here (least role).
    const ingestor = new Ingestor(
      { userId: row.user_id },
      `sync:${row.provider}`,
      this.health,
      this.devices,
      'connection',
      this.config.batchSize,
    );
    const cursors = { ...row.cursors };
    let status = 'ok';
    let message: string | null = null;
    let newStatus: ConnectionRow['status'] = 'active';
    try {
      await sync.sync(
        {
          get: (path, query) => this.providerGet(row, path, query),
          land: async (events) => {
            for (const event of events) await ingestor.add(event);
            await ingestor.flush();
          },
          saveCursor: async (stream, value) => {
            cursors[stream] = value;
            await this.db.query(
              `UPDATE ${C} SET cursors = $3, sync_lease_until = now() + interval '15 minutes', updated_at = now()
               WHERE user_id = $1 AND provider = $2`,
              [row.user_id, row.provider, JSON.stringify(cursors)],
            );
          },
          now: Date.now(),
          lookbackDays: this.config.syncLookbackDays,
        },
        cursors,
      );
    } catch (err) {
      status = 'failed';
      if (err instanceof ProviderError) {
        message = `${err.message}; the next sync resumes from where this one stopped`;
        if (err.status === 401 || (err.status === 400 && /invalid_grant/.test(err.message))) {
          newStatus = 'needs_reauthorization';
          message = `${err.message}: connect ${sync.name} again`;
        }
      } else if (err instanceof AppError) {
        message = err.message;
      } else {
        this.logger.error({ err, provider: row.provider }, 'sync failed');
        message = 'The sync stopped on an unexpected error; it resumes from where it stopped next time';
      }
    }
    const counts = ingestor.counts;
    const summaryCounts = {
      readings_created: counts.readings_created,
      readings_duplicate: counts.readings_duplicate,
      records_skipped: counts.records_skipped,
      records_invalid: counts.records_invalid,
    };
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ConnectionRow>(
        `UPDATE ${C} SET last_sync_finished_at = now(), last_sync_status = $3, last_sync_message = $4,
           last_sync_counts = $5, sync_lease_until = NULL, updated_at = now(),
           status = CASE WHEN status = 'active' THEN $6 ELSE status END
         WHERE user_id = $1 AND provider = $2 RETURNING *`,
        [row.user_id, row.provider, status, message, JSON.stringify(summaryCounts), newStatus],
      );
      await emit(tx, row.user_id, status === 'ok' ? 'sync.completed' : 'sync.failed', {
        provider: row.provider,
        device_id: row.device_id,
        ...summaryCounts,
      });
      return rows[0] ?? row;
    });
  }

  /** Syncs every active connection whose last sync is older than the interval (one process at a time per connection). */
  async syncDue(): Promise<number> {
    const minutes = this.config.syncIntervalMinutes;
    const { rows } = await this.db.query<{ user_id: string; provider: Provider }>(
      `SELECT user_id, provider FROM ${C}
       WHERE status = 'active' AND (sync_lease_until IS NULL OR sync_lease_until < now())
         AND (last_sync_finished_at IS NULL OR last_sync_finished_at < now() - make_interval(mins => $1))
       ORDER BY last_sync_finished_at NULLS FIRST LIMIT 20`,
      [minutes],
    );
    let done = 0;
    for (const r of rows) {
      if (!this.configured(r.provider)) continue;
      try {
        await this.syncNow(r.user_id, r.provider);
        done += 1;
      } catch (err) {
        if (!(err instanceof AppError))
          this.logger.error({ err, provider: r.provider }, 'scheduled sync failed');
      }
    }
    return done;
  }

  startScheduler() {
    const minutes = this.config.syncIntervalMinutes;
    if (minutes <= 0 || this.timer) return;
    const tick = () => {
      const run = this.syncDue().catch((err) => this.logger.error({ err }, 'sync scheduler failed'));
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    };
    // Check every few minutes which connections are due.
    this.timer = setInterval(tick, Math.min(minutes, 5) * 60_000);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running]);
  }

  async exportAll(userId: string) {
    const { rows } = await this.db.query<ConnectionRow>(`SELECT * FROM ${C} WHERE user_id = $1`, [userId]);
    // Tokens are credentials, not the user's data: they are never exported.
    return rows.map((r) => this.present(r.provider, r));
  }
}

function summary(row: ConnectionRow) {
  return {
    provider: row.provider,
    status: row.status,
    last_sync_at: iso(row.last_sync_finished_at),
    last_sync_status: row.last_sync_status,
  };
}

export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ProviderError) {
    return new AppError(502, 'provider_error', err.message, { provider: err.provider, status: err.status });
  }
  return new AppError(502, 'provider_error', 'The provider could not be reached');
}
