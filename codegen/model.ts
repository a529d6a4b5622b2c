// The resolved model: which module owns each type, every field's wire shape and size, messages with kinds and services.
import type { ApiFile, RawEnum, RawField, RawMessage, RawStruct } from './input.js';
import { InputError } from './input.js';

/** Integer, float and bool wire types. */
export type Prim = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f64' | 'bool';

export const PRIM_SIZE: Readonly<Record<Prim, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  i64: 8,
  f64: 8,
  bool: 1,
};

/** A named TypeScript type a field refers to (enum, alias, struct, union) and the module exporting it. */
export interface TsRef {
  readonly module: string;
  readonly name: string;
  /** Whether a separate `<name>Input` type exists (structs, unions and aliases of them). */
  readonly hasInput: boolean;
}

/** How a value is laid out on the wire. Variable shapes (vbytes, varray, vstring) only end structs. */
export type Shape =
  | { readonly k: 'prim'; readonly prim: Prim; readonly ts?: TsRef }
  | { readonly k: 'bytes'; readonly length: number; readonly ts?: TsRef }
  | { readonly k: 'cstring'; readonly length: number }
  | { readonly k: 'struct'; readonly def: StructDef; readonly ts: TsRef }
  | { readonly k: 'union'; readonly def: UnionDef; readonly ts: TsRef }
  | { readonly k: 'array'; readonly elem: Shape; readonly length: number; readonly ts?: TsRef }
  | { readonly k: 'vbytes'; readonly countField: string | null }
  | { readonly k: 'varray'; readonly elem: Shape; readonly countField: string | null }
  | { readonly k: 'vstring' };

export interface Field {
  readonly name: string;
  readonly shape: Shape;
  /** TypeScript literal of the `.api.json` default (`true`, `1024`, `255`, `4500n`), applied on encode. */
  readonly defaultLiteral?: string;
  /** Set on a count field: the name of the variable array it counts. */
  readonly countFor?: string;
}

export interface StructDef {
  readonly name: string;
  readonly module: string;
  readonly tsName: string;
  readonly fields: readonly Field[];
  /** Size with every variable part empty. */
  readonly size: number;
  readonly variable: boolean;
  readonly comment?: string;
}

export interface UnionDef {
  readonly name: string;
  readonly module: string;
  readonly tsName: string;
  readonly arms: readonly Field[];
  readonly size: number;
}

export interface EnumDef {
  readonly name: string;
  readonly module: string;
  readonly tsName: string;
  readonly prim: Prim;
  readonly values: readonly (readonly [string, number])[];
  readonly flags: boolean;
}

export interface AliasDef {
  readonly name: string;
  readonly module: string;
  readonly tsName: string;
  /** The aliased shape (with `ts` of the alias itself where that carries a name). */
  readonly shape: Shape;
  /** The aliased shape as declared (naming the target type). */
  readonly target: Shape;
}

export type MessageKind = 'request' | 'reply' | 'event' | 'other';

export interface MessageModel {
  readonly name: string;
  readonly tsName: string;
  readonly module: string;
  readonly crc: string;
  readonly kind: MessageKind;
  /** Fields after `_vl_msg_id`. */
  readonly fields: readonly Field[];
  /** Size including the 2-byte message id, variable parts empty. */
  readonly minSize: number;
  readonly fixedSize: boolean;
  readonly comment?: string;
  readonly deprecated: boolean;
  readonly reply?: string;
  readonly stream?: boolean;
  readonly details?: string;
  readonly events?: readonly string[];
}

export interface ModuleModel {
  readonly module: string;
  readonly file: ApiFile;
  readonly enums: readonly EnumDef[];
  readonly aliases: readonly AliasDef[];
  readonly structs: readonly StructDef[];
  readonly unions: readonly UnionDef[];
  readonly messages: readonly MessageModel[];
  readonly services: ApiFile['services'];
}

export interface Model {
  readonly vppVersion: string;
  /** Modules sorted by name. */
  readonly modules: readonly ModuleModel[];
}

/** pascal turns a VPP snake_case name into PascalCase: `lb_add_del_as_v2` → `LbAddDelAsV2`. */
export function pascal(name: string): string {
  return name
    .split('_')
    .filter((p) => p.length > 0)
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join('');
}

