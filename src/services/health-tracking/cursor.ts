import { validationError } from '../../platform/http/errors.js';

/** Opaque list cursors: base64url JSON of the last item's sort key. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(text: string, valid: (x: Record<string, unknown>) => boolean): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !valid(parsed as Record<string, unknown>)) {
    throw validationError('cursor is not one this list gave out', [
      { field: 'cursor', problem: 'is not valid: pass next_cursor from the previous page unchanged' },
    ]);
  }
  return parsed as T;
}
