// The two errors the bindings raise: DecodeError for bad bytes from VPP, EncodeError for values that cannot be sent.

/**
 * DecodeError: a payload is truncated or inconsistent. It names the message, the field, the offset where the
 * field starts, and how many bytes the field needs versus how many the payload still had there.
 */
export class DecodeError extends Error {
  /** Stable code, matching the daemon's error-code convention. */
  readonly code = 'ERR_DECODE' as const;
  override readonly name = 'DecodeError';
  constructor(
    /** VPP message (or type) name being decoded. */
    readonly messageName: string,
    /** Dotted field path, e.g. `vip.pfx` or `paths[2].weight`. */
    readonly field: string,
    /** Offset of the field in the payload. */
    readonly offset: number,
    /** Bytes the field needs from `offset`. */
    readonly needed: number,
    /** Bytes the payload has from `offset` (0 when `offset` is past the end). */
    readonly available: number,
    detail?: string,
  ) {
    super(
      `${messageName}: ${detail ?? 'truncated'} at field ${field} (offset ${offset}): needs ${needed} bytes, ${available} available`,
    );
  }
}

/** EncodeError: a value cannot be encoded (out of range, wrong length, wrong type). It names the field. */
export class EncodeError extends Error {
  readonly code = 'ERR_ENCODE' as const;
  override readonly name = 'EncodeError';
  constructor(
    /** VPP message name being encoded. */
    readonly messageName: string,
    /** Dotted field path, e.g. `pfx.address.af` or `paths[2].weight`. */
    readonly field: string,
    /** What is wrong, e.g. `u8 out of range: 300`. */
    readonly reason: string,
  ) {
    super(`${messageName}: cannot encode field ${field}: ${reason}`);
  }
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return String(v);
}

/** badValue builds the EncodeError for a scalar that does not fit its wire type. */
export function badValue(msg: string, field: string, wireType: string, value: unknown): EncodeError {
  return new EncodeError(msg, field, `${wireType} out of range or wrong type: ${show(value)}`);
}

/** badLength builds the EncodeError for a fixed array or byte string of the wrong length. */
export function badLength(msg: string, field: string, expected: number, value: unknown): EncodeError {
  return new EncodeError(msg, field, `array length mismatch: expected ${expected}, got ${show(value)}`);
}

/** tooLong builds the EncodeError for a string that does not fit `string x[size]` (NUL included). */
export function tooLong(msg: string, field: string, size: number, value: string): EncodeError {
  return new EncodeError(
    msg,
    field,
    `string too long for [${size}] (at most ${size - 1} UTF-8 bytes): ${show(value)}`,
  );
}

/** countMismatch builds the EncodeError for a count field that disagrees with its array's length. */
export function countMismatch(msg: string, field: string, count: unknown, length: number): EncodeError {
  return new EncodeError(
    msg,
    field,
    `array length mismatch: count field says ${show(count)}, array has ${length}`,
  );
}

/** countOverflow builds the EncodeError for a variable array longer than its count field can express. */
export function countOverflow(msg: string, field: string, countType: string, length: number): EncodeError {
  return new EncodeError(
    msg,
    field,
    `VLA count overflow: ${length} elements do not fit the ${countType} count`,
  );
}

/** notArray builds the EncodeError for an array field given something else. */
export function notArray(msg: string, field: string, value: unknown): EncodeError {
  return new EncodeError(msg, field, `expected an array, got ${show(value)}`);
}

/** noArm builds the EncodeError for a union value that is neither bytes nor an object naming one arm. */
export function noArm(msg: string, field: string, arms: readonly string[]): EncodeError {
  return new EncodeError(msg, field, `union needs a Uint8Array or an object with one of: ${arms.join(', ')}`);
}

/** asEncodeError turns anything thrown while encoding into an EncodeError (keeping EncodeErrors as they are). */
export function asEncodeError(msg: string, e: unknown): EncodeError {
  if (e instanceof EncodeError) return e;
  const text = e instanceof Error ? e.message : String(e);
  return new EncodeError(msg, '(value)', `invalid value: ${text}`);
}

/** asDecodeError turns anything thrown while decoding into a DecodeError (keeping DecodeErrors as they are). */
export function asDecodeError(msg: string, e: unknown, available: number): DecodeError {
  if (e instanceof DecodeError) return e;
  const text = e instanceof Error ? e.message : String(e);
  return new DecodeError(msg, '(payload)', 0, 0, available, `undecodable (${text})`);
}

/**
 * truncated builds the DecodeError for a payload shorter than a message's fixed part. `layout` lists the
 * fixed-position fields as name, offset, size triples; the error names the first one that does not fit.
 */
export function truncated(msg: string, layout: readonly (string | number)[], length: number): DecodeError {
  for (let i = 0; i + 2 < layout.length; i += 3) {
    const off = layout[i + 1] as number;
    const size = layout[i + 2] as number;
    if (off + size > length) {
      return new DecodeError(msg, layout[i] as string, off, size, Math.max(0, length - off));
    }
  }
  return new DecodeError(msg, '(message)', 0, length + 1, length);
}

/** short builds the DecodeError for a variable-position field that runs past the end of the payload. */
export function short(
  msg: string,
  field: string,
  offset: number,
  needed: number,
  length: number,
): DecodeError {
  return new DecodeError(msg, field, offset, needed, Math.max(0, length - offset));
}

/** ragged builds the DecodeError for a trailing array whose byte length is not a whole number of elements. */
export function ragged(
  msg: string,
  field: string,
  offset: number,
  elemSize: number,
  length: number,
): DecodeError {
  return new DecodeError(
    msg,
    field,
    offset,
    Math.ceil((length - offset) / elemSize) * elemSize,
    length - offset,
    `trailing array is not a whole number of ${elemSize}-byte elements`,
  );
}
