// SimLb against every retval VPP was seen to return, its GC windows, pool reuse, dump quirks and conf.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IpAddress, parseAddress, parsePrefix } from '../../src/model/address.js';
import { buildMaglevTable, DROPPED } from '../../src/model/maglev.js';
import { makeVipKey, type VipKey } from '../../src/model/vip-key.js';
import {
  AS_DUMP_ALL,
  asDumpFilter,
  LB_ENCAP,
  LB_RETVAL,
  SIM_REFUSED_TABLE_LENGTH,
  type SimAsDetails,
  SimLb,
  type SimLbOptions,
} from '../../src/sim/sim-lb.js';
import {
  type AsRow,
  caseKey,
  dumpScenarios,
  expectedRetval,
  type LbOps,
  observedCases,
  retvalScenarios,
} from './lb-scenarios.js';

const vip = (pfx: string, protocol: number, port: number) => makeVipKey(parsePrefix(pfx), protocol, port);
const ip = (s: string) => parseAddress(s);

/** A SimLb on a hand-driven clock (seconds since VPP start). */
function harness(options: Omit<SimLbOptions, 'clock'> = {}) {
  const clock = { t: 5 };
  const sim = new SimLb({ ...options, clock: () => clock.t });
  return { sim, clock };
}

const V1 = vip('192.0.2.10/32', 6, 8080);
const V6 = vip('2001:db8::10/128', 6, 80);

/** LbOps straight on a SimLb: the scenarios of lb-scenarios.ts without a socket. */
function directOps(): LbOps {
  const { sim, clock } = harness();
  const key = (k: VipKey) => k;
  const text = (d: SimAsDetails): AsRow => ({
    vip: `${d.vip.prefix.address.text}/${d.vip.prefix.len} ${d.vip.protocol}:${d.vip.port}`,
    address: d.address.text,
    flags: d.flags,
    inUseSince: d.inUseSince,
    weight: d.weight,
    numBuckets: d.numBuckets,
  });
  return {
    setTime: (t) => {
      clock.t = t;
    },
    conf: async (ip4, ip6, sticky, timeout) =>
      sim.conf({ ip4Src: ip(ip4), ip6Src: ip(ip6), stickyBucketsPerCore: sticky, flowTimeout: timeout }),
    addVip: async (k, encap, tableLength) => sim.addVip({ key: key(k), encap, tableLength }),
    delVip: async (k) => sim.delVip(k),
    addAs: async (k, a, weight) => sim.addAs(k, ip(a), { weight }),
    delAs: async (k, a) => sim.delAs(k, ip(a)),
    setWeight: async (k, a, w) => sim.setAsWeight(k, ip(a), w),
    flush: async (k) => sim.flushVip(k),
    asDump: async (f = 'all') =>
      sim.asDump(f === 'all' ? AS_DUMP_ALL : asDumpFilter(f.key, f.form)).map(text),
    vipDump: async () =>
      sim.vipDump().map((d) => ({
        vip: `${d.prefix.address.text}/${d.prefix.len} ${d.protocol}:${d.port}`,
        encap: d.encap,
        flowTableLength: d.flowTableLength,
      })),
  };
}

