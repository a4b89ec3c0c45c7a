import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for an EHR's SMART on FHIR endpoints (Epic's shapes), for tests only, on 127.0.0.1:
 * `/.well-known/smart-configuration`; an authorize endpoint that redirects with code and state (after
 * checking client, redirect URI, `aud`, scopes and the S256 challenge); a token endpoint that checks the
 * client authentication (HTTP Basic for a confidential client, client_id alone for a public one), the
 * single-use code, the redirect URI and the PKCE verifier, and refreshes; a CapabilityStatement; Patient
 * read and searchset Bundles paged by opaque `next` links that expire with their search session.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Resource = { resourceType: string; id: string; [key: string]: Json };

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  form?: Record<string, string>;
  authorization?: string;
  status: number;
}

interface Client {
  secret?: string;
  redirectUri: string;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  used: boolean;
}

interface Search {
  type: string;
  ids: string[];
}

const FHIR_PATH = '/api/FHIR/R4';

export class FakeEhr {
  readonly clients = new Map<string, Client>();
  /** Every request received, in order. */
  readonly log: FakeRequest[] = [];
  /** The launch patient and every resource about them. */
  readonly resources = new Map<string, Resource>();
  patientId = 'f001';
  pageSize = 2;
  accessTtlSeconds = 3600;
  capabilities = [
    'launch-standalone',
    'client-public',
    'client-confidential-symmetric',
    'context-standalone-patient',
    'permission-offline',
    'permission-patient',
    'permission-v1',
    'sso-openid-connect',
  ];
  /** Types the CapabilityStatement declares searchable by _lastUpdated. */
  lastUpdatedTypes = new Set(['Condition', 'MedicationRequest', 'AllergyIntolerance', 'DiagnosticReport']);
  /** Resource types the app may not read: answered with this status and an OperationOutcome. */
  readonly refused = new Map<string, number>();
  /** The next authorisation stores a challenge that does not match the app's verifier. */
  corruptNextChallenge = false;
  /** Answers the next `count` FHIR requests whose URL matches with `status`. */
  failNext?: { match: (url: URL) => boolean; status: number; count: number };

  private server?: Server;
  private origin = '';
  private readonly codes = new Map<string, Grant>();
  private readonly access = new Map<string, { clientId: string; patient: string; expiresAt: number }>();
  private readonly refresh = new Map<string, { clientId: string; patient: string; scope: string }>();
  private readonly searches = new Map<string, Search>();

