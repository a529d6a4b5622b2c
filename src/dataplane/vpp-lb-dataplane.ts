// The lb dataplane over VPP's binary API: the only daemon code that names lb_* messages.
import type { AddressInput, AddressWithPrefixInput, Address as WireAddress } from 'vpp-binapi-ts/ip_types';
import {
  LbAddDelAsV2Def,
  LbAddDelVipV2Def,
  LbAsSetWeightDef,
  type LbAsV2Details,
  LbAsV2DumpDef,
  type LbAsV2DumpInput,
  LbConfDef,
  LbConfGetDef,
  type LbConfGetReply,
  type LbVipDetails,
  LbVipDumpDef,
  type LbVipDumpInput,
} from 'vpp-binapi-ts/lb';
import { LbEncapType, type LbVip, type LbVipInput } from 'vpp-binapi-ts/lb_types';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { addressFromBytes, type IpAddress, makePrefix } from '../model/address.js';
import type { Encap } from '../model/desired.js';
import type { LbAsState, LbConf, LbLiveState, LbVipState } from '../model/lb-state.js';
import { makeVipKey, type VipKey, vipKeyString } from '../model/vip-key.js';
import type { LbDataplane } from './lb-dataplane.js';

/** Every lb message the daemon uses: checked against VPP's message table on each connect. */
export const LB_REQUIRED_MESSAGES: readonly MessageDef[] = [
  LbConfDef,
  LbConfGetDef,
  LbAddDelVipV2Def,
  LbAddDelAsV2Def,
  LbAsSetWeightDef,
  LbVipDumpDef,
  LbAsV2DumpDef,
];

/** What the adapter needs of the client: vppapi's VppClient fits. */
export interface BinaryApiCaller {
  request(def: MessageDef, value: never, opts?: { timeoutMs?: number }): Promise<unknown>;
  dump(def: MessageDef, value: never, opts?: { timeoutMs?: number }): Promise<unknown[]>;
}

/** lb_as_v2_details.flags bit 0: the AS is in use; 0 means removed and waiting for GC (vpp lb.h LB_AS_FLAGS_USED). */
const AS_FLAG_USED = 1;

const ZERO_PREFIX: AddressWithPrefixInput = { address: { af: 0, un: new Uint8Array(16) }, len: 0 };
const VIP_DUMP_ALL: LbVipDumpInput = { pfx: ZERO_PREFIX, pfx_matcher: { le: 0, ge: 0 }, port: 0 };
const AS_DUMP_ALL: LbAsV2DumpInput = { pfx: ZERO_PREFIX, protocol: 0, port: 0 };

function toWireAddress(a: IpAddress): AddressInput {
  return { af: a.family === 4 ? 0 : 1, un: a.bytes };
}

function fromWireAddress(a: WireAddress): IpAddress {
  return addressFromBytes(a.af === 0 ? a.un.subarray(0, 4) : a.un.subarray(0, 16));
}

function wireVip(vip: VipKey): LbVipInput {
  return {
    pfx: { address: toWireAddress(vip.prefix.address), len: vip.prefix.length },
    protocol: vip.protocol,
    port: vip.port,
  };
}

function vipKeyOf(v: LbVip): VipKey {
  return makeVipKey(makePrefix(fromWireAddress(v.pfx.address), v.pfx.len), v.protocol, v.port);
}

function sameWireVip(a: LbVip, b: LbVip): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol || a.pfx.len !== b.pfx.len) return false;
  if (a.pfx.address.af !== b.pfx.address.af) return false;
  const x = a.pfx.address.un;
  const y = b.pfx.address.un;
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return false;
  return true;
}

function encapOf(e: number): Encap | 'other' {
  return e === LbEncapType.LB_API_ENCAP_TYPE_GRE4
    ? 'gre4'
    : e === LbEncapType.LB_API_ENCAP_TYPE_GRE6
      ? 'gre6'
      : 'other';
}

/**
 * VppLbDataplane implements LbDataplane with the weighted v2 messages. Dumps do not carry a VIP's
 * src-ip-sticky flag, so the adapter remembers what it set; a VIP it never created reads as unknown.
 */
export class VppLbDataplane implements LbDataplane {
  readonly #api: BinaryApiCaller;
  readonly #timeoutMs: () => number;
  readonly #sticky = new Map<string, boolean>();

  constructor(api: BinaryApiCaller, timeoutMs: () => number) {
    this.#api = api;
    this.#timeoutMs = timeoutMs;
  }

