// Emits the straight-line encode/decode functions of a message: constant offsets, inline byte ops, explicit checks.
import type { Field, Prim, Shape } from '../model.js';
import { isVariable, PRIM_SIZE, shapeSize } from '../model.js';
import type { ModuleScope } from './scope.js';
import { tsType } from './types.js';
import type { Writer } from './writer.js';

/** A position: a runtime base expression (or none) plus a constant offset. */
interface Pos {
  readonly base: string | null;
  readonly off: number;
}

function at(p: Pos, add = 0): string {
  const k = p.off + add;
  if (p.base === null) return String(k);
  return k === 0 ? p.base : `${p.base} + ${k}`;
}

function adv(p: Pos, n: number): Pos {
  return { base: p.base, off: p.off + n };
}

/** The base expression of element `i` of an array starting at `p` with elements of `size` bytes. */
function elemBase(p: Pos, i: string, size: number): string {
  const scaled = size === 1 ? i : `${i} * ${size}`;
  if (p.base === null) return p.off === 0 ? scaled : `${p.off} + ${scaled}`;
  return `${at(p)} + ${scaled}`;
}

const INT_CHECK: Partial<Record<Prim, (x: string) => string>> = {
  u8: (x) => `(${x} & 0xff) !== ${x}`,
  i8: (x) => `(${x} << 24 >> 24) !== ${x}`,
  u16: (x) => `(${x} & 0xffff) !== ${x}`,
  i16: (x) => `(${x} << 16 >> 16) !== ${x}`,
  u32: (x) => `(${x} >>> 0) !== ${x}`,
  i32: (x) => `(${x} | 0) !== ${x}`,
  bool: (x) => `typeof ${x} !== 'boolean'`,
  f64: (x) => `typeof ${x} !== 'number'`,
};

const COUNT_MAX: Partial<Record<Prim, number>> = {
  u8: 0xff,
  i8: 0x7f,
  u16: 0xffff,
  i16: 0x7fff,
  u32: 0xffffffff,
  i32: 0x7fffffff,
};

