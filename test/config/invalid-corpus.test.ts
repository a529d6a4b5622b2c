// The corpus of invalid configs: each file's exit code, and every error's line:col, key path and wording.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/issues.js';
import { loadConfigFile } from '../../src/config/load.js';

const dir = fileURLToPath(new URL('../fixtures/config/invalid/', import.meta.url));

interface Expectation {
  why: string;
  exit: 1 | 2;
  errors: { at: string; path: string; contains: string[] }[];
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({
    file: f,
    expect: JSON.parse(readFileSync(`${dir}${f.replace(/\.yaml$/, '.expect.json')}`, 'utf8')) as Expectation,
  }));

async function failure(path: string): Promise<ConfigError> {
  try {
    await loadConfigFile(path);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`${path} loaded without error`);
}

describe('invalid config corpus', () => {
  it('has at least 40 cases, each with an expectation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$file is refused as expected', async ({ file, expect: want }) => {
    const err = await failure(`${dir}${file}`);
    expect(err.exitCode, want.why).toBe(want.exit);
    const got = err.issues.map((i) => ({ at: `${i.line}:${i.col}`, path: i.path, message: i.message }));
    expect(got.length, JSON.stringify(got, null, 1)).toBe(want.errors.length);
    want.errors.forEach((w, n) => {
      const g = got[n];
      expect(g?.at, `error ${n}: ${g?.message}`).toBe(w.at);
      expect(g?.path).toBe(w.path);
      for (const fragment of w.contains) expect(g?.message).toContain(fragment);
      expect(err.issues[n]?.file).toBe(`${dir}${file}`);
    });
  });
});
