// VIP and AS keys: what identifies a VIP (prefix, protocol, port) and an AS (VIP key + address) in VPP's lb plugin.
import { compareAddress, comparePrefix, type IpAddress, type IpPrefix } from './address.js';

/** IP protocol numbers as the lb plugin uses them; 255 means "all ports" (vpp src/plugins/lb/lb.h). */
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ANY = 255;

export type ProtocolName = 'tcp' | 'udp' | 'any';

export function protocolNumber(p: ProtocolName): number {
  return p === 'tcp' ? PROTO_TCP : p === 'udp' ? PROTO_UDP : PROTO_ANY;
}

export function protocolName(n: number): string {
  return n === PROTO_TCP ? 'tcp' : n === PROTO_UDP ? 'udp' : n === PROTO_ANY ? 'any' : `proto-${n}`;
}

/** VipKey identifies a VIP; an all-port VIP has protocol 255 and port 0 (VPP forces this pairing). */
export interface VipKey {
  readonly prefix: IpPrefix;
  readonly protocol: number;
  readonly port: number;
}

export function makeVipKey(prefix: IpPrefix, protocol: number, port: number): VipKey {
  // VPP: port 0 forces protocol 255 (vpp src/plugins/lb/api.c, lb_add_del_vip handlers).
  return Object.freeze({ prefix, protocol: port === 0 ? PROTO_ANY : protocol, port });
}

export function isAllPort(k: VipKey): boolean {
  return k.port === 0;
}

/** vipKeyString is the stable text form used in logs, metrics-free maps and the control API: `prefix proto:port`. */
export function vipKeyString(k: VipKey): string {
  return isAllPort(k) ? `${k.prefix.text} any` : `${k.prefix.text} ${protocolName(k.protocol)}:${k.port}`;
}

/** compareVipKey: family (IPv4 first), numeric address, prefix length, protocol, port: spec §6's order. */
export function compareVipKey(a: VipKey, b: VipKey): number {
  return comparePrefix(a.prefix, b.prefix) || a.protocol - b.protocol || a.port - b.port;
}

/** AsKey identifies an application server on a VIP. */
export interface AsKey {
  readonly vip: VipKey;
  readonly address: IpAddress;
}

export function compareAsKey(a: AsKey, b: AsKey): number {
  return compareVipKey(a.vip, b.vip) || compareAddress(a.address, b.address);
}
