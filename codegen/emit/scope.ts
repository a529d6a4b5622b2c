// Tracks what one generated module uses from elsewhere (runtime helpers, other modules' types) to emit its imports.
import type { TsRef } from '../model.js';

/** ModuleScope records the imports a generated module needs while its body is emitted. */
export class ModuleScope {
  private readonly typeImports = new Map<string, Set<string>>();
  private readonly runtimeValues = new Set<string>();
  private readonly runtimeTypes = new Set<string>();

  constructor(readonly module: string) {}

  /** ref names a type (its Input variant when `input` and one exists), importing it from its module if needed. */
  ref(ts: TsRef, input: boolean): string {
    const name = input && ts.hasInput ? `${ts.name}Input` : ts.name;
    if (ts.module !== this.module) {
      let set = this.typeImports.get(ts.module);
      if (!set) {
        set = new Set();
        this.typeImports.set(ts.module, set);
      }
      set.add(name);
    }
    return name;
  }

  /** rt names a runtime value (helper or error factory) and records the import. */
  rt(name: string): string {
    this.runtimeValues.add(name);
    return name;
  }

  /** rtType names a runtime type and records the type import. */
  rtType(name: string): string {
    this.runtimeTypes.add(name);
    return name;
  }

  /** importLines are the sorted import statements for everything recorded. */
  importLines(): string[] {
    const lines: string[] = [];
    const sorted = (s: Iterable<string>) => [...s].sort();
    if (this.runtimeValues.size > 0) {
      lines.push(`import { ${sorted(this.runtimeValues).join(', ')} } from './runtime/index.js';`);
    }
    if (this.runtimeTypes.size > 0) {
      lines.push(`import type { ${sorted(this.runtimeTypes).join(', ')} } from './runtime/index.js';`);
    }
    for (const mod of sorted(this.typeImports.keys())) {
      lines.push(`import type { ${sorted(this.typeImports.get(mod) ?? []).join(', ')} } from './${mod}.js';`);
    }
    return lines;
  }
}
