// The API client: same-origin calls through the gateway, the shared error shape, and the tokens.
// The access token lives only in memory; the refresh token in sessionStorage (this tab, until it
// closes), so a reload keeps the session and nothing lasts beyond the tab.

export interface User {
  id: string;
  email: string;
  full_name: string;
  role: string;
  email_verified: boolean;
  mfa_enabled: boolean;
  created_at: string;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  user: User;
}

export interface MfaChallenge {
  mfa_required: true;
  mfa_token: string;
  token_type: 'mfa';
  expires_in: number;
}

export type LengthUnit = 'cm' | 'm' | 'in' | 'ft';
export type MassUnit = 'kg' | 'g' | 'lb' | 'st';
export type Sex = 'female' | 'male' | 'intersex' | 'unknown';

export interface Notifications {
  email: boolean;
  push: boolean;
  insights: boolean;
  reminders: boolean;
}

export interface Privacy {
  share_with_care_team: boolean;
  allow_research_use: boolean;
  show_full_name_to_doctors: boolean;
}

export interface Profile {
  user_id: string;
  email: string;
  full_name: string;
  date_of_birth: string | null;
  age: number | null;
  sex: Sex | null;
  height: { value: number; unit: LengthUnit; value_cm: number } | null;
  weight: { value: number; unit: MassUnit; value_kg: number } | null;
  preferences: {
    unit_system: 'metric' | 'imperial';
    timezone: string;
    locale: string;
    notifications: Notifications;
  };
  privacy: Privacy;
  completion: { percent: number; missing: string[] };
  created_at: string;
  updated_at: string;
}

export const AUTH = '/auth/api/v1/auth';
export const PROFILE = '/user-profile/api/v1/profile';

/** An answer in the API's error shape (or a failure to reach it), with the fields it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field name (dotted for nested ones, e.g. `preferences.timezone`) → what is wrong with it. */
  get fieldErrors(): { field: string; message: string }[] {
    const { details } = this;
    if (Array.isArray(details)) {
      return details
        .filter((d): d is { field: string; problem: string } => typeof d?.field === 'string')
        .map((d) => ({ field: d.field, message: sentence(d.problem ?? 'is not valid') }));
    }
    if (
      details &&
      typeof details === 'object' &&
      typeof (details as { field?: unknown }).field === 'string'
    ) {
      return [{ field: (details as { field: string }).field, message: sentence(this.message) }];
    }
    return [];
  }

  /** The problem with one field, or with any of its parts (`height` covers `height.value`). */
  fieldError(name: string): string | undefined {
    return this.fieldErrors.find((e) => e.field === name || e.field.startsWith(`${name}.`))?.message;
  }
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const REFRESH_KEY = 'pha.refresh_token';
const TAB_PREFIX = 'pha-tab:';
let accessToken: string | null = null;
let refreshing: Promise<TokenResponse | null> | null = null;
const endListeners = new Set<(reason: string) => void>();
const userListeners = new Set<(user: User) => void>();

/**
 * This tab's id, kept in `window.name` (which lasts across reloads of the tab but is not copied to
 * new tabs). A tab opened from this one may start with a copy of its sessionStorage; using the
 * copied refresh token there would rotate it, and the first tab's next refresh would then look like
 * a stolen token and end the session everywhere. So a refresh token is only used by its own tab.
 */
function tabId(): string {
  if (!window.name.startsWith(TAB_PREFIX)) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    window.name = TAB_PREFIX + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  return window.name.slice(TAB_PREFIX.length);
}

function readRefreshToken(): string | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(REFRESH_KEY) ?? 'null') as {
      token?: string;
      tab?: string;
    } | null;
    if (!stored?.token) return null;
    if (stored.tab !== tabId()) {
      sessionStorage.removeItem(REFRESH_KEY);
      return null;
    }
    return stored.token;
  } catch {
    return null;
  }
}

export function hasSession(): boolean {
  return accessToken !== null || readRefreshToken() !== null;
}

export function storeTokens(tokens: TokenResponse): void {
  accessToken = tokens.access_token;
  try {
    sessionStorage.setItem(REFRESH_KEY, JSON.stringify({ token: tokens.refresh_token, tab: tabId() }));
  } catch {
    // Storage refused (private mode): the session lasts until the page is reloaded.
  }
}

export function clearTokens(): void {
  accessToken = null;
  try {
    sessionStorage.removeItem(REFRESH_KEY);
  } catch {
    // Nothing stored.
  }
}

