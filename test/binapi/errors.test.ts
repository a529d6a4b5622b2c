// Encode and decode errors a user of the bindings sees: they name the message, the field, and the byte counts.
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from 'vpp-binapi-ts';
import type { LbAddDelAsV2Input } from 'vpp-binapi-ts/lb';
import { LbAddDelAsV2Def, LbConfDef, LbVipDetailsDef } from 'vpp-binapi-ts/lb';
import type { SockclntCreateReply } from 'vpp-binapi-ts/memclnt';
import { SockclntCreateDef, SockclntCreateReplyDef } from 'vpp-binapi-ts/memclnt';
import { ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';

const ip4 = (a: number, b: number, c: number, d: number) => new Uint8Array([a, b, c, d]);
const base: LbAddDelAsV2Input = {
  pfx: { address: { af: 0, un: { ip4: ip4(192, 0, 2, 1) } }, len: 32 },
  port: 80,
  as_address: { af: 0, un: { ip4: ip4(10, 0, 0, 2) } },
  is_del: false,
  is_flush: false,
};

function encodeError(fn: () => unknown): EncodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EncodeError);
    return e as EncodeError;
  }
  throw new Error('expected an EncodeError');
}

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

function table(n: number, count = n): SockclntCreateReply {
  return {
    client_index: 0,
    context: 1,
    response: 0,
    index: 0x80000001,
    count,
    message_table: Array.from({ length: n }, (_, i) => ({ index: i, name: `m_${i}` })),
  };
}

describe('EncodeError', () => {
  it('names the field of a u8 out of range', () => {
    const e = encodeError(() => LbAddDelAsV2Def.encode(1, { ...base, weight: 300 }));
    expect(e.code).toBe('ERR_ENCODE');
    expect(e.field).toBe('weight');
    expect(e.message).toContain('lb_add_del_as_v2');
    expect(e.message).toContain('300');
  });

  it('rejects negative, fractional and non-numeric integers', () => {
    expect(encodeError(() => LbAddDelAsV2Def.encode(1, { ...base, port: -1 })).field).toBe('port');
    expect(encodeError(() => LbAddDelAsV2Def.encode(1, { ...base, port: 1.5 })).field).toBe('port');
    expect(encodeError(() => LbAddDelAsV2Def.encode(1, { ...base, context: 2 ** 32 })).field).toBe('context');
    const bad = { ...base, is_del: 1 } as unknown as LbAddDelAsV2Input;
    expect(encodeError(() => LbAddDelAsV2Def.encode(1, bad)).field).toBe('is_del');
  });

  it('names nested fields and union arms', () => {
    const e = encodeError(() =>
      LbAddDelAsV2Def.encode(1, { ...base, as_address: { af: 0, un: { ip4: new Uint8Array(5) } } }),
    );
    expect(e.field).toBe('as_address.un.ip4');
    expect(e.message).toContain('array length mismatch');
    const f = encodeError(() =>
      LbAddDelAsV2Def.encode(1, { ...base, pfx: { address: { af: 256, un: new Uint8Array(4) }, len: 32 } }),
    );
    expect(f.field).toBe('pfx.address.af');
    const g = encodeError(() =>
      LbAddDelAsV2Def.encode(1, { ...base, as_address: { af: 0, un: new Uint8Array(17) } }),
    );
    expect(g.field).toBe('as_address.un');
  });

  it('rejects a fixed byte array of the wrong length', () => {
    const e = encodeError(() =>
      LbConfDef.encode(1, { ip4_src_address: new Uint8Array(3), ip6_src_address: new Uint8Array(16) }),
    );
    expect(e.field).toBe('ip4_src_address');
  });

  it('rejects a string too long for string[64] (63 bytes plus NUL)', () => {
    expect(SockclntCreateDef.encode(15, { name: 'x'.repeat(63) })).toHaveLength(70);
    const e = encodeError(() => SockclntCreateDef.encode(15, { name: 'x'.repeat(64) }));
    expect(e.field).toBe('name');
    expect(e.message).toContain('string too long for [64]');
    // Length counts UTF-8 bytes, not characters.
    expect(encodeError(() => SockclntCreateDef.encode(15, { name: 'é'.repeat(32) })).field).toBe('name');
  });

  it('rejects a count field that disagrees with its array, and a VLA its count cannot express', () => {
    const e = encodeError(() => SockclntCreateReplyDef.encode(16, table(2, 3)));
    expect(e.field).toBe('count');
    expect(e.message).toContain('array length mismatch');
    const o = encodeError(() => SockclntCreateReplyDef.encode(16, table(65536)));
    expect(o.field).toBe('message_table');
    expect(o.message).toContain('VLA count overflow');
  });

  it('names a missing variable array or string instead of failing while sizing', () => {
    const { message_table: _m, ...noTable } = table(1);
    const e = encodeError(() => SockclntCreateReplyDef.encode(16, noTable as SockclntCreateReply));
    expect(e.field).toBe('message_table');
    const s = encodeError(() =>
      ShowVersionReplyDef.encode(1, { retval: 0, program: 'vpe', version: 'v', build_date: 'd' } as never),
    );
    expect(s.field).toBe('build_directory');
  });

  it('derives an omitted count from the array', () => {
    const { count: _omitted, ...rest } = table(3);
    expect(SockclntCreateReplyDef.decode(SockclntCreateReplyDef.encode(16, rest)).count).toBe(3);
  });

  it('rejects a message id outside u16 and values that are not objects', () => {
    expect(encodeError(() => LbAddDelAsV2Def.encode(70000, base)).field).toBe('_vl_msg_id');
    const e = encodeError(() => LbAddDelAsV2Def.encode(1, undefined as unknown as LbAddDelAsV2Input));
    expect(e.message).toContain('lb_add_del_as_v2');
  });
});