describe('SimLb reproduces every case of lb_retvals_observed.json', () => {
  it('has a scenario for every observed case', () => {
    const missing = observedCases
      .map(caseKey)
      .filter((k) => !(k in retvalScenarios) && !(k in dumpScenarios));
    expect(missing).toEqual([]);
    expect(observedCases.length).toBe(
      Object.keys(retvalScenarios).length + Object.keys(dumpScenarios).length,
    );
  });
  for (const c of observedCases) {
    const key = caseKey(c);
    if (c.details !== undefined) {
      it(`${c.request}: ${c.case} → ${c.details.slice(0, 60)}`, async () => {
        await (dumpScenarios[key] as (lb: LbOps) => Promise<void>)(directOps());
      });
    } else {
      it(`${c.request}: ${c.case} → ${expectedRetval(c)}`, async () => {
        expect(await (retvalScenarios[key] as (lb: LbOps) => Promise<number>)(directOps())).toBe(
          expectedRetval(c),
        );
      });
    }
  }
  it('keeps pool slots in dumps: a re-added VIP key lists its old slot first, and re-use keeps AS slots', () => {
    const { sim } = harness();
    sim.addVip({ key: V1, encap: 'gre4' });
    sim.addAs(V1, ip('10.0.0.1'));
    sim.addAs(V1, ip('10.0.0.2'));
    sim.delAs(V1, ip('10.0.0.2'));
    const before = sim.asDump().map((d) => d.asIndex);
    sim.addAs(V1, ip('10.0.0.2'), { weight: 30 });
    expect(sim.asDump().map((d) => d.asIndex)).toEqual(before);
    sim.delVip(V1);
    sim.addVip({ key: V1, encap: 'gre4' });
    sim.addAs(V1, ip('10.0.0.1'));
    expect(sim.asDump().map((d) => [d.vipIndex, d.address.text, d.flags])).toEqual([
      [1, '10.0.0.1', 0],
      [1, '10.0.0.2', 0],
      [2, '10.0.0.1', 1],
    ]);
    expect(sim.vipDump().map((d) => d.vipIndex)).toEqual([2]);
  });
});

describe('SimLb VIP refusals not in the retval fixture', () => {
  it('a per-port sibling of another type is -73; an all-port VIP over per-port ones is -81', () => {
    const { sim } = harness();
    expect(sim.addVip({ key: vip('198.51.100.5/32', 6, 80), encap: 'gre4' })).toBe(0);
    expect(sim.addVip({ key: vip('198.51.100.5/32', 6, 81), encap: 'gre6' })).toBe(
      LB_RETVAL.INVALID_ARGUMENT,
    );
    expect(sim.addVip({ key: vip('198.51.100.5/32', 6, 81), encap: 'gre4' })).toBe(0);
    expect(sim.addVip({ key: vip('198.51.100.5/32', 255, 0), encap: 'gre4' })).toBe(LB_RETVAL.VALUE_EXIST);
  });
  it('maps (family, encap) like the API handler: IPv6 + l3dsr silently becomes gre6, IPv4 + gre6 is legal', () => {
    const { sim } = harness();
    expect(sim.addVip({ key: V6, encap: 'l3dsr' })).toBe(0);
    expect(sim.addVip({ key: vip('198.51.100.6/32', 6, 80), encap: 'gre6' })).toBe(0);
    expect(sim.addVip({ key: vip('198.51.100.7/32', 6, 80), encap: 99 })).toBe(
      LB_RETVAL.INVALID_ADDRESS_FAMILY,
    );
    expect(sim.vipDump().map((d) => d.encap)).toEqual([LB_ENCAP.gre6, LB_ENCAP.gre6]);
    // An IPv4-prefix gre6 VIP takes IPv6 ASs only.
    expect(sim.addAs(vip('198.51.100.6/32', 6, 80), ip('10.0.0.9'))).toBe(LB_RETVAL.INVALID_ADDRESS_FAMILY);
    expect(sim.addAs(vip('198.51.100.6/32', 6, 80), ip('2001:db8:b::1'))).toBe(0);
  });
  it('refuses a table length it cannot build with its own code, after VPP checks', () => {
    const { sim } = harness();
    expect(sim.addVip({ key: V1, encap: 'gre4', tableLength: 2 ** 25 })).toBe(SIM_REFUSED_TABLE_LENGTH);
    sim.addVip({ key: V1, encap: 'gre4' });
    expect(sim.addVip({ key: V1, encap: 'gre4', tableLength: 0 })).toBe(LB_RETVAL.VALUE_EXIST);
  });
  it('clears host bits of the prefix, reports flow_table_length as a u16, and keeps src_ip_sticky', () => {
    const { sim } = harness();
    expect(
      sim.addVip({
        key: vip('203.0.113.7/28', 255, 0),
        encap: 'gre4',
        tableLength: 65536,
        srcIpSticky: true,
      }),
    ).toBe(0);
    expect(sim.addVip({ key: vip('203.0.113.0/28', 255, 0), encap: 'gre4' })).toBe(LB_RETVAL.VALUE_EXIST);
    const [d] = sim.vipDump();
    expect([d?.prefix.address.text, d?.prefix.len, d?.flowTableLength]).toEqual(['203.0.113.0', 28, 0]);
    expect(sim.state().vips[1]?.srcIpSticky).toBe(true);
    expect(sim.addAs(vip('203.0.113.0/28', 255, 0), ip('10.0.0.1'))).toBe(0); // lookups normalise too
  });
  it('encodes NAT and L3DSR encap args like VPP: srv_type in the top byte, target_port swapped', () => {
    const { sim } = harness();
    expect(
      sim.addVip({ key: vip('192.0.2.20/32', 6, 80), encap: 'nat4', srvType: 0, targetPort: 8080 }),
    ).toBe(0);
    expect(sim.addVip({ key: vip('192.0.2.21/32', 6, 80), encap: 'l3dsr', dscp: 10 })).toBe(0);
    const [nat, dsr] = sim.vipDump();
    expect([nat?.encap, nat?.srvType, nat?.targetPort]).toEqual([LB_ENCAP.nat4, 0, 0x901f]);
    expect([dsr?.encap, dsr?.dscp, dsr?.srvType]).toEqual([LB_ENCAP.l3dsr, 10, 0x0a000000]);
  });
  it('creates a NODEPORT VIP whose port is taken and still answers -81', () => {
    const { sim } = harness();
    expect(sim.addVip({ key: vip('192.0.2.20/32', 6, 30000), encap: 'nat4', srvType: 1 })).toBe(0);
    expect(sim.addVip({ key: vip('192.0.2.21/32', 6, 30000), encap: 'nat4', srvType: 1 })).toBe(
      LB_RETVAL.VALUE_EXIST,
    );
    expect(sim.vipDump()).toHaveLength(2);
  });
});

