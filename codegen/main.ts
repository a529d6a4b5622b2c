// Command line of the generator: `npm run gen` writes binapi/, `npm run gen:check` fails when binapi/ has drifted.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';
import { InputError, readApiDir } from './input.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function usage(): never {
  console.error('usage: tsx codegen/main.ts [--check] [--in <api dir>] [--out <binapi dir>]');
  process.exit(2);
}

/** Generated files present in `dir`: every top-level *.ts (the runtime lives in a subdirectory). */
function generatedIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
}

function main(argv: string[]): number {
  let check = false;
  let inDir = join(root, 'codegen', 'api');
  let outDir = join(root, 'binapi');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') check = true;
    else if (a === '--in') inDir = argv[++i] ?? usage();
    else if (a === '--out') outDir = argv[++i] ?? usage();
    else usage();
  }
  const t0 = performance.now();
  const { files, vppVersion } = readApiDir(inDir);
  if (files.length === 0) throw new InputError(`${inDir}: no *.api.json files`);
  const out = generate(files, vppVersion);
  const ms = Math.round(performance.now() - t0);

  if (!check) {
    for (const stale of generatedIn(outDir)) if (!out.has(stale)) rmSync(join(outDir, stale));
    for (const [name, text] of out) writeFileSync(join(outDir, name), text);
    console.log(
      `generated ${out.size} files from ${files.length} .api.json files into ${outDir} in ${ms} ms`,
    );
    return 0;
  }

  // Drift check: write the fresh output to a temporary directory and compare it file by file with binapi/.
  const tmp = mkdtempSync(join(tmpdir(), 'binapi-check-'));
  try {
    for (const [name, text] of out) writeFileSync(join(tmp, name), text);
    const fresh = generatedIn(tmp);
    const committed = generatedIn(outDir);
    const differing: string[] = [];
    for (const name of new Set([...fresh, ...committed])) {
      const a = fresh.includes(name) ? readFileSync(join(tmp, name), 'utf8') : undefined;
      const b = committed.includes(name) ? readFileSync(join(outDir, name), 'utf8') : undefined;
      if (a === undefined) differing.push(`${name} (not generated any more)`);
      else if (b === undefined) differing.push(`${name} (missing)`);
      else if (a !== b) differing.push(name);
    }
    if (differing.length > 0) {
      console.error(`binapi/ differs from what codegen/ generates (run \`npm run gen\`):`);
      for (const d of differing.sort()) console.error(`  ${d}`);
      return 1;
    }
    console.log(`binapi/ is up to date (${out.size} files, generated in ${ms} ms)`);
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof InputError) {
    console.error(e.message);
    process.exitCode = 1;
  } else throw e;
}
