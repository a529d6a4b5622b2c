// Bounds-checked big-endian byte reader and writer for hand-written framing code (the generated codecs inline theirs).
import { DecodeError, EncodeError } from './errors.js';

/**
 * ByteReader reads big-endian fields from a byte array, throwing DecodeError (naming `what` and the field)
 * instead of reading past the end.
 */
export class ByteReader {
  private readonly view: DataView;
  /** Current offset. */
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** What is being read, for error messages (e.g. a message name). */
    readonly what = 'bytes',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left after the current offset. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, field: string): number {
    const o = this.offset;
    if (o + n > this.bytes.length)
      throw new DecodeError(this.what, field, o, n, Math.max(0, this.bytes.length - o));
    this.offset = o + n;
    return o;
  }

  u8(field = 'u8'): number {
    return this.view.getUint8(this.need(1, field));
  }
  u16(field = 'u16'): number {
    return this.view.getUint16(this.need(2, field));
  }
  u32(field = 'u32'): number {
    return this.view.getUint32(this.need(4, field));
  }
  i32(field = 'i32'): number {
    return this.view.getInt32(this.need(4, field));
  }
  u64(field = 'u64'): bigint {
    return this.view.getBigUint64(this.need(8, field));
  }
  /** bytes returns a copy of the next `n` bytes. */
  take(n: number, field = 'bytes'): Uint8Array {
    const o = this.need(n, field);
    return this.bytes.slice(o, o + n);
  }
}

/** ByteWriter writes big-endian fields into a fixed-size buffer, throwing EncodeError on overflow or range. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset = 0;
  constructor(
    size: number,
    readonly what = 'bytes',
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  private room(n: number, field: string): number {
    const o = this.offset;
    if (o + n > this.bytes.length)
      throw new EncodeError(this.what, field, `buffer of ${this.bytes.length} bytes full`);
    this.offset = o + n;
    return o;
  }

  private check(v: number, max: number, type: string, field: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max)
      throw new EncodeError(this.what, field, `${type} out of range: ${v}`);
  }

  u8(v: number, field = 'u8'): this {
    this.check(v, 0xff, 'u8', field);
    this.view.setUint8(this.room(1, field), v);
    return this;
  }
  u16(v: number, field = 'u16'): this {
    this.check(v, 0xffff, 'u16', field);
    this.view.setUint16(this.room(2, field), v);
    return this;
  }
  u32(v: number, field = 'u32'): this {
    this.check(v, 0xffffffff, 'u32', field);
    this.view.setUint32(this.room(4, field), v);
    return this;
  }
  u64(v: bigint, field = 'u64'): this {
    if (BigInt.asUintN(64, v) !== v) throw new EncodeError(this.what, field, `u64 out of range: ${v}`);
    this.view.setBigUint64(this.room(8, field), v);
    return this;
  }
  put(b: Uint8Array, field = 'bytes'): this {
    this.bytes.set(b, this.room(b.length, field));
    return this;
  }
}

/** readMsgId reads the u16 message id at the start of a payload. */
export function readMsgId(payload: Uint8Array): number {
  if (payload.length < 2) throw new DecodeError('payload', '_vl_msg_id', 0, 2, payload.length);
  return ((payload[0] as number) << 8) | (payload[1] as number);
}