describe('SimLb garbage collection', () => {
  it('keeps a removed AS at least 10 s and frees it at the next due lb-gc-process wake-up', () => {
    const { sim, clock } = harness();
    clock.t = 5.5;
    sim.addVip({ key: V1, encap: 'gre4' }); // last_gc = 5
    sim.addAs(V1, ip('10.0.0.1'));
    sim.addAs(V1, ip('10.0.0.2'));
    clock.t = 11.8;
    sim.delAs(V1, ip('10.0.0.2'));
    clock.t = 60.4;
    expect(sim.asDump()).toHaveLength(2);
    clock.t = 60.6; // wake-up at 60.5: VIP GC not due (5 + 60 > 60)
    expect(sim.asDump()).toHaveLength(2);
    clock.t = 120.4;
    expect(sim.asDump()).toHaveLength(2);
    clock.t = 120.6; // wake-up at 120.5: due, and 11 + 10 <= 120
    expect(sim.asDump().map((d) => d.address.text)).toEqual(['10.0.0.1']);
  });

  it('runs the VIP GC inline on AS add/delete at most every 60 s, and frees only ASs unused >= 10 s', () => {
    const { sim, clock } = harness();
    clock.t = 7;
    sim.addVip({ key: V6, encap: 'gre6' });
    sim.addAs(V6, ip('2001:db8:a::1'));
    sim.addAs(V6, ip('2001:db8:a::2'));
    sim.addAs(V6, ip('2001:db8:a::3'), { weight: 0 });
    clock.t = 7.75;
    sim.delAs(V6, ip('2001:db8:a::2'));
    clock.t = 67.9; // inline GC due (7 + 60 <= 67): frees a::2, sets last_gc = 67
    sim.addAs(V6, ip('2001:db8:a::4'));
    // add first, then GC: the new AS took a fresh slot, listed after a::3 (correction 10).
    expect(sim.asDump().map((d) => d.address.text)).toEqual([
      '2001:db8:a::1',
      '2001:db8:a::3',
      '2001:db8:a::4',
    ]);
    clock.t = 68.02;
    sim.delAs(V6, ip('2001:db8:a::3'));
    clock.t = 120.6; // wake-up 120.5: VIP GC not due (67 + 60 > 120)
    expect(sim.asDump().map((d) => [d.address.text, d.flags, d.inUseSince])).toContainEqual([
      '2001:db8:a::3',
      0,
      68,
    ]);
    clock.t = 180.6; // wake-up 180.5: due
    expect(sim.asDump().map((d) => d.address.text)).toEqual(['2001:db8:a::1', '2001:db8:a::4']);
  });

  it('frees a deleted VIP with its ASs, reuses its slot LIFO, and leaves stale in_use_since on reused AS slots', () => {
    const { sim, clock } = harness();
    const A = vip('203.0.113.0/28', 255, 0);
    const B = vip('198.51.100.5/32', 6, 80);
    const C = vip('192.0.2.50/32', 17, 53);
    sim.addVip({ key: A, encap: 'gre4' }); // slot 1
    sim.addAs(A, ip('10.0.1.1'));
    sim.addAs(A, ip('10.0.1.2'));
    sim.addVip({ key: B, encap: 'gre4' }); // slot 2
    clock.t = 7.33;
    sim.delVip(A);
    clock.t = 121;
    expect(sim.state().vips[1]?.free).toBe(true);
    expect(sim.addVip({ key: C, encap: 'gre4', tableLength: 8 })).toBe(0);
    expect(sim.vipDump().map((d) => [d.vipIndex, d.prefix.address.text])).toEqual([
      [1, '192.0.2.50'],
      [2, '198.51.100.5'],
    ]);
    sim.addAs(C, ip('10.0.3.1'), { weight: 255 });
    sim.addAs(C, ip('10.0.3.2'), { weight: 100 });
    sim.addAs(C, ip('10.0.3.3'), { weight: 3 });
    const d = sim.asDump();
    // W=358 > M=8: the first 8 (replica, address) entries get a bucket each (observed 3/3/2).
    expect(d.map((x) => [x.address.text, x.numBuckets, x.inUseSince])).toEqual([
      ['10.0.3.1', 3, 7],
      ['10.0.3.2', 3, 7],
      ['10.0.3.3', 2, 0],
    ]);
    // Global AS slots: freed 1 then 2, so the first new AS takes 2, the second 1, the third a new one.
    expect(d.map((x) => x.asIndex)).toEqual([2, 1, 3]);
  });

  it('a sweep skipped over a long clock jump ends in the same state as every sweep run in turn', () => {
    const build = (jump: boolean) => {
      const { sim, clock } = harness();
      sim.addVip({ key: V1, encap: 'gre4' });
      sim.addAs(V1, ip('10.0.0.1'));
      sim.addAs(V1, ip('10.0.0.2'));
      sim.delAs(V1, ip('10.0.0.2'));
      sim.delVip(V1);
      if (!jump) for (let t = 10; t < 100_000; t += 60) clock.t = t;
      clock.t = 100_000;
      return sim.state();
    };
    expect(build(true)).toEqual(build(false));
  });
});

