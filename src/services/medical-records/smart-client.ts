/**
 * SMART App Launch (HL7 SMART App Launch IG 2.x) client calls to an EHR such as Epic: discovery of the
 * OAuth endpoints, the authorisation URL of a standalone patient launch, token requests (authorisation
 * code with PKCE, refresh) and authenticated FHIR reads. No SQL and no tokens in errors or logs.
 */
import { isObject, type Json, type JsonObject } from './fhir.js';

/** How long one call to the EHR may take: Epic searches of long histories can be slow. */
export const EHR_TIMEOUT_MS = 30_000;

/** The resource types a connection reads for the launch patient. */
export const SMART_RESOURCE_TYPES = [
  'Patient',
  'Observation',
  'Condition',
  'MedicationRequest',
  'AllergyIntolerance',
  'Immunization',
  'DiagnosticReport',
] as const;
export type SmartResourceType = (typeof SMART_RESOURCE_TYPES)[number];

/** The EHR answered with an error, or not at all (status 0). The message never carries tokens. */
export class EhrError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EhrError';
  }
}

export interface SmartConfiguration {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  capabilities: string[];
}

export interface ClientCredentials {
  clientId: string;
  /** Confidential clients authenticate with HTTP Basic; public clients send only client_id (and PKCE). */
  clientSecret?: string;
}

export interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: Date;
  scope?: string;
  /** The launch patient's FHIR id (SMART launch context). */
  patient?: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Credentials travel only over TLS, except to this machine (development and tests). */
export function isSafeEndpoint(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

async function ehrFetch(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(EHR_TIMEOUT_MS) });
  } catch (err) {
    const reason =
      (err as Error).name === 'TimeoutError'
        ? `did not answer within ${EHR_TIMEOUT_MS / 1000} s`
        : 'could not be reached';
    throw new EhrError(0, 'ehr_unreachable', `The EHR ${reason}`);
  }
}

