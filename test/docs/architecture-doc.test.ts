// docs/architecture.md stays true: its import-rule table names exactly the dependency-cruiser rules, and every path it cites exists.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/architecture.md', root), 'utf8');

describe('docs/architecture.md', () => {
  it('lists every rule of .dependency-cruiser.cjs, and no other', () => {
    const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
      forbidden: { name: string }[];
    };
    const documented = [...doc.matchAll(/^\| `([a-z-]+)` \| /gm)].map((m) => m[1]);
    expect(documented).toEqual(config.forbidden.map((r) => r.name));
  });

  it('cites only files and directories that exist', () => {
    const cited = new Set(
      [
        ...doc.matchAll(/`((?:src|binapi|codegen|test|bench|scripts|systemd|examples|docs|man)\/[^`\s]*)`/g),
      ].map((m) => m[1] ?? ''),
    );
    expect(cited.size).toBeGreaterThan(40);
    const missing = [...cited].filter((p) => !/[<*]/.test(p) && !existsSync(new URL(p, root)));
    expect(missing).toEqual([]);
  });
});