describe('SimLb conf', () => {
  it('always overwrites both sources, keeps sticky/timeout on ~0, refuses non-power-of-two buckets', () => {
    const { sim } = harness();
    expect(sim.confGet()).toMatchObject({ stickyBucketsPerCore: 1024, flowTimeout: 40 });
    expect(sim.confGet().ip4Src.text).toBe('255.255.255.255');
    expect(sim.confGet().ip6Src.text).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(
      sim.conf({
        ip4Src: ip('10.255.0.1'),
        ip6Src: ip('2001:db8::1'),
        stickyBucketsPerCore: 2048,
        flowTimeout: 30,
      }),
    ).toBe(0);
    expect(
      sim.conf({
        ip4Src: ip('10.255.0.2'),
        ip6Src: ip('2001:db8::2'),
        stickyBucketsPerCore: 0xffffffff,
        flowTimeout: 0xffffffff,
      }),
    ).toBe(0);
    const c = sim.confGet();
    expect([c.ip4Src.text, c.ip6Src.text, c.stickyBucketsPerCore, c.flowTimeout]).toEqual([
      '10.255.0.2',
      '2001:db8::2',
      2048,
      30,
    ]);
    expect(sim.conf({ ip4Src: ip('0.0.0.0'), ip6Src: ip('::'), stickyBucketsPerCore: 1000 })).toBe(
      LB_RETVAL.INVALID_MEMORY_SIZE,
    );
    expect(sim.confGet().ip4Src.text).toBe('10.255.0.2');
    expect(sim.conf({ ip4Src: ip('0.0.0.0'), ip6Src: ip('::'), stickyBucketsPerCore: 0 })).toBe(0);
    expect(sim.confGet().ip4Src.text).toBe('0.0.0.0');
  });
});

