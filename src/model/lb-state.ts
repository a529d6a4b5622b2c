// The lb plugin's state as the reconciler sees it: what is live in VPP and what should be, per VIP and AS.
import type { IpAddress } from './address.js';
import type { Encap } from './desired.js';
import type { VipKey } from './vip-key.js';

/** An AS as dumped (removed ASs, flags 0, are never part of this state). */
export interface LbAsState {
  readonly address: IpAddress;
  readonly weight: number;
  /** Buckets it owns in the new-flow table, when known (lb_as_v2_details.num_buckets). */
  readonly numBuckets: number | undefined;
  /**
   * True when maglevd set this AS to weight 0 without a flush, so its flows may still run: a later
   * "0 with flush" (disable, `set weight 0 --flush`) must still be sent though the weight is unchanged.
   * Absent when not known (a dump cannot tell).
   */
  readonly drained?: boolean;
}

export interface LbVipState {
  readonly key: VipKey;
  readonly encap: Encap | 'other';
  /** The dumps do not carry the sticky flag: known only from the daemon's own record, else undefined. */
  readonly srcIpSticky: boolean | undefined;
  /** The new-flow table length M (the dump's u16 reads 65536 as 0; the adapter maps it back). */
  readonly tableLength: number;
  /** Live ASs keyed by canonical address text. */
  readonly ases: ReadonlyMap<string, LbAsState>;
}

/** LbLiveState: every live VIP keyed by vipKeyString. */
export interface LbLiveState {
  readonly vips: ReadonlyMap<string, LbVipState>;
}

/** lb_conf values (vpp src/plugins/lb/lb.api: lb_conf / lb_conf_get_reply). */
export interface LbConf {
  readonly ipv4SrcAddress: IpAddress;
  readonly ipv6SrcAddress: IpAddress;
  readonly stickyBucketsPerCore: number;
  readonly flowTimeoutS: number;
}

/** An AS as it should be. */
export interface DesiredAs {
  readonly address: IpAddress;
  readonly weight: number;
  /** Flush the AS's sticky flows when its weight is lowered to 0 (down with flush-on-down, disabled, override --flush). */
  readonly flush: boolean;
  /** The backend this AS stands for. */
  readonly backend: string;
}

/** A VIP as it should be. */
export interface DesiredVip {
  readonly key: VipKey;
  readonly frontend: string;
  readonly encap: Encap;
  readonly srcIpSticky: boolean;
  readonly tableLength: number;
  /** Desired ASs keyed by canonical address text. */
  readonly ases: ReadonlyMap<string, DesiredAs>;
  /** Addresses that, when their AS is deleted, should be flushed (their backend was down or disabled). */
  readonly flushOnDelete: ReadonlySet<string>;
}
