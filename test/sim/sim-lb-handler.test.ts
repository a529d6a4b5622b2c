// The lb bridge without a socket: which messages it answers, and what it declines.
import { describe, expect, it } from 'vitest';
import { LbAddDelVipV2Def, LbAddDelVipV2ReplyDef, LbAsV2DumpDef, messages } from 'vpp-binapi-ts/lb';
import { ShowVersionDef } from 'vpp-binapi-ts/vpe';
import { SimLb } from '../../src/sim/sim-lb.js';
import { createSimLbHandler, LB_MESSAGES_HANDLED } from '../../src/sim/sim-lb-handler.js';

describe('createSimLbHandler', () => {
  it('answers every lb request the bindings define', () => {
    const requests = messages.filter((m) => m.kind === 'request').map((m) => m.nameCrc);
    expect(requests.length).toBeGreaterThan(10);
    expect(LB_MESSAGES_HANDLED.map((m) => m.nameCrc).sort()).toEqual([...requests].sort());
  });

  it("declines other modules' messages, so the server drops them as VPP drops unknown IDs", () => {
    const handle = createSimLbHandler(new SimLb({ clock: () => 0 }));
    expect(handle({ def: ShowVersionDef, value: {}, context: 1, clientIndex: 0x80000001 })).toBeUndefined();
  });

  it('decodes requests the way VPP does: an IPv4 VIP from union bytes 0..3, answered with its reply definition', () => {
    const handle = createSimLbHandler(new SimLb({ clock: () => 0 }));
    const pfx = {
      address: { af: 0, un: new Uint8Array([192, 0, 2, 1, ...new Array<number>(12).fill(0)]) },
      len: 32,
    };
    const add = LbAddDelVipV2Def.decode(
      LbAddDelVipV2Def.encode(1, {
        pfx,
        protocol: 6,
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
    expect(handle({ def: LbAddDelVipV2Def, value: add, context: 7, clientIndex: 0 })).toEqual([
      { def: LbAddDelVipV2ReplyDef, value: { retval: 0 } },
    ]);
    // Dump-all (zero prefix) lists nothing yet: the VIP has no AS.
    const dump = LbAsV2DumpDef.decode(
      LbAsV2DumpDef.encode(1, {
        pfx: { address: { af: 0, un: new Uint8Array(16) }, len: 0 },
        protocol: 0,
        port: 0,
      }),
    );
    expect(handle({ def: LbAsV2DumpDef, value: dump, context: 8, clientIndex: 0 })).toEqual([]);
  });
});