// Random operation sequences: the table of every VIP is the Maglev table of its current USED set.
type Op =
  | { kind: 'add'; as: number; weight: number }
  | { kind: 'del'; as: number }
  | { kind: 'weight'; as: number; weight: number }
  | { kind: 'tick'; s: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    as: fc.integer({ min: 0, max: 7 }),
    weight: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('del' as const), as: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('weight' as const),
    as: fc.integer({ min: 0, max: 7 }),
    weight: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('tick' as const), s: fc.integer({ min: 1, max: 90 }) }),
);

describe('SimLb properties', () => {
  it('each table equals the Maglev table of the used (address, weight) set, whatever the history', () => {
    const addrs: IpAddress[] = Array.from({ length: 8 }, (_, i) => ip(`10.0.${i}.${i * 7 + 1}`));
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { sim, clock } = harness();
        const key: VipKey = V1;
        sim.addVip({ key, encap: 'gre4', tableLength: 64 });
        const model = new Map<number, number>(); // used ASs only
        for (const op of ops) {
          if (op.kind === 'tick') clock.t += op.s;
          else if (op.kind === 'add') {
            const rv = sim.addAs(key, addrs[op.as] as IpAddress, { weight: op.weight });
            expect(rv).toBe(model.has(op.as) ? LB_RETVAL.VALUE_EXIST : 0);
            if (rv === 0) model.set(op.as, op.weight);
          } else if (op.kind === 'del') {
            const present = sim.asDump().some((d) => d.address.text === (addrs[op.as] as IpAddress).text);
            expect(sim.delAs(key, addrs[op.as] as IpAddress)).toBe(present ? 0 : LB_RETVAL.NO_SUCH_ENTRY);
            model.delete(op.as);
          } else {
            const rv = sim.setAsWeight(key, addrs[op.as] as IpAddress, op.weight);
            expect(rv).toBe(model.has(op.as) ? 0 : LB_RETVAL.NO_SUCH_ENTRY);
            if (rv === 0) model.set(op.as, op.weight);
          }
        }
        const servers = [...model].map(([i, weight]) => ({ address: addrs[i] as IpAddress, weight }));
        const want = buildMaglevTable(servers, 64);
        const dump = sim.asDump();
        const owner = new Map(dump.map((d) => [d.asIndex, d.address.text]));
        const got = Array.from(sim.tableOf(key) as Int32Array, (g) => (g === 0 ? null : owner.get(g)));
        expect(got).toEqual(
          Array.from(want.owners, (o) => (o === DROPPED ? null : servers[o]?.address.text)),
        );
        // num_buckets per AS agrees with the table; removed ASs own nothing.
        for (const d of dump) {
          expect(d.numBuckets).toBe(got.filter((x) => x === d.address.text).length);
          if (d.flags === 0 || d.weight === 0) expect(d.numBuckets).toBe(0);
        }
      }),
      { numRuns: 120 },
    );
  });
});
