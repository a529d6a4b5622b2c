// docs/errors.md documents exactly the codes of the ErrorCode union, so scripts can rely on the list.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

/** The members of `ErrorCode`, read from its declaration (a type has no runtime list). */
function declaredCodes(): string[] {
  const src = read('src/util/errors.ts');
  const union = /export type ErrorCode =([^;]+);/.exec(src)?.[1] ?? '';
  return [...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1] ?? '');
}

describe('docs/errors.md', () => {
  it('has one row per error code, and no row for a code that does not exist', () => {
    const declared = declaredCodes();
    expect(declared.length).toBeGreaterThan(10);
    const doc = read('docs/errors.md');
    const main = doc.slice(doc.indexOf('## The codes'), doc.indexOf('## Codes of the control API only'));
    const rows = [...main.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(declared);
  });
});