  get base(): string {
    return `${this.origin}${FHIR_PATH}`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  register(clientId: string, redirectUri: string, secret?: string) {
    this.clients.set(clientId, { redirectUri, ...(secret ? { secret } : {}) });
  }

  put(resource: Resource, lastUpdated = '2024-01-01T00:00:00Z') {
    const meta = typeof resource.meta === 'object' && resource.meta !== null ? resource.meta : {};
    this.resources.set(`${resource.resourceType}/${resource.id}`, {
      ...resource,
      meta: { ...(meta as Record<string, Json>), lastUpdated },
    });
  }

  /** Changes a resource at the source (as a clinician editing it would), with a new lastUpdated. */
  edit(key: string, change: (r: Resource) => void) {
    const resource = structuredClone(this.resources.get(key));
    if (!resource) throw new Error(`no ${key}`);
    change(resource);
    this.put(resource, new Date().toISOString());
  }

  /** Every access token expires now (refresh tokens stay valid). */
  expireAccessTokens() {
    for (const token of this.access.values()) token.expiresAt = 0;
  }

  /** The user revoked the app at the EHR: every token stops working. */
  revokeAll() {
    this.access.clear();
    this.refresh.clear();
  }

  /** Search sessions end: saved next links answer 410. */
  forgetSearches() {
    this.searches.clear();
  }

  /** Issued token values, to look for in the app's database. */
  issuedTokens(): string[] {
    return [...this.access.keys(), ...this.refresh.keys()];
  }

  requests(path: string | RegExp): FakeRequest[] {
    return this.log.filter((r) => (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  private send(
    res: ServerResponse,
    req: FakeRequest,
    status: number,
    body: unknown,
    type = 'application/json',
  ) {
    req.status = status;
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.end(JSON.stringify(body));
  }

  private outcome(res: ServerResponse, req: FakeRequest, status: number, code: string, text: string) {
    this.send(
      res,
      req,
      status,
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] },
      'application/fhir+json',
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const entry: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.method === 'POST' ? { form: Object.fromEntries(new URLSearchParams(body)) } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      status: 0,
    };
    this.log.push(entry);
    if (url.pathname === `${FHIR_PATH}/.well-known/smart-configuration`) {
      return this.send(res, entry, 200, {
        issuer: this.origin,
        authorization_endpoint: `${this.origin}/oauth2/authorize`,
        token_endpoint: `${this.origin}/oauth2/token`,
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        scopes_supported: ['openid', 'fhirUser', 'launch/patient', 'offline_access'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        capabilities: this.capabilities,
      });
    }
    if (url.pathname === '/oauth2/authorize') return this.authorize(url, entry, res);
    if (url.pathname === '/oauth2/token' && req.method === 'POST') return this.token(entry, req, res);
    if (url.pathname.startsWith(FHIR_PATH)) return this.fhir(url, entry, req, res);
    this.send(res, entry, 404, { error: 'not_found' });
  }

  /** The user signs in and consents: a redirect back to the app with code and state. */
  private authorize(url: URL, entry: FakeRequest, res: ServerResponse) {
    const q = url.searchParams;
    const client = this.clients.get(q.get('client_id') ?? '');
    const problem =
      q.get('response_type') !== 'code'
        ? 'response_type must be code'
        : !client
          ? 'unknown client_id'
          : q.get('redirect_uri') !== client.redirectUri
            ? 'redirect_uri is not the registered one'
            : q.get('aud') !== this.base
              ? 'aud must be the FHIR base URL'
              : q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')
                ? 'PKCE with S256 is required'
                : !q.get('state')
                  ? 'state is required'
                  : !(q.get('scope') ?? '').split(' ').includes('launch/patient')
                    ? 'a standalone patient launch needs launch/patient'
                    : null;
    if (problem) return this.send(res, entry, 400, { error: 'invalid_request', error_description: problem });
    const code = randomBytes(16).toString('hex');
    const challenge = this.corruptNextChallenge
      ? createHash('sha256').update('another verifier').digest('base64url')
      : q.get('code_challenge')!;
    this.corruptNextChallenge = false;
    this.codes.set(code, {
      clientId: q.get('client_id')!,
      redirectUri: q.get('redirect_uri')!,
      challenge,
      scope: q.get('scope')!,
      used: false,
    });
    const back = new URL(q.get('redirect_uri')!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state')!);
    entry.status = 302;
    res.statusCode = 302;
    res.setHeader('location', back.toString());
    res.end();
  }

  /** Client authentication as registered: HTTP Basic with the secret, or client_id alone for a public client. */
  private authenticate(req: IncomingMessage, form: Record<string, string>): string | null {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      const client = this.clients.get(decodeURIComponent(id ?? ''));
      return client?.secret && client.secret === decodeURIComponent(secret ?? '')
        ? decodeURIComponent(id!)
        : null;
    }
    const client = this.clients.get(form.client_id ?? '');
    // A confidential client must authenticate; a secret in the form is not how this server takes it.
    return client && !client.secret && !form.client_secret ? form.client_id! : null;
  }

  private issue(clientId: string, patient: string, scope: string) {
    const accessToken = randomBytes(24).toString('hex');
    this.access.set(accessToken, { clientId, patient, expiresAt: Date.now() + this.accessTtlSeconds * 1000 });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTtlSeconds,
      scope,
      patient,
    };
  }

  private token(entry: FakeRequest, req: IncomingMessage, res: ServerResponse) {
    const form = entry.form ?? {};
    const clientId = this.authenticate(req, form);
    if (!clientId) return this.send(res, entry, 401, { error: 'invalid_client' });
    if (form.grant_type === 'authorization_code') {
      const grant = this.codes.get(form.code ?? '');
      const verifier = form.code_verifier ?? '';
      const problem =
        !grant || grant.used
          ? 'unknown or used code'
          : grant.clientId !== clientId
            ? 'the code was issued to another client'
            : grant.redirectUri !== form.redirect_uri
              ? 'redirect_uri does not match'
              : createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
                ? 'code_verifier does not match the code_challenge'
                : null;
      if (grant) grant.used = true;
      if (problem) return this.send(res, entry, 400, { error: 'invalid_grant', error_description: problem });
      const tokens: Record<string, Json> = this.issue(clientId, this.patientId, grant!.scope);
      if (grant!.scope.split(' ').includes('offline_access')) {
        const refreshToken = randomBytes(24).toString('hex');
        this.refresh.set(refreshToken, { clientId, patient: this.patientId, scope: grant!.scope });
        tokens.refresh_token = refreshToken;
      }
      return this.send(res, entry, 200, tokens);
    }
    if (form.grant_type === 'refresh_token') {
      const known = this.refresh.get(form.refresh_token ?? '');
      if (!known || known.clientId !== clientId) {
        return this.send(res, entry, 400, {
          error: 'invalid_grant',
          error_description: 'unknown refresh token',
        });
      }
      // Like Epic: a new access token, the same refresh token (not rotated).
      return this.send(res, entry, 200, this.issue(clientId, known.patient, known.scope));
    }
    this.send(res, entry, 400, { error: 'unsupported_grant_type' });
  }

  private fhir(url: URL, entry: FakeRequest, req: IncomingMessage, res: ServerResponse) {
    const path = url.pathname.slice(FHIR_PATH.length);
    if (path === '/metadata') return this.send(res, entry, 200, this.capabilityStatement());
    const token = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    const grant = this.access.get(token);
    if (!grant || grant.expiresAt <= Date.now()) {
      return this.outcome(res, entry, 401, 'login', 'The access token is missing, invalid or expired');
    }
    if (this.failNext && this.failNext.count > 0 && this.failNext.match(url)) {
      this.failNext.count -= 1;
      return this.outcome(res, entry, this.failNext.status, 'exception', 'Temporary failure');
    }
    const [, type, id] = path.split('/');
    if (!type) return this.outcome(res, entry, 404, 'not-found', 'No resource type');
    const refusal = this.refused.get(type);
    if (refusal) {
      return this.outcome(res, entry, refusal, 'forbidden', `The client is not authorized to read ${type}`);
    }
    if (id) {
      const resource = this.resources.get(`${type}/${id}`);
      if (!resource) return this.outcome(res, entry, 404, 'not-found', `${type}/${id} is not known`);
      if (type === 'Patient' && id !== grant.patient) {
        return this.outcome(res, entry, 403, 'forbidden', 'Another patient');
      }
      return this.send(res, entry, 200, resource, 'application/fhir+json');
    }
    return this.search(type, url, grant.patient, entry, res);
  }

  private search(type: string, url: URL, patient: string, entry: FakeRequest, res: ServerResponse) {
    const q = url.searchParams;
    let search: Search;
    const session = q.get('_getpages');
    if (session) {
      const found = this.searches.get(session);
      if (!found) return this.outcome(res, entry, 410, 'not-found', 'The search session has ended');
      search = found;
    } else {
      if (q.get('patient') !== patient) {
        return this.outcome(res, entry, 403, 'forbidden', 'Searches are limited to the launch patient');
      }
      if (type === 'Observation' && !q.get('category') && !q.get('code')) {
        return this.outcome(res, entry, 400, 'required', 'Observation searches need a category or a code');
      }
      const category = q.get('category');
      const since = q.get('_lastUpdated');
      if (since && !/^ge\d{4}-\d{2}-\d{2}T/.test(since)) {
        return this.outcome(res, entry, 400, 'invalid', '_lastUpdated must be ge<instant>');
      }
      const ids = [...this.resources.values()]
        .filter((r) => r.resourceType === type)
        .filter((r) => !category || JSON.stringify(r.category ?? []).includes(`"code":"${category}"`))
        .filter(
          (r) =>
            !since ||
            Date.parse(String((r.meta as { lastUpdated: string }).lastUpdated)) >= Date.parse(since.slice(2)),
        )
        .map((r) => r.id);
      const id = randomBytes(8).toString('hex');
      search = { type, ids };
      this.searches.set(id, search);
      url.searchParams.set('_getpages', id);
    }
    const offset = Number(q.get('_offset') ?? '0');
    const page = search.ids.slice(offset, offset + this.pageSize);
    const sessionId = url.searchParams.get('_getpages')!;
    const links = [{ relation: 'self', url: url.toString() }];
    if (offset + this.pageSize < search.ids.length) {
      links.push({
        relation: 'next',
        url: `${this.base}/${type}?_getpages=${sessionId}&_offset=${offset + this.pageSize}`,
      });
    }
    const entries: Json[] = page.map((id) => ({
      fullUrl: `${this.base}/${type}/${id}`,
      resource: this.resources.get(`${type}/${id}`)!,
      search: { mode: 'match' },
    }));
    // Epic adds warnings as OperationOutcome entries (search mode "outcome") to the first page.
    if (offset === 0 && type === 'Observation' && q.get('category') === 'vital-signs') {
      entries.push({
        resource: {
          resourceType: 'OperationOutcome',
          issue: [
            { severity: 'warning', code: 'suppressed', details: { text: 'Some results may be hidden' } },
          ],
        },
        search: { mode: 'outcome' },
      });
    }
    this.send(
      res,
      entry,
      200,
      { resourceType: 'Bundle', type: 'searchset', total: search.ids.length, link: links, entry: entries },
      'application/fhir+json',
    );
  }

  private capabilityStatement() {
    const types = [
      'Patient',
      'Observation',
      'Condition',
      'MedicationRequest',
      'AllergyIntolerance',
      'Immunization',
      'DiagnosticReport',
    ];
    return {
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['json'],
      rest: [
        {
          mode: 'server',
          resource: types.map((type) => ({
            type,
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              { name: 'patient', type: 'reference' },
              ...(this.lastUpdatedTypes.has(type) ? [{ name: '_lastUpdated', type: 'date' }] : []),
            ],
          })),
        },
      ],
    };
  }
}