const PRIMS = new Set<string>(Object.keys(PRIM_SIZE));

/** shapeSize is the wire size of a shape with every variable part empty. */
export function shapeSize(s: Shape): number {
  switch (s.k) {
    case 'prim':
      return PRIM_SIZE[s.prim];
    case 'bytes':
    case 'cstring':
      return s.length;
    case 'struct':
      return s.def.size;
    case 'union':
      return s.def.size;
    case 'array':
      return s.length * shapeSize(s.elem);
    case 'vbytes':
    case 'varray':
      return 0;
    case 'vstring':
      return 4;
  }
}

/** isVariable is true when the shape's size depends on the value. */
export function isVariable(s: Shape): boolean {
  switch (s.k) {
    case 'vbytes':
    case 'varray':
    case 'vstring':
      return true;
    case 'struct':
      return s.def.variable;
    case 'array':
      return isVariable(s.elem);
    default:
      return false;
  }
}

type DefKind = 'struct' | 'union' | 'enum' | 'enumflag' | 'alias';

interface FileIndex {
  readonly file: ApiFile;
  readonly defs: Map<
    string,
    { kind: DefKind; raw: RawStruct | RawEnum | { name: string; type: string; length?: number } }
  >;
  /** Direct imports found among the input files. */
  readonly imports: string[];
}

function typeName(ref: string): string | undefined {
  const m = /^vl_api_(.+)_t$/.exec(ref);
  return m?.[1];
}

