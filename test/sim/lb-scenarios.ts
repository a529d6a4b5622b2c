// Every case of lb_retvals_observed.json as a scenario over LbOps, run both on SimLb directly and through a socket.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parsePrefix } from '../../src/model/address.js';
import { makeVipKey, type VipKey } from '../../src/model/vip-key.js';
import { LB_RETVAL, type LbEncapName, SIM_REFUSED_TABLE_LENGTH } from '../../src/sim/sim-lb.js';

/** One AS detail, as text a test can compare. */
export interface AsRow {
  vip: string;
  address: string;
  flags: number;
  inUseSince: number;
  weight: number;
  numBuckets: number;
}

/** One VIP detail. */
export interface VipRow {
  vip: string;
  encap: number;
  flowTableLength: number;
}

export type AsFilter = 'all' | { key: VipKey; form: 'api' | 'ip46' };

/** The lb API as a scenario drives it; each call returns VPP's retval (0 or negative). */
export interface LbOps {
  /** Sets the simulated VPP uptime in seconds. */
  setTime(t: number): void;
  conf(ip4: string, ip6: string, sticky: number, timeout: number): Promise<number>;
  addVip(key: VipKey, encap: LbEncapName, tableLength?: number): Promise<number>;
  delVip(key: VipKey, encap?: LbEncapName): Promise<number>;
  addAs(key: VipKey, address: string, weight?: number): Promise<number>;
  delAs(key: VipKey, address: string): Promise<number>;
  setWeight(key: VipKey, address: string, weight: number): Promise<number>;
  flush(key: VipKey): Promise<number>;
  asDump(filter?: AsFilter): Promise<AsRow[]>;
  vipDump(): Promise<VipRow[]>;
}

export interface RetvalCase {
  request: string;
  case: string;
  retval?: number | null;
  details?: string;
}

export const observedCases = (
  JSON.parse(readFileSync(new URL('../fixtures/lb_retvals_observed.json', import.meta.url), 'utf8')) as {
    cases: RetvalCase[];
  }
).cases;

export const vip = (pfx: string, protocol: number, port: number) =>
  makeVipKey(parsePrefix(pfx), protocol, port);
const V1 = vip('192.0.2.10/32', 6, 8080);
const V6 = vip('2001:db8::10/128', 6, 80);

const rows = (d: AsRow[]) => d.map((r) => [r.address, r.flags, r.weight, r.numBuckets]);

