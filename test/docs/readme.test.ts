// The README's quick start stays two command lines, and the maglevctl commands it lists are the ones npm start prints.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('README quick start', () => {
  const readme = read('README.md');
  const section = readme.slice(
    readme.indexOf('## Quick start'),
    readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
  );
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

  it('starts with exactly the two command lines: npm start and npm test', () => {
    const commands = (blocks[0] ?? '')
      .trim()
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toContain('quick-start');
  });

  it('lists the maglevctl commands the quick start prints', () => {
    const quickStart = read('src/demo/quick-start.ts');
    const listed = (blocks[1] ?? '')
      .trim()
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, ''))
      .filter((l) => l.includes('maglevctl.js'))
      .map((l) => l.replace(/^node bin\/maglevctl\.js --socket \.tmp\/maglevd\.sock /, ''));
    expect(listed.length).toBeGreaterThanOrEqual(5);
    for (const cmd of listed) expect(quickStart).toContain(`\${ctl} ${cmd}\``);
  });
});
