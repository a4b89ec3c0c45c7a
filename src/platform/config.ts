import { resolve } from 'node:path';
import { CATALOG, type ServiceSlug } from '../catalog.js';

/** How the process is laid out: one process for everything, or one service per process. */
export type DeploymentShape = 'all-in-one' | 'distributed';

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

export interface Config {
  shape: DeploymentShape;
  nodeEnv: string;
  host: string;
  /** Port of the all-in-one server (and of the gateway in the distributed shape). */
  port: number;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  jwtSecret?: string;
  secretKey?: string;
  supabase: { url?: string; key?: string; serviceRoleKey?: string; jwtSecret?: string };
  auth0: { domain?: string; clientId?: string; clientSecret?: string };
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  publicUrl: string;
  corsOrigins: string[];
  rateLimitPerMinute: number;
  authRateLimitPerMinute: number;
  bodyLimitBytes: number;
  /**
   * Which proxies may tell the client address (X-Forwarded-For): true (any), a hop count, or a list of
   * addresses/CIDRs (proxy-addr names like loopback, uniquelocal work). Undefined: the shape's default.
   */
  trustProxy?: boolean | number | string;
  logLevel: string;
  httpClientTimeoutMs: number;
  smtp?: SmtpConfig;
  /** Base URL per service for the distributed shape (defaults to 127.0.0.1 on the seed port). */
  serviceUrls: Record<ServiceSlug, string>;
  /** Kafka for events in the distributed shape (SASL over TLS when credentials are set). */
  kafka: {
    bootstrapServers?: string;
    username?: string;
    password?: string;
    /** KAFKA_SASL_MECHANISM: SCRAM-SHA-256 (Upstash, the default), SCRAM-SHA-512 or PLAIN. */
    saslMechanism: KafkaSaslMechanism;
    /** KAFKA_TLS: unset means TLS exactly when SASL credentials are set. */
    tls?: boolean;
  };
  /**
   * Optional language model (OpenAI-compatible) that only improves wording: unset means none, and every
   * feature still works. Set when OPENAI_API_KEY or OPENAI_BASE_URL is.
   */
  ai: {
    openai?: { baseUrl: string; model: string; apiKey?: string; timeoutMs: number };
  };
  /** Servers of later phases: only checked by `pha doctor` for now. */
  neo4j: { uri?: string; user?: string; password?: string };
  qdrant: { url?: string; apiKey?: string };
  /** Epic (SMART on FHIR standalone patient launch) for the medical-records service. */
  epic: EpicFhirConfig;
}

export interface EpicFhirConfig {
  /** EPIC_FHIR_CLIENT_ID: without it the connection answers that Epic is not configured. */
  clientId?: string;
  /** EPIC_FHIR_CLIENT_SECRET: set for a confidential client (HTTP Basic at the token endpoint); public clients rely on PKCE. */
  clientSecret?: string;
  /** EPIC_FHIR_BASE_URL: the FHIR R4 base; its /.well-known/smart-configuration names the OAuth endpoints. */
  fhirBaseUrl: string;
  /** EPIC_FHIR_REDIRECT_URI: the redirect URI registered with Epic (default derived from PUBLIC_URL). */
  redirectUri?: string;
  /** EPIC_FHIR_SYNC_INTERVAL_MINUTES: minutes between scheduled syncs of a connection; 0 turns them off. */
  syncIntervalMinutes: number;
}

/** Epic's public R4 sandbox (fhir.epic.com): the default FHIR base. */
export const EPIC_SANDBOX_FHIR_BASE = 'https://fhir.epic.com/interconnect-fhir-oauth/api/FHIR/R4';

export const KAFKA_SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads one variable at a time and collects every problem, so the operator sees them all at once. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined) return undefined;
    const value = raw.trim();
    return value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      this.problems.push(`${name} must be a URL (${protocols.join(', ')})`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      this.problems.push(
        `${name} must use ${protocols.join(' or ')}, not ${parsed.protocol.replace(/:$/, '')}`,
      );
      return undefined;
    }
    return raw;
  }

  trustProxy(name: string): boolean | number | string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    if (/^\d+$/.test(raw)) return Number(raw);
    if (['true', 'false', 'yes', 'no', 'on', 'off'].includes(raw.toLowerCase()))
      return this.bool(name, false);
    const entries = raw.split(',').map((e) => e.trim());
    const named = ['loopback', 'linklocal', 'uniquelocal'];
    if (entries.every((e) => named.includes(e) || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(e)))
      return entries.join(',');
    this.problems.push(
      `${name} must be true, false, a hop count, or addresses/CIDRs (loopback, uniquelocal, 10.0.0.0/8, ...) (got "${raw}")`,
    );
    return undefined;
  }

  secret(name: string, minLength: number): string | undefined {
    const raw = this.str(name);
    if (raw !== undefined && raw.length < minLength) {
      this.problems.push(`${name} must be at least ${minLength} characters long`);
      return undefined;
    }
    return raw;
  }
}

