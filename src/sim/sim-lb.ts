// SimLb: an in-memory fd.io VPP lb plugin with VPP's API semantics, pools, garbage collection and dump quirks.
//
// Behaviour follows vpp src/plugins/lb/lb.c, api.c and lb.h at the commit that added weights (b575ec2c56d),
// as observed on a real VPP (test/fixtures/lb_retvals_observed.json, lb_session*.json). Two layers:
// "raw" methods take what VPP's API handlers pass to lb.c (ip46 prefix + u8 plen, raw encap numbers, raw
// dump-filter bytes) and are what the socket bridge uses; model methods take VipKey/IpAddress and are
// what an in-process dataplane or a test "behind the daemon's back" uses. Both share one state.

import { fromIp46, type IpAddress, toIp46 } from '../model/address.js';
import {
  buildMaglevTable,
  isValidTableLength,
  MAX_TABLE_LENGTH,
  type MaglevServer,
} from '../model/maglev.js';
import { PROTO_ANY, type VipKey } from '../model/vip-key.js';
import { MaglevError } from '../util/errors.js';

/** VNET_API_ERROR_* values the lb plugin returns (vpp src/vnet/error.h). */
export const LB_RETVAL = {
  OK: 0,
  INVALID_SW_IF_INDEX: -2,
  NO_SUCH_ENTRY: -6,
  INVALID_VALUE: -7,
  INVALID_MEMORY_SIZE: -70,
  INVALID_ARGUMENT: -73,
  VALUE_EXIST: -81,
  INVALID_ADDRESS_FAMILY: -97,
} as const;

/**
 * SIM_REFUSED_TABLE_LENGTH is the simulator's own answer to a VIP whose table length VPP would accept
 * but cannot build: 0 (is_pow2(0) holds, mask becomes 0xffffffff and a real VPP aborts with SIGABRT,
 * closing the socket) or above MAX_TABLE_LENGTH. INVALID_VALUE is never returned by VPP for a VIP add.
 */
export const SIM_REFUSED_TABLE_LENGTH = LB_RETVAL.INVALID_VALUE;

/** The API's lb_encap_type values (lb_types.api). */
export const LB_ENCAP = { gre4: 0, gre6: 1, l3dsr: 2, nat4: 3, nat6: 4 } as const;
export type LbEncapName = keyof typeof LB_ENCAP;

/** lb_vip_type_t (lb.h): the internal VIP type an (address family, encap) pair maps to. */
export const LB_VIP_TYPE = {
  IP6_GRE6: 0,
  IP6_GRE4: 1,
  IP4_GRE6: 2,
  IP4_GRE4: 3,
  IP4_L3DSR: 4,
  IP4_NAT4: 5,
  IP6_NAT6: 6,
} as const;

const T = LB_VIP_TYPE;
/** lb.c: GC of a VIP runs at most this often; lb-gc-process wakes at this period. */
export const LB_GARBAGE_RUN_S = 60;
/** lb.c: a removed AS must be unused this long before GC may free it. */
export const LB_CONCURRENCY_TIMEOUT_S = 10;
const FLAG_USED = 1;
const VIP_FLAG_SRC_IP_STICKY = 2;
const SRV_TYPE_NODEPORT = 1;
const U32_ALL = 0xffffffff;

/** A VIP as lb.c's lookups see it: ip46 prefix (host bits are cleared on use), u8 plen (IPv4: len + 96). */
export interface RawVipKey {
  readonly prefix16: Uint8Array;
  readonly plen: number;
  readonly protocol: number;
  readonly port: number;
}

/** What the API handler passes to lb_vip_add after its own preprocessing is applied by SimLb. */
export interface RawVipAdd extends RawVipKey {
  /** lb_encap_type as sent (after ntohl); unknown values map to VIP type 0 like VPP. */
  readonly encap: number;
  /** L3DSR dscp (the handler masks it with 0x3f). */
  readonly dscp: number;
  /** NAT service type as VPP stores it: a u8 (see simSrvTypeFromWire). */
  readonly srvType: number;
  /** NAT target port, host order. */
  readonly targetPort: number;
  readonly tableLength: number;
  readonly srcIpSticky: boolean;
}

/** Model-level VIP creation. */
export interface SimVipSpec {
  readonly key: VipKey;
  readonly encap: LbEncapName | number;
  /** Default 1024, the API default. */
  readonly tableLength?: number;
  readonly dscp?: number;
  readonly srvType?: number;
  readonly targetPort?: number;
  readonly srcIpSticky?: boolean;
}

