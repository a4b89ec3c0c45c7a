import { describe, expect, it } from 'vitest';
import { storableDate, storableDateTime, validatorCompiler } from './validation.js';

describe('date and date-time formats', () => {
  it('accept RFC 3339 instants and dates that can be stored', () => {
    expect(storableDateTime('2024-05-01T07:00:00+02:00')).toBe(true);
    expect(storableDateTime('2024-02-29T23:59:59.999Z')).toBe(true);
    expect(storableDateTime('0001-01-01T00:00:00Z')).toBe(true);
    expect(storableDate('2024-02-29')).toBe(true);
  });

  it('refuse leap seconds, the year 0000 and impossible calendar days', () => {
    expect(storableDateTime('2016-12-31T23:59:60Z')).toBe(false);
    expect(storableDateTime('0000-01-01T00:00:00Z')).toBe(false);
    expect(storableDateTime('2023-02-29T00:00:00Z')).toBe(false);
    expect(storableDateTime('2024-05-01T07:00:00')).toBe(false);
    expect(storableDate('0000-06-01')).toBe(false);
    expect(storableDate('2024-02-30')).toBe(false);
  });

  it('are what request bodies are checked with', () => {
    const validate = validatorCompiler({
      schema: {
        type: 'object',
        properties: { at: { type: 'string', format: 'date-time' } },
      },
      method: 'POST',
      url: '/x',
      httpPart: 'body',
    }) as (data: unknown) => { error?: Error & { validation?: unknown[] } };
    expect(validate({ at: '2024-05-01T07:00:00Z' }).error).toBeUndefined();
    expect(validate({ at: '2016-12-31T23:59:60Z' }).error?.validation).toHaveLength(1);
  });
});
