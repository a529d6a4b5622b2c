// The bridge from lb_* binary-API messages to a SimLb: what VPP's lb api.c handlers decode, call and reply.
//
// Wire facts from vpp src/plugins/lb/api.c at b575ec2c56d (see the SimLb header for the rest): addresses
// go through ip_address_decode (IPv4 in union bytes 0..3 becomes ip46), IPv4 prefixes get +96 on plen
// without a range check, port 0 forces protocol 255, dscp is masked to 6 bits, the NAT service type is
// read without ntohl, v1 messages use weight 100 and no sticky source, and dumps send details only (the
// server answers the control_ping that follows).

import type { Address, AddressInput, AddressWithPrefix } from 'vpp-binapi-ts/ip_types';
import {
  type LbAddDelAs,
  LbAddDelAsDef,
  LbAddDelAsReplyDef,
  type LbAddDelAsV2,
  LbAddDelAsV2Def,
  LbAddDelAsV2ReplyDef,
  type LbAddDelIntfNat4,
  LbAddDelIntfNat4Def,
  LbAddDelIntfNat4ReplyDef,
  type LbAddDelIntfNat6,
  LbAddDelIntfNat6Def,
  LbAddDelIntfNat6ReplyDef,
  type LbAddDelVip,
  LbAddDelVipDef,
  LbAddDelVipReplyDef,
  type LbAddDelVipV2,
  LbAddDelVipV2Def,
  LbAddDelVipV2ReplyDef,
  LbAsDetailsDef,
  type LbAsDump,
  LbAsDumpDef,
  type LbAsSetWeight,
  LbAsSetWeightDef,
  LbAsSetWeightReplyDef,
  LbAsV2DetailsDef,
  type LbAsV2Dump,
  LbAsV2DumpDef,
  type LbConf,
  LbConfDef,
  LbConfGetDef,
  LbConfGetReplyDef,
  LbConfReplyDef,
  LbFlushVipDef,
  LbFlushVipReplyDef,
  LbVipDetailsDef,
  LbVipDumpDef,
} from 'vpp-binapi-ts/lb';
import type { LbVipInput } from 'vpp-binapi-ts/lb_types';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { addressFromBytes, type IpAddress } from '../model/address.js';
import {
  type RawVipKey,
  type SimAsDetails,
  type SimLb,
  type SimPrefix,
  simSrvTypeFromWire,
} from './sim-lb.js';
import type { VppHandlerReply, VppHandlerRequest, VppMessageHandler } from './vpp-server.js';

const AF_IP4 = 0;

/** ip_address_decode: an IPv4 address (af 0) is union bytes 0..3 placed in ip46 bytes 12..15. */
function ip46Of(a: Address): Uint8Array {
  const out = new Uint8Array(16);
  if (a.af === AF_IP4) out.set(a.un.subarray(0, 4), 12);
  else out.set(a.un.subarray(0, 16));
  return out;
}

/** The VIP key the handlers pass to lb.c: IPv4 plen is len + 96, truncated to a u8 like VPP's. */
function keyOf(pfx: AddressWithPrefix, protocol: number, port: number): RawVipKey {
  return {
    prefix16: ip46Of(pfx.address),
    plen: (pfx.len + (pfx.address.af === AF_IP4 ? 96 : 0)) & 0xff,
    protocol,
    port,
  };
}

/** ip_address_encode with IP46_TYPE_ANY: IPv4 when the ip46 form says so, in union bytes 0..3. */
function addressOut(a: IpAddress): AddressInput {
  return { af: a.family === 4 ? 0 : 1, un: Uint8Array.from(a.bytes) };
}

function vipOut(prefix: SimPrefix, protocol: number, port: number): LbVipInput {
  return { pfx: { address: addressOut(prefix.address), len: prefix.len }, protocol, port };
}

function reply(def: MessageDef, value: object): VppHandlerReply[] {
  return [{ def, value }];
}

function asDetailsV1(d: SimAsDetails): VppHandlerReply {
  return {
    def: LbAsDetailsDef,
    value: {
      vip: vipOut(d.vip.prefix, d.vip.protocol, d.vip.port),
      app_srv: addressOut(d.address),
      flags: d.flags,
      in_use_since: d.inUseSince,
    },
  };
}

function asDetailsV2(d: SimAsDetails): VppHandlerReply {
  return {
    def: LbAsV2DetailsDef,
    value: {
      vip: vipOut(d.vip.prefix, d.vip.protocol, d.vip.port),
      app_srv: addressOut(d.address),
      flags: d.flags,
      in_use_since: d.inUseSince,
      weight: d.weight,
      num_buckets: d.numBuckets,
    },
  };
}

function addDelVip(
  sim: SimLb,
  m: LbAddDelVip | LbAddDelVipV2,
  sticky: boolean,
  replyDef: MessageDef,
): VppHandlerReply[] {
  const key = keyOf(m.pfx, m.protocol, m.port);
  const retval = m.is_del
    ? sim.delVipRaw(key)
    : sim.addVipRaw({
        ...key,
        encap: m.encap,
        dscp: m.dscp & 0x3f,
        srvType: simSrvTypeFromWire(m.type),
        targetPort: m.target_port,
        tableLength: m.new_flows_table_length,
        srcIpSticky: sticky,
      });
  return reply(replyDef, { retval });
}

