import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../catalog.js';
import { ConfigError, describeConfig, loadConfig } from './config.js';

const JWT = 'j'.repeat(40);

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw). */
function problemsOf(env: Record<string, string | undefined>, shape?: 'all-in-one' | 'distributed') {
  try {
    loadConfig(env, shape);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig defaults', () => {
  it('gives the documented all-in-one defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      shape: 'all-in-one',
      nodeEnv: 'development',
      host: '0.0.0.0',
      port: 8080,
      dataDir: resolve('./data'),
      databaseUrl: undefined,
      redisUrl: undefined,
      jwtSecret: undefined,
      secretKey: undefined,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlDays: 30,
      publicUrl: 'http://localhost:8080',
      corsOrigins: [],
      rateLimitPerMinute: 600,
      authRateLimitPerMinute: 30,
      bodyLimitBytes: 1_048_576,
      trustProxy: undefined,
      logLevel: 'info',
      httpClientTimeoutMs: 5000,
      smtp: undefined,
    });
    expect(config.kafka.bootstrapServers).toBeUndefined();
    expect(config.neo4j.uri).toBeUndefined();
    expect(config.qdrant.url).toBeUndefined();
    expect(config.supabase.jwtSecret).toBeUndefined();
  });

  it('defaults every *_SERVICE_URL to 127.0.0.1 on the seed port', () => {
    const { serviceUrls } = loadConfig({});
    expect(Object.keys(serviceUrls).sort()).toEqual(CATALOG.map((s) => s.slug).sort());
    for (const service of CATALOG) {
      expect(serviceUrls[service.slug]).toBe(`http://127.0.0.1:${service.port}`);
    }
    expect(serviceUrls.auth).toBe('http://127.0.0.1:8000');
    expect(serviceUrls['user-profile']).toBe('http://127.0.0.1:8001');
    expect(serviceUrls['api-gateway']).toBe('http://127.0.0.1:8080');
  });

  it('treats empty and blank variables as unset and trims values', () => {
    const config = loadConfig({
      PORT: '',
      DATABASE_URL: '   ',
      LOG_LEVEL: ' debug ',
      HOST: ' 127.0.0.1 ',
      JWT_SECRET_KEY: `  ${JWT}  `,
    });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe('debug');
    expect(config.host).toBe('127.0.0.1');
    expect(config.jwtSecret).toBe(JWT);
  });

  it('reads valid values from the seed variable names', () => {
    const config = loadConfig({
      PORT: '3000',
      NODE_ENV: 'production',
      DATA_DIR: '/tmp/pha-data',
      DATABASE_URL: 'postgresql://app:pw@db.example.org:5432/pha',
      REDIS_URL: 'rediss://default:pw@cache.example.org:6379',
      JWT_SECRET_KEY: JWT,
      ACCESS_TOKEN_TTL_SECONDS: '60',
      REFRESH_TOKEN_TTL_DAYS: '365',
      RATE_LIMIT_PER_MINUTE: '1000000',
      BODY_LIMIT_BYTES: '1024',
      HTTP_CLIENT_TIMEOUT_MS: '100',
      CORS_ORIGINS: ' https://app.example.org , http://localhost:5173,,* ',
      PUBLIC_URL: 'https://health.example.org//',
      KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092',
      NEO4J_URI: 'neo4j+s://graph.example.org',
      QDRANT_URL: 'https://qdrant.example.org',
    });
    expect(config.port).toBe(3000);
    expect(config.nodeEnv).toBe('production');
    expect(config.dataDir).toBe('/tmp/pha-data');
    expect(config.databaseUrl).toBe('postgresql://app:pw@db.example.org:5432/pha');
    expect(config.redisUrl).toBe('rediss://default:pw@cache.example.org:6379');
    expect(config.accessTokenTtlSeconds).toBe(60);
    expect(config.refreshTokenTtlDays).toBe(365);
    expect(config.rateLimitPerMinute).toBe(1_000_000);
    expect(config.bodyLimitBytes).toBe(1024);
    expect(config.httpClientTimeoutMs).toBe(100);
    expect(config.corsOrigins).toEqual(['https://app.example.org', 'http://localhost:5173', '*']);
    expect(config.publicUrl).toBe('https://health.example.org');
    expect(config.kafka.bootstrapServers).toBe('kafka:9092');
    expect(config.neo4j.uri).toBe('neo4j+s://graph.example.org');
    expect(config.qdrant.url).toBe('https://qdrant.example.org');
  });

  it('derives the public URL from PORT when PUBLIC_URL is unset', () => {
    expect(loadConfig({ PORT: '9090' }).publicUrl).toBe('http://localhost:9090');
  });

  it('accepts the PORT bounds 0 and 65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['loopback, uniquelocal', 'loopback,uniquelocal'],
    ['10.0.0.0/8,127.0.0.1', '10.0.0.0/8,127.0.0.1'],
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['On', true],
    ['0', 0],
    ['false', false],
    ['No', false],
    ['off', false],
  ])('reads TRUST_PROXY=%s as %s', (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toBe(expected);
  });

  it('builds the SMTP settings only when SMTP_HOST is set', () => {
    expect(loadConfig({ SMTP_USER: 'u', SMTP_PASSWORD: 'p' }).smtp).toBeUndefined();
    expect(loadConfig({ SMTP_HOST: 'smtp.example.org' }).smtp).toEqual({
      host: 'smtp.example.org',
      port: 587,
      secure: false,
      user: undefined,
      password: undefined,
      from: 'Personal Health Assistant <no-reply@localhost>',
    });
    const implicitTls = loadConfig({ SMTP_HOST: 'smtp.example.org', SMTP_PORT: '465' }).smtp;
    expect(implicitTls?.secure).toBe(true);
    const explicit = loadConfig({
      SMTP_HOST: 'smtp.example.org',
      SMTP_PORT: '465',
      SMTP_SECURE: 'false',
      SMTP_USER: 'mailer',
      SMTP_PASSWORD: 'smtp-pass',
      SMTP_FROM: 'PHA <pha@example.org>',
    }).smtp;
    expect(explicit).toEqual({
      host: 'smtp.example.org',
      port: 465,
      secure: false,
      user: 'mailer',
      password: 'smtp-pass',
      from: 'PHA <pha@example.org>',
    });
  });
});