/** buildModel resolves every file's types, sizes, owners and services. Throws InputError on inconsistencies. */
export function buildModel(files: readonly ApiFile[], vppVersion: string): Model {
  const byBase = new Map<string, string>();
  const index = new Map<string, FileIndex>();
  for (const f of files) {
    if (index.has(f.module))
      throw new InputError(`${f.path}: module "${f.module}" is also defined by another file`);
    byBase.set((f.path.split('/').pop() ?? f.path).replace(/\.api\.json$/, ''), f.module);
    const defs: FileIndex['defs'] = new Map();
    const add = (kind: DefKind, raw: { name: string }) => {
      const prev = defs.get(raw.name);
      if (prev) {
        // vppapigen inlines each import once per import path, so identical repeats are normal.
        if (prev.kind === kind && JSON.stringify(prev.raw) === JSON.stringify(raw)) return;
        throw new InputError(`${f.path}: type "${raw.name}" is defined twice, differently`);
      }
      defs.set(raw.name, { kind, raw: raw as RawStruct });
    };
    for (const t of f.types) add('struct', t);
    for (const t of f.unions) add('union', t);
    for (const t of f.enums) add('enum', t);
    for (const t of f.enumflags) add('enumflag', t);
    for (const a of f.aliases) add('alias', a);
    index.set(f.module, { file: f, defs, imports: [] });
  }
  for (const fi of index.values()) {
    for (const imp of fi.file.imports) {
      const base = (imp.split('/').pop() ?? imp).replace(/\.api$/, '');
      const mod = byBase.get(base);
      if (mod !== undefined && mod !== fi.file.module) fi.imports.push(mod);
    }
  }

  const closureCache = new Map<string, Set<string>>();
  const closure = (mod: string, seen = new Set<string>()): Set<string> => {
    const cached = closureCache.get(mod);
    if (cached) return cached;
    const out = new Set<string>();
    seen.add(mod);
    for (const imp of index.get(mod)?.imports ?? []) {
      if (seen.has(imp)) continue;
      out.add(imp);
      for (const x of closure(imp, seen)) out.add(x);
    }
    closureCache.set(mod, out);
    return out;
  };
  const ownerOf = (mod: string, name: string): string => {
    for (const imp of index.get(mod)?.imports ?? []) {
      if (index.get(imp)?.defs.has(name)) return ownerOf(imp, name);
      for (const deeper of closure(imp)) if (index.get(deeper)?.defs.has(name)) return ownerOf(imp, name);
    }
    return mod;
  };

  const structs = new Map<string, StructDef>();
  const unions = new Map<string, UnionDef>();
  const enums = new Map<string, EnumDef>();
  const aliases = new Map<string, AliasDef>();
  const building = new Set<string>();

  // resolveNamed returns the shape of `vl_api_<name>_t` as seen from module `from`.
  const resolveNamed = (from: string, name: string, where: string): Shape => {
    const owner = ownerOf(from, name);
    const entry = index.get(owner)?.defs.get(name);
    if (!entry) throw new InputError(`${where}: unknown type vl_api_${name}_t`);
    const key = `${owner}:${name}`;
    const ownerPath = index.get(owner)?.file.path ?? owner;
    const tsName = pascal(name);
    switch (entry.kind) {
      case 'enum':
      case 'enumflag': {
        let def = enums.get(key);
        if (!def) {
          const raw = entry.raw as RawEnum;
          if (!['u8', 'u16', 'u32', 'i8', 'i16', 'i32'].includes(raw.enumtype)) {
            throw new InputError(`${ownerPath}: enum "${name}": unsupported enumtype ${raw.enumtype}`);
          }
          def = {
            name,
            module: owner,
            tsName,
            prim: raw.enumtype as Prim,
            values: raw.values,
            flags: entry.kind === 'enumflag',
          };
          enums.set(key, def);
        }
        return { k: 'prim', prim: def.prim, ts: { module: owner, name: tsName, hasInput: false } };
      }
      case 'alias': {
        let def = aliases.get(key);
        if (!def) {
          if (building.has(key)) throw new InputError(`${ownerPath}: alias "${name}" refers to itself`);
          building.add(key);
          const raw = entry.raw as { name: string; type: string; length?: number };
          const inner = fieldShape(
            owner,
            { type: raw.type, name, ...(raw.length ? { length: raw.length } : {}) },
            [],
            `${ownerPath}: alias "${name}"`,
          );
          building.delete(key);
          const hasInput =
            inner.k === 'struct' || inner.k === 'union' || (inner.k === 'array' && hasInputShape(inner.elem));
          const ts: TsRef = { module: owner, name: tsName, hasInput };
          const shape: Shape =
            inner.k === 'prim' ||
            inner.k === 'bytes' ||
            inner.k === 'struct' ||
            inner.k === 'union' ||
            inner.k === 'array'
              ? { ...inner, ts }
              : inner;
          def = { name, module: owner, tsName, shape, target: inner };
          aliases.set(key, def);
        }
        return def.shape;
      }
      case 'struct': {
        let def = structs.get(key);
        if (!def) {
          if (building.has(key)) throw new InputError(`${ownerPath}: type "${name}" contains itself`);
          building.add(key);
          def = buildStruct(owner, entry.raw as RawStruct, `${ownerPath}: types entry "${name}"`);
          building.delete(key);
          structs.set(key, def);
        }
        return { k: 'struct', def, ts: { module: owner, name: tsName, hasInput: true } };
      }
      case 'union': {
        let def = unions.get(key);
        if (!def) {
          if (building.has(key)) throw new InputError(`${ownerPath}: union "${name}" contains itself`);
          building.add(key);
          const raw = entry.raw as RawStruct;
          const where = `${ownerPath}: unions entry "${name}"`;
          const arms = raw.fields.map((f) => ({ name: f.name, shape: fieldShape(owner, f, [], where) }));
          for (const a of arms) {
            if (isVariable(a.shape)) throw new InputError(`${where}: arm ${a.name} has a variable size`);
          }
          def = {
            name,
            module: owner,
            tsName,
            arms,
            size: Math.max(0, ...arms.map((a) => shapeSize(a.shape))),
          };
          building.delete(key);
          unions.set(key, def);
        }
        return { k: 'union', def, ts: { module: owner, name: tsName, hasInput: true } };
      }
    }
  };

  const hasInputShape = (s: Shape): boolean =>
    s.k === 'struct' ||
    s.k === 'union' ||
    (s.k === 'array' && hasInputShape(s.elem)) ||
    (s.k === 'varray' && hasInputShape(s.elem));

  // fieldShape resolves one field's wire shape; `previous` are the fields before it (for count fields).
  const fieldShape = (mod: string, f: RawField, previous: readonly RawField[], where: string): Shape => {
    const at = `${where}, field ${f.name}`;
    if (f.lengthField !== undefined) {
      const countField = previous.find((p) => p.name === f.lengthField);
      if (!countField) throw new InputError(`${at}: count field ${f.lengthField} does not precede it`);
      const ct = countField.type;
      const countPrim = PRIMS.has(ct) ? ct : undefined;
      const resolvedCount = countPrim
        ? undefined
        : typeName(ct)
          ? resolveNamed(mod, typeName(ct) as string, at)
          : undefined;
      if (
        !(countPrim && ct !== 'f64' && ct !== 'bool') &&
        !(resolvedCount?.k === 'prim' && resolvedCount.prim !== 'f64' && resolvedCount.prim !== 'bool')
      ) {
        throw new InputError(`${at}: count field ${f.lengthField} is not an integer`);
      }
    }
    if (f.type === 'string') {
      if (f.length === undefined) throw new InputError(`${at}: string without a length`);
      return f.length === 0 ? { k: 'vstring' } : { k: 'cstring', length: f.length };
    }
    let elem: Shape;
    if (PRIMS.has(f.type)) {
      elem = { k: 'prim', prim: f.type as Prim };
    } else {
      const n = typeName(f.type);
      if (n === undefined) throw new InputError(`${at}: unknown type ${f.type}`);
      elem = resolveNamed(mod, n, at);
    }
    if (f.length === undefined) return elem;
    const isU8 = elem.k === 'prim' && elem.prim === 'u8' && elem.ts === undefined;
    if (f.length === 0) {
      // A zero-size element would let a hostile count spin a decoder without consuming bytes.
      if (shapeSize(elem) === 0) throw new InputError(`${at}: variable array of a zero-size type`);
      const countField = f.lengthField ?? null;
      return isU8 ? { k: 'vbytes', countField } : { k: 'varray', elem, countField };
    }
    if (isVariable(elem)) throw new InputError(`${at}: fixed array of a variable-size type`);
    return isU8 ? { k: 'bytes', length: f.length } : { k: 'array', elem, length: f.length };
  };

  const defaultLiteral = (f: RawField, shape: Shape, at: string): string | undefined => {
    const d = f.default;
    if (d === undefined) return undefined;
    if (shape.k !== 'prim') throw new InputError(`${at}: a default on a non-scalar field`);
    if (shape.prim === 'bool')
      return String(d === true || d === 'true' || (typeof d === 'number' && d !== 0));
    const n = typeof d === 'number' ? d : typeof d === 'boolean' ? Number(d) : Number(d);
    if (!Number.isFinite(n)) throw new InputError(`${at}: default ${JSON.stringify(d)} is not a number`);
    if (shape.prim === 'u64' || shape.prim === 'i64') return `${BigInt(Math.trunc(n))}n`;
    return String(n);
  };

  const buildFields = (mod: string, raw: readonly RawField[], where: string): Field[] => {
    const fields: Field[] = [];
    const seen = new Set<string>();
    raw.forEach((f, i) => {
      if (seen.has(f.name)) throw new InputError(`${where}: field ${f.name} appears twice`);
      seen.add(f.name);
      const shape = fieldShape(mod, f, raw.slice(0, i), where);
      const lit = defaultLiteral(f, shape, `${where}, field ${f.name}`);
      fields.push({ name: f.name, shape, ...(lit !== undefined ? { defaultLiteral: lit } : {}) });
    });
    // Mark count fields; a count field may count only one array.
    return fields.map((f) => {
      const user = fields.find(
        (g) => (g.shape.k === 'vbytes' || g.shape.k === 'varray') && g.shape.countField === f.name,
      );
      return user ? { ...f, countFor: user.name } : f;
    });
  };

  function buildStruct(mod: string, raw: RawStruct, where: string): StructDef {
    const fields = buildFields(mod, raw.fields, where);
    return {
      name: raw.name,
      module: mod,
      tsName: pascal(raw.name),
      fields,
      size: fields.reduce((s, f) => s + shapeSize(f.shape), 0),
      variable: fields.some((f) => isVariable(f.shape)),
      ...(raw.comment !== undefined ? { comment: raw.comment } : {}),
    };
  }

  const kindOf = (m: RawMessage): MessageKind => {
    const [a, b] = [m.fields[1], m.fields[2]];
    const is = (f: RawField | undefined, n: string) =>
      f?.name === n && f.type === 'u32' && f.length === undefined;
    if (is(a, 'client_index') && is(b, 'context')) return 'request';
    if (is(a, 'context')) return 'reply';
    if (is(a, 'client_index')) return 'event';
    return 'other';
  };

  const modules: ModuleModel[] = [];
  for (const fi of [...index.values()].sort((a, b) => (a.file.module < b.file.module ? -1 : 1))) {
    const f = fi.file;
    const mod = f.module;
    // Resolve every definition the file writes, so owned ones exist even when no message uses them.
    for (const name of fi.defs.keys()) resolveNamed(mod, name, `${f.path}: "${name}"`);
    const names = new Set(f.messages.map((m) => m.name));
    const svc = new Map(f.services.map((s) => [s.request, s]));
    for (const s of f.services) {
      for (const n of [s.request, s.reply, s.streamMsg, ...s.events]) {
        if (n !== undefined && !names.has(n)) {
          throw new InputError(
            `${f.path}: services entry "${s.request}": no message named ${n} in this file`,
          );
        }
      }
    }
    const messages: MessageModel[] = f.messages.map((m, i) => {
      const where = `${f.path}: messages entry "${m.name}" (#${i})`;
      const fields = buildFields(mod, m.fields, where).slice(1);
      const s = svc.get(m.name);
      return {
        name: m.name,
        tsName: pascal(m.name),
        module: mod,
        crc: m.crc,
        kind: kindOf(m),
        fields,
        minSize: 2 + fields.reduce((n, x) => n + shapeSize(x.shape), 0),
        fixedSize: !fields.some((x) => isVariable(x.shape)),
        deprecated: m.deprecated,
        ...(m.comment !== undefined ? { comment: m.comment } : {}),
        ...(s?.reply !== undefined ? { reply: s.reply } : {}),
        ...(s?.stream ? { stream: true } : {}),
        ...(s?.streamMsg !== undefined ? { details: s.streamMsg } : {}),
        ...(s && s.events.length > 0 ? { events: s.events } : {}),
      };
    });
    const owned = <T extends { module: string; name: string }>(m: Map<string, T>): T[] =>
      [...m.values()]
        .filter((d) => d.module === mod)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    modules.push({
      module: mod,
      file: f,
      enums: owned(enums),
      aliases: owned(aliases),
      structs: owned(structs),
      unions: owned(unions),
      messages,
      services: f.services,
    });
  }
  // Owned definitions are only complete once every module was walked (a type may first be reached from another).
  const final = modules.map((m) => ({
    ...m,
    enums: [...enums.values()].filter((d) => d.module === m.module).sort(byName),
    aliases: [...aliases.values()].filter((d) => d.module === m.module).sort(byName),
    structs: [...structs.values()].filter((d) => d.module === m.module).sort(byName),
    unions: [...unions.values()].filter((d) => d.module === m.module).sort(byName),
  }));
  for (const m of final) checkNames(m);
  return { vppVersion, modules: final };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const RESERVED = new Set([
  'messages',
  'services',
  'API_FILE',
  'API_VERSION',
  'VL_API_VERSION',
  'MODULE',
  'VPP_VERSION',
]);

// checkNames fails when two definitions of one module would export the same TypeScript name.
function checkNames(m: ModuleModel): void {
  const taken = new Map<string, string>();
  const take = (ts: string, what: string) => {
    const prev = taken.get(ts) ?? (RESERVED.has(ts) ? 'a module constant' : undefined);
    if (prev)
      throw new InputError(`${m.file.path}: ${what} and ${prev} both become the TypeScript name ${ts}`);
    taken.set(ts, what);
  };
  for (const e of m.enums) take(e.tsName, `enum "${e.name}"`);
  for (const a of m.aliases) {
    take(a.tsName, `alias "${a.name}"`);
    if ('ts' in a.shape && a.shape.ts?.hasInput) take(`${a.tsName}Input`, `alias "${a.name}" (input)`);
  }
  for (const s of m.structs) {
    take(s.tsName, `type "${s.name}"`);
    take(`${s.tsName}Input`, `type "${s.name}" (input)`);
  }
  for (const u of m.unions) {
    take(u.tsName, `union "${u.name}"`);
    take(`${u.tsName}Input`, `union "${u.name}" (input)`);
  }
  for (const msg of m.messages) {
    take(msg.tsName, `message "${msg.name}"`);
    take(`${msg.tsName}Input`, `message "${msg.name}" (input)`);
    take(`${msg.tsName}Def`, `message "${msg.name}" (def)`);
  }
}