/** A prefix as VPP reports it in details: IPv4 when the ip46 form's first 12 bytes are zero. */
export interface SimPrefix {
  readonly address: IpAddress;
  readonly len: number;
}

/** One lb_vip_details, with VPP's encodings already applied (values as a client decodes them). */
export interface SimVipDetails {
  readonly vipIndex: number;
  readonly prefix: SimPrefix;
  readonly protocol: number;
  readonly port: number;
  readonly encap: number;
  readonly dscp: number;
  /** Written without htonl: a client reads the stored u8 shifted into the top byte. */
  readonly srvType: number;
  /** Swapped twice by VPP: a client reads the target port byte-swapped. */
  readonly targetPort: number;
  /** u16: a length of 65536 reads as 0. */
  readonly flowTableLength: number;
}

/** One lb_as_v2_details (lb_as_details is the same without weight and numBuckets). */
export interface SimAsDetails {
  readonly vipIndex: number;
  readonly asIndex: number;
  readonly vip: { readonly prefix: SimPrefix; readonly protocol: number; readonly port: number };
  readonly address: IpAddress;
  /** 1 = used, 0 = removed and waiting for GC. */
  readonly flags: number;
  /** last_used: seconds since VPP start of the last delete; 0 or stale for a never-deleted AS. */
  readonly inUseSince: number;
  readonly weight: number;
  readonly numBuckets: number;
}

/** The AS dump filter as VPP compares it: the 16 raw bytes of the address union, protocol and port. */
export interface AsDumpFilter {
  readonly union: Uint8Array;
  readonly protocol: number;
  readonly port: number;
}

/** AS_DUMP_ALL: a zero prefix dumps every AS of every VIP slot. */
export const AS_DUMP_ALL: AsDumpFilter = Object.freeze({ union: new Uint8Array(16), protocol: 0, port: 0 });

/**
 * asDumpFilter builds the filter a client sends for `key`. In the normal encoding ('api') an IPv4
 * address sits in union bytes 0..3, so VPP (which compares against ip46, bytes 12..15) matches nothing;
 * the 'ip46' form puts it in bytes 12..15 and matches. Protocol is compared raw: 255 for all-port.
 */
export function asDumpFilter(key: VipKey, form: 'api' | 'ip46' = 'api'): AsDumpFilter {
  const a = key.prefix.address;
  const union = new Uint8Array(16);
  if (a.family === 6 || form === 'ip46') union.set(toIp46(a));
  else union.set(a.bytes, 0);
  return { union, protocol: key.port === 0 ? PROTO_ANY : key.protocol, port: key.port };
}

/** simSrvTypeFromWire: VPP reads the u32 `type` without ntohl and keeps a u8: the first byte on the wire. */
export function simSrvTypeFromWire(decoded: number): number {
  return (decoded >>> 24) & 0xff;
}

/** lb_conf state. */
export interface SimLbConf {
  readonly ip4Src: IpAddress;
  readonly ip6Src: IpAddress;
  readonly stickyBucketsPerCore: number;
  readonly flowTimeout: number;
}

/** Options of a SimLb. */
export interface SimLbOptions {
  /** Seconds since "VPP start" (fractional allowed). Default: wall time since construction. */
  readonly clock?: () => number;
  /** Offset of lb-gc-process wake-ups within each 60 s period (observed ~0.4-0.5 s). Default 0.5. */
  readonly gcPhaseS?: number;
}

/** Full state, for tests and diagnostics: every pool slot, free or not. */
export interface SimLbState {
  readonly now: number;
  readonly nextGcSweepAt: number;
  readonly conf: SimLbConf;
  readonly vips: readonly SimVipState[];
  readonly ass: readonly SimAsState[];
}

export interface SimVipState {
  readonly index: number;
  readonly free: boolean;
  readonly used: boolean;
  readonly prefix: SimPrefix;
  readonly plen: number;
  readonly protocol: number;
  readonly port: number;
  readonly type: number;
  readonly srcIpSticky: boolean;
  readonly tableLength: number;
  readonly lastGc: number;
  /** Global AS index per as_indexes slot (undefined = free slot). */
  readonly asSlots: readonly (number | undefined)[];
  /** Global AS index per bucket; 0 = drop. */
  readonly table: Int32Array;
}

export interface SimAsState {
  readonly index: number;
  readonly free: boolean;
  readonly address: IpAddress;
  readonly vipIndex: number;
  readonly used: boolean;
  readonly weight: number;
  readonly lastUsed: number;
}

