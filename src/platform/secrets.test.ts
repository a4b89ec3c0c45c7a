import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { resolveSecrets } from './secrets.js';

const JWT = 'env-jwt-secret-0123456789abcdefghijklmnop';
const FIELD = 'env-field-secret-0123456789abcdefghijklm';

let dataDir: string;
beforeEach(() => {
  // A directory that does not exist yet: resolveSecrets must create it.
  dataDir = join(mkdtempSync(join(tmpdir(), 'pha-secrets-')), 'data');
});
afterEach(() => {
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
});

const secretsFile = () => join(dataDir, 'secrets.json');
const stored = () => JSON.parse(readFileSync(secretsFile(), 'utf8')) as Record<string, string>;

describe('resolveSecrets', () => {
  it('generates both secrets once, in a file readable by the owner only', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = resolveSecrets(config);
    expect(first.jwtSecret).toMatch(/^[A-Za-z0-9_-]{86}$/); // 64 random bytes, base64url
    expect(first.secretKey).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(first.jwtSecret).not.toBe(first.secretKey);
    expect(statSync(secretsFile()).mode & 0o777).toBe(0o600);
    expect(stored()).toEqual({ jwt_secret_key: first.jwtSecret, secret_key: first.secretKey });
  });

  it('reuses the stored secrets on the next start instead of generating new ones', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = resolveSecrets(config);
    const before = readFileSync(secretsFile(), 'utf8');
    const second = resolveSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(second).toEqual(first);
    expect(readFileSync(secretsFile(), 'utf8')).toBe(before);
  });

  it('lets environment values win over the stored ones', () => {
    const generated = resolveSecrets(loadConfig({ DATA_DIR: dataDir }));
    const fromEnv = resolveSecrets(loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: JWT }));
    expect(fromEnv.jwtSecret).toBe(JWT);
    expect(fromEnv.secretKey).toBe(generated.secretKey);
    // The stored file is left as it was.
    expect(stored().jwt_secret_key).toBe(generated.jwtSecret);
  });

  it('uses only the environment (and writes nothing) when both secrets are set', () => {
    const secrets = resolveSecrets(loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: JWT, SECRET_KEY: FIELD }));
    expect(secrets).toEqual({ jwtSecret: JWT, secretKey: FIELD });
    expect(existsSync(secretsFile())).toBe(false);
  });

  it('generates and keeps only the secret the environment lacks', () => {
    const secrets = resolveSecrets(loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: JWT }));
    expect(secrets.jwtSecret).toBe(JWT);
    expect(stored()).toEqual({ secret_key: secrets.secretKey });
    expect(JSON.stringify(stored())).not.toContain(JWT);
  });

  it('completes a file that holds only one of the secrets', () => {
    resolveSecrets(loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: JWT }));
    const { secret_key } = stored();
    const both = resolveSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(both.secretKey).toBe(secret_key);
    expect(both.jwtSecret).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(stored()).toEqual({ jwt_secret_key: both.jwtSecret, secret_key });
  });

  it('reads secrets an operator put in the file', () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(secretsFile(), JSON.stringify({ jwt_secret_key: JWT, secret_key: FIELD }), { mode: 0o600 });
    expect(resolveSecrets(loadConfig({ DATA_DIR: dataDir }))).toEqual({ jwtSecret: JWT, secretKey: FIELD });
  });

  it('refuses the distributed shape without JWT_SECRET_KEY or SECRET_KEY', () => {
    const config = { ...loadConfig({ DATA_DIR: dataDir }), shape: 'distributed' as const };
    expect(() => resolveSecrets(config)).toThrow(
      'JWT_SECRET_KEY and SECRET_KEY are required in the distributed shape',
    );
    const noFieldKey = {
      ...loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: JWT }),
      shape: 'distributed' as const,
    };
    expect(() => resolveSecrets(noFieldKey)).toThrow('SECRET_KEY are required');
    expect(existsSync(secretsFile())).toBe(false);
  });

  it('takes JWT_SECRET_KEY from the environment in the distributed shape', () => {
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: JWT, SECRET_KEY: FIELD }, 'distributed');
    expect(resolveSecrets(config)).toEqual({ jwtSecret: JWT, secretKey: FIELD });
  });
});
