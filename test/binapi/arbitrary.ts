// Test helper: fast-check arbitraries of valid encode inputs for any message, derived from the generator's model.
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { readApiDir } from '../../codegen/input.js';
import type { Field, MessageModel, Model, Shape } from '../../codegen/model.js';
import { buildModel } from '../../codegen/model.js';

let cached: Model | undefined;

/** pinnedModel is the generator's model of the pinned codegen/api input (built once per test file). */
export function pinnedModel(): Model {
  if (!cached) {
    const { files, vppVersion } = readApiDir(fileURLToPath(new URL('../../codegen/api/', import.meta.url)));
    cached = buildModel(files, vppVersion);
  }
  return cached;
}

const encoder = new TextEncoder();
const INT: Record<string, [number, number]> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};

function cstring(size: number): fc.Arbitrary<string> {
  return fc
    .string({ unit: 'binary', maxLength: size - 1 })
    .filter((s) => !s.includes('\0') && encoder.encode(s).length <= size - 1);
}

/** shapeArb generates values a decoder returns for `s` (so encode → decode must give them back). */
export function shapeArb(s: Shape): fc.Arbitrary<unknown> {
  switch (s.k) {
    case 'prim': {
      const r = INT[s.prim];
      if (r) return fc.integer({ min: r[0], max: r[1] });
      if (s.prim === 'bool') return fc.boolean();
      if (s.prim === 'u64') return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
      if (s.prim === 'i64') return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
      return fc.double();
    }
    case 'bytes':
      return fc.uint8Array({ minLength: s.length, maxLength: s.length });
    case 'cstring':
      return cstring(s.length);
    case 'vstring':
      return fc.string({ unit: 'binary', maxLength: 40 });
    case 'union':
      return fc.uint8Array({ minLength: s.def.size, maxLength: s.def.size });
    case 'struct':
      return structArb(s.def.fields);
    case 'array':
      return fc.array(shapeArb(s.elem), { minLength: s.length, maxLength: s.length });
    case 'vbytes':
      return fc.uint8Array({ maxLength: 24 });
    case 'varray':
      return fc.array(shapeArb(s.elem), { maxLength: 4 });
  }
}

/** structArb generates a complete struct value whose count fields agree with their arrays. */
export function structArb(fields: readonly Field[]): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) model[f.name] = shapeArb(f.shape);
  return fc.record(model).map((v) => {
    for (const f of fields) {
      if (f.countFor !== undefined) {
        const n = (v[f.countFor] as { length: number }).length;
        v[f.name] =
          f.shape.k === 'prim' && (f.shape.prim === 'u64' || f.shape.prim === 'i64') ? BigInt(n) : n;
      }
    }
    return v;
  });
}

/** messageArb generates complete values of a message (what decode returns). */
export function messageArb(m: MessageModel): fc.Arbitrary<Record<string, unknown>> {
  return structArb(m.fields);
}