/** Called when the session ends without the user asking (refresh refused, session revoked). */
export function onSessionEnded(listener: (reason: string) => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

/** Called with the account each time a refresh brings it. */
export function onUser(listener: (user: User) => void): () => void {
  userListeners.add(listener);
  return () => userListeners.delete(listener);
}

function endSession(reason: string): void {
  clearTokens();
  for (const listener of endListeners) listener(reason);
}

async function send(
  method: string,
  path: string,
  body: unknown,
  token: string | null,
): Promise<{ response: Response; data: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(
      0,
      'network_error',
      'Could not reach the server. Check your connection and try again.',
    );
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  return { response, data };
}

function errorFrom(response: { status: number }, data: unknown): ApiError {
  const error = (
    data as { error?: { code?: string; message?: string; details?: unknown; request_id?: string } }
  )?.error;
  if (error?.code) {
    return new ApiError(
      response.status,
      error.code,
      error.message ?? `The server answered ${response.status}`,
      error.details,
      error.request_id,
    );
  }
  return new ApiError(
    response.status,
    'http_error',
    response.status >= 500
      ? 'The server could not answer just now. Try again in a moment.'
      : `The server answered ${response.status}`,
  );
}

/**
 * A new access token from the refresh token (each refresh token works once; the new one replaces
 * it). One refresh at a time: calls that fail together wait for the same one. Null when the server
 * refuses it, which ends the session.
 */
export function refreshSession(): Promise<TokenResponse | null> {
  if (refreshing) return refreshing;
  const refreshToken = readRefreshToken();
  if (!refreshToken) return Promise.resolve(null);
  refreshing = (async () => {
    try {
      const { response, data } = await send('POST', `${AUTH}/refresh`, { refresh_token: refreshToken }, null);
      if (response.ok) {
        const tokens = data as TokenResponse;
        storeTokens(tokens);
        for (const listener of userListeners) listener(tokens.user);
        return tokens;
      }
      if (response.status === 400 || response.status === 401) {
        endSession('Your session has ended. Please sign in again.');
        return null;
      }
      throw errorFrom(response, data);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface RequestOptions {
  body?: unknown;
  /** Send the access token (default true). */
  auth?: boolean;
}

/** Calls the API; answers the parsed JSON (undefined for 204) or throws an ApiError. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const auth = options.auth ?? true;
  if (auth && accessToken === null && readRefreshToken() !== null) await refreshSession();
  const first = await send(method, path, options.body, auth ? accessToken : null);
  let { response, data } = first;
  if (auth && response.status === 401) {
    const code = (data as { error?: { code?: string } })?.error?.code;
    if (code === 'token_expired') {
      const tokens = await refreshSession();
      if (!tokens) throw errorFrom(response, data);
      ({ response, data } = await send(method, path, options.body, accessToken));
    }
    if (response.status === 401) {
      endSession('Your session has ended. Please sign in again.');
      throw errorFrom(response, data);
    }
  }
  if (!response.ok) throw errorFrom(response, data);
  return data as T;
}

export function isMfaChallenge(answer: TokenResponse | MfaChallenge): answer is MfaChallenge {
  return (answer as MfaChallenge).mfa_required === true;
}

/** Ends this session on the server (best effort) and forgets the tokens here. */
export async function logout(): Promise<void> {
  try {
    if (hasSession()) await api('POST', `${AUTH}/logout`);
  } catch {
    // Already ended on the server, or unreachable: the tokens go all the same.
  }
  clearTokens();
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Sends a file as the request body (or a multipart form with a file in it) with XMLHttpRequest, whose upload events report progress (fetch
 * has none). Answers the HTTP status and the parsed JSON, or throws an ApiError like `api`. An expired
 * access token is refreshed once and the file sent again.
 */
export async function upload<T>(
  path: string,
  file: Blob | FormData,
  onProgress: (progress: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<{ status: number; data: T }> {
  if (accessToken === null && readRefreshToken() !== null) await refreshSession();
  const sendOnce = () =>
    new Promise<{ status: number; data: unknown }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('accept', 'application/json');
      // A form sets its own multipart type (with the boundary); a file is sent as its type says.
      if (file instanceof Blob) xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
      if (accessToken) xhr.setRequestHeader('authorization', `Bearer ${accessToken}`);
      xhr.upload.onprogress = (event) =>
        onProgress({
          loaded: event.loaded,
          total: event.lengthComputable ? event.total : file instanceof Blob ? file.size : event.loaded,
        });
      xhr.onload = () => {
        let data: unknown = undefined;
        try {
          data = xhr.responseText === '' ? undefined : JSON.parse(xhr.responseText);
        } catch {
          data = undefined;
        }
        resolve({ status: xhr.status, data });
      };
      const failed = () =>
        reject(
          new ApiError(
            0,
            'network_error',
            'The upload did not reach the server. Check your connection and try again.',
          ),
        );
      xhr.onerror = failed;
      xhr.ontimeout = failed;
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(file);
    });
  let answer = await sendOnce();
  if (answer.status === 401) {
    const code = (answer.data as { error?: { code?: string } })?.error?.code;
    if (code === 'token_expired' && (await refreshSession())) answer = await sendOnce();
    if (answer.status === 401) {
      endSession('Your session has ended. Please sign in again.');
    }
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw errorFrom(answer, answer.data);
  }
  return answer as { status: number; data: T };
}

/** The file name a `content-disposition` header suggests (the UTF-8 `filename*` first). */
function suggestedName(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  if (extended) {
    try {
      return decodeURIComponent(extended);
    } catch {
      // Fall back to the plain name.
    }
  }
  return /filename="([^"]*)"/i.exec(header)?.[1] ?? null;
}

/**
 * A file the API answers with (a document, a printable page, an export), fetched with the access token
 * (which a plain link cannot send), with the name the server suggests for it. Refreshes an expired
 * token once, like `api`.
 */
export async function fetchFile(path: string): Promise<{ blob: Blob; filename: string | null }> {
  if (accessToken === null && readRefreshToken() !== null) await refreshSession();
  const get = () =>
    fetch(path, {
      headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      credentials: 'same-origin',
      cache: 'no-store',
    }).catch(() => {
      throw new ApiError(
        0,
        'network_error',
        'Could not reach the server. Check your connection and try again.',
      );
    });
  let response = await get();
  if (response.status === 401) {
    const data = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
    if (data?.error?.code === 'token_expired' && (await refreshSession())) response = await get();
    if (response.status === 401) {
      endSession('Your session has ended. Please sign in again.');
      throw errorFrom(response, data);
    }
  }
  if (!response.ok) {
    const text = await response.text();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    throw errorFrom(response, data);
  }
  return {
    blob: await response.blob(),
    filename: suggestedName(response.headers.get('content-disposition')),
  };
}