  /** #request is typed by the definition, so a field the message lacks or misses fails to compile. */
  #request<I>(def: MessageDef<I, unknown>, value: I): Promise<unknown> {
    return this.#api.request(def, value as never, { timeoutMs: this.#timeoutMs() });
  }

  #dump<I>(def: MessageDef<I, unknown>, value: I): Promise<unknown[]> {
    return this.#api.dump(def, value as never, { timeoutMs: this.#timeoutMs() });
  }

  async dump(): Promise<LbLiveState> {
    // lb_vip_dump ignores its filter; lb_as_v2_dump with an all-zero prefix dumps every VIP's ASs
    // (its IPv4 filter never matches: vpp src/plugins/lb/api.c). Both are old-style dumps, pipelined.
    const [vipDetails, asDetails] = (await Promise.all([
      this.#dump(LbVipDumpDef, VIP_DUMP_ALL),
      this.#dump(LbAsV2DumpDef, AS_DUMP_ALL),
    ])) as [LbVipDetails[], LbAsV2Details[]];
    const vips = new Map<string, { state: LbVipState; ases: Map<string, LbAsState> }>();
    for (const d of vipDetails) {
      const key = vipKeyOf(d.vip);
      const k = vipKeyString(key);
      const ases = new Map<string, LbAsState>();
      vips.set(k, {
        ases,
        state: {
          key,
          encap: encapOf(d.encap),
          srcIpSticky: this.#sticky.get(k),
          // flow_table_length is a u16: a 65536-entry table reads as 0 (vpp src/plugins/lb/api.c).
          tableLength: d.flow_table_length === 0 ? 65536 : d.flow_table_length,
          ases,
        },
      });
    }
    // Details come grouped per VIP slot: the VIP's key is worked out once per run of equal wire VIPs,
    // not once per AS (64 000 ASs make that the dump's main cost).
    let lastWire: LbVip | undefined;
    let lastVip: { ases: Map<string, LbAsState> } | undefined;
    for (const d of asDetails) {
      if ((d.flags & AS_FLAG_USED) === 0) continue;
      if (lastWire === undefined || !sameWireVip(lastWire, d.vip)) {
        lastWire = d.vip;
        lastVip = vips.get(vipKeyString(vipKeyOf(d.vip)));
      }
      const v = lastVip;
      if (!v) continue; // an AS of a deleted VIP still waiting for GC
      const address = fromWireAddress(d.app_srv);
      v.ases.set(address.text, { address, weight: d.weight, numBuckets: d.num_buckets });
    }
    for (const k of [...this.#sticky.keys()]) if (!vips.has(k)) this.#sticky.delete(k);
    return { vips: new Map([...vips].map(([k, v]) => [k, v.state])) };
  }

  async addVip(vip: VipKey, encap: Encap, srcIpSticky: boolean, tableLength: number): Promise<void> {
    await this.#request(LbAddDelVipV2Def, {
      ...wireVip(vip),
      encap: encap === 'gre4' ? LbEncapType.LB_API_ENCAP_TYPE_GRE4 : LbEncapType.LB_API_ENCAP_TYPE_GRE6,
      dscp: 0,
      type: 0,
      target_port: 0,
      node_port: 0,
      new_flows_table_length: tableLength,
      src_ip_sticky: srcIpSticky,
      is_del: false,
    });
    this.#sticky.set(vipKeyString(vip), srcIpSticky);
  }

  async delVip(vip: VipKey): Promise<void> {
    // VPP finds the VIP by prefix, protocol and port; the encap of a delete only has to suit the family.
    await this.#request(LbAddDelVipV2Def, {
      ...wireVip(vip),
      encap:
        vip.prefix.address.family === 4
          ? LbEncapType.LB_API_ENCAP_TYPE_GRE4
          : LbEncapType.LB_API_ENCAP_TYPE_GRE6,
      dscp: 0,
      type: 0,
      target_port: 0,
      node_port: 0,
      new_flows_table_length: 1024,
      src_ip_sticky: false,
      is_del: true,
    });
    this.#sticky.delete(vipKeyString(vip));
  }

  async addAs(vip: VipKey, address: IpAddress, weight: number): Promise<void> {
    await this.#request(LbAddDelAsV2Def, {
      ...wireVip(vip),
      as_address: toWireAddress(address),
      weight,
      is_del: false,
      is_flush: false,
    });
  }

  async delAs(vip: VipKey, address: IpAddress, flush: boolean): Promise<void> {
    await this.#request(LbAddDelAsV2Def, {
      ...wireVip(vip),
      as_address: toWireAddress(address),
      weight: 0,
      is_del: true,
      is_flush: flush,
    });
  }

  async setAsWeight(vip: VipKey, address: IpAddress, weight: number, flush: boolean): Promise<void> {
    await this.#request(LbAsSetWeightDef, {
      ...wireVip(vip),
      as_address: toWireAddress(address),
      weight,
      is_flush: flush,
    });
  }

  async getConf(): Promise<LbConf> {
    const r = (await this.#request(LbConfGetDef, {})) as LbConfGetReply;
    return {
      ipv4SrcAddress: addressFromBytes(r.ip4_src_address),
      ipv6SrcAddress: addressFromBytes(r.ip6_src_address),
      stickyBucketsPerCore: r.sticky_buckets_per_core,
      flowTimeoutS: r.flow_timeout,
    };
  }

  async setConf(conf: LbConf): Promise<void> {
    await this.#request(LbConfDef, {
      ip4_src_address: conf.ipv4SrcAddress.bytes,
      ip6_src_address: conf.ipv6SrcAddress.bytes,
      sticky_buckets_per_core: conf.stickyBucketsPerCore,
      flow_timeout: conf.flowTimeoutS,
    });
  }
}
