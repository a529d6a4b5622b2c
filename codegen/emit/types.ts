// Emits the TypeScript types: enums (const object + type), aliases, typedef interfaces and their Input variants, unions.
import type { AliasDef, EnumDef, Field, Shape, StructDef, UnionDef } from '../model.js';
import type { ModuleScope } from './scope.js';
import type { Writer } from './writer.js';

const PRIM_TS: Record<string, string> = {
  u8: 'number',
  i8: 'number',
  u16: 'number',
  i16: 'number',
  u32: 'number',
  i32: 'number',
  u64: 'bigint',
  i64: 'bigint',
  f64: 'number',
  bool: 'boolean',
};

/** tsType is the TypeScript type of a shape: the decoded form, or the encode input when `input`. */
export function tsType(s: Shape, input: boolean, scope: ModuleScope): string {
  switch (s.k) {
    case 'prim':
      return s.ts ? scope.ref(s.ts, input) : (PRIM_TS[s.prim] as string);
    case 'bytes':
      return s.ts ? scope.ref(s.ts, input) : 'Uint8Array';
    case 'cstring':
    case 'vstring':
      return 'string';
    case 'struct':
    case 'union':
      return scope.ref(s.ts, input);
    case 'array':
      return s.ts ? scope.ref(s.ts, input) : `${paren(tsType(s.elem, input, scope))}[]`;
    case 'vbytes':
      return 'Uint8Array';
    case 'varray':
      return `${paren(tsType(s.elem, input, scope))}[]`;
  }
}

function paren(t: string): string {
  return /[|&]/.test(t) ? `(${t})` : t;
}

function describe(s: Shape): string {
  switch (s.k) {
    case 'prim':
      return s.prim;
    case 'bytes':
      return `u8[${s.length}]`;
    case 'cstring':
      return `string[${s.length}]`;
    case 'vstring':
      return 'string[] (u32 length prefix)';
    case 'struct':
      return `vl_api_${s.def.name}_t`;
    case 'union':
      return `vl_api_${s.def.name}_t (union, ${s.def.size} bytes)`;
    case 'array':
      return `${describe(s.elem)}[${s.length}]`;
    case 'vbytes':
      return s.countField ? `u8[${s.countField}]` : 'u8[] (to the end)';
    case 'varray':
      return s.countField ? `${describe(s.elem)}[${s.countField}]` : `${describe(s.elem)}[] (to the end)`;
  }
}

/**
 * emitFields writes interface members. Input members with a default, count fields, and (for messages)
 * client_index/context are optional.
 */
export function emitFields(
  w: Writer,
  fields: readonly Field[],
  input: boolean,
  scope: ModuleScope,
  optionalHeader: boolean,
): void {
  for (const f of fields) {
    const isHeader = optionalHeader && (f.name === 'client_index' || f.name === 'context');
    const optional = input && (f.defaultLiteral !== undefined || f.countFor !== undefined || isHeader);
    const notes = [describe(f.shape)];
    if (f.defaultLiteral !== undefined) notes.push(`default ${f.defaultLiteral}`);
    else if (isHeader && input) notes.push('default 0');
    if (f.countFor !== undefined)
      notes.push(`count of ${f.countFor}${input ? '; taken from its length when omitted' : ''}`);
    w.doc(notes.join('; '));
    w.line(`${f.name}${optional ? '?' : ''}: ${tsType(f.shape, input, scope)};`);
  }
}

/** emitEnum writes `export const X = {…} as const` and `export type X` (open to unknown values). */
export function emitEnum(w: Writer, e: EnumDef): void {
  w.doc(`${e.flags ? 'enumflag' : 'enum'} ${e.name} (${e.prim}).`);
  if (e.values.length === 0) {
    w.line(`export const ${e.tsName} = {} as const;`);
  } else {
    w.open(`export const ${e.tsName} = {`);
    for (const [n, v] of e.values) w.line(`${n}: ${v},`);
    w.close('} as const;');
  }
  w.doc(
    `Values of ${e.name}${e.flags ? ' (bits may be OR-ed)' : ''}; any other number decodes too (VPP may be newer).`,
  );
  w.line(`export type ${e.tsName} = (typeof ${e.tsName})[keyof typeof ${e.tsName}] | (number & {});`);
}

/** emitAlias writes `export type X = …` (and `XInput` when the aliased type has one). */
export function emitAlias(w: Writer, a: AliasDef, scope: ModuleScope): void {
  const inner = a.target;
  w.doc(`alias ${a.name}: ${describe(inner)}.`);
  w.line(`export type ${a.tsName} = ${tsType(inner, false, scope)};`);
  if ('ts' in a.shape && a.shape.ts?.hasInput) {
    w.doc(`Encode input of alias ${a.name}.`);
    w.line(`export type ${a.tsName}Input = ${tsType(inner, true, scope)};`);
  }
}

/** emitStruct writes the decoded interface and the Input interface of a typedef. */
export function emitStruct(w: Writer, s: StructDef, scope: ModuleScope): void {
  w.doc(`typedef ${s.name}: ${s.size} bytes${s.variable ? ' plus its variable part' : ''}.`);
  w.open(`export interface ${s.tsName} {`);
  emitFields(w, s.fields, false, scope, false);
  w.close();
  w.doc(`Encode input of typedef ${s.name}.`);
  w.open(`export interface ${s.tsName}Input {`);
  emitFields(w, s.fields, true, scope, false);
  w.close();
}

/** emitUnion writes a union: raw bytes when decoded; raw bytes or an object naming one arm on encode. */
export function emitUnion(w: Writer, u: UnionDef, scope: ModuleScope): void {
  w.doc(
    `union ${u.name}: ${u.size} bytes, decoded as its raw bytes (arms: ${u.arms.map((a) => a.name).join(', ')}).`,
  );
  w.line(`export type ${u.tsName} = Uint8Array;`);
  w.doc(
    `Encode input of union ${u.name}: raw bytes (at most ${u.size}, zero-filled) or an object naming one arm.`,
  );
  const arms = u.arms.map((a) => `{ readonly ${a.name}: ${tsType(a.shape, true, scope)} }`);
  w.line(`export type ${u.tsName}Input = Uint8Array${arms.map((a) => ` | ${a}`).join('')};`);
}