/** Template-literal text of a field path (its `${…}` parts name loop variables). */
function tpl(path: string): string {
  return `\`${path}\``;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

/** CodecEmitter writes one message's encode and decode functions. */
export class CodecEmitter {
  private counter = 0;
  private readonly m: string;

  constructor(
    private readonly w: Writer,
    private readonly scope: ModuleScope,
    /** VPP message name, used in every error. */
    readonly messageName: string,
  ) {
    this.m = `'${messageName}'`;
  }

  private fresh(prefix: string): string {
    this.counter++;
    return `${prefix}${this.counter}`;
  }

  private rt(name: string): string {
    return this.scope.rt(name);
  }

  // ---------------------------------------------------------------- encode

  /** writePrim writes the (already range-checked) value `x` of type `prim` at `p`. */
  private writePrim(prim: Prim, x: string, p: Pos): void {
    const w = this.w;
    switch (prim) {
      case 'u8':
      case 'i8':
        w.line(`b[${at(p)}] = ${x};`);
        return;
      case 'bool':
        w.line(`b[${at(p)}] = ${x} ? 1 : 0;`);
        return;
      case 'u16':
      case 'i16':
        w.line(`b[${at(p)}] = ${x} >>> 8; b[${at(p, 1)}] = ${x};`);
        return;
      case 'u32':
      case 'i32':
        w.line(
          `b[${at(p)}] = ${x} >>> 24; b[${at(p, 1)}] = ${x} >>> 16; b[${at(p, 2)}] = ${x} >>> 8; b[${at(p, 3)}] = ${x};`,
        );
        return;
      case 'u64':
      case 'i64':
        w.line(`${this.rt('putU64')}(b, ${at(p)}, ${x});`);
        return;
      case 'f64':
        w.line(`${this.rt('putF64')}(b, ${at(p)}, ${x});`);
        return;
    }
  }

  private checkPrim(prim: Prim, x: string, path: string): void {
    const bad =
      prim === 'u64'
        ? `!${this.rt('isU64')}(${x})`
        : prim === 'i64'
          ? `!${this.rt('isI64')}(${x})`
          : (INT_CHECK[prim] as (x: string) => string)(x);
    this.w.line(`if (${bad}) throw ${this.rt('badValue')}(${this.m}, ${tpl(path)}, '${prim}', ${x});`);
  }

  /** encodeValue encodes a fixed-size shape holding the value of `expr` at `p`. */
  private encodeValue(s: Shape, expr: string, p: Pos, path: string): void {
    const w = this.w;
    const x = this.fresh('x');
    w.line(`const ${x} = ${expr};`);
    switch (s.k) {
      case 'prim':
        this.checkPrim(s.prim, x, path);
        this.writePrim(s.prim, x, p);
        return;
      case 'bytes':
        w.line(
          `if (!(${x} instanceof Uint8Array) || ${x}.length !== ${s.length}) throw ${this.rt('badLength')}(${this.m}, ${tpl(path)}, ${s.length}, ${x});`,
        );
        w.line(`b.set(${x}, ${at(p)});`);
        return;
      case 'cstring':
        w.line(
          `if (typeof ${x} !== 'string') throw ${this.rt('badValue')}(${this.m}, ${tpl(path)}, 'string', ${x});`,
        );
        w.line(
          `if (!${this.rt('putCString')}(b, ${at(p)}, ${s.length}, ${x})) throw ${this.rt('tooLong')}(${this.m}, ${tpl(path)}, ${s.length}, ${x});`,
        );
        return;
      case 'struct':
        this.encodeFields(s.def.fields, x, p, path, false);
        return;
      case 'union': {
        w.open(`if (${x} instanceof Uint8Array) {`);
        w.line(
          `if (${x}.length > ${s.def.size}) throw ${this.rt('badLength')}(${this.m}, ${tpl(path)}, ${s.def.size}, ${x});`,
        );
        w.line(`b.set(${x}, ${at(p)});`);
        for (const arm of s.def.arms) {
          w.mid(`} else if ('${arm.name}' in ${x}) {`);
          this.encodeValue(arm.shape, `${x}.${arm.name}`, p, join(path, arm.name));
        }
        w.mid('} else {');
        const names = s.def.arms.map((a) => `'${a.name}'`).join(', ');
        w.line(`throw ${this.rt('noArm')}(${this.m}, ${tpl(path)}, [${names}]);`);
        w.close();
        return;
      }
      case 'array': {
        const size = shapeSize(s.elem);
        w.line(
          `if (!Array.isArray(${x}) || ${x}.length !== ${s.length}) throw ${this.rt('badLength')}(${this.m}, ${tpl(path)}, ${s.length}, ${x});`,
        );
        const i = this.fresh('i');
        w.open(`for (let ${i} = 0; ${i} < ${s.length}; ${i}++) {`);
        this.encodeValue(s.elem, `${x}[${i}]!`, { base: elemBase(p, i, size), off: 0 }, `${path}[\${${i}}]`);
        w.close();
        return;
      }
      default:
        throw new Error(`encodeValue: variable shape ${s.k} at ${path}`);
    }
  }

  /** o := p, so that a variable part can advance it. */
  private settle(p: Pos): Pos {
    if (p.base === 'o') {
      if (p.off !== 0) this.w.line(`o += ${p.off};`);
    } else {
      this.w.line(`o = ${at(p)};`);
    }
    return { base: 'o', off: 0 };
  }

  /**
   * encodeFields encodes the fields of struct value `obj` from `p` and returns where it ended. Count fields
   * are written from their array's length (an explicit count must agree).
   */
  encodeFields(fields: readonly Field[], obj: string, p: Pos, prefix: string, isMessage: boolean): Pos {
    const w = this.w;
    const arrays = new Map<string, string>();
    for (const f of fields) {
      if ((f.shape.k === 'vbytes' || f.shape.k === 'varray') && f.shape.countField !== null) {
        const a = this.fresh('a');
        const path = join(prefix, f.name);
        w.line(`const ${a} = ${obj}.${f.name};`);
        const test = f.shape.k === 'vbytes' ? `!(${a} instanceof Uint8Array)` : `!Array.isArray(${a})`;
        w.line(`if (${test}) throw ${this.rt('notArray')}(${this.m}, ${tpl(path)}, ${a});`);
        arrays.set(f.shape.countField, a);
      }
    }
    let pos = p;
    for (const f of fields) {
      const path = join(prefix, f.name);
      const s = f.shape;
      const arr = arrays.get(f.name);
      if (arr !== undefined && s.k === 'prim') {
        const c = this.fresh('c');
        const given = `${obj}.${f.name}`;
        w.line(`const ${c} = ${arr}.length;`);
        const wide = s.prim === 'u64' || s.prim === 'i64';
        w.line(
          `if (${given} !== undefined && ${given} !== ${wide ? `BigInt(${c})` : c}) throw ${this.rt('countMismatch')}(${this.m}, ${tpl(path)}, ${given}, ${c});`,
        );
        const max = COUNT_MAX[s.prim] ?? Number.MAX_SAFE_INTEGER;
        w.line(
          `if (${c} > ${max}) throw ${this.rt('countOverflow')}(${this.m}, ${tpl(join(prefix, f.countFor ?? f.name))}, '${s.prim}', ${c});`,
        );
        if (wide) this.writePrim(s.prim, `BigInt(${c})`, pos);
        else this.writePrim(s.prim, c, pos);
        pos = adv(pos, PRIM_SIZE[s.prim]);
        continue;
      }
      const isHeader = isMessage && (f.name === 'client_index' || f.name === 'context');
      const dflt = f.defaultLiteral ?? (isHeader ? '0' : undefined);
      const expr = `${obj}.${f.name}${dflt !== undefined ? ` ?? ${dflt}` : ''}`;
      if (!isVariable(s)) {
        this.encodeValue(s, expr, pos, path);
        pos = adv(pos, shapeSize(s));
        continue;
      }
      pos = this.encodeVariable(s, expr, pos, path, f.name, arrays);
    }
    return pos;
  }

  private encodeVariable(
    s: Shape,
    expr: string,
    p: Pos,
    path: string,
    name: string,
    arrays: Map<string, string>,
  ): Pos {
    const w = this.w;
    switch (s.k) {
      case 'vbytes': {
        let a = s.countField !== null ? arrays.get(s.countField) : undefined;
        if (a === undefined) {
          a = this.fresh('a');
          w.line(`const ${a} = ${expr};`);
          w.line(
            `if (!(${a} instanceof Uint8Array)) throw ${this.rt('notArray')}(${this.m}, ${tpl(path)}, ${a});`,
          );
        }
        const o = this.settle(p);
        w.line(`b.set(${a}, o); o += ${a}.length;`);
        return o;
      }
      case 'varray': {
        let a = s.countField !== null ? arrays.get(s.countField) : undefined;
        if (a === undefined) {
          a = this.fresh('a');
          w.line(`const ${a} = ${expr};`);
          w.line(`if (!Array.isArray(${a})) throw ${this.rt('notArray')}(${this.m}, ${tpl(path)}, ${a});`);
        }
        const o = this.settle(p);
        this.encodeElements(s.elem, a, `${a}.length`, o, path);
        return { base: 'o', off: 0 };
      }
      case 'vstring': {
        const x = this.fresh('x');
        w.line(`const ${x} = ${expr};`);
        w.line(
          `if (typeof ${x} !== 'string') throw ${this.rt('badValue')}(${this.m}, ${tpl(path)}, 'string', ${x});`,
        );
        const o = this.settle(p);
        const n = this.fresh('n');
        w.line(`const ${n} = ${this.rt('putString')}(b, o + 4, ${x});`);
        this.writePrim('u32', n, o);
        w.line(`o += 4 + ${n};`);
        return { base: 'o', off: 0 };
      }
      case 'struct': {
        const x = this.fresh('x');
        w.line(`const ${x} = ${expr};`);
        return this.encodeFields(s.def.fields, x, p, path, false);
      }
      case 'array': {
        const x = this.fresh('x');
        w.line(`const ${x} = ${expr};`);
        w.line(
          `if (!Array.isArray(${x}) || ${x}.length !== ${s.length}) throw ${this.rt('badLength')}(${this.m}, ${tpl(path)}, ${s.length}, ${x});`,
        );
        const o = this.settle(p);
        this.encodeElements(s.elem, x, String(s.length), o, path);
        return { base: 'o', off: 0 };
      }
      default:
        throw new Error(`encodeVariable: ${s.k} at ${name}`);
    }
  }

  /** encodeElements encodes `count` elements of array `a` starting at `o` and leaves `o` after them. */
  private encodeElements(elem: Shape, a: string, count: string, o: Pos, path: string): void {
    const w = this.w;
    const i = this.fresh('i');
    w.open(`for (let ${i} = 0; ${i} < ${count}; ${i}++) {`);
    const ePath = `${path}[\${${i}}]`;
    if (!isVariable(elem)) {
      const size = shapeSize(elem);
      this.encodeValue(elem, `${a}[${i}]!`, { base: elemBase(o, i, size), off: 0 }, ePath);
      w.close();
      w.line(`o += ${count === '1' ? '' : `${count} * `}${size};`);
      return;
    }
    const end = this.encodeVariable(elem, `${a}[${i}]!`, o, ePath, path, new Map());
    this.settle(end);
    w.close();
  }

  /** sizeOf adds the variable part of struct value `obj` to the local `size`. */
  sizeOf(fields: readonly Field[], obj: string): void {
    for (const f of fields) {
      if (isVariable(f.shape)) this.sizeOfShape(f.shape, `${obj}.${f.name}`);
    }
  }

  private sizeOfShape(s: Shape, v: string): void {
    const w = this.w;
    switch (s.k) {
      // A missing or mistyped value counts as empty here; the encoder then rejects it naming the field.
      case 'vbytes':
        w.line(`size += ${v}?.length ?? 0;`);
        return;
      case 'vstring':
        w.line(`size += typeof ${v} === 'string' ? ${this.rt('utf8Length')}(${v}) : 0;`);
        return;
      case 'struct':
        this.sizeOf(s.def.fields, v);
        return;
      case 'varray':
      case 'array': {
        if (!isVariable(s.elem)) {
          w.line(`size += (${v}?.length ?? 0) * ${shapeSize(s.elem)};`);
          return;
        }
        const e = this.fresh('e');
        w.open(`for (const ${e} of Array.isArray(${v}) ? ${v} : []) {`);
        if (s.k === 'varray') w.line(`size += ${shapeSize(s.elem)};`);
        this.sizeOfShape(s.elem, e);
        w.close();
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- decode

  private readPrim(prim: Prim, p: Pos): string {
    const b = (k: number) => `p[${at(p, k)}]!`;
    switch (prim) {
      case 'u8':
        return b(0);
      case 'i8':
        return `(${b(0)} << 24 >> 24)`;
      case 'bool':
        return `p[${at(p)}] !== 0`;
      case 'u16':
        return `(${b(0)} << 8 | ${b(1)})`;
      case 'i16':
        return `(${b(0)} << 24 >> 16 | ${b(1)})`;
      case 'u32':
        return `(${b(0)} << 24 | ${b(1)} << 16 | ${b(2)} << 8 | ${b(3)}) >>> 0`;
      case 'i32':
        return `(${b(0)} << 24 | ${b(1)} << 16 | ${b(2)} << 8 | ${b(3)})`;
      case 'u64':
        return `${this.rt('getU64')}(p, ${at(p)})`;
      case 'i64':
        return `${this.rt('getI64')}(p, ${at(p)})`;
      case 'f64':
        return `${this.rt('getF64')}(p, ${at(p)})`;
    }
  }

  /** decodeValue returns an expression for a fixed-size shape at `p` (bounds already checked). */
  private decodeValue(s: Shape, p: Pos, path: string): string {
    switch (s.k) {
      case 'prim':
        return this.readPrim(s.prim, p);
      case 'bytes':
        return `${this.rt('copyBytes')}(p, ${at(p)}, ${at(p, s.length)})`;
      case 'cstring':
        return `${this.rt('getCString')}(p, ${at(p)}, ${s.length})`;
      case 'union':
        return `${this.rt('copyBytes')}(p, ${at(p)}, ${at(p, s.def.size)})`;
      case 'struct': {
        const r = this.decodeFields(s.def.fields, p, path, false);
        return r.expr;
      }
      case 'array': {
        const a = this.fresh('a');
        const size = shapeSize(s.elem);
        this.w.line(`const ${a}: ${tsType(s.elem, false, this.scope).replace(/^(.*\|.*)$/, '($1)')}[] = [];`);
        const i = this.fresh('i');
        this.w.open(`for (let ${i} = 0; ${i} < ${s.length}; ${i}++) {`);
        const e = this.decodeValue(s.elem, { base: elemBase(p, i, size), off: 0 }, `${path}[\${${i}}]`);
        this.w.line(`${a}.push(${e});`);
        this.w.close();
        return a;
      }
      default:
        throw new Error(`decodeValue: variable shape ${s.k} at ${path}`);
    }
  }

  /** Size of fields[from..] up to and including the first variable one (its minimum). */
  private prefixSize(fields: readonly Field[], from: number): number {
    let n = 0;
    for (let i = from; i < fields.length; i++) {
      const f = fields[i] as Field;
      n += shapeSize(f.shape);
      if (isVariable(f.shape)) break;
    }
    return n;
  }

  private checkRoom(size: number, path: string): void {
    if (size > 0) {
      this.w.line(`if (o + ${size} > n) throw ${this.rt('short')}(${this.m}, ${tpl(path)}, o, ${size}, n);`);
    }
  }

  /**
   * decodeFields decodes a struct's fields from `p`. When `check`, `p` is a runtime position whose fixed
   * prefix has not been bounds-checked yet. Returns the object expression and where the struct ended.
   */
  decodeFields(fields: readonly Field[], p: Pos, prefix: string, check: boolean): { expr: string; end: Pos } {
    const w = this.w;
    let pos = p;
    if (check && fields.length > 0) {
      pos = this.settle(p);
      this.checkRoom(this.prefixSize(fields, 0), join(prefix, (fields[0] as Field).name));
    }
    const counts = new Map<string, string>();
    const entries: string[] = [];
    fields.forEach((f, idx) => {
      const path = join(prefix, f.name);
      const s = f.shape;
      if (!isVariable(s)) {
        let e = this.decodeValue(s, pos, path);
        if (f.countFor !== undefined || pos.base === 'o') {
          const d = this.fresh('d');
          w.line(`const ${d} = ${e};`);
          if (f.countFor !== undefined) counts.set(f.name, d);
          e = d;
        }
        entries.push(`${f.name}: ${e}`);
        pos = adv(pos, shapeSize(s));
        return;
      }
      pos = this.settle(pos);
      const d = this.decodeVariable(s, path, counts);
      entries.push(`${f.name}: ${d}`);
      if (idx + 1 < fields.length) {
        this.checkRoom(this.prefixSize(fields, idx + 1), join(prefix, (fields[idx + 1] as Field).name));
      }
    });
    return { expr: entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`, end: pos };
  }

  /** decodeVariable decodes a variable shape at `o` into a local, advances `o`, and returns the local. */
  private decodeVariable(s: Shape, path: string, counts: Map<string, string>): string {
    const w = this.w;
    const d = this.fresh('d');
    switch (s.k) {
      case 'vbytes': {
        const c = s.countField !== null ? (counts.get(s.countField) as string) : 'n - o';
        this.w.line(`if (o + ${c} > n) throw ${this.rt('short')}(${this.m}, ${tpl(path)}, o, ${c}, n);`);
        w.line(`const ${d} = ${this.rt('copyBytes')}(p, o, o + ${c}); o += ${d}.length;`);
        return d;
      }
      case 'vstring': {
        this.checkRoom(4, path);
        const l = this.fresh('l');
        w.line(`const ${l} = ${this.readPrim('u32', { base: 'o', off: 0 })};`);
        w.line(`if (o + 4 + ${l} > n) throw ${this.rt('short')}(${this.m}, ${tpl(path)}, o + 4, ${l}, n);`);
        w.line(`const ${d} = ${this.rt('getString')}(p, o + 4, ${l}); o += 4 + ${l};`);
        return d;
      }
      case 'struct': {
        const r = this.decodeFields(s.def.fields, { base: 'o', off: 0 }, path, false);
        w.line(`const ${d} = ${r.expr};`);
        this.settle(r.end);
        return d;
      }
      case 'varray':
      case 'array': {
        const elemType = tsType(s.elem, false, this.scope);
        w.line(`const ${d}: ${/[|&]/.test(elemType) ? `(${elemType})` : elemType}[] = [];`);
        const i = this.fresh('i');
        const ePath = `${path}[\${${i}}]`;
        let c: string;
        if (s.k === 'array') c = String(s.length);
        else if (s.countField !== null) c = counts.get(s.countField) as string;
        else c = '';
        if (!isVariable(s.elem)) {
          const size = shapeSize(s.elem);
          if (c === '') {
            c = this.fresh('c');
            w.line(
              `if ((n - o) % ${size} !== 0) throw ${this.rt('ragged')}(${this.m}, ${tpl(path)}, o, ${size}, n);`,
            );
            w.line(`const ${c} = (n - o) / ${size};`);
          }
          w.line(
            `if (o + ${c} * ${size} > n) throw ${this.rt('short')}(${this.m}, ${tpl(path)}, o, ${c} * ${size}, n);`,
          );
          w.open(`for (let ${i} = 0; ${i} < ${c}; ${i}++) {`);
          const e = this.decodeValue(
            s.elem,
            { base: elemBase({ base: 'o', off: 0 }, i, size), off: 0 },
            ePath,
          );
          w.line(`${d}.push(${e});`);
          w.close();
          w.line(`o += ${c} * ${size};`);
          return d;
        }
        w.open(
          c === '' ? `for (let ${i} = 0; o < n; ${i}++) {` : `for (let ${i} = 0; ${i} < ${c}; ${i}++) {`,
        );
        const e = this.decodeElement(s.elem, ePath);
        w.line(`${d}.push(${e});`);
        w.close();
        return d;
      }
      default:
        throw new Error(`decodeVariable: ${s.k} at ${path}`);
    }
  }

  /** decodeElement decodes one variable-size element at `o` (checking its own bounds) and advances `o`. */
  private decodeElement(s: Shape, path: string): string {
    if (s.k === 'struct') {
      const r = this.decodeFields(s.def.fields, { base: 'o', off: 0 }, path, true);
      const d = this.fresh('d');
      this.w.line(`const ${d} = ${r.expr};`);
      this.settle(r.end);
      return d;
    }
    return this.decodeVariable(s, path, new Map());
  }
}
