// `npm run man`: writes man/maglevd.8 and man/maglevctl.8 from the CLI definitions; `--check` fails on drift.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderManPages } from './man-pages.js';

/** The committed pages, next to the sources they are generated from. */
export const MAN_DIR = fileURLToPath(new URL('../man/', import.meta.url));

/** staleManPages lists the pages whose committed text differs from what the CLI definitions give now. */
export function staleManPages(dir = MAN_DIR): string[] {
  return Object.entries(renderManPages())
    .filter(([name, text]) => !existsSync(join(dir, name)) || readFileSync(join(dir, name), 'utf8') !== text)
    .map(([name]) => name);
}

function main(): number {
  if (process.argv.includes('--check')) {
    const stale = staleManPages();
    if (stale.length === 0) return 0;
    process.stderr.write(`gen-man: out of date: ${stale.join(', ')}; run npm run man\n`);
    return 1;
  }
  mkdirSync(MAN_DIR, { recursive: true });
  for (const [name, text] of Object.entries(renderManPages())) {
    writeFileSync(join(MAN_DIR, name), text);
    process.stdout.write(`wrote man/${name}\n`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main();
}
