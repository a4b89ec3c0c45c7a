/**
 * The device-data service's own settings, read from the environment when the service starts. Every
 * problem is collected and reported at once; provider credentials are optional (a connection without
 * them answers that it is not configured).
 */

export interface ProviderConfig {
  clientId?: string;
  clientSecret?: string;
  /** Where the user signs in and consents. */
  authorizeUrl: string;
  tokenUrl: string;
  /** Base of the data API. */
  apiBaseUrl: string;
  scopes: string[];
}

export interface DeviceDataConfig {
  /** Largest file an import accepts, in bytes. */
  importMaxBytes: number;
  /** Readings sent to health tracking per batch. */
  batchSize: number;
  /** Minutes between scheduled syncs of cloud connections; 0 turns the scheduler off. */
  syncIntervalMinutes: number;
  /** How far back the first sync of a new connection reaches, in days. */
  syncLookbackDays: number;
  /** The redirect URI registered with the providers; default PUBLIC_URL + the service's callback path. */
  oauthRedirectUri?: string;
  dexcom: ProviderConfig;
  oura: ProviderConfig;
}

export class DeviceDataConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid device-data configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'DeviceDataConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadDeviceDataConfig(env: Env = process.env): DeviceDataConfig {
  const problems: string[] = [];
  const str = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const url = (name: string, fallback: string) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be an http(s) URL (got "${raw}")`);
      return fallback;
    }
  };
  const pair = (idName: string, secretName: string) => {
    const clientId = str(idName);
    const clientSecret = str(secretName);
    if ((clientId === undefined) !== (clientSecret === undefined)) {
      problems.push(`${idName} and ${secretName} must be set together`);
    }
    return { clientId, clientSecret };
  };

  const dexcomBase = url('DEXCOM_API_BASE_URL', 'https://api.dexcom.com');
  const ouraApi = url('OURA_API_BASE_URL', 'https://api.ouraring.com');
  const ouraAuth = url('OURA_AUTH_BASE_URL', 'https://cloud.ouraring.com');
  const redirect = str('DEVICE_OAUTH_REDIRECT_URI');
  if (redirect !== undefined) url('DEVICE_OAUTH_REDIRECT_URI', '');

  const config: DeviceDataConfig = {
    importMaxBytes: int('IMPORT_MAX_BYTES', 4 * 1024 ** 3, 1024, 64 * 1024 ** 3),
    // 5,000 minute samples are 3.5 days: fewer requests and fewer rewrites of each day's chunk than 2,000,
    // at the same CPU as 10,000 but with lower memory peaks (bench/RESULTS.md, Apple Health import).
    batchSize: int('IMPORT_BATCH_SIZE', 5000, 1, 20_000),
    syncIntervalMinutes: int('DEVICE_SYNC_INTERVAL_MINUTES', 60, 0, 7 * 24 * 60),
    syncLookbackDays: int('DEVICE_SYNC_LOOKBACK_DAYS', 90, 1, 3650),
    oauthRedirectUri: redirect,
    dexcom: {
      ...pair('DEXCOM_CLIENT_ID', 'DEXCOM_CLIENT_SECRET'),
      // Dexcom's OAuth endpoints are under /v2 on the same host as the v3 data API.
      authorizeUrl: `${dexcomBase}/v2/oauth2/login`,
      tokenUrl: `${dexcomBase}/v2/oauth2/token`,
      apiBaseUrl: dexcomBase,
      scopes: ['offline_access'],
    },
    oura: {
      ...pair('OURA_CLIENT_ID', 'OURA_CLIENT_SECRET'),
      authorizeUrl: `${ouraAuth}/oauth/authorize`,
      tokenUrl: `${ouraApi}/oauth/token`,
      apiBaseUrl: ouraApi,
      scopes: ['daily', 'heartrate'],
    },
  };
  if (problems.length > 0) throw new DeviceDataConfigError(problems);
  return config;
}
