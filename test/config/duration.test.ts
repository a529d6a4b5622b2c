// Duration strings: accepted forms, refused forms with their reasons, and canonical text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('duration', () => {
  it('parses units and compound forms to milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0.1s')).toBe(100);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses text without a unit, other units and fractions of a millisecond', () => {
    expect(parseDuration('2')).toEqual({ error: expect.stringContaining('has no unit') });
    expect(parseDuration('2 s')).toEqual({ error: expect.stringContaining('is not a duration') });
    expect(parseDuration('2sec')).toEqual({ error: expect.stringContaining('is not a duration') });
    expect(parseDuration('-1s')).toEqual({ error: expect.stringContaining('is not a duration') });
    expect(parseDuration('')).toEqual({ error: expect.stringContaining('is not a duration') });
    expect(parseDuration('1.0005s')).toEqual({
      error: expect.stringContaining('whole number of milliseconds'),
    });
  });

  it('formats in the largest exact unit, and parses back what it formats', () => {
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(0)).toBe('0s');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
