// Byte helpers the generated encoders/decoders call for the few wire types not written inline (64-bit, f64, strings).

const scratch = new DataView(new ArrayBuffer(8));
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * copyBytes returns a fresh Uint8Array holding p[from, to). Not `p.slice`: on a Node Buffer that returns a
 * view, which would alias (and keep alive) the socket chunk a payload came from.
 */
export function copyBytes(p: Uint8Array, from: number, to: number): Uint8Array {
  const n = to - from;
  const out = new Uint8Array(n);
  if (n <= 32) {
    for (let i = 0; i < n; i++) out[i] = p[from + i] as number;
  } else {
    out.set(p.subarray(from, to));
  }
  return out;
}

/** putU64 writes a u64 or i64 (as its two's complement) big-endian. */
export function putU64(b: Uint8Array, o: number, v: bigint): void {
  const hi = Number((v >> 32n) & 0xffffffffn);
  const lo = Number(v & 0xffffffffn);
  b[o] = hi >>> 24;
  b[o + 1] = hi >>> 16;
  b[o + 2] = hi >>> 8;
  b[o + 3] = hi;
  b[o + 4] = lo >>> 24;
  b[o + 5] = lo >>> 16;
  b[o + 6] = lo >>> 8;
  b[o + 7] = lo;
}

function u32At(b: Uint8Array, o: number): number {
  return (
    (((b[o] as number) << 24) |
      ((b[o + 1] as number) << 16) |
      ((b[o + 2] as number) << 8) |
      (b[o + 3] as number)) >>>
    0
  );
}

/** getU64 reads a big-endian u64 (the caller has checked bounds). */
export function getU64(b: Uint8Array, o: number): bigint {
  return (BigInt(u32At(b, o)) << 32n) | BigInt(u32At(b, o + 4));
}

/** getI64 reads a big-endian i64 (the caller has checked bounds). */
export function getI64(b: Uint8Array, o: number): bigint {
  return BigInt.asIntN(64, getU64(b, o));
}

/** putF64 writes an f64 little-endian: VPP does not byte-swap f64 (vppapigen's f64 conversion is the identity). */
export function putF64(b: Uint8Array, o: number, v: number): void {
  scratch.setFloat64(0, v, true);
  for (let i = 0; i < 8; i++) b[o + i] = scratch.getUint8(i);
}

/** getF64 reads a little-endian f64 (the caller has checked bounds). */
export function getF64(b: Uint8Array, o: number): number {
  for (let i = 0; i < 8; i++) scratch.setUint8(i, b[o + i] as number);
  return scratch.getFloat64(0, true);
}

/** utf8Length is the UTF-8 byte length of `s` (lone surrogates count as U+FFFD, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * putCString writes `s` into `string x[size]`: UTF-8, NUL-terminated and NUL-padded (the buffer is fresh, so
 * already zero). Returns false when it needs more than size-1 bytes; nothing past the field is touched.
 */
export function putCString(b: Uint8Array, o: number, size: number, s: string): boolean {
  const n = s.length;
  if (n < size) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      b[o + i] = c;
    }
    if (ascii) return true;
  }
  if (utf8Length(s) > size - 1) return false;
  encoder.encodeInto(s, b.subarray(o, o + size - 1));
  return true;
}

/** putString writes the bytes of `string x[]` (the caller wrote the u32 length) and returns how many it wrote. */
export function putString(b: Uint8Array, o: number, s: string): number {
  return encoder.encodeInto(s, b.subarray(o)).written;
}

/** getString decodes `len` bytes of UTF-8 (invalid sequences become U+FFFD). */
export function getString(b: Uint8Array, o: number, len: number): string {
  // Short ASCII strings are cheaper to build in JS than to cross into the native decoder (measured on Node 20).
  if (len <= 16) {
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = b[o + i] as number;
      if (c >= 0x80) return decoder.decode(b.subarray(o, o + len));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(b.subarray(o, o + len));
}

/** getCString decodes `string x[size]`: the bytes up to the first NUL, or all `size` bytes if there is none. */
export function getCString(b: Uint8Array, o: number, size: number): string {
  let end = o;
  const max = o + size;
  while (end < max && b[end] !== 0) end++;
  return getString(b, o, end - o);
}

/** isU64 is true for a bigint that fits a u64. */
export function isU64(v: unknown): v is bigint {
  return typeof v === 'bigint' && BigInt.asUintN(64, v) === v;
}

/** isI64 is true for a bigint that fits an i64. */
export function isI64(v: unknown): v is bigint {
  return typeof v === 'bigint' && BigInt.asIntN(64, v) === v;
}
