// Golden tests against a real VPP session captured with vpp_papi: every message decodes to papi's fields and re-encodes.
import { describe, expect, it } from 'vitest';
import { messagesByNameCrc } from 'vpp-binapi-ts';
import { LbAddDelAsV2Def, LbAddDelVipV2Def, LbAsV2DetailsDef } from 'vpp-binapi-ts/lb';
import { SockclntCreateReplyDef } from 'vpp-binapi-ts/memclnt';
import { hex, loadCapture, toPapi, unhex } from './papi.js';

const capture = loadCapture();

describe('lb_session.json capture', () => {
  it.each(capture.messages_in_order.map((m, i) => [`${i} ${m.name}`, m] as const))(
    '%s decodes to what vpp_papi decoded and encodes back to the captured bytes',
    (_label, m) => {
      const def = messagesByNameCrc.get(m.name_crc);
      expect(def, m.name_crc).toBeDefined();
      if (!def) return;
      const payload = unhex(m.payload_hex);
      const decoded = def.decode(payload) as Record<string, unknown>;
      const { _vl_msg_id, ...papi } = m.decoded;
      expect(_vl_msg_id).toBe(m.msg_id);
      const mine = toPapi(decoded) as Record<string, unknown>;
      if (m.name === 'sockclnt_create_reply') {
        // papi's record replaces the table by a note; the table itself is the capture's message_table.
        const table = mine.message_table as { index: number; name: string }[];
        expect(Object.fromEntries(table.map((e) => [String(e.index), e.name]))).toEqual(
          capture.message_table,
        );
        mine.message_table = papi.message_table;
      }
      expect(mine).toEqual(papi);
      expect(hex(def.encode(m.msg_id, decoded))).toBe(m.payload_hex);
    },
  );

  it('sockclnt_create_reply carries the 850-entry runtime message table', () => {
    const m = capture.messages_in_order.find((x) => x.name === 'sockclnt_create_reply');
    if (!m) throw new Error('capture has no sockclnt_create_reply');
    const reply = SockclntCreateReplyDef.decode(unhex(m.payload_hex));
    expect(reply.count).toBe(850);
    expect(reply.message_table).toHaveLength(850);
    expect(reply.index).toBe(0x80000001);
    expect(unhex(m.payload_hex)).toHaveLength(20 + 66 * 850);
  });

  it('every name_crc of the runtime message table is in the registry with the same CRC', () => {
    const table = Object.values(capture.message_table);
    expect(table).toHaveLength(850);
    for (const nameCrc of table) {
      const def = messagesByNameCrc.get(nameCrc);
      expect(def, nameCrc).toBeDefined();
      expect(`${def?.name}_${def?.crc.slice(2)}`).toBe(nameCrc);
    }
    expect(messagesByNameCrc.size).toBe(850);
  });
});

describe.each(['lb_session2.json', 'raw_probe.json'])('%s capture', (file) => {
  it('every recognised message decodes to what was recorded and encodes back to the captured bytes', () => {
    const other = loadCapture(file);
    let checked = 0;
    for (const m of other.messages_in_order) {
      // raw_probe.json also records a message with an id VPP does not know (no name): nothing to decode.
      if (!m.name_crc) continue;
      const def = messagesByNameCrc.get(m.name_crc);
      expect(def, m.name_crc).toBeDefined();
      if (!def) continue;
      const decoded = def.decode(unhex(m.payload_hex)) as Record<string, unknown>;
      const { _vl_msg_id, ...recorded } = m.decoded;
      const mine = toPapi(decoded) as Record<string, unknown>;
      if (m.name === 'sockclnt_create_reply') mine.message_table = recorded.message_table;
      expect(mine, `${m.name} #${checked}`).toEqual(recorded);
      expect(hex(def.encode(m.msg_id, decoded))).toBe(m.payload_hex);
      checked++;
    }
    expect(checked).toBeGreaterThan(8);
  });
});

describe('worked example of vpp-api-protocol.md §2', () => {
  const vip = { address: { af: 0, un: { ip4: new Uint8Array([192, 0, 2, 1]) } }, len: 32 };
  const as = { af: 0, un: { ip4: new Uint8Array([10, 0, 0, 2]) } };
  const expected =
    '1234' +
    '80000001' +
    '00000007' +
    `00c0000201${'00'.repeat(12)}20` +
    '06' +
    '0050' +
    `000a000002${'00'.repeat(12)}` +
    '32' +
    '00' +
    '00';

  it('lb_add_del_as_v2 encodes byte for byte (51 bytes)', () => {
    const bytes = LbAddDelAsV2Def.encode(0x1234, {
      client_index: 0x80000001,
      context: 7,
      pfx: vip,
      protocol: 6,
      port: 80,
      as_address: as,
      weight: 50,
      is_del: false,
      is_flush: false,
    });
    expect(bytes).toHaveLength(51);
    expect(hex(bytes)).toBe(expected);
    expect(LbAddDelAsV2Def.nameCrc).toBe('lb_add_del_as_v2_2f1d3b0e');
  });

  it('raw union bytes encode the same as the arm object', () => {
    const raw = LbAddDelAsV2Def.encode(0x1234, {
      client_index: 0x80000001,
      context: 7,
      pfx: { address: { af: 0, un: new Uint8Array([192, 0, 2, 1]) }, len: 32 },
      protocol: 6,
      port: 80,
      as_address: { af: 0, un: new Uint8Array([10, 0, 0, 2, ...new Array(12).fill(0)]) },
      weight: 50,
      is_del: false,
      is_flush: false,
    });
    expect(hex(raw)).toBe(expected);
  });

  it('applies the .api.json defaults VPP never applies: weight 100, protocol 255, table length 1024', () => {
    const as2 = LbAddDelAsV2Def.decode(
      LbAddDelAsV2Def.encode(1, { pfx: vip, port: 80, as_address: as, is_del: false, is_flush: false }),
    );
    expect(as2.weight).toBe(100);
    expect(as2.protocol).toBe(255);
    expect(as2.client_index).toBe(0);
    expect(as2.context).toBe(0);
    const v = LbAddDelVipV2Def.decode(
      LbAddDelVipV2Def.encode(1, {
        pfx: vip,
        port: 80,
        encap: 0,
        dscp: 0,
        type: 0,
        target_port: 0,
        node_port: 0,
        src_ip_sticky: false,
        is_del: false,
      }),
    );
    expect(v.new_flows_table_length).toBe(1024);
    expect(v.protocol).toBe(255);
  });
});

describe('payloads that are views of a larger Node Buffer', () => {
  it('decode to byte fields that are copies, not views of the socket chunk', () => {
    const m = capture.messages_in_order.find((x) => x.name === 'lb_as_v2_details');
    if (!m) throw new Error('capture has no lb_as_v2_details');
    const chunk = Buffer.concat([Buffer.alloc(16), Buffer.from(m.payload_hex, 'hex')]);
    const payload = chunk.subarray(16);
    const d = LbAsV2DetailsDef.decode(payload);
    chunk.fill(0xee);
    expect(toPapi(d.app_srv)).toBe('10.0.0.11');
    expect(Object.getPrototypeOf(d.app_srv.un)).toBe(Uint8Array.prototype);
    expect(d.app_srv.un.buffer.byteLength).toBe(16);
  });
});
