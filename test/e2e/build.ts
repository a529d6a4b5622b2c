// The e2e tests run the BUILT daemon: ensureBuilt rebuilds dist/ first when a source is newer than its output.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'dist' && e.name !== 'node_modules') out.push(...sources(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
  return out;
}

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** isStale: some .ts under src/ or binapi/ has no compiled .js in its dist/, or one older than itself. */
export function isStale(): boolean {
  for (const [srcDir, outDir] of [
    [join(ROOT, 'src'), join(ROOT, 'dist')],
    [join(ROOT, 'binapi'), join(ROOT, 'binapi', 'dist')],
  ] as const) {
    for (const f of sources(srcDir)) {
      const out = join(outDir, relative(srcDir, f)).replace(/\.ts$/, '.js');
      if (mtime(out) < mtime(f)) return true;
    }
  }
  return false;
}

/** ensureBuilt runs `npm run build` when dist/ is stale (only then: a build takes tens of seconds here). */
export function ensureBuilt(): void {
  if (isStale()) execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
