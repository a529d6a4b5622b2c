// The dataplane interface the reconciler drives: one method per lb operation, in model terms (no wire types).
import type { IpAddress } from '../model/address.js';
import type { Encap } from '../model/desired.js';
import type { LbConf, LbLiveState } from '../model/lb-state.js';
import type { VipKey } from '../model/vip-key.js';

/**
 * LbDataplane is implemented over VPP's binary API (vpp-lb-dataplane.ts). Every method rejects with a
 * MaglevError: code ERR_VPP_RETVAL (with `retval` and `retvalName`) when VPP refused, ERR_VPP_TIMEOUT or
 * ERR_VPP_DISCONNECTED when the call may not have reached VPP.
 */
export interface LbDataplane {
  /** All live VIPs and their in-use ASs (removed ASs filtered out). Sticky flags come from the adapter's own record. */
  dump(): Promise<LbLiveState>;
  addVip(vip: VipKey, encap: Encap, srcIpSticky: boolean, tableLength: number): Promise<void>;
  delVip(vip: VipKey): Promise<void>;
  addAs(vip: VipKey, address: IpAddress, weight: number): Promise<void>;
  delAs(vip: VipKey, address: IpAddress, flush: boolean): Promise<void>;
  setAsWeight(vip: VipKey, address: IpAddress, weight: number, flush: boolean): Promise<void>;
  getConf(): Promise<LbConf>;
  setConf(conf: LbConf): Promise<void>;
}
