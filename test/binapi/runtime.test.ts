// The hand-written runtime: byte reader/writer bounds and ranges, UTF-8 and 64-bit helpers the generated code calls.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  DecodeError,
  EncodeError,
  getCString,
  getF64,
  getI64,
  getString,
  getU64,
  putCString,
  putF64,
  putU64,
  readMsgId,
  utf8Length,
} from 'vpp-binapi-ts/runtime';

describe('ByteReader', () => {
  it('reads big-endian fields and refuses to read past the end with a DecodeError', () => {
    const r = new ByteReader(new Uint8Array([0, 0x10, 0, 0, 0, 0x33, 1, 2]), 'header');
    expect(r.u16('id')).toBe(16);
    expect(r.u32('len')).toBe(0x33);
    expect(r.remaining).toBe(2);
    let err: unknown;
    try {
      r.u32('tail');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({ messageName: 'header', field: 'tail', offset: 6, needed: 4, available: 2 });
    expect(r.take(2, 'rest')).toEqual(new Uint8Array([1, 2]));
  });

  it('reads the message id of a payload', () => {
    expect(readMsgId(new Uint8Array([0x03, 0x4d, 0]))).toBe(845);
    expect(() => readMsgId(new Uint8Array([1]))).toThrow(DecodeError);
  });
});

describe('ByteWriter', () => {
  it('writes big-endian fields and refuses values out of range or past its size', () => {
    const w = new ByteWriter(16, 'header');
    w.u32(0).u32(0).u32(0x33).u32(0);
    expect(Buffer.from(w.bytes).toString('hex')).toBe(`${'00'.repeat(8)}00000033${'00'.repeat(4)}`);
    expect(() => w.u8(1)).toThrow(EncodeError);
    expect(() => new ByteWriter(1).u8(256, 'x')).toThrow(/cannot encode field x: u8 out of range: 256/);
    expect(() => new ByteWriter(8).u64(-1n)).toThrow(EncodeError);
  });
});

describe('codec helpers', () => {
  it('utf8Length agrees with TextEncoder for well-formed strings', () => {
    const enc = new TextEncoder();
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === enc.encode(s).length));
  });

  it('putCString/getCString round-trip strings up to size-1 UTF-8 bytes and refuse longer ones', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.integer({ min: 1, max: 24 }),
        (s, size) => {
          const clean = s.replaceAll('\0', '');
          const b = new Uint8Array(size + 2);
          const fits = utf8Length(clean) <= size - 1;
          expect(putCString(b, 1, size, clean)).toBe(fits);
          expect(b[0]).toBe(0);
          expect(b[size + 1]).toBe(0);
          if (fits) expect(getCString(b, 1, size)).toBe(clean);
        },
      ),
    );
  });

  it('reads a string[N] that fills its field without a NUL', () => {
    expect(getCString(new TextEncoder().encode('abcd'), 0, 4)).toBe('abcd');
    expect(getString(new Uint8Array([0xff]), 0, 1)).toBe('\ufffd');
  });

  it('round-trips u64, i64 and little-endian f64', () => {
    const b = new Uint8Array(8);
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        putU64(b, 0, v);
        expect(getI64(b, 0)).toBe(v);
        expect(getU64(b, 0)).toBe(BigInt.asUintN(64, v));
      }),
    );
    putF64(b, 0, 1.5);
    expect(Buffer.from(b).toString('hex')).toBe('000000000000f83f');
    fc.assert(
      fc.property(fc.double(), (v) => {
        putF64(b, 0, v);
        expect(Object.is(getF64(b, 0), v)).toBe(true);
      }),
    );
  });
});