const str = (v: Json | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The EHR's own explanation (OAuth error, or the first OperationOutcome issue), short and without secrets. */
export function errorSummary(body: unknown): { code?: string; text: string } {
  if (!isObject(body)) return { text: '' };
  const o = body;
  const oauth = str(o.error);
  if (oauth) return { code: oauth, text: [oauth, str(o.error_description)].filter(Boolean).join(': ') };
  if (o.resourceType === 'OperationOutcome' && Array.isArray(o.issue)) {
    const issue = o.issue.find(isObject);
    if (issue) {
      const details = isObject(issue.details) ? str(issue.details.text) : undefined;
      return {
        code: str(issue.code),
        text: [str(issue.code), details ?? str(issue.diagnostics)].filter(Boolean).join(': '),
      };
    }
  }
  return { text: '' };
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function refused(response: Response, what: string, fallbackCode: string): Promise<EhrError> {
  const summary = errorSummary(await readJson(response));
  return new EhrError(
    response.status,
    summary.code ?? fallbackCode,
    `The EHR refused ${what} (HTTP ${response.status}${summary.text ? `: ${summary.text.slice(0, 200)}` : ''})`,
  );
}

function endpoint(value: Json | undefined, name: string): string {
  const text = str(value);
  let url: URL | undefined;
  try {
    url = text ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !isSafeEndpoint(url)) {
    throw new EhrError(
      502,
      'discovery_failed',
      `The EHR's smart-configuration has no usable ${name} (an https URL is required)`,
    );
  }
  return url.toString();
}

/** Reads `{base}/.well-known/smart-configuration` (SMART App Launch 2.x, "Conformance"). */
export async function discover(fhirBaseUrl: string): Promise<SmartConfiguration> {
  const response = await ehrFetch(`${fhirBaseUrl}/.well-known/smart-configuration`, {
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw await refused(response, 'the SMART discovery request', 'discovery_failed');
  const body = await readJson(response);
  if (!isObject(body)) {
    throw new EhrError(
      502,
      'discovery_failed',
      'The EHR sent a smart-configuration that is not a JSON object',
    );
  }
  const o = body;
  const capabilities = Array.isArray(o.capabilities)
    ? o.capabilities.filter((c): c is string => typeof c === 'string')
    : [];
  if (Array.isArray(o.capabilities) && !capabilities.includes('launch-standalone')) {
    throw new EhrError(
      502,
      'smart_unsupported',
      'The EHR does not offer standalone launch (capability launch-standalone is missing)',
    );
  }
  const methods = Array.isArray(o.code_challenge_methods_supported)
    ? o.code_challenge_methods_supported
    : null;
  if (methods && !methods.includes('S256')) {
    throw new EhrError(502, 'smart_unsupported', 'The EHR does not support PKCE with S256');
  }
  return {
    authorizationEndpoint: endpoint(o.authorization_endpoint, 'authorization_endpoint'),
    tokenEndpoint: endpoint(o.token_endpoint, 'token_endpoint'),
    capabilities,
  };
}

/**
 * The scopes of a standalone patient launch: read access to the synced resource types for the launch
 * patient, the patient context, identity (openid fhirUser) and a refresh token (offline_access). SMART
 * v2 servers that no longer accept v1 scopes get `.rs` (read and search); the rest get v1 `.read`.
 */
export function patientScopes(capabilities: string[]): string[] {
  const v2Only = capabilities.includes('permission-v2') && !capabilities.includes('permission-v1');
  return [
    'launch/patient',
    'openid',
    'fhirUser',
    'offline_access',
    ...SMART_RESOURCE_TYPES.map((type) => `patient/${type}.${v2Only ? 'rs' : 'read'}`),
  ];
}

export function authorizationUrl(
  smart: SmartConfiguration,
  p: {
    clientId: string;
    redirectUri: string;
    scopes: string[];
    state: string;
    challenge: string;
    fhirBaseUrl: string;
  },
): string {
  const url = new URL(smart.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('scope', p.scopes.join(' '));
  url.searchParams.set('state', p.state);
  // SMART requires `aud`: the FHIR server the token is for, so a token cannot be replayed elsewhere.
  url.searchParams.set('aud', p.fhirBaseUrl);
  url.searchParams.set('code_challenge', p.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** RFC 6749 section 2.3.1: the id and secret are form-encoded before they are joined for Basic auth. */
const formEncode = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);

/** A token endpoint call (authorization_code or refresh_token grant). */
export async function tokenRequest(
  tokenEndpoint: string,
  client: ClientCredentials,
  grant: Record<string, string>,
): Promise<TokenResponse> {
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.clientSecret) {
    const pair = `${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
  }
  const response = await ehrFetch(tokenEndpoint, { method: 'POST', headers, body: form.toString() });
  if (!response.ok) throw await refused(response, 'the token request', 'token_request_failed');
  const body = await readJson(response);
  const o: JsonObject = isObject(body) ? body : {};
  const accessToken = str(o.access_token);
  if (!accessToken) throw new EhrError(502, 'token_request_failed', 'The EHR sent no access token');
  const tokenType = str(o.token_type);
  if (tokenType && tokenType.toLowerCase() !== 'bearer') {
    throw new EhrError(502, 'token_request_failed', `The EHR sent a ${tokenType} token, not a Bearer token`);
  }
  const expiresIn = Number(o.expires_in);
  const refreshToken = str(o.refresh_token);
  const scope = str(o.scope);
  const patient = str(o.patient);
  return {
    accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0
      ? { expiresAt: new Date(Date.now() + expiresIn * 1000) }
      : {}),
    ...(scope ? { scope } : {}),
    ...(patient ? { patient } : {}),
  };
}

export interface FhirResponse {
  status: number;
  body: unknown;
  /** The server's clock (HTTP Date header), for _lastUpdated watermarks. */
  serverDate: Date | null;
}

/** One authenticated FHIR GET. 401 is returned (the caller refreshes); other failures throw. */
export async function fhirGet(url: string, accessToken: string | null): Promise<FhirResponse> {
  const response = await ehrFetch(url, {
    headers: {
      accept: 'application/fhir+json, application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
  });
  if (response.status === 401) {
    await response.body?.cancel().catch(() => undefined);
    return { status: 401, body: undefined, serverDate: null };
  }
  // Named by its resource type ("the Immunization request"), never by the query (it names the patient).
  const what =
    new URL(url).pathname
      .split('/')
      .reverse()
      .find((segment) => /^[A-Z][a-z]/.test(segment)) ?? 'FHIR';
  if (!response.ok) throw await refused(response, `the ${what} request`, 'ehr_error');
  const body = await readJson(response);
  if (body === undefined)
    throw new EhrError(502, 'ehr_error', `The EHR answered the ${what} request with no JSON`);
  const date = Date.parse(response.headers.get('date') ?? '');
  return { status: response.status, body, serverDate: Number.isNaN(date) ? null : new Date(date) };
}

/**
 * Whether the server's CapabilityStatement says it can search `type` by `_lastUpdated` (declared for the
 * resource or for every resource). Without it each sync reads the whole history again (harmless: the
 * import dedupes), rather than risk a 400 for an unsupported parameter.
 */
export function lastUpdatedSearchable(capabilityStatement: unknown): Set<string> {
  const out = new Set<string>();
  if (!isObject(capabilityStatement)) return out;
  const cs = capabilityStatement;
  if (cs.resourceType !== 'CapabilityStatement' || !Array.isArray(cs.rest)) return out;
  const declares = (params: Json | undefined) =>
    Array.isArray(params) && params.some((p) => isObject(p) && p.name === '_lastUpdated');
  for (const rest of cs.rest) {
    if (!isObject(rest) || (rest.mode !== undefined && rest.mode !== 'server')) continue;
    const everywhere = declares(rest.searchParam);
    for (const resource of Array.isArray(rest.resource) ? rest.resource : []) {
      if (!isObject(resource) || typeof resource.type !== 'string') continue;
      if (everywhere || declares(resource.searchParam)) out.add(resource.type);
    }
  }
  return out;
}
