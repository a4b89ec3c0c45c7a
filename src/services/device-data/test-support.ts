import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Dexcom and Oura cloud APIs, speaking their documented shapes: OAuth 2.0
 * authorisation code (with PKCE checked when a challenge was sent), rotating refresh tokens, Dexcom
 * v3 `dataRange` and `egvs` (30-day windows at most), Oura v2 `heartrate`, `daily_activity` and `sleep`
 * (paginated with next_token). For tests only: it listens on 127.0.0.1.
 */

export interface DexcomEgv {
  recordId: string;
  systemTime: string;
  displayTime: string;
  transmitterId: string | null;
  transmitterTicks: number;
  value: number | null;
  status: 'unknown' | 'high' | 'low' | 'ok' | null;
  trend: string;
  trendRate: number | null;
  unit: 'mg/dL' | 'mmol/L';
  rateUnit: 'mg/dL/min' | 'mmol/L/min';
  displayDevice: 'iOS' | 'android' | 'receiver';
  transmitterGeneration: string;
}

interface Grant {
  provider: 'dexcom' | 'oura';
  clientId: string;
  redirectUri: string;
  challenge?: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  form?: Record<string, string>;
  authorization?: string;
}

const DAY = 86_400_000;
const dexcomTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

export class FakeProviders {
  readonly clients = {
    dexcom: { id: 'dexcom-client-id', secret: 'dexcom-client-secret' },
    oura: { id: 'oura-client-id', secret: 'oura-client-secret' },
  };
  /** Every request received, in order. */
  readonly log: FakeRequest[] = [];
  /** Dexcom EGVs (the data of the one fake Dexcom user). */
  egvs: DexcomEgv[] = [];
  /** What dataRange reports as the first EGV time (default: the first record). */
  egvRangeStart?: number;
  oura = {
    heartrate: [] as { bpm: number; source: string; timestamp: string }[],
    dailyActivity: [] as Record<string, unknown>[],
    sleep: [] as Record<string, unknown>[],
    pageSize: 2,
  };
  /** Seconds an access token lives. */
  accessTtl = 7200;
  /** Answers the next `count` data requests with this status. */
  failNext?: { count: number; status: number; afterCalls?: number };

  private server?: Server;
  private codes = new Map<string, Grant>();
  private access = new Map<string, 'dexcom' | 'oura'>();
  private refresh = new Map<string, 'dexcom' | 'oura'>();
  private dataCalls = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Invalidates every token (the user revoked the app at the provider). */
  revokeAll() {
    this.access.clear();
    this.refresh.clear();
  }

  /** The user consents at the provider: the redirect back to the app, with code and state. */
  consent(authorizationUrl: string): URL {
    const url = new URL(authorizationUrl);
    const provider = url.pathname.startsWith('/v2/oauth2/login') ? 'dexcom' : 'oura';
    const redirect = new URL(url.searchParams.get('redirect_uri')!);
    const code = randomBytes(12).toString('hex');
    this.codes.set(code, {
      provider,
      clientId: url.searchParams.get('client_id')!,
      redirectUri: url.searchParams.get('redirect_uri')!,
      ...(url.searchParams.get('code_challenge')
        ? { challenge: url.searchParams.get('code_challenge')! }
        : {}),
    });
    this.log.push({ method: 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    redirect.searchParams.set('code', code);
    redirect.searchParams.set('state', url.searchParams.get('state')!);
    return redirect;
  }

  private send(res: ServerResponse, status: number, body: unknown) {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      entry.form = Object.fromEntries(new URLSearchParams(body));
    }
    this.log.push(entry);
    if (url.pathname === '/v2/oauth2/token') return this.token(res, 'dexcom', entry.form ?? {});
    if (url.pathname === '/oauth/token') return this.token(res, 'oura', entry.form ?? {});

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const owner = token ? this.access.get(token) : undefined;
    if (!owner) return this.send(res, 401, { error: 'invalid_token' });
    this.dataCalls += 1;
    if (this.failNext && this.failNext.count > 0 && this.dataCalls > (this.failNext.afterCalls ?? 0)) {
      this.failNext.count -= 1;
      return this.send(res, this.failNext.status, { error: 'server_error', error_description: 'try later' });
    }
    if (owner === 'dexcom') return this.dexcom(res, url);
    return this.ouraData(res, url);
  }

  private token(res: ServerResponse, provider: 'dexcom' | 'oura', form: Record<string, string>) {
    const client = this.clients[provider];
    if (form.client_id !== client.id || form.client_secret !== client.secret) {
      return this.send(res, 401, { error: 'invalid_client' });
    }
    if (form.grant_type === 'authorization_code') {
      const grant = form.code ? this.codes.get(form.code) : undefined;
      if (form.code) this.codes.delete(form.code);
      if (!grant || grant.provider !== provider || grant.redirectUri !== form.redirect_uri) {
        return this.send(res, 400, { error: 'invalid_grant', error_description: 'unknown code' });
      }
      if (grant.challenge) {
        const digest = createHash('sha256')
          .update(form.code_verifier ?? '')
          .digest('base64url');
        if (digest !== grant.challenge) {
          return this.send(res, 400, {
            error: 'invalid_grant',
            error_description: 'PKCE verification failed',
          });
        }
      }
    } else if (form.grant_type === 'refresh_token') {
      if (!form.refresh_token || this.refresh.get(form.refresh_token) !== provider) {
        return this.send(res, 400, { error: 'invalid_grant', error_description: 'refresh token revoked' });
      }
      // Single use: a new one comes with every refresh.
      this.refresh.delete(form.refresh_token);
    } else {
      return this.send(res, 400, { error: 'unsupported_grant_type' });
    }
    const access = randomBytes(16).toString('hex');
    const refresh = randomBytes(16).toString('hex');
    this.access.set(access, provider);
    this.refresh.set(refresh, provider);
    return this.send(res, 200, {
      access_token: access,
      refresh_token: refresh,
      expires_in: this.accessTtl,
      token_type: 'Bearer',
      ...(provider === 'oura' ? { scope: 'daily heartrate' } : {}),
    });
  }

  private dexcom(res: ServerResponse, url: URL) {
    if (url.pathname === '/v3/users/self/dataRange') {
      const first = this.egvs[0];
      const last = this.egvs[this.egvs.length - 1];
      const moment = (ms: number) => ({ systemTime: dexcomTime(ms), displayTime: dexcomTime(ms) });
      return this.send(res, 200, {
        recordType: 'dataRange',
        recordVersion: '3.0',
        userId: 'fake-dexcom-user',
        ...(first && last
          ? {
              egvs: {
                start: moment(this.egvRangeStart ?? Date.parse(`${first.systemTime}Z`)),
                end: moment(Date.parse(`${last.systemTime}Z`)),
              },
            }
          : {}),
      });
    }
    if (url.pathname === '/v3/users/self/egvs') {
      const start = Date.parse(`${url.searchParams.get('startDate')}Z`);
      const end = Date.parse(`${url.searchParams.get('endDate')}Z`);
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
        return this.send(res, 400, { error: 'invalid_request', error_description: 'startDate and endDate' });
      }
      if (end - start > 30 * DAY) {
        return this.send(res, 400, {
          error: 'invalid_request',
          error_description: 'window longer than 30 days',
        });
      }
      const records = this.egvs.filter((r) => {
        const t = Date.parse(`${r.systemTime}Z`);
        return t >= start && t < end;
      });
      return this.send(res, 200, {
        recordType: 'egv',
        recordVersion: '3.0',
        userId: 'fake-dexcom-user',
        records,
      });
    }
    return this.send(res, 404, { error: 'not_found' });
  }