describe('loadConfig service URLs', () => {
  it('reads *_SERVICE_URL and trims trailing slashes', () => {
    const { serviceUrls } = loadConfig({
      AUTH_SERVICE_URL: 'http://auth:8000/',
      USER_PROFILE_SERVICE_URL: 'https://profile.example.org/base///',
      API_GATEWAY_SERVICE_URL: 'http://gateway:8080',
    });
    expect(serviceUrls.auth).toBe('http://auth:8000');
    expect(serviceUrls['user-profile']).toBe('https://profile.example.org/base');
    expect(serviceUrls['api-gateway']).toBe('http://gateway:8080');
    // The others keep their defaults.
    expect(serviceUrls['health-tracking']).toBe('http://127.0.0.1:8002');
  });

  it('rejects a service URL that is not http(s) and names the variable', () => {
    const problems = problemsOf({ AUTH_SERVICE_URL: 'ftp://auth:8000', NUTRITION_SERVICE_URL: 'nutrition' });
    expect(problems).toEqual([
      'AUTH_SERVICE_URL must use http or https, not ftp',
      'NUTRITION_SERVICE_URL must be a URL (http, https)',
    ]);
  });
});

describe('loadConfig problems', () => {
  it('lists every problem at once in one ConfigError', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://root:db-password@db/pha',
        REDIS_URL: 'http://cache:6379',
        JWT_SECRET_KEY: 'too-short',
        TRUST_PROXY: 'maybe',
        LOG_LEVEL: 'verbose',
        CORS_ORIGINS: 'https://ok.example.org,example.org,https://app.example.org/path',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(Error);
    const configError = error as ConfigError;
    expect(configError.name).toBe('ConfigError');
    expect(configError.problems).toEqual([
      'PORT must be a whole number from 0 to 65535 (got "eighty")',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
      'DATABASE_URL must use postgres or postgresql, not mysql',
      'REDIS_URL must use redis or rediss, not http',
      'JWT_SECRET_KEY must be at least 32 characters long',
      'TRUST_PROXY must be true, false, a hop count, or addresses/CIDRs (loopback, uniquelocal, 10.0.0.0/8, ...) (got "maybe")',
      'CORS_ORIGINS entries must be origins like https://app.example.org (got "example.org")',
      'CORS_ORIGINS entries must be origins like https://app.example.org (got "https://app.example.org/path")',
    ]);
    expect(configError.message.split('\n')[0]).toBe('Invalid configuration:');
    for (const problem of configError.problems) expect(configError.message).toContain(`  - ${problem}`);
    // Secret values never end up in the message.
    expect(configError.message).not.toContain('too-short');
    expect(configError.message).not.toContain('db-password');
  });

  it.each([
    ['PORT', '65536', /^PORT must be a whole number from 0 to 65535 \(got "65536"\)$/],
    ['PORT', '-1', /^PORT must be a whole number/],
    ['PORT', '80.5', /^PORT must be a whole number/],
    ['PORT', '0x50', /^PORT must be a whole number/],
    ['ACCESS_TOKEN_TTL_SECONDS', '59', /^ACCESS_TOKEN_TTL_SECONDS must be a whole number from 60 to 3600/],
    ['ACCESS_TOKEN_TTL_SECONDS', '3601', /^ACCESS_TOKEN_TTL_SECONDS must be a whole number from 60 to 3600/],
    ['REFRESH_TOKEN_TTL_DAYS', '0', /^REFRESH_TOKEN_TTL_DAYS must be a whole number from 1 to 365/],
    ['BODY_LIMIT_BYTES', '1023', /^BODY_LIMIT_BYTES must be a whole number from 1024/],
    ['HTTP_CLIENT_TIMEOUT_MS', '99', /^HTTP_CLIENT_TIMEOUT_MS must be a whole number from 100/],
    ['SMTP_PORT', '0', /^SMTP_PORT must be a whole number from 1 to 65535/],
    ['DATABASE_URL', 'not a url', /^DATABASE_URL must be a URL \(postgres, postgresql\)$/],
    ['DATABASE_URL', 'http://db:5432/pha', /^DATABASE_URL must use postgres or postgresql, not http$/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL must use redis or rediss, not localhost$/],
    ['REDIS_URL', 'memcached://cache:11211', /^REDIS_URL must use redis or rediss, not memcached$/],
    ['JWT_SECRET_KEY', 'x'.repeat(31), /^JWT_SECRET_KEY must be at least 32 characters long$/],
    ['SECRET_KEY', 'x'.repeat(31), /^SECRET_KEY must be at least 32 characters long$/],
    ['SUPABASE_JWT_SECRET', 'short', /^SUPABASE_JWT_SECRET must be at least 32 characters long$/],
    ['SUPABASE_URL', 'ftp://x.supabase.co', /^SUPABASE_URL must use http or https, not ftp$/],
    ['PUBLIC_URL', 'javascript:alert(1)', /^PUBLIC_URL must use http or https, not javascript$/],
    ['NEO4J_URI', 'http://graph:7474', /^NEO4J_URI must use neo4j or /],
    ['QDRANT_URL', 'grpc://qdrant:6334', /^QDRANT_URL must use http or https, not grpc$/],
    ['TRUST_PROXY', 'maybe', /^TRUST_PROXY must be true, false, a hop count.*\(got "maybe"\)$/],
    ['TRUST_PROXY', 'proxy.example.org', /^TRUST_PROXY must be true, false, a hop count/],
    ['LOG_LEVEL', 'INFO', /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['CORS_ORIGINS', 'app.example.org', /^CORS_ORIGINS entries must be origins like/],
    ['CORS_ORIGINS', 'https://app.example.org/', /^CORS_ORIGINS entries must be origins like/],
    ['CORS_ORIGINS', 'ftp://app.example.org', /^CORS_ORIGINS entries must be origins like/],
    ['CORS_ORIGINS', 'https://a.example.org https://b.example.org', /^CORS_ORIGINS entries must be/],
    ['CORS_ORIGINS', '**', /^CORS_ORIGINS entries must be origins like/],
  ])('rejects %s=%j with a clear problem', (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('checks SMTP_SECURE only when SMTP is configured', () => {
    expect(loadConfig({ SMTP_SECURE: 'sometimes' }).smtp).toBeUndefined();
    expect(problemsOf({ SMTP_HOST: 'smtp.example.org', SMTP_SECURE: 'sometimes' })).toEqual([
      'SMTP_SECURE must be true or false (got "sometimes")',
    ]);
  });

  it('accepts secrets of exactly 32 characters', () => {
    const secret = 's'.repeat(32);
    const config = loadConfig({ JWT_SECRET_KEY: secret, SECRET_KEY: secret, SUPABASE_JWT_SECRET: secret });
    expect(config.jwtSecret).toBe(secret);
    expect(config.secretKey).toBe(secret);
    expect(config.supabase.jwtSecret).toBe(secret);
  });
});

describe('loadConfig distributed shape', () => {
  it('requires JWT_SECRET_KEY and SECRET_KEY', () => {
    expect(problemsOf({}, 'distributed')).toEqual([
      'JWT_SECRET_KEY is required in the distributed shape (every service must share it)',
      'SECRET_KEY is required in the distributed shape (every instance of a service must share it)',
    ]);
  });

  it('reports a too-short JWT_SECRET_KEY together with the other problems', () => {
    const problems = problemsOf({ JWT_SECRET_KEY: 'short', PORT: 'x' }, 'distributed');
    expect(problems).toContain('JWT_SECRET_KEY must be at least 32 characters long');
    expect(problems).toContain('PORT must be a whole number from 0 to 65535 (got "x")');
    expect(problems.some((p) => p.startsWith('JWT_SECRET_KEY is required'))).toBe(true);
  });

  it('starts with a shared secret', () => {
    const config = loadConfig({ JWT_SECRET_KEY: JWT, SECRET_KEY: JWT }, 'distributed');
    expect(config.shape).toBe('distributed');
    expect(config.jwtSecret).toBe(JWT);
  });

  it('does not require JWT_SECRET_KEY in the all-in-one shape', () => {
    expect(loadConfig({}, 'all-in-one').jwtSecret).toBeUndefined();
  });
});

describe('describeConfig', () => {
  const secrets = {
    JWT_SECRET_KEY: 'jwt-secret-value-0123456789abcdefghij',
    SECRET_KEY: 'field-secret-value-0123456789abcdefgh',
    SUPABASE_JWT_SECRET: 'supabase-jwt-secret-0123456789abcdef',
    SUPABASE_KEY: 'supabase-anon-key-value',
    SUPABASE_SERVICE_ROLE_KEY: 'supabase-service-role-value',
    AUTH0_CLIENT_SECRET: 'auth0-client-secret-value',
    SMTP_PASSWORD: 'smtp-password-value',
    KAFKA_SASL_PASSWORD: 'kafka-password-value',
    NEO4J_PASSWORD: 'neo4j-password-value',
    QDRANT_API_KEY: 'qdrant-api-key-value',
  };
  const urlPasswords = ['db-password-value', 'redis-password-value', 'neo4j-uri-password'];

  const full = loadConfig(
    {
      ...secrets,
      DATA_DIR: '/srv/pha',
      DATABASE_URL: 'postgres://app:db-password-value@db.example.org:5432/pha',
      REDIS_URL: 'rediss://default:redis-password-value@cache.example.org:6379',
      NEO4J_URI: 'neo4j+s://neo4j:neo4j-uri-password@graph.example.org',
      SMTP_HOST: 'smtp.example.org',
      SMTP_USER: 'mailer',
      SUPABASE_URL: 'https://project.supabase.co',
      KAFKA_BOOTSTRAP_SERVERS: 'kafka.example.org:9092',
    },
    'distributed',
  );

  it('never contains a secret value', () => {
    const text = JSON.stringify(describeConfig(full));
    for (const value of [...Object.values(secrets), ...urlPasswords]) expect(text).not.toContain(value);
  });

  it('shows whether secrets are set and redacts URL passwords', () => {
    const described = describeConfig(full);
    expect(described).toMatchObject({
      shape: 'distributed',
      jwt_secret_key: 'set',
      secret_key: 'set',
      supabase_jwt_secret: 'set',
      supabase_url: 'https://project.supabase.co',
      database: 'postgres://app:***@db.example.org:5432/pha',
      redis: 'rediss://default:***@cache.example.org:6379',
      neo4j: 'neo4j+s://neo4j:***@graph.example.org',
      mail: 'SMTP smtp.example.org:587',
      kafka: 'kafka.example.org:9092',
      qdrant: 'not set',
    });
  });

  it('describes the embedded defaults', () => {
    const described = describeConfig(loadConfig({ DATA_DIR: '/srv/pha' }));
    expect(described).toMatchObject({
      shape: 'all-in-one',
      port: 8080,
      data_dir: '/srv/pha',
      database: 'embedded PGlite in /srv/pha/pg',
      redis: 'in-process memory cache',
      jwt_secret_key: 'not set (generated and kept in /srv/pha/secrets.json)',
      secret_key: 'not set',
      supabase_jwt_secret: 'not set',
      mail: 'dev outbox in /srv/pha/mail',
      neo4j: 'not set',
      kafka: 'not set',
    });
    expect((described.service_urls as Record<string, string>).auth).toBe('http://127.0.0.1:8000');
  });

  it('keeps a URL without a password as it is', () => {
    const described = describeConfig(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pha' }));
    expect(described.database).toBe('postgres://postgres@127.0.0.1:5432/pha');
  });

  it('does not print a database password passed as a query parameter', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@db.example.org/pha?password=query-password-1',
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain('query-password-1');
  });
});
