import { describe, expect, it } from 'vitest';
import { isTimeZone } from '../../platform/time.js';
import { formatInstant, parseInstant } from './time.js';

describe('instants', () => {
  it('parses offsets and writes them back', () => {
    const p = parseInstant('2024-05-01T07:00:00.123+02:00');
    expect(p).toEqual({ ms: Date.UTC(2024, 4, 1, 5, 0, 0, 123), offsetMinutes: 120 });
    expect(formatInstant(Date.UTC(2024, 4, 1, 5, 0, 0, 123), 120)).toBe('2024-05-01T07:00:00.123+02:00');
    expect(formatInstant(Date.UTC(2024, 0, 1), -330)).toBe('2023-12-31T18:30:00.000-05:30');
    expect(formatInstant(Date.UTC(2024, 0, 1), null)).toBe('2024-01-01T00:00:00.000Z');
    expect(parseInstant('2024-05-01T07:00Z')).toEqual({ ms: Date.UTC(2024, 4, 1, 7), offsetMinutes: 0 });
  });

  it('restores a + that a query string turned into a space', () => {
    expect(parseInstant('2024-05-01T07:00:00 02:00')).toEqual({
      ms: Date.UTC(2024, 4, 1, 5),
      offsetMinutes: 120,
    });
  });

  it('truncates sub-millisecond digits', () => {
    expect((parseInstant('2024-05-01T07:00:00.123999Z') as { ms: number }).ms).toBe(
      Date.UTC(2024, 4, 1, 7, 0, 0, 123),
    );
  });

  it('knows time zones', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