describe('DecodeError', () => {
  const bytes = LbAddDelAsV2Def.encode(1, base);

  it('names the message, field, offset, and bytes needed vs available of a truncated payload', () => {
    const e = decodeError(() => LbAddDelAsV2Def.decode(bytes.subarray(0, 20)));
    expect(e.code).toBe('ERR_DECODE');
    expect(e).toMatchObject({
      messageName: 'lb_add_del_as_v2',
      field: 'pfx',
      offset: 10,
      needed: 18,
      available: 10,
    });
    expect(e.message).toContain('lb_add_del_as_v2');
    expect(e.message).toContain('pfx');
  });

  it('names a variable array whose count runs past the end', () => {
    const full = SockclntCreateReplyDef.encode(16, table(10));
    // Claim 850 entries while carrying 10.
    full[18] = 850 >> 8;
    full[19] = 850 & 0xff;
    const e = decodeError(() => SockclntCreateReplyDef.decode(full));
    expect(e).toMatchObject({ field: 'message_table', offset: 20, needed: 850 * 66, available: 10 * 66 });
  });

  it('names a length-prefixed string whose length runs past the end', () => {
    const ok = ShowVersionReplyDef.encode(1, {
      retval: 0,
      program: 'vpe',
      version: 'v',
      build_date: 'd',
      build_directory: '/src/vpp',
    });
    expect(ShowVersionReplyDef.decode(ok).build_directory).toBe('/src/vpp');
    const e = decodeError(() => ShowVersionReplyDef.decode(ok.subarray(0, ok.length - 1)));
    expect(e.field).toBe('build_directory');
  });

  it('tolerates trailing bytes, as VPP does', () => {
    const longer = new Uint8Array(bytes.length + 5);
    longer.set(bytes);
    expect(LbAddDelAsV2Def.decode(longer)).toEqual(LbAddDelAsV2Def.decode(bytes));
  });

  it('decodes enum values it does not know', () => {
    const d = LbVipDetailsDef.encode(1, {
      context: 1,
      vip: { pfx: base.pfx, protocol: 6, port: 80 },
      encap: 77,
      dscp: 0,
      srv_type: 9,
      target_port: 0,
      flow_table_length: 1024,
    });
    expect(LbVipDetailsDef.decode(d)).toMatchObject({ encap: 77, srv_type: 9 });
  });
});
