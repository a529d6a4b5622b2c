// Turns validated .api.json files into the generated files of binapi/ (file name → source text), in memory.
import { emitModule } from './emit/module.js';
import { emitRegistry } from './emit/registry.js';
import type { ApiFile } from './input.js';
import { buildModel } from './model.js';

/** generate returns every generated file of binapi/ keyed by its name (`lb.ts`, …, `index.ts`), sorted. */
export function generate(files: readonly ApiFile[], vppVersion: string): Map<string, string> {
  const model = buildModel(files, vppVersion);
  const out = new Map<string, string>();
  for (const m of model.modules) out.set(`${m.module}.ts`, emitModule(m, model));
  out.set('index.ts', emitRegistry(model));
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
