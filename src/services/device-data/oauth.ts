import type { ProviderConfig } from './config.js';

export function authorizationUrl(
  provider: ProviderConfig,
  p: { state: string; challenge: string; redirectUri: string },
): string {
  const url = new URL(provider.authorizeUrl);
  url.searchParams.set('client_id', provider.clientId ?? '');
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', provider.scopes.join(' '));
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', p.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
  scope?: string;
}

/** A provider answered with an error (or not at all). The message never carries tokens. */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The provider's own error code, if it sent one (OAuth `error`, or a short text), without echoing secrets. */
function errorSummary(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const code = body.error ?? body.errorCode ?? body.code ?? body.title;
    const detail = body.error_description ?? body.message ?? body.detail;
    return [code, detail]
      .filter((v) => typeof v === 'string' || typeof v === 'number')
      .join(': ')
      .slice(0, 200);
  } catch {
    return '';
  }
}

export async function providerFetch(
  providerName: string,
  url: string,
  init: RequestInit & { timeoutMs?: number },
): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? 'did not answer in time' : 'could not be reached';
    throw new ProviderError(providerName, 0, `${providerName} ${reason}`);
  }
}

export async function failure(
  providerName: string,
  response: Response,
  what: string,
): Promise<ProviderError> {
  const summary = errorSummary(await response.text().catch(() => ''));
  return new ProviderError(
    providerName,
    response.status,
    `${providerName} refused ${what} (HTTP ${response.status}${summary ? `: ${summary}` : ''})`,
  );
}

/** Token endpoint call (authorization_code or refresh_token grant), client credentials in the form body. */
export async function tokenRequest(
  providerName: string,
  provider: ProviderConfig,
  grant: Record<string, string>,
): Promise<TokenSet> {
  const form = new URLSearchParams({
    ...grant,
    client_id: provider.clientId ?? '',
    client_secret: provider.clientSecret ?? '',
  });
  const response = await providerFetch(providerName, provider.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  if (!response.ok) throw await failure(providerName, response, 'the token request');
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ProviderError(providerName, 502, `${providerName} sent no access token`);
  }
  const expiresIn = Number(body.expires_in);
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' && body.refresh_token !== ''
      ? { refreshToken: body.refresh_token }
      : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: Date.now() + expiresIn * 1000 } : {}),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
  };
}