const HTTP = ['http', 'https'];

export function loadConfig(env: Env = process.env, shape: DeploymentShape = 'all-in-one'): Config {
  const r = new EnvReader(env);
  const port = r.int('PORT', 8080, 0, 65535);

  const serviceUrls = {} as Record<ServiceSlug, string>;
  for (const service of CATALOG) {
    serviceUrls[service.slug] = (
      r.url(service.urlVariable, HTTP) ?? `http://127.0.0.1:${service.port}`
    ).replace(/\/+$/, '');
  }

  const smtpHost = r.str('SMTP_HOST');
  const smtpPort = r.int('SMTP_PORT', 587, 1, 65535);
  const smtp: SmtpConfig | undefined = smtpHost
    ? {
        host: smtpHost,
        port: smtpPort,
        secure: r.bool('SMTP_SECURE', smtpPort === 465),
        user: r.str('SMTP_USER'),
        password: r.str('SMTP_PASSWORD'),
        from: r.str('SMTP_FROM') ?? 'Personal Health Assistant <no-reply@localhost>',
      }
    : undefined;

  const logLevel = r.str('LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    r.problems.push(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`,
    );
  }

  const config: Config = {
    shape,
    nodeEnv: r.str('NODE_ENV') ?? 'development',
    host: r.str('HOST') ?? '0.0.0.0',
    port,
    dataDir: resolve(r.str('DATA_DIR') ?? './data'),
    databaseUrl: r.url('DATABASE_URL', ['postgres', 'postgresql']),
    redisUrl: r.url('REDIS_URL', ['redis', 'rediss']),
    jwtSecret: r.secret('JWT_SECRET_KEY', 32),
    secretKey: r.secret('SECRET_KEY', 32),
    supabase: {
      url: r.url('SUPABASE_URL', HTTP),
      key: r.str('SUPABASE_KEY'),
      serviceRoleKey: r.str('SUPABASE_SERVICE_ROLE_KEY'),
      jwtSecret: r.secret('SUPABASE_JWT_SECRET', 32),
    },
    auth0: {
      domain: r.str('AUTH0_DOMAIN'),
      clientId: r.str('AUTH0_CLIENT_ID'),
      clientSecret: r.str('AUTH0_CLIENT_SECRET'),
    },
    accessTokenTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', 900, 60, 3600),
    refreshTokenTtlDays: r.int('REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    publicUrl: (r.url('PUBLIC_URL', HTTP) ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    corsOrigins: (r.str('CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    authRateLimitPerMinute: r.int('AUTH_RATE_LIMIT_PER_MINUTE', 30, 1, 1_000_000),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 1_073_741_824),
    trustProxy: r.trustProxy('TRUST_PROXY'),
    logLevel,
    httpClientTimeoutMs: r.int('HTTP_CLIENT_TIMEOUT_MS', 5000, 100, 120_000),
    smtp,
    serviceUrls,
    kafka: {
      bootstrapServers: r.str('KAFKA_BOOTSTRAP_SERVERS'),
      username: r.str('KAFKA_SASL_USERNAME'),
      password: r.str('KAFKA_SASL_PASSWORD'),
      saslMechanism: kafkaMechanism(r),
      tls: r.str('KAFKA_TLS') === undefined ? undefined : r.bool('KAFKA_TLS', true),
    },
    ai: { openai: openAiSettings(r) },
    neo4j: {
      uri: r.url('NEO4J_URI', ['neo4j', 'neo4j+s', 'neo4j+ssc', 'bolt', 'bolt+s', 'bolt+ssc']),
      user: r.str('NEO4J_USER'),
      password: r.str('NEO4J_PASSWORD'),
    },
    qdrant: { url: r.url('QDRANT_URL', HTTP), apiKey: r.str('QDRANT_API_KEY') },
    epic: {
      clientId: r.str('EPIC_FHIR_CLIENT_ID'),
      clientSecret: r.str('EPIC_FHIR_CLIENT_SECRET'),
      fhirBaseUrl: (r.url('EPIC_FHIR_BASE_URL', HTTP) ?? EPIC_SANDBOX_FHIR_BASE).replace(/\/+$/, ''),
      redirectUri: r.url('EPIC_FHIR_REDIRECT_URI', HTTP),
      syncIntervalMinutes: r.int('EPIC_FHIR_SYNC_INTERVAL_MINUTES', 1440, 0, 7 * 24 * 60),
    },
  };

  for (const origin of config.corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      r.problems.push(`CORS_ORIGINS entries must be origins like https://app.example.org (got "${origin}")`);
    }
  }
  if (shape === 'distributed' && !config.jwtSecret) {
    r.problems.push('JWT_SECRET_KEY is required in the distributed shape (every service must share it)');
  }
  if (shape === 'distributed' && !config.secretKey) {
    r.problems.push(
      'SECRET_KEY is required in the distributed shape (every instance of a service must share it)',
    );
  }
  if (config.epic.clientSecret && !config.epic.clientId) {
    r.problems.push(
      'EPIC_FHIR_CLIENT_SECRET is set without EPIC_FHIR_CLIENT_ID (set both, or only the id for a public client)',
    );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** The default when only OPENAI_API_KEY is set: OpenAI itself, with a small current model. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';

function openAiSettings(r: EnvReader): Config['ai']['openai'] {
  const apiKey = r.str('OPENAI_API_KEY');
  const baseUrl = r.url('OPENAI_BASE_URL', HTTP);
  const model = r.str('OPENAI_MODEL');
  const timeoutMs = r.int('OPENAI_TIMEOUT_MS', 10_000, 100, 300_000);
  if (!apiKey && !baseUrl) return undefined;
  if (baseUrl && !model) {
    // Another server's model names are its own (Ollama: llama3.2, qwen2.5, ...): no default fits.
    r.problems.push('OPENAI_MODEL is required with OPENAI_BASE_URL (the model name that server knows)');
  }
  return {
    baseUrl: (baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, ''),
    model: model ?? OPENAI_DEFAULT_MODEL,
    apiKey,
    timeoutMs,
  };
}

function kafkaMechanism(r: EnvReader): KafkaSaslMechanism {
  const raw = r.str('KAFKA_SASL_MECHANISM')?.toUpperCase() ?? 'SCRAM-SHA-256';
  if ((KAFKA_SASL_MECHANISMS as readonly string[]).includes(raw)) return raw as KafkaSaslMechanism;
  r.problems.push(`KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')} (got "${raw}")`);
  return 'SCRAM-SHA-256';
}

/** The configuration as `pha doctor` prints it: secrets reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const set = (v: string | undefined) => (v ? 'set' : 'not set');
  const redactUrl = (v: string | undefined) => {
    if (!v) return 'not set';
    try {
      const u = new URL(v);
      if (u.password) u.password = '***';
      // node-postgres also reads credentials from the query string.
      for (const key of ['password', 'sslpassword'])
        if (u.searchParams.has(key)) u.searchParams.set(key, '***');
      return u.toString();
    } catch {
      return 'set';
    }
  };
  return {
    shape: config.shape,
    node_env: config.nodeEnv,
    host: config.host,
    port: config.port,
    data_dir: config.dataDir,
    database: config.databaseUrl ? redactUrl(config.databaseUrl) : `embedded PGlite in ${config.dataDir}/pg`,
    redis: config.redisUrl ? redactUrl(config.redisUrl) : 'in-process memory cache',
    jwt_secret_key: config.jwtSecret
      ? 'set'
      : `not set (generated and kept in ${config.dataDir}/secrets.json)`,
    secret_key: set(config.secretKey),
    supabase_url: config.supabase.url ?? 'not set',
    supabase_jwt_secret: set(config.supabase.jwtSecret),
    access_token_ttl_seconds: config.accessTokenTtlSeconds,
    refresh_token_ttl_days: config.refreshTokenTtlDays,
    public_url: config.publicUrl,
    cors_origins: config.corsOrigins,
    rate_limit_per_minute: config.rateLimitPerMinute,
    auth_rate_limit_per_minute: config.authRateLimitPerMinute,
    body_limit_bytes: config.bodyLimitBytes,
    trust_proxy: config.trustProxy ?? 'shape default',
    log_level: config.logLevel,
    mail: config.smtp
      ? `SMTP ${config.smtp.host}:${config.smtp.port}`
      : `dev outbox in ${config.dataDir}/mail`,
    service_urls: config.serviceUrls,
    kafka: config.kafka.bootstrapServers ?? 'not set',
    language_model: config.ai.openai
      ? `OpenAI-compatible ${redactUrl(config.ai.openai.baseUrl)} model ${config.ai.openai.model}, API key ${set(config.ai.openai.apiKey)}, timeout ${config.ai.openai.timeoutMs} ms`
      : 'none (OPENAI_API_KEY / OPENAI_BASE_URL not set)',
    neo4j: redactUrl(config.neo4j.uri),
    qdrant: config.qdrant.url ?? 'not set',
    epic_fhir: config.epic.clientId
      ? `${config.epic.clientSecret ? 'confidential' : 'public'} client at ${config.epic.fhirBaseUrl}`
      : 'not configured (EPIC_FHIR_CLIENT_ID not set)',
  };
}