/** Scenarios returning the retval of the observed request; each starts on a fresh lb at uptime 5 s. */
export const retvalScenarios: Record<string, (lb: LbOps) => Promise<number>> = {
  'lb_conf|ip4+ip6 src set, sticky_buckets_per_core=1024, flow_timeout=40': (lb) =>
    lb.conf('10.255.0.1', '2001:db8::1', 1024, 40),
  'lb_add_del_vip_v2|add 192.0.2.10/32 tcp 8080 encap gre4 new_len 1024': (lb) => lb.addVip(V1, 'gre4', 1024),
  'lb_add_del_vip_v2|add the same VIP again': async (lb) => {
    expect(await lb.addVip(V1, 'gre4')).toBe(0);
    return lb.addVip(V1, 'gre4');
  },
  'lb_add_del_vip_v2|new_flows_table_length=1000 (not a power of 2)': (lb) => lb.addVip(V1, 'gre4', 1000),
  'lb_add_del_vip_v2|new_flows_table_length=1 (power of 2)': async (lb) => {
    const rv = await lb.addVip(V1, 'gre4', 1);
    expect(await lb.vipDump()).toEqual([{ vip: '192.0.2.10/32 6:8080', encap: 0, flowTableLength: 1 }]);
    return rv;
  },
  'lb_add_del_vip_v2|new_flows_table_length=0': async (lb) => {
    const rv = await lb.addVip(V1, 'gre4', 0);
    expect(await lb.vipDump()).toEqual([]);
    return rv;
  },
  'lb_add_del_vip_v2|IPv4 prefix with encap nat6 (family/encap mismatch)': (lb) => lb.addVip(V1, 'nat6'),
  'lb_add_del_vip_v2|per-port VIP on a prefix that already has an all-port (port 0) VIP': async (lb) => {
    expect(await lb.addVip(vip('192.0.2.10/32', 255, 0), 'gre4')).toBe(0);
    return lb.addVip(V1, 'gre4');
  },
  'lb_add_del_vip_v2|duplicate VIP checked before power-of-2 check (existing VIP + new_len 1000)': async (
    lb,
  ) => {
    expect(await lb.addVip(V1, 'gre4')).toBe(0);
    return lb.addVip(V1, 'gre4', 1000);
  },
  'lb_add_del_vip_v2|is_del=1 on a VIP that still has ASs': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    await lb.addAs(V1, '10.0.0.2', 50);
    lb.setTime(7.3);
    const rv = await lb.delVip(V1);
    expect(await lb.vipDump()).toEqual([]);
    expect(await lb.asDump()).toEqual([
      {
        vip: '192.0.2.10/32 6:8080',
        address: '10.0.0.1',
        flags: 0,
        inUseSince: 7,
        weight: 100,
        numBuckets: 0,
      },
      {
        vip: '192.0.2.10/32 6:8080',
        address: '10.0.0.2',
        flags: 0,
        inUseSince: 7,
        weight: 50,
        numBuckets: 0,
      },
    ]);
    return rv;
  },
  'lb_add_del_vip_v2|is_del=1 on a non-existent VIP': (lb) => lb.delVip(V1),
  "lb_add_del_vip_v2|re-add a VIP just deleted (old one not yet GC'd)": async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    await lb.delVip(V1);
    const rv = await lb.addVip(V1, 'gre4');
    expect(await lb.addAs(V1, '10.0.0.1')).toBe(0);
    expect(rows(await lb.asDump())).toEqual([
      ['10.0.0.1', 0, 100, 0],
      ['10.0.0.1', 1, 100, 1024],
    ]);
    expect(await lb.vipDump()).toHaveLength(1);
    return rv;
  },
  'lb_add_del_as_v2|add AS weight 50': async (lb) => {
    await lb.addVip(V1, 'gre4');
    return lb.addAs(V1, '10.0.0.1', 50);
  },
  'lb_add_del_as_v2|add an AS that already exists and is in use': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1', 50);
    return lb.addAs(V1, '10.0.0.1', 60);
  },
  'lb_add_del_as_v2|add AS with weight 150 (>100)': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1', 50);
    await lb.addAs(V1, '10.0.0.2', 20);
    const rv = await lb.addAs(V1, '10.0.0.3', 150);
    expect(await lb.addAs(V1, '10.0.0.4', 255)).toBe(0);
    expect(await lb.delAs(V1, '10.0.0.4')).toBe(0);
    // Observed on VPP: weights 50/20/150 -> 250/100/674 buckets of 1024.
    expect(rows(await lb.asDump())).toEqual([
      ['10.0.0.1', 1, 50, 250],
      ['10.0.0.2', 1, 20, 100],
      ['10.0.0.3', 1, 150, 674],
      ['10.0.0.4', 0, 255, 0],
    ]);
    return rv;
  },
  'lb_add_del_as_v2|add IPv6 AS to a gre4 VIP (or IPv4 AS to a gre6 VIP)': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addVip(V6, 'gre6');
    expect(await lb.addAs(V6, '10.0.0.1')).toBe(LB_RETVAL.INVALID_ADDRESS_FAMILY);
    return lb.addAs(V1, '2001:db8::1');
  },
  'lb_add_del_as_v2|add AS to a non-existent VIP': (lb) => lb.addAs(V1, '10.0.0.1'),
  'lb_add_del_as_v2|is_del=1 for an AS never added': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    return lb.delAs(V1, '10.0.0.99');
  },
  'lb_add_del_as_v2|is_del=1 for an AS': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    const rv = await lb.delAs(V1, '10.0.0.1');
    expect(rows(await lb.asDump())).toEqual([['10.0.0.1', 0, 100, 0]]);
    return rv;
  },
  "lb_add_del_as_v2|is_del=1 again for the same AS while it is 'removed' but not yet garbage-collected":
    async (lb) => {
      await lb.addVip(V1, 'gre4');
      await lb.addAs(V1, '10.0.0.1');
      lb.setTime(6.9);
      await lb.delAs(V1, '10.0.0.1');
      expect((await lb.asDump())[0]?.inUseSince).toBe(6);
      lb.setTime(7.02);
      const rv = await lb.delAs(V1, '10.0.0.1');
      expect((await lb.asDump())[0]?.inUseSince).toBe(7); // the second delete resets last_used
      return rv;
    },
  'lb_add_del_as_v2|is_del=1 for an AS after it was garbage-collected': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    await lb.delAs(V1, '10.0.0.1');
    lb.setTime(130); // the lb-gc-process wake-up at ~120.5 s frees it
    expect(await lb.asDump()).toEqual([]);
    return lb.delAs(V1, '10.0.0.1');
  },
  'lb_as_set_weight|AS after it was garbage-collected': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    await lb.delAs(V1, '10.0.0.1');
    lb.setTime(130);
    return lb.setWeight(V1, '10.0.0.1', 20);
  },
  "lb_add_del_as_v2|re-add an AS that is 'removed' but not yet garbage-collected, weight 30": async (lb) => {
    await lb.addVip(V1, 'gre4');
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) await lb.addAs(V1, a);
    await lb.delAs(V1, '10.0.0.2');
    const rv = await lb.addAs(V1, '10.0.0.2', 30);
    // Re-used in place: same position in the dump, new weight.
    expect(rows(await lb.asDump()).map((r) => r.slice(0, 3))).toEqual([
      ['10.0.0.1', 1, 100],
      ['10.0.0.2', 1, 30],
      ['10.0.0.3', 1, 100],
    ]);
    return rv;
  },
  'lb_as_set_weight|existing used AS, weight 20': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    return lb.setWeight(V1, '10.0.0.1', 20);
  },
  'lb_as_set_weight|existing used AS, weight 200 (>100)': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    const rv = await lb.setWeight(V1, '10.0.0.1', 200);
    expect((await lb.asDump())[0]?.weight).toBe(200);
    return rv;
  },
  'lb_as_set_weight|same weight again (no-op)': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1', 20);
    return lb.setWeight(V1, '10.0.0.1', 20);
  },
  'lb_as_set_weight|AS not on this VIP': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    return lb.setWeight(V1, '10.0.0.2', 20);
  },
  "lb_as_set_weight|AS that is 'removed' (deleted, not yet GC'd)": async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    await lb.delAs(V1, '10.0.0.1');
    return lb.setWeight(V1, '10.0.0.1', 20);
  },
  'lb_flush_vip|existing VIP': async (lb) => {
    await lb.addVip(V1, 'gre4');
    expect(await lb.flush(vip('192.0.2.250/32', 6, 80))).toBe(0); // and one that does not exist
    return lb.flush(V1);
  },
};