function addDelAs(
  sim: SimLb,
  m: LbAddDelAs | LbAddDelAsV2,
  weight: number,
  replyDef: MessageDef,
): VppHandlerReply[] {
  const key = keyOf(m.pfx, m.protocol, m.port);
  const address = ip46Of(m.as_address);
  const retval = m.is_del ? sim.delAsRaw(key, address) : sim.addAsRaw(key, address, weight);
  return reply(replyDef, { retval });
}

type Handle = (sim: SimLb, value: unknown) => VppHandlerReply[];

const HANDLERS: ReadonlyArray<readonly [MessageDef, Handle]> = [
  [
    LbConfDef,
    (sim, v) => {
      const m = v as LbConf;
      const retval = sim.conf({
        ip4Src: addressFromBytes(m.ip4_src_address),
        ip6Src: addressFromBytes(m.ip6_src_address),
        stickyBucketsPerCore: m.sticky_buckets_per_core,
        flowTimeout: m.flow_timeout,
      });
      return reply(LbConfReplyDef, { retval });
    },
  ],
  [
    LbConfGetDef,
    (sim) => {
      const c = sim.confGet();
      return reply(LbConfGetReplyDef, {
        retval: 0,
        ip4_src_address: Uint8Array.from(c.ip4Src.bytes),
        ip6_src_address: Uint8Array.from(c.ip6Src.bytes),
        sticky_buckets_per_core: c.stickyBucketsPerCore,
        flow_timeout: c.flowTimeout,
      });
    },
  ],
  [LbAddDelVipDef, (sim, v) => addDelVip(sim, v as LbAddDelVip, false, LbAddDelVipReplyDef)],
  [
    LbAddDelVipV2Def,
    (sim, v) => addDelVip(sim, v as LbAddDelVipV2, (v as LbAddDelVipV2).src_ip_sticky, LbAddDelVipV2ReplyDef),
  ],
  [LbAddDelAsDef, (sim, v) => addDelAs(sim, v as LbAddDelAs, 100, LbAddDelAsReplyDef)],
  [
    LbAddDelAsV2Def,
    (sim, v) => addDelAs(sim, v as LbAddDelAsV2, (v as LbAddDelAsV2).weight, LbAddDelAsV2ReplyDef),
  ],
  [
    LbAsSetWeightDef,
    (sim, v) => {
      const m = v as LbAsSetWeight;
      const retval = sim.setAsWeightRaw(keyOf(m.pfx, m.protocol, m.port), ip46Of(m.as_address), m.weight);
      return reply(LbAsSetWeightReplyDef, { retval });
    },
  ],
  [LbFlushVipDef, (sim) => reply(LbFlushVipReplyDef, { retval: sim.flushVip() })],
  [
    LbVipDumpDef,
    (sim) =>
      sim.vipDump().map((d) => ({
        def: LbVipDetailsDef,
        value: {
          vip: vipOut(d.prefix, d.protocol, d.port),
          encap: d.encap,
          dscp: d.dscp,
          srv_type: d.srvType,
          target_port: d.targetPort,
          flow_table_length: d.flowTableLength,
        },
      })),
  ],
  [
    LbAsDumpDef,
    (sim, v) => {
      const m = v as LbAsDump;
      return sim.asDump({ union: m.pfx.address.un, protocol: m.protocol, port: m.port }).map(asDetailsV1);
    },
  ],
  [
    LbAsV2DumpDef,
    (sim, v) => {
      const m = v as LbAsV2Dump;
      return sim.asDump({ union: m.pfx.address.un, protocol: m.protocol, port: m.port }).map(asDetailsV2);
    },
  ],
  [
    LbAddDelIntfNat4Def,
    (sim, v) => reply(LbAddDelIntfNat4ReplyDef, { retval: sim.intfNat((v as LbAddDelIntfNat4).sw_if_index) }),
  ],
  [
    LbAddDelIntfNat6Def,
    (sim, v) => reply(LbAddDelIntfNat6ReplyDef, { retval: sim.intfNat((v as LbAddDelIntfNat6).sw_if_index) }),
  ],
];

/** LB_MESSAGES_HANDLED lists the request definitions the bridge answers. */
export const LB_MESSAGES_HANDLED: readonly MessageDef[] = HANDLERS.map(([def]) => def);

/**
 * createSimLbHandler returns a server handler that answers every lb request from `sim` and declines
 * (returns undefined) anything else, so it can be chained with handlers for other modules.
 */
export function createSimLbHandler(sim: SimLb): VppMessageHandler {
  const byNameCrc = new Map<string, Handle>(HANDLERS.map(([def, h]) => [def.nameCrc, h]));
  return (req: VppHandlerRequest) => {
    const h = byNameCrc.get(req.def.nameCrc);
    return h === undefined ? undefined : h(sim, req.value);
  };
}
