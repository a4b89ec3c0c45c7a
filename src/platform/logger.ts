import { pino, type Logger } from 'pino';

/**
 * Paths never written to the log. Request bodies are not logged at all; these cover headers and any
 * object a handler might log by mistake.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["api-secret"]',
  'headers.authorization',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.mfa_token',
  '*.code',
  '*.secret',
  '*.backup_codes',
  'password',
  'token',
  'secret',
  // PostgreSQL errors (node-postgres and PGlite) quote row values in `detail` ("Key (...)=(...) already
  // exists") and statement context in `where`: a logged database error must not carry health data.
  'err.detail',
  'err.where',
  'err.internalQuery',
  'error.detail',
  'error.where',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}

export type { Logger };
