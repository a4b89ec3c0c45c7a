import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';

export interface Secrets {
  jwtSecret: string;
  /** Key for encrypting sensitive fields at rest. */
  secretKey: string;
}

interface StoredSecrets {
  jwt_secret_key?: string;
  secret_key?: string;
}

/**
 * Secrets from the environment; in the all-in-one shape, any that is missing is generated once
 * (64 random bytes) and kept in DATA_DIR/secrets.json, readable by the owner only. There is no
 * built-in default. The distributed shape refuses to start without both (see config).
 */
export function resolveSecrets(config: Config): Secrets {
  if (config.jwtSecret && config.secretKey)
    return { jwtSecret: config.jwtSecret, secretKey: config.secretKey };
  if (config.shape === 'distributed') {
    throw new Error('JWT_SECRET_KEY and SECRET_KEY are required in the distributed shape');
  }
  const path = join(config.dataDir, 'secrets.json');
  let stored: StoredSecrets = {};
  if (existsSync(path)) stored = JSON.parse(readFileSync(path, 'utf8')) as StoredSecrets;
  let changed = false;
  const generate = () => randomBytes(64).toString('base64url');
  if (!config.jwtSecret && !stored.jwt_secret_key) {
    stored.jwt_secret_key = generate();
    changed = true;
  }
  if (!config.secretKey && !stored.secret_key) {
    stored.secret_key = generate();
    changed = true;
  }
  if (changed) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(path, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return {
    jwtSecret: config.jwtSecret ?? stored.jwt_secret_key!,
    secretKey: config.secretKey ?? stored.secret_key!,
  };
}
