// maglevctl's text helpers: ages read as people expect, tables align whatever the cell widths.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { age, duration, table } from '../../src/cli/format.js';

describe('age', () => {
  it.each([
    [-5, '0s'],
    [850, '850ms'],
    [42_000, '42s'],
    [192_000, '3m12s'],
    [180_000, '3m'],
    [7_500_000, '2h5m'],
    [86_400_000, '1d'],
    [363_600_000, '4d5h'],
  ])('%i ms → %s', (ms, text) => {
    expect(age(ms)).toBe(text);
  });

  it('durations keep sub-second precision', () => {
    expect(duration(500)).toBe('500ms');
    expect(duration(1500)).toBe('1500ms');
    expect(duration(90_000)).toBe('1m30s');
  });
});

describe('table', () => {
  it('starts every column at the same offset on every line', () => {
    const cell = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\s]/g, 'x') || 'x');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { maxLength: 6 }),
        (cols, rows) => {
          const headers = Array.from({ length: cols }, (_, i) => `H${i}`);
          const body = rows.map((r) => r.slice(0, cols));
          const lines = table(headers, body).split('\n');
          expect(lines).toHaveLength(body.length + 1);
          const all = [headers, ...body];
          // Column c starts after the widest cell of every earlier column plus two spaces each.
          const widths = headers.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
          all.forEach((row, i) => {
            let at = 0;
            row.forEach((cellText, c) => {
              expect(lines[i]!.slice(at, at + cellText.length)).toBe(cellText);
              at += widths[c]! + 2;
            });
          });
          for (const l of lines) expect(l).toBe(l.trimEnd());
        },
      ),
      { numRuns: 200 },
    );
  });
});