interface VipRec {
  free: boolean;
  prefix16: Uint8Array;
  plen: number;
  protocol: number;
  port: number;
  type: number;
  flags: number;
  /** encap_args byte 0: dscp or srv_type (a union in lb.h). */
  encapByte0: number;
  /** encap_args.target_port as stored: network order. */
  targetPortNet: number;
  mask: number;
  table: Int32Array;
  /** Buckets per global AS index, counted when the table is built (num_buckets of dumps). */
  counts: Map<number, number>;
  lastGc: number;
  asSlots: (number | undefined)[];
  asFree: number[];
}

interface AsRec {
  free: boolean;
  address16: Uint8Array;
  vipIndex: number;
  flags: number;
  weight: number;
  lastUsed: number;
}

const ALL_ONES_16 = new Uint8Array(16).fill(0xff);

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isIp46Ip4(b: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (b[i] !== 0) return false;
  return true;
}

/** ip46_prefix_is_ip4: IPv4-mapped bytes and a length of at least 96. */
function prefixIsIp4(prefix16: Uint8Array, plen: number): boolean {
  return plen >= 96 && isIp46Ip4(prefix16);
}

/** ip46_prefix_normalize: clear the bits past plen (a plen above 128 leaves the address as is). */
function normalizePrefix(prefix16: Uint8Array, plen: number): Uint8Array {
  const out = Uint8Array.from(prefix16);
  if (plen >= 128) return out;
  for (let bit = plen; bit < 128; bit++) out[bit >> 3] = (out[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  return out;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

/** loop_gt of lb.c on u32 seconds: true when a is at or after b, modulo 2^32. */
function atOrAfter(a: number, b: number): boolean {
  return (a - b) >>> 0 < 0x7fffffff;
}

function apiEncapOfType(type: number): number {
  switch (type) {
    case T.IP6_GRE4:
    case T.IP4_GRE4:
      return LB_ENCAP.gre4;
    case T.IP4_L3DSR:
      return LB_ENCAP.l3dsr;
    case T.IP4_NAT4:
      return LB_ENCAP.nat4;
    case T.IP6_NAT6:
      return LB_ENCAP.nat6;
    default:
      return LB_ENCAP.gre6;
  }
}

function encapIsIp4(type: number): boolean {
  return type === T.IP6_GRE4 || type === T.IP4_GRE4 || type === T.IP4_L3DSR || type === T.IP4_NAT4;
}

function vipTypeIsIp4(type: number): boolean {
  return type === T.IP4_GRE6 || type === T.IP4_GRE4 || type === T.IP4_L3DSR || type === T.IP4_NAT4;
}

function vipTypeIsIp6(type: number): boolean {
  return type === T.IP6_GRE6 || type === T.IP6_GRE4 || type === T.IP6_NAT6;
}

function simPrefix(prefix16: Uint8Array, plen: number): SimPrefix {
  const address = fromIp46(prefix16);
  return { address, len: address.family === 4 ? (plen - 96) & 0xff : plen };
}

function checkU8(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 255) {
    throw new MaglevError('ERR_BAD_REQUEST', `${what} ${v} is not a u8 (0..255)`);
  }
}

/** rawVipKey converts a model VipKey the way VPP's API handler does (IPv4 plen + 96, port 0 → protocol 255). */
export function rawVipKey(key: VipKey): RawVipKey {
  const a = key.prefix.address;
  return {
    prefix16: toIp46(a),
    plen: (key.prefix.length + (a.family === 4 ? 96 : 0)) & 0xff,
    protocol: key.port === 0 ? PROTO_ANY : key.protocol,
    port: key.port,
  };
}

/**
 * SimLb is the simulated lb plugin. Every method returns what VPP's handler would return (0 or a
 * negative VNET_API_ERROR) and changes state exactly as VPP does, including GC windows and pool slot
 * reuse, so dumps list the same things in the same order as a real VPP.
 *
 * The socket bridge (sim-lb-handler.ts) calls the raw methods; a test changes the plugin "behind the
 * daemon's back" by calling the model methods directly (as an operator with vppctl would), and reads
 * everything, free pool slots included, with state(). Time is the injected clock: lb-gc-process
 * wake-ups that fell due are run, in order, before each call.
 */
export class SimLb {
  private readonly clock: () => number;
  private readonly gcPhaseS: number;
  private nextSweepAt: number;
  private vips: VipRec[] = [];
  private vipFree: number[] = [];
  private ass: AsRec[] = [];
  private asFree: number[] = [];
  private nodePorts = new Set<number>();
  private confState: SimLbConf;

  constructor(options: SimLbOptions = {}) {
    if (options.clock) {
      this.clock = options.clock;
    } else {
      const start = Date.now();
      this.clock = () => (Date.now() - start) / 1000;
    }
    this.gcPhaseS = options.gcPhaseS ?? 0.5;
    this.nextSweepAt = this.gcPhaseS + LB_GARBAGE_RUN_S;
    // lb_init: placeholder VIP 0 (USED, all-ones prefix, never dumped) and placeholder AS 0 (drop).
    this.vips.push({
      free: false,
      prefix16: ALL_ONES_16,
      plen: 0,
      protocol: PROTO_ANY,
      port: 0,
      type: 0,
      flags: FLAG_USED,
      encapByte0: 0,
      targetPortNet: 0,
      mask: 0,
      table: new Int32Array(0),
      counts: new Map(),
      lastGc: 0,
      asSlots: [],
      asFree: [],
    });
    this.ass.push({
      free: false,
      address16: ALL_ONES_16,
      vipIndex: U32_ALL,
      flags: 0,
      weight: 0,
      lastUsed: 0,
    });
    this.confState = {
      ip4Src: fromIp46(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255])),
      ip6Src: fromIp46(ALL_ONES_16),
      stickyBucketsPerCore: 1024,
      flowTimeout: 40,
    };
  }

  /** now is VPP's u32 seconds since start, after running any lb-gc-process wake-up that is due. */
  now(): number {
    const t = this.clock();
    // After two sweeps with no call in between, every VIP is GC'd at each sweep and nothing is left to
    // free; only last_gc moves on. So a long jump needs just the last three sweeps, not thousands.
    const pending = Math.floor((t - this.nextSweepAt) / LB_GARBAGE_RUN_S) + 1;
    if (pending > 3) this.nextSweepAt += (pending - 3) * LB_GARBAGE_RUN_S;
    while (t >= this.nextSweepAt) {
      this.sweep(Math.floor(this.nextSweepAt) >>> 0);
      this.nextSweepAt += LB_GARBAGE_RUN_S;
    }
    return Math.floor(t) >>> 0;
  }

  // ---- conf ----

  /**
   * conf is lb_conf: both source addresses are always overwritten; U32 ~0 (or undefined) keeps the
   * sticky bucket count / flow timeout; a bucket count that is not a power of two (0 passes) is -70
   * and changes nothing.
   */
  conf(c: {
    ip4Src: IpAddress;
    ip6Src: IpAddress;
    stickyBucketsPerCore?: number;
    flowTimeout?: number;
  }): number {
    this.now();
    const sticky =
      c.stickyBucketsPerCore === undefined || c.stickyBucketsPerCore === U32_ALL
        ? this.confState.stickyBucketsPerCore
        : c.stickyBucketsPerCore >>> 0;
    const timeout =
      c.flowTimeout === undefined || c.flowTimeout === U32_ALL
        ? this.confState.flowTimeout
        : c.flowTimeout >>> 0;
    if ((sticky & (sticky - 1)) !== 0) return LB_RETVAL.INVALID_MEMORY_SIZE;
    this.confState = {
      ip4Src: c.ip4Src,
      ip6Src: c.ip6Src,
      stickyBucketsPerCore: sticky,
      flowTimeout: timeout,
    };
    return LB_RETVAL.OK;
  }

  /** confGet is lb_conf_get. */
  confGet(): SimLbConf {
    this.now();
    return this.confState;
  }

  // ---- VIPs ----

  /** addVip adds a VIP from model types (see addVipRaw for the checks and their order). */
  addVip(spec: SimVipSpec): number {
    const encap = typeof spec.encap === 'number' ? spec.encap : LB_ENCAP[spec.encap];
    return this.addVipRaw({
      ...rawVipKey(spec.key),
      encap,
      dscp: (spec.dscp ?? 0) & 0x3f,
      srvType: spec.srvType ?? 0,
      targetPort: spec.targetPort ?? 0,
      tableLength: spec.tableLength ?? 1024,
      srcIpSticky: spec.srcIpSticky ?? false,
    });
  }

  /**
   * addVipRaw is lb_add_del_vip[_v2] with is_del=0. Checks, in VPP's order, over USED VIPs only:
   * same key → -81; per-port on a prefix with an all-port VIP → -81; all-port on a prefix with a
   * per-port VIP → -81; per-port whose first sibling has another type → -73; length not a power of
   * two → -70; prefix family vs type → -97; L3DSR dscp ≥ 64 → -81. Then the simulator refuses a
   * length VPP would die on (SIM_REFUSED_TABLE_LENGTH). A NAT NODEPORT VIP whose port is taken is
   * created and then answered -81, like VPP.
   */
  addVipRaw(a: RawVipAdd): number {
    const now = this.now();
    const plen = a.plen & 0xff;
    const prefix16 = normalizePrefix(a.prefix16, plen);
    const port = a.port & 0xffff;
    const protocol = port === 0 ? PROTO_ANY : a.protocol & 0xff;
    const ip4 = isIp46Ip4(prefix16);
    const type = this.vipTypeFor(a.encap >>> 0, ip4);

    if (this.findVip(prefix16, plen, protocol, port, 'same') !== undefined) return LB_RETVAL.VALUE_EXIST;
    if (port !== 0 && this.findVip(prefix16, plen, protocol, port, 'all-port') !== undefined)
      return LB_RETVAL.VALUE_EXIST;
    if (port === 0 && this.findVip(prefix16, plen, protocol, port, 'other') !== undefined)
      return LB_RETVAL.VALUE_EXIST;
    if (port !== 0) {
      const sibling = this.findVip(prefix16, plen, protocol, port, 'other');
      if (sibling !== undefined && (this.vips[sibling] as VipRec).type !== type)
        return LB_RETVAL.INVALID_ARGUMENT;
    }
    const len = a.tableLength >>> 0;
    if ((len & (len - 1)) !== 0) return LB_RETVAL.INVALID_MEMORY_SIZE;
    if (prefixIsIp4(prefix16, plen) ? !vipTypeIsIp4(type) : !vipTypeIsIp6(type))
      return LB_RETVAL.INVALID_ADDRESS_FAMILY;
    if (type === T.IP4_L3DSR && a.dscp >= 64) return LB_RETVAL.VALUE_EXIST;
    if (!isValidTableLength(len)) return SIM_REFUSED_TABLE_LENGTH;

    const index = this.vipFree.pop() ?? this.vips.length;
    // A reused slot keeps its stale encap_args unless this type sets them (GRE never does).
    const old = this.vips[index];
    const rec: VipRec = {
      free: false,
      prefix16,
      plen,
      protocol,
      port,
      type,
      flags: FLAG_USED | (a.srcIpSticky ? VIP_FLAG_SRC_IP_STICKY : 0),
      encapByte0: old?.encapByte0 ?? 0,
      targetPortNet: old?.targetPortNet ?? 0,
      mask: len - 1,
      table: new Int32Array(len),
      counts: new Map(),
      lastGc: now,
      asSlots: [],
      asFree: [],
    };
    if (type === T.IP4_L3DSR) rec.encapByte0 = a.dscp & 0xff;
    else if (type === T.IP4_NAT4 || type === T.IP6_NAT6) {
      rec.encapByte0 = a.srvType & 0xff;
      rec.targetPortNet = swap16(a.targetPort & 0xffff);
    }
    this.vips[index] = rec;
    if (
      (type === T.IP4_NAT4 || type === T.IP6_NAT6) &&
      port !== 0 &&
      (a.srvType & 0xff) === SRV_TYPE_NODEPORT
    ) {
      // lb.c registers NODEPORT ports after creating the VIP; a taken port fails but the VIP stays.
      if (this.nodePorts.has(port)) return LB_RETVAL.VALUE_EXIST;
      this.nodePorts.add(port);
    }
    return LB_RETVAL.OK;
  }

  /** delVip deletes a VIP from model types (see delVipRaw). */
  delVip(key: VipKey): number {
    return this.delVipRaw(rawVipKey(key));
  }

  /**
   * delVipRaw is lb_add_del_vip[_v2] with is_del=1: the USED VIP must match exactly (-6). Its ASs,
   * removed ones included, go through the AS delete path (GC first, then flags 0 and last_used = now),
   * the table drops everything, and the VIP stays in its slot, unused, until lb-gc-process frees it.
   */
  delVipRaw(k: RawVipKey): number {
    const now = this.now();
    const found = this.findRaw(k);
    if (found === undefined) return LB_RETVAL.NO_SUCH_ENTRY;
    const vip = this.vips[found] as VipRec;
    const members = vip.asSlots.filter((x): x is number => x !== undefined);
    if (members.length > 0) this.deleteAss(vip, members, now);
    vip.flags &= ~FLAG_USED;
    return LB_RETVAL.OK;
  }

  // ---- ASs ----

  /**
   * addAs adds (or re-uses) an AS from model types; weight defaults to 100 like lb_add_del_as. (The
   * API's is_flush only clears per-worker sticky flows, which nothing here can observe.)
   */
  addAs(key: VipKey, address: IpAddress, opts: { weight?: number } = {}): number {
    return this.addAsRaw(rawVipKey(key), toIp46(address), opts.weight ?? 100);
  }

  /**
   * addAsRaw is lb_add_del_as[_v2] with is_del=0. Unknown VIP → -6. An address already on the VIP is
   * -81 when used, or re-used in place with the new weight when removed (before the family check);
   * otherwise an AS of the other family than the encap → -97. A new AS takes the most recently freed
   * global and per-VIP slots. Then the table is rebuilt and the VIP's GC runs if due.
   */
  addAsRaw(k: RawVipKey, address16: Uint8Array, weight: number): number {
    checkU8('weight', weight);
    const now = this.now();
    const vipIndex = this.findRaw(k);
    if (vipIndex === undefined) return LB_RETVAL.NO_SUCH_ENTRY;
    const vip = this.vips[vipIndex] as VipRec;
    const existing = this.findAs(vip, address16);
    if (existing !== undefined) {
      const as = this.ass[existing] as AsRec;
      if (as.flags & FLAG_USED) return LB_RETVAL.VALUE_EXIST;
      as.flags = FLAG_USED;
      as.weight = weight;
    } else {
      if (isIp46Ip4(address16) !== encapIsIp4(vip.type)) return LB_RETVAL.INVALID_ADDRESS_FAMILY;
      const asIndex = this.asFree.pop() ?? this.ass.length;
      // pool_get does not clear a reused element: last_used (in_use_since) stays stale.
      const stale = this.ass[asIndex]?.lastUsed ?? 0;
      this.ass[asIndex] = {
        free: false,
        address16: Uint8Array.from(address16),
        vipIndex,
        flags: FLAG_USED,
        weight,
        lastUsed: stale,
      };
      const slot = vip.asFree.pop() ?? vip.asSlots.length;
      vip.asSlots[slot] = asIndex;
    }
    this.rebuild(vip);
    this.gcVip(vip, now);
    return LB_RETVAL.OK;
  }

  /** delAs removes an AS from model types (see delAsRaw). */
  delAs(key: VipKey, address: IpAddress): number {
    return this.delAsRaw(rawVipKey(key), toIp46(address));
  }

  /**
   * delAsRaw is lb_add_del_as[_v2] with is_del=1: unknown VIP or address → -6. The VIP's GC runs
   * first (if due; it may free this very AS when it was already removed long enough), then the AS is
   * marked removed with last_used = now and the table is rebuilt. A removed, not yet collected AS
   * deletes again with 0.
   */
  delAsRaw(k: RawVipKey, address16: Uint8Array): number {
    const now = this.now();
    const vipIndex = this.findRaw(k);
    if (vipIndex === undefined) return LB_RETVAL.NO_SUCH_ENTRY;
    const vip = this.vips[vipIndex] as VipRec;
    const asIndex = this.findAs(vip, address16);
    if (asIndex === undefined) return LB_RETVAL.NO_SUCH_ENTRY;
    this.deleteAss(vip, [asIndex], now);
    return LB_RETVAL.OK;
  }

  /** setAsWeight changes a weight from model types (see setAsWeightRaw). */
  setAsWeight(key: VipKey, address: IpAddress, weight: number): number {
    return this.setAsWeightRaw(rawVipKey(key), toIp46(address), weight);
  }

  /** setAsWeightRaw is lb_as_set_weight: the AS must exist and be used (-6); no range check; no GC. */
  setAsWeightRaw(k: RawVipKey, address16: Uint8Array, weight: number): number {
    checkU8('weight', weight);
    this.now();
    const vipIndex = this.findRaw(k);
    if (vipIndex === undefined) return LB_RETVAL.NO_SUCH_ENTRY;
    const vip = this.vips[vipIndex] as VipRec;
    const asIndex = this.findAs(vip, address16);
    if (asIndex === undefined) return LB_RETVAL.NO_SUCH_ENTRY;
    const as = this.ass[asIndex] as AsRec;
    if (!(as.flags & FLAG_USED)) return LB_RETVAL.NO_SUCH_ENTRY;
    as.weight = weight;
    this.rebuild(vip);
    return LB_RETVAL.OK;
  }

  /** flushVip is lb_flush_vip: it flushes sticky flows (invisible here) and always returns 0, even for no VIP. */
  flushVip(_key?: VipKey): number {
    this.now();
    return LB_RETVAL.OK;
  }

  /** intfNat is lb_add_del_intf_nat4/6: only sw_if_index 0 (local0) exists in the simulator. */
  intfNat(swIfIndex: number): number {
    this.now();
    return swIfIndex === 0 ? LB_RETVAL.OK : LB_RETVAL.INVALID_SW_IF_INDEX;
  }

  // ---- dumps ----

  /** vipDump is lb_vip_dump: it ignores any filter and lists USED VIPs in slot order, hiding slot 0. */
  vipDump(): SimVipDetails[] {
    this.now();
    const out: SimVipDetails[] = [];
    this.vips.forEach((v, i) => {
      if (i === 0 || v.free || !(v.flags & FLAG_USED)) return;
      out.push({
        vipIndex: i,
        prefix: simPrefix(v.prefix16, v.plen),
        protocol: v.protocol,
        port: v.port,
        encap: apiEncapOfType(v.type),
        dscp: v.encapByte0,
        srvType: (v.encapByte0 << 24) >>> 0,
        // Stored as htons(port) and htons'd again on the way out: the client reads the stored value.
        targetPort: v.targetPortNet,
        flowTableLength: (v.mask + 1) & 0xffff,
      });
    });
    return out;
  }

  /**
   * asDump is lb_as_dump / lb_as_v2_dump: a zero union dumps all; otherwise a VIP slot matches when
   * its ip46 prefix equals the 16 raw bytes and protocol and port are equal (plen ignored). Every VIP
   * slot is walked, deleted ones included; per VIP one entry per AS slot in slot order.
   */
  asDump(filter: AsDumpFilter = AS_DUMP_ALL): SimAsDetails[] {
    this.now();
    const all = filter.union.every((b) => b === 0);
    const out: SimAsDetails[] = [];
    this.vips.forEach((v, vipIndex) => {
      if (v.free) return;
      if (
        !all &&
        !(bytesEqual(v.prefix16, filter.union) && v.protocol === filter.protocol && v.port === filter.port)
      )
        return;
      if (v.asSlots.length === 0) return;
      const counts = v.counts;
      const vipOut = { prefix: simPrefix(v.prefix16, v.plen), protocol: v.protocol, port: v.port };
      for (const asIndex of v.asSlots) {
        if (asIndex === undefined) continue;
        const as = this.ass[asIndex] as AsRec;
        out.push({
          vipIndex,
          asIndex,
          vip: vipOut,
          address: fromIp46(as.address16),
          flags: as.flags & FLAG_USED,
          inUseSince: as.lastUsed,
          weight: as.weight,
          numBuckets: counts.get(asIndex) ?? 0,
        });
      }
    });
    return out;
  }

  // ---- GC and state ----

  /** runGcSweep runs one lb-gc-process pass now (per-VIP GC on every VIP, then frees unused empty VIPs). */
  runGcSweep(): void {
    this.sweep(this.now());
  }

  /** state returns a deep copy of every pool slot, the conf and the GC schedule. */
  state(): SimLbState {
    const now = this.now();
    return {
      now,
      nextGcSweepAt: this.nextSweepAt,
      conf: this.confState,
      vips: this.vips.map((v, index) => ({
        index,
        free: v.free,
        used: (v.flags & FLAG_USED) !== 0,
        prefix: index === 0 ? { address: fromIp46(ALL_ONES_16), len: 0 } : simPrefix(v.prefix16, v.plen),
        plen: v.plen,
        protocol: v.protocol,
        port: v.port,
        type: v.type,
        srcIpSticky: (v.flags & VIP_FLAG_SRC_IP_STICKY) !== 0,
        tableLength: index === 0 ? 0 : v.mask + 1,
        lastGc: v.lastGc,
        asSlots: [...v.asSlots],
        table: Int32Array.from(v.table),
      })),
      ass: this.ass.map((a, index) => ({
        index,
        free: a.free,
        address: fromIp46(a.address16),
        vipIndex: a.vipIndex,
        used: (a.flags & FLAG_USED) !== 0,
        weight: a.weight,
        lastUsed: a.lastUsed,
      })),
    };
  }

  /** tableOf returns a copy of a USED VIP's table as global AS indices (0 = drop), or undefined. */
  tableOf(key: VipKey): Int32Array | undefined {
    this.now();
    const i = this.findRaw(rawVipKey(key));
    return i === undefined ? undefined : Int32Array.from((this.vips[i] as VipRec).table);
  }

  // ---- internals ----

  private vipTypeFor(encap: number, ip4: boolean): number {
    // api.c maps (family, encap); any pair it does not list keeps type 0 (IP6_GRE6).
    if (ip4) {
      if (encap === LB_ENCAP.gre4) return T.IP4_GRE4;
      if (encap === LB_ENCAP.gre6) return T.IP4_GRE6;
      if (encap === LB_ENCAP.l3dsr) return T.IP4_L3DSR;
      if (encap === LB_ENCAP.nat4) return T.IP4_NAT4;
      return T.IP6_GRE6;
    }
    if (encap === LB_ENCAP.gre4) return T.IP6_GRE4;
    if (encap === LB_ENCAP.nat6) return T.IP6_NAT6;
    return T.IP6_GRE6;
  }

  private findRaw(k: RawVipKey): number | undefined {
    const plen = k.plen & 0xff;
    const port = k.port & 0xffff;
    const protocol = port === 0 ? PROTO_ANY : k.protocol & 0xff;
    return this.findVip(normalizePrefix(k.prefix16, plen), plen, protocol, port, 'same');
  }

  /** lb_vip_port_find_index: the first USED VIP (slot order) on the same prefix and plen that matches `how`. */
  private findVip(
    prefix16: Uint8Array,
    plen: number,
    protocol: number,
    port: number,
    how: 'same' | 'all-port' | 'other',
  ): number | undefined {
    for (let i = 0; i < this.vips.length; i++) {
      const v = this.vips[i] as VipRec;
      if (v.free || !(v.flags & FLAG_USED) || v.plen !== plen || !bytesEqual(v.prefix16, prefix16)) continue;
      if (how === 'same' && v.protocol === protocol && v.port === port) return i;
      if (how === 'all-port' && v.port === 0) return i;
      if (how === 'other' && (v.protocol !== protocol || v.port !== port)) return i;
    }
    return undefined;
  }

  private findAs(vip: VipRec, address16: Uint8Array): number | undefined {
    for (const i of vip.asSlots) {
      if (i !== undefined && bytesEqual((this.ass[i] as AsRec).address16, address16)) return i;
    }
    return undefined;
  }

  /** lb_vip_del_ass_withlock: GC first, then mark each AS removed (even one GC just freed), rebuild. */
  private deleteAss(vip: VipRec, asIndexes: number[], now: number): void {
    this.gcVip(vip, now);
    for (const i of asIndexes) {
      // VPP writes through the index even when GC freed that element: the stale last_used survives.
      const as = this.ass[i] as AsRec;
      as.flags &= ~FLAG_USED;
      as.lastUsed = now;
    }
    this.rebuild(vip);
  }

  /** lb_vip_update_new_flow_table over the VIP's USED ASs. */
  private rebuild(vip: VipRec): void {
    const servers: MaglevServer[] = [];
    const globals: number[] = [];
    for (const i of vip.asSlots) {
      if (i === undefined) continue;
      const as = this.ass[i] as AsRec;
      if (!(as.flags & FLAG_USED)) continue;
      servers.push({ address: fromIp46(as.address16), weight: as.weight });
      globals.push(i);
    }
    const length = vip.mask + 1;
    if (servers.length === 0) {
      vip.table = new Int32Array(length);
      vip.counts = new Map();
      return;
    }
    const t = buildMaglevTable(servers, length);
    const table = new Int32Array(length);
    for (let b = 0; b < length; b++) {
      const o = t.owners[b] as number;
      table[b] = o < 0 ? 0 : (globals[o] as number);
    }
    vip.table = table;
    const counts = new Map<number, number>();
    for (const o of table) if (o !== 0) counts.set(o, (counts.get(o) ?? 0) + 1);
    vip.counts = counts;
  }

  /** lb_vip_garbage_collection: at most every 60 s per VIP; frees ASs removed for ≥ 10 s. */
  private gcVip(vip: VipRec, now: number): void {
    if (!atOrAfter(now, (vip.lastGc + LB_GARBAGE_RUN_S) >>> 0)) return;
    vip.lastGc = now;
    vip.asSlots.forEach((asIndex, slot) => {
      if (asIndex === undefined) return;
      const as = this.ass[asIndex] as AsRec;
      if (as.flags & FLAG_USED || !atOrAfter(now, (as.lastUsed + LB_CONCURRENCY_TIMEOUT_S) >>> 0)) return;
      vip.asSlots[slot] = undefined;
      vip.asFree.push(slot);
      as.free = true;
      this.asFree.push(asIndex);
    });
  }

  /** lb_garbage_collection (lb-gc-process): GC every VIP, then free unused VIPs left without ASs. */
  private sweep(now: number): void {
    const toFree: number[] = [];
    this.vips.forEach((v, i) => {
      if (v.free) return;
      this.gcVip(v, now);
      if (!(v.flags & FLAG_USED) && v.asSlots.every((x) => x === undefined)) toFree.push(i);
    });
    for (const i of toFree) {
      const v = this.vips[i] as VipRec;
      v.free = true;
      v.asSlots = [];
      v.asFree = [];
      this.vipFree.push(i);
    }
  }
}

/** The largest table the simulator builds (VPP itself would try any power of two). */
export const SIM_MAX_TABLE_LENGTH = MAX_TABLE_LENGTH;