  private page<T>(res: ServerResponse, items: T[], url: URL) {
    const from = Number(url.searchParams.get('next_token') ?? 0);
    const size = this.oura.pageSize;
    const slice = items.slice(from, from + size);
    return this.send(res, 200, {
      data: slice,
      next_token: from + size < items.length ? String(from + size) : null,
    });
  }

  private ouraData(res: ServerResponse, url: URL) {
    const q = url.searchParams;
    if (url.pathname === '/v2/usercollection/heartrate') {
      const start = Date.parse(q.get('start_datetime') ?? '');
      const end = Date.parse(q.get('end_datetime') ?? '');
      if (!(end > start) || end - start > 30 * DAY) {
        return this.send(res, 400, { detail: 'start_datetime and end_datetime must span at most 30 days' });
      }
      const items = this.oura.heartrate.filter((s) => {
        const t = Date.parse(s.timestamp);
        return t >= start && t < end;
      });
      return this.page(res, items, url);
    }
    const byDay = (items: Record<string, unknown>[]) =>
      items.filter(
        (d) => String(d.day) >= (q.get('start_date') ?? '') && String(d.day) <= (q.get('end_date') ?? '9999'),
      );
    if (url.pathname === '/v2/usercollection/daily_activity')
      return this.page(res, byDay(this.oura.dailyActivity), url);
    if (url.pathname === '/v2/usercollection/sleep') return this.page(res, byDay(this.oura.sleep), url);
    return this.send(res, 404, { detail: 'Not Found' });
  }
}

/**
 * Dexcom EGV records made from the rows of a Dexcom Clarity export (real CGM values), moved in time so
 * that the last one is `lastAt`: systemTime in UTC, displayTime the receiver's local time (no offset).
 */
export function egvsFromClarity(csv: string, displayOffsetMinutes: number, lastAt: number): DexcomEgv[] {
  const rows = csv
    .split(/\r?\n/)
    .map((line) => line.split('","').map((f) => f.replace(/^"|"$/g, '')))
    .filter((f) => f[2] === 'EGV' && f[1] !== '');
  const local = rows.map((f) => Date.parse(`${f[1]}Z`));
  const shift = lastAt - (local[local.length - 1]! - displayOffsetMinutes * 60_000);
  return rows.map((f, i) => {
    const system = local[i]! - displayOffsetMinutes * 60_000 + shift;
    const low = f[7] === 'Low';
    return {
      recordId: `rec-${i + 1}`,
      systemTime: dexcomTime(system),
      displayTime: dexcomTime(system + displayOffsetMinutes * 60_000),
      transmitterId: f[13] ?? null,
      transmitterTicks: Number(f[12] ?? 0),
      value: low ? 40 : Number(f[7]),
      status: low ? 'low' : null,
      trend: 'flat',
      trendRate: null,
      unit: 'mg/dL',
      rateUnit: 'mg/dL/min',
      displayDevice: 'receiver',
      transmitterGeneration: 'g7',
    };
  });
}