/** The dump cases of the fixture, as assertions. */
export const dumpScenarios: Record<string, (lb: LbOps) => Promise<void>> = {
  'lb_as_v2_dump|pfx 0.0.0.0/0 (all)': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    await lb.addAs(V1, '10.0.0.2');
    await lb.delAs(V1, '10.0.0.2');
    await lb.addVip(V6, 'gre6');
    await lb.addAs(V6, '2001:db8:a::1');
    await lb.delVip(V6);
    const all = await lb.asDump('all');
    expect(all.map((r) => [r.vip, r.address, r.flags])).toEqual([
      ['192.0.2.10/32 6:8080', '10.0.0.1', 1],
      ['192.0.2.10/32 6:8080', '10.0.0.2', 0],
      ['2001:db8::10/128 6:80', '2001:db8:a::1', 0],
    ]);
    expect(await lb.asDump({ key: vip('::/0', 0, 0), form: 'api' })).toEqual(all); // any zero prefix
  },
  'lb_as_v2_dump|filtered by an IPv4 VIP (pfx 192.0.2.10/32, protocol 6, port 8080)': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addAs(V1, '10.0.0.1');
    expect(await lb.asDump({ key: V1, form: 'api' })).toEqual([]);
    // The ip46 form (address in union bytes 12..15) does match (lb_session2 step 5).
    expect((await lb.asDump({ key: V1, form: 'ip46' })).map((r) => r.address)).toEqual(['10.0.0.1']);
  },
  'lb_as_v2_dump|filtered by an IPv6 VIP': async (lb) => {
    const V6b = vip('2001:db8::10/128', 6, 81);
    await lb.addVip(V6, 'gre6');
    await lb.addVip(V6b, 'gre6');
    await lb.addAs(V6, '2001:db8:a::1');
    await lb.addAs(V6b, '2001:db8:a::2');
    expect((await lb.asDump({ key: V6, form: 'api' })).map((r) => r.address)).toEqual(['2001:db8:a::1']);
  },
  'lb_vip_dump|any filter': async (lb) => {
    await lb.addVip(V1, 'gre4');
    await lb.addVip(V6, 'gre6');
    await lb.addVip(vip('192.0.2.11/32', 17, 53), 'gre4', 65536);
    await lb.delVip(V6);
    expect(await lb.vipDump()).toEqual([
      { vip: '192.0.2.10/32 6:8080', encap: 0, flowTableLength: 1024 },
      { vip: '192.0.2.11/32 17:53', encap: 0, flowTableLength: 0 }, // u16: 65536 reads as 0
    ]);
  },
};

/** expectedRetval: VPP aborts on a zero table length (retval null); the simulator refuses it instead. */
export function expectedRetval(c: RetvalCase): number {
  return c.retval === null || c.retval === undefined ? SIM_REFUSED_TABLE_LENGTH : c.retval;
}

export const caseKey = (c: RetvalCase) => `${c.request}|${c.case}`;
