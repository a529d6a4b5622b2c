// Reconciler scenarios through the real socket, as step tables: action → exact lb calls → SimLb state.
import { afterEach, describe, expect, it } from 'vitest';
import { LbAddDelVipV2Def } from 'vpp-binapi-ts/lb';
import { parseAddress, parsePrefix } from '../../src/model/address.js';
import type { DesiredModel } from '../../src/model/desired.js';
import { makeVipKey, PROTO_ANY, PROTO_TCP, PROTO_UDP } from '../../src/model/vip-key.js';
import { loadCapture } from '../fakes/captures.js';
import { buildModel, type FrontendInput } from './builders.js';
import { bucketOwners, type HealthInput, Rig, runSteps, simLines, waitFor } from './socket-rig.js';

const backends = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4' };
type Lb = Parameters<typeof buildModel>[2];
const web = (over: Partial<FrontendInput> = {}): FrontendInput => ({
  name: 'web',
  vip: '192.0.2.1',
  pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } },
  ...over,
});
const dns = (over: Partial<FrontendInput> = {}): FrontendInput => ({
  name: 'dns',
  vip: '192.0.2.2',
  port: 53,
  protocol: PROTO_UDP,
  pools: { p: { d: 100 } },
  ...over,
});
function model(lb: Lb = {}, fes: FrontendInput[] = [web(), dns()], be: Record<string, string> = backends) {
  return buildModel(be, fes, lb);
}
function withApiTimeout(m: DesiredModel, ms: number): DesiredModel {
  return { ...m, vpp: { ...m.vpp, apiTimeoutMs: ms } };
}
const allUp: HealthInput = { a: 'up', b: 'up', c: 'up', d: 'up' };
const WEB = '192.0.2.1/32 tcp:80';
const DNS = '192.0.2.2/32 udp:53';
const STRAY = '203.0.113.1/32 tcp:80';
const WEB_LIVE = `${WEB} gre4 1024: 10.0.0.1=100 10.0.0.2=50 10.0.0.3=0`;
const DNS_LIVE = `${DNS} gre4 1024: 10.0.0.4=100`;
const CONF = 'conf 192.0.2.254 2001:db8::fe 65536 40';
const DUMP = ['dump-vips', 'dump-ases'];
const CREATE_WEB = [
  `vip-add ${WEB} gre4 1024`,
  `as-add ${WEB} 10.0.0.1 100`,
  `as-add ${WEB} 10.0.0.2 50`,
  `as-add ${WEB} 10.0.0.3 0`,
];
const webKey = makeVipKey(parsePrefix('192.0.2.1/32'), PROTO_TCP, 80);
const dnsKey = makeVipKey(parsePrefix('192.0.2.2/32'), PROTO_UDP, 53);
const strayKey = makeVipKey(parsePrefix('203.0.113.1/32'), PROTO_TCP, 80);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function addStray(sim: Rig['sim']): void {
  sim.addVip({ key: strayKey, encap: 'gre4' });
  sim.addAs(strayKey, parseAddress('10.9.9.9'), { weight: 100 });
}

describe('reconciler through the socket: start and warmup', () => {
  it('fresh start: lb conf, then every VIP in numeric order; sync and identical reload change nothing', async () => {
    rig = await Rig.start(model(), allUp);
    await runSteps(rig, [
      {
        what: 'connect',
        calls: [
          ...DUMP,
          'conf-get',
          CONF,
          ...CREATE_WEB,
          `vip-add ${DNS} gre4 1024`,
          `as-add ${DNS} 10.0.0.4 100`,
        ],
        live: [WEB_LIVE, DNS_LIVE],
      },
      { what: 'maglevctl sync', act: (x) => x.r.requestSync('sync'), calls: DUMP },
      { what: 'identical reload', act: (x) => x.config(model()), calls: DUMP },
    ]);
  });

  it('warmup: nothing during startup-min-delay, then per frontend as health becomes known; reload keeps the clock', async () => {
    const lb = { startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 };
    rig = await Rig.start(model(lb), { a: 'up', b: 'up', c: 'up' }, { before: addStray });
    const strayLive = `${STRAY} gre4 1024: 10.9.9.9=100`;
    await runSteps(rig, [
      { what: 'connect at 0 s: not even lb_conf', calls: [], live: [strayLive] },
      { what: '4.9 s', act: (x) => x.clock.advance(4900), calls: [] },
      {
        what: '5 s: lb conf, then web (all its backends known); dns held (d unknown), the stray kept',
        act: (x) => x.clock.advance(100),
        calls: [...DUMP, 'conf-get', CONF, ...CREATE_WEB],
        live: [WEB_LIVE, strayLive],
        check: (x) => expect(x.r.warmupPhase()).toBe('releasing'),
      },
      {
        what: '8 s: d is up: dns released alone, without a dump',
        act: (x) => {
          x.clock.advance(3000);
          x.health({ d: 'up' });
        },
        calls: [`vip-add ${DNS} gre4 1024`, `as-add ${DNS} 10.0.0.4 100`],
        live: [WEB_LIVE, DNS_LIVE, strayLive],
      },
      {
        what: '10 s: identical reload: only the dumps, warmup still running',
        act: (x) => {
          x.clock.advance(2000);
          x.config(model(lb));
        },
        calls: DUMP,
        check: (x) => expect(x.r.warmupPhase()).toBe('releasing'),
      },
      {
        what: '30 s: startup-max-delay: warmup done, the stray VIP goes',
        act: (x) => x.clock.advance(20_000),
        calls: [...DUMP, `vip-del ${STRAY}`],
        live: [WEB_LIVE, DNS_LIVE],
        check: (x) => expect(x.r.warmupPhase()).toBe('done'),
      },
    ]);
  });

  it('warmup: startup-max-delay releases a frontend whose backend is still unknown', async () => {
    const lb = { startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 };
    rig = await Rig.start(model(lb), { a: 'up', b: 'up', c: 'up' });
    await runSteps(rig, [
      { what: '5 s', act: (x) => x.clock.advance(5000), live: [WEB_LIVE] },
      { what: '29.9 s', act: (x) => x.clock.advance(24_900), calls: [] },
      {
        what: '30 s: dns programmed with d at weight 0',
        act: (x) => x.clock.advance(100),
        calls: [...DUMP, `vip-add ${DNS} gre4 1024`, `as-add ${DNS} 10.0.0.4 0`],
        live: [WEB_LIVE, `${DNS} gre4 1024: 10.0.0.4=0`],
        check: (x) => expect(x.r.weights.get('dns')?.state).toBe('unknown'),
      },
      { what: 'd up', act: (x) => x.health({ d: 'up' }), calls: [`as-weight ${DNS} 10.0.0.4 100`] },
    ]);
  });
});

describe('reconciler through the socket: health and operator', () => {
  it('fails over to the second pool and back with weight changes only', async () => {
    rig = await Rig.start(model(), allUp);
    await runSteps(rig, [
      { what: 'connect', live: [WEB_LIVE, DNS_LIVE] },
      {
        what: 'a and b down: the fallback is raised first, then the primary drained with flush',
        act: (x) => x.health({ a: 'down', b: 'down' }),
        calls: [
          `as-weight ${WEB} 10.0.0.3 100`,
          `as-weight ${WEB} 10.0.0.1 0 flush`,
          `as-weight ${WEB} 10.0.0.2 0 flush`,
        ],
        live: [`${WEB} gre4 1024: 10.0.0.1=0 10.0.0.2=0 10.0.0.3=100`, DNS_LIVE],
        check: (x) => expect(x.r.weights.get('web')?.activePool).toBe('fallback'),
      },
      {
        what: 'a up: primary active again, the fallback drained gracefully (no flush)',
        act: (x) => x.health({ a: 'up' }),
        calls: [`as-weight ${WEB} 10.0.0.1 100`, `as-weight ${WEB} 10.0.0.3 0`],
        live: [`${WEB} gre4 1024: 10.0.0.1=100 10.0.0.2=0 10.0.0.3=0`, DNS_LIVE],
      },
      {
        what: 'b up',
        act: (x) => x.health({ b: 'up' }),
        calls: [`as-weight ${WEB} 10.0.0.2 50`],
        live: [WEB_LIVE, DNS_LIVE],
      },
    ]);
  });

  it('all down, disabled, flush-on-down off', async () => {
    const m = model({}, [web({ flushOnDown: false }), dns()]);
    rig = await Rig.start(m, allUp);
    await runSteps(rig, [
      { what: 'connect', live: [WEB_LIVE, DNS_LIVE] },
      {
        what: 'a disabled: weight 0 with flush even though flush-on-down is off',
        act: (x) => x.health({ a: 'disabled' }),
        calls: [`as-weight ${WEB} 10.0.0.1 0 flush`],
      },
      {
        what: 'everything else down: no flush on web (flush-on-down off), flush on dns',
        act: (x) => x.health({ b: 'down', c: 'down', d: 'down' }),
        calls: [`as-weight ${WEB} 10.0.0.2 0`, `as-weight ${DNS} 10.0.0.4 0 flush`],
        live: [`${WEB} gre4 1024: 10.0.0.1=0 10.0.0.2=0 10.0.0.3=0`, `${DNS} gre4 1024: 10.0.0.4=0`],
        check: (x) => {
          expect(x.r.weights.get('web')?.state).toBe('down');
          expect(x.r.weights.get('dns')?.state).toBe('down');
        },
      },
      {
        what: 'c (fallback) up: web fails over',
        act: (x) => x.health({ c: 'up' }),
        calls: [`as-weight ${WEB} 10.0.0.3 100`],
      },
    ]);
  });

  it('weight override 0 without and with flush; a pool drained by overrides fails over', async () => {
    rig = await Rig.start(model(), allUp);
    await runSteps(rig, [
      { what: 'connect', live: [WEB_LIVE, DNS_LIVE] },
      {
        what: 'set weight web/primary/a 0',
        act: (x) => x.r.setOverride('web', 'primary', 'a', { weight: 0, flush: false }),
        calls: [`as-weight ${WEB} 10.0.0.1 0`],
      },
      {
        what: 'set weight web/primary/b 0 --flush: primary drained, fallback raised first',
        act: (x) => x.r.setOverride('web', 'primary', 'b', { weight: 0, flush: true }),
        calls: [`as-weight ${WEB} 10.0.0.3 100`, `as-weight ${WEB} 10.0.0.2 0 flush`],
        check: (x) => expect(x.r.weights.get('web')?.activePool).toBe('fallback'),
      },
      {
        what: 'both overrides cleared in one go: one pass',
        act: (x) => {
          x.r.setOverride('web', 'primary', 'a', undefined);
          x.r.setOverride('web', 'primary', 'b', undefined);
        },
        calls: [
          `as-weight ${WEB} 10.0.0.1 100`,
          `as-weight ${WEB} 10.0.0.2 50`,
          `as-weight ${WEB} 10.0.0.3 0`,
        ],
        live: [WEB_LIVE, DNS_LIVE],
      },
    ]);
  });

  it('a backend leaves the config (delete without flush unless it was down) or moves address', async () => {
    rig = await Rig.start(model(), allUp);
    const noB = model({}, [web({ pools: { primary: { a: 100 }, fallback: { c: 100 } } }), dns()]);
    const noC = model({}, [web({ pools: { primary: { a: 100 } } }), dns()]);
    const moved = model({}, [web({ pools: { primary: { a: 100 } } }), dns()], {
      ...backends,
      a: '10.0.0.11',
    });
    await runSteps(rig, [
      { what: 'connect', live: [WEB_LIVE, DNS_LIVE] },
      {
        what: 'b leaves while up: deleted, no flush',
        act: (x) => x.config(noB, { ...x.states, b: 'removed:up' }),
        calls: [...DUMP, `as-del ${WEB} 10.0.0.2`],
      },
      {
        what: 'c goes down: already weight 0, nothing to do',
        act: (x) => x.health({ c: 'down' }),
        calls: [],
      },
      {
        what: 'c leaves while down: deleted with flush',
        act: (x) => x.config(noC, { ...x.states, c: 'removed:down' }),
        calls: [...DUMP, `as-del ${WEB} 10.0.0.3 flush`],
        live: [`${WEB} gre4 1024: 10.0.0.1=100`, DNS_LIVE],
      },
      {
        what: 'a moves to 10.0.0.11 (its health restarts unknown): new AS added before the old one goes',
        act: (x) => x.config(moved, { ...x.states, a: 'unknown' }),
        calls: [...DUMP, `as-add ${WEB} 10.0.0.11 0`, `as-del ${WEB} 10.0.0.1`],
        live: [`${WEB} gre4 1024: 10.0.0.11=0`, DNS_LIVE],
      },
      {
        what: 'a up at its new address',
        act: (x) => x.health({ a: 'up' }),
        calls: [`as-weight ${WEB} 10.0.0.11 100`],
        live: [`${WEB} gre4 1024: 10.0.0.11=100`, DNS_LIVE],
      },
    ]);
  });
});

/** A small deterministic PRNG (mulberry32), so a failing shuffle can be replayed. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('reconciler through the socket: determinism', () => {
  it('shuffled event order and map insertion order give the same calls and the same bucket tables', async () => {
    // Six frontends (IPv4 and IPv6, shared backends), two pools each; events reach every backend once.
    const be: [string, string][] = [];
    for (let i = 1; i <= 8; i++)
      be.push([`v4b${i}`, `10.1.0.${i * 7}`], [`v6b${i}`, `2001:db8:1::${(i * 13).toString(16)}`]);
    const fes: FrontendInput[] = [];
    for (let f = 0; f < 6; f++) {
      const fam = f % 2 === 0 ? 'v4' : 'v6';
      const vip = fam === 'v4' ? `198.51.100.${40 - f}` : `2001:db8:ff::${10 - f}`;
      const pick = (k: number) => `${fam}b${((f + k) % 8) + 1}`;
      fes.push({
        name: `fe${f}`,
        vip,
        port: 80 + (f % 3),
        pools: {
          one: { [pick(0)]: 100, [pick(1)]: 30 + f, [pick(2)]: 0 },
          two: { [pick(3)]: 100, [pick(4)]: 60 },
        },
      });
    }
    const rnd0 = prng(1);
    const events = be.map(([n]) => [n, rnd0() < 0.4 ? 'down' : rnd0() < 0.2 ? 'paused:up' : 'up'] as const);
    const runs: { calls: string[]; tables: string[][] }[] = [];
    for (const seed of [11, 22, 33]) {
      const rnd = prng(seed);
      const m = buildModel(
        Object.fromEntries(shuffle(be, rnd)),
        shuffle(fes, rnd).map((fe) => ({
          ...fe,
          pools: Object.fromEntries(
            Object.entries(fe.pools).map(([p, members]) => [
              p,
              Object.fromEntries(shuffle(Object.entries(members), rnd)),
            ]),
          ),
        })),
      );
      rig = await Rig.start(m, {});
      await rig.settle();
      const calls = rig.calls();
      for (const [n, s] of shuffle(events, rnd)) rig.health({ [n]: s });
      await rig.settle();
      calls.push('--', ...rig.calls());
      const tables = [...m.frontends.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((fe) => bucketOwners(rig!.sim, fe.vip));
      runs.push({ calls, tables });
      await rig.stop();
      rig = undefined;
    }
    const [first, ...rest] = runs;
    expect(first?.calls.slice(first.calls.indexOf('--') + 1).length).toBeGreaterThan(6);
    expect(first?.tables.every((t) => t.length === 1024 && t.some((o) => o !== '-'))).toBe(true);
    for (const r of rest) {
      expect(r.calls).toEqual(first?.calls);
      expect(r.tables).toEqual(first?.tables);
    }
  });
});

describe('reconciler through the socket: drift, restart, conflicts', () => {
  it("drift behind the daemon's back is repaired by the next full sync; a removed AS is re-used", async () => {
    rig = await Rig.start(model(), allUp);
    const a = parseAddress('10.0.0.1');
    const b = parseAddress('10.0.0.2');
    let bSlot = -1;
    const slotOf = (x: Rig) =>
      x.sim.asDump().find((d) => d.address.text === '10.0.0.2' && d.vip.port === 80)?.asIndex;
    await runSteps(rig, [
      {
        what: 'connect',
        live: [WEB_LIVE, DNS_LIVE],
        check: (x) => {
          bSlot = slotOf(x) ?? -1;
        },
      },
      {
        what: 'behind its back: b deleted, a weighted 7, dns deleted, a stray VIP added',
        act: (x) => {
          expect(x.sim.delAs(webKey, b)).toBe(0);
          expect(x.sim.setAsWeight(webKey, a, 7)).toBe(0);
          expect(x.sim.delVip(dnsKey)).toBe(0);
          addStray(x.sim);
        },
        calls: [],
        live: [`${WEB} gre4 1024: 10.0.0.1=7 10.0.0.3=0`, `${STRAY} gre4 1024: 10.9.9.9=100`],
      },
      {
        what: 'sync-interval: one full sync repairs all of it (removed ASs in the dump are ignored)',
        act: (x) => x.clock.advance(30_000),
        calls: [
          ...DUMP,
          `as-weight ${WEB} 10.0.0.1 100`,
          `as-add ${WEB} 10.0.0.2 50`,
          `vip-add ${DNS} gre4 1024`,
          `as-add ${DNS} 10.0.0.4 100`,
          `vip-del ${STRAY}`,
        ],
        live: [WEB_LIVE, DNS_LIVE],
        check: (x) => expect(slotOf(x)).toBe(bSlot),
      },
      { what: 'the next interval finds nothing to do', act: (x) => x.clock.advance(30_000), calls: DUMP },
    ]);
  });

  it('VPP restarts empty with renumbered IDs: everything reprogrammed at once, warmup or not', async () => {
    const lb = { startupMinDelayMs: 5000, startupMaxDelayMs: 30_000, syncIntervalMs: 60_000 };
    const capture = loadCapture('lb_session.json');
    rig = await Rig.start(model(lb), { a: 'up', b: 'up', c: 'up' }, { fake: { table: capture.table } });
    let idBefore = 0;
    await runSteps(rig, [
      {
        what: '5 s: web released (d unknown holds dns)',
        act: (x) => x.clock.advance(5000),
        live: [WEB_LIVE],
        check: (x) => {
          idBefore = x.fake.idOf(LbAddDelVipV2Def);
        },
      },
      {
        what: 'VPP restarts (captured 850-entry table, IDs moved by 7): lb conf and every VIP at once',
        act: async (x) => {
          const connects = x.client.stats.connects;
          await x.restartVpp(7);
          await waitFor(() => x.client.stats.connects > connects && x.r.connected, 'the reconnect');
        },
        calls: [
          ...DUMP,
          'conf-get',
          CONF,
          ...CREATE_WEB,
          `vip-add ${DNS} gre4 1024`,
          `as-add ${DNS} 10.0.0.4 0`,
        ],
        live: [WEB_LIVE, `${DNS} gre4 1024: 10.0.0.4=0`],
        check: (x) => {
          expect(x.fake.idOf(LbAddDelVipV2Def)).toBe(idBefore + 7);
          expect(x.client.messageCount).toBe(capture.table.length);
          expect(x.r.warmupPhase()).toBe('done');
        },
      },
      { what: 'startup-max-delay passes: no extra sync', act: (x) => x.clock.advance(25_000), calls: [] },
    ]);
  });

  it('a VIP someone else created conflicts (-81): reported, retried each pass, converges once it goes', async () => {
    const allPort = makeVipKey(parsePrefix('192.0.2.1/32'), PROTO_ANY, 0);
    rig = await Rig.start(model({ removeUnknownVips: false }), allUp, {
      before: (sim) => sim.addVip({ key: allPort, encap: 'gre4' }),
    });
    const foreign = '192.0.2.1/32 any gre4 1024: ';
    await runSteps(rig, [
      {
        what: 'connect: web refused, the rest goes on',
        calls: [
          ...DUMP,
          'conf-get',
          CONF,
          `vip-add ${WEB} gre4 1024`,
          `vip-add ${DNS} gre4 1024`,
          `as-add ${DNS} 10.0.0.4 100`,
        ],
        live: [foreign, DNS_LIVE],
        check: (x) => {
          const report = x.passes.at(-1)?.report;
          expect(report?.refusedVips).toEqual(new Set([WEB]));
          expect(report?.outcomes.find((o) => o.status === 'failed')).toMatchObject({
            step: { kind: 'vip-add' },
            attempts: 1,
            error: { code: 'ERR_VPP_RETVAL', retval: -81, retvalName: 'VNET_API_ERROR_VALUE_EXIST' },
          });
        },
      },
      {
        what: 'a transition on web: tried again, refused again',
        act: (x) => x.health({ a: 'up' }),
        calls: [`vip-add ${WEB} gre4 1024`],
      },
      {
        what: 'the other VIP goes; the next sync converges',
        act: (x) => {
          expect(x.sim.delVip(allPort)).toBe(0);
          x.r.requestSync('sync');
        },
        calls: [...DUMP, ...CREATE_WEB],
        live: [WEB_LIVE, DNS_LIVE],
        check: (x) => expect(x.passes.at(-1)?.report?.failed).toBe(0),
      },
    ]);
  });

  it('with remove-unknown-vips the conflicting VIP is deleted last, and the next sync converges', async () => {
    const allPort = makeVipKey(parsePrefix('192.0.2.1/32'), PROTO_ANY, 0);
    rig = await Rig.start(model(), allUp, { before: (sim) => sim.addVip({ key: allPort, encap: 'gre4' }) });
    await runSteps(rig, [
      {
        what: 'connect',
        calls: [
          ...DUMP,
          'conf-get',
          CONF,
          `vip-add ${WEB} gre4 1024`,
          `vip-add ${DNS} gre4 1024`,
          `as-add ${DNS} 10.0.0.4 100`,
          'vip-del 192.0.2.1/32 any',
        ],
        live: [DNS_LIVE],
      },
      {
        what: 'sync',
        act: (x) => x.r.requestSync('sync'),
        calls: [...DUMP, ...CREATE_WEB],
        live: [WEB_LIVE, DNS_LIVE],
      },
    ]);
  });
});

describe('reconciler through the socket: lb conf, slow and hung VPP, plan preview', () => {
  it('lb conf: read on connect, written only when it differs; a refusal does not hold the VIPs', async () => {
    rig = await Rig.start(model(), allUp, {
      before: (sim) =>
        sim.conf({
          ip4Src: parseAddress('192.0.2.254'),
          ip6Src: parseAddress('2001:db8::fe'),
          stickyBucketsPerCore: 65536,
          flowTimeout: 40,
        }),
    });
    await runSteps(rig, [
      {
        what: 'connect: conf already right',
        calls: [...DUMP, 'conf-get', ...CREATE_WEB, `vip-add ${DNS} gre4 1024`, `as-add ${DNS} 10.0.0.4 100`],
      },
      {
        what: 'reload with flow-timeout 41 s: written once',
        act: (x) => x.config(model({ flowTimeoutS: 41 })),
        calls: [...DUMP, 'conf 192.0.2.254 2001:db8::fe 65536 41'],
        check: (x) => expect(x.sim.confGet().flowTimeout).toBe(41),
      },
      {
        what: 'reload with a sticky bucket count VPP refuses (-70): logged, VIP changes still made',
        act: (x) =>
          x.config(model({ stickyBucketsPerCore: 1000, flowTimeoutS: 41 }), { ...allUp, a: 'down' }),
        calls: [...DUMP, 'conf 192.0.2.254 2001:db8::fe 1000 41', `as-weight ${WEB} 10.0.0.1 0 flush`],
      },
      {
        what: 'a transition does not retry lb conf',
        act: (x) => x.health({ a: 'up' }),
        calls: [`as-weight ${WEB} 10.0.0.1 100`],
      },
      {
        what: 'the next full sync does',
        act: (x) => x.r.requestSync('sync'),
        calls: [...DUMP, 'conf 192.0.2.254 2001:db8::fe 1000 41'],
      },
    ]);
  });

  it('a reply that comes too late: the retry finds the AS there and counts the step done', async () => {
    // 400 ms: long enough that a loaded test machine never times out by itself, short for the test.
    rig = await Rig.start(withApiTimeout(model(), 400), allUp);
    await runSteps(rig, [
      { what: 'connect', live: [WEB_LIVE, DNS_LIVE] },
      {
        what: 'a new backend e; the first reply to its add is held past api-timeout',
        act: (x) => {
          x.fake.delayReplies('lb_add_del_as_v2_reply', 800, 1);
          x.config(
            withApiTimeout(
              model(
                {},
                [web({ pools: { primary: { a: 100, b: 50, e: 10 }, fallback: { c: 100 } } }), dns()],
                { ...backends, e: '10.0.0.5' },
              ),
              400,
            ),
            { ...allUp, e: 'up' },
          );
        },
        calls: [...DUMP, `as-add ${WEB} 10.0.0.5 10`, `as-add ${WEB} 10.0.0.5 10`],
        live: [`${WEB} gre4 1024: 10.0.0.1=100 10.0.0.2=50 10.0.0.3=0 10.0.0.5=10`, DNS_LIVE],
        check: (x) => {
          const o = x.passes.at(-1)?.report?.outcomes;
          expect(o?.map((s) => [s.status, s.attempts])).toEqual([['ok', 2]]);
          expect(x.r.dirtyCount).toBe(0);
        },
      },
    ]);
  });

  it('a pass against a hung VPP ends at its deadline; the reconciler stays responsive and converges later', async () => {
    const fes = [0, 1, 2, 3].map((i) => ({
      name: `f${i}`,
      vip: `192.0.2.${10 + i}`,
      pools: { p: { [`x${i}`]: 100 } },
    }));
    const be = Object.fromEntries(fes.map((_, i) => [`x${i}`, `10.0.1.${i + 1}`]));
    const up = Object.fromEntries(Object.keys(be).map((n) => [n, 'up']));
    const down = Object.fromEntries(Object.keys(be).map((n) => [n, 'down']));
    rig = await Rig.start(withApiTimeout(buildModel(be, fes), 100), up, {
      realTime: true,
      reconciler: { passDeadlineMs: 400 },
    });
    await rig.settle();
    // With a 100 ms api-timeout a loaded machine may need the retry timer to finish programming.
    const programmed = (w: number) =>
      fes.map((_, i) => `192.0.2.${10 + i}/32 tcp:80 gre4 1024: 10.0.1.${i + 1}=${w}`);
    await waitFor(
      () => JSON.stringify(simLines(rig!.sim)) === JSON.stringify(programmed(100)),
      'programming',
    );
    await waitFor(() => rig!.r.dirtyCount === 0, 'nothing left to retry');
    await rig.r.whenIdle();
    const before = rig.passes.length;
    rig.fake.hang();
    rig.health(down);
    // Responsive while the pass waits on VPP: inputs return at once, and a preview answers from the record.
    const preview = await rig.r.previewPlan(false);
    expect(preview.steps.map((s) => s.kind)).toEqual(['as-weight', 'as-weight', 'as-weight', 'as-weight']);
    await waitFor(() => rig!.passes.length > before, 'the hung pass to end');
    const hung = rig.passes[before];
    expect(hung?.report?.aborted).toBe('the sync pass reached its deadline');
    expect(hung?.report?.outcomes.filter((o) => o.status === 'skipped').length).toBeGreaterThan(0);
    expect(rig.r.dirtyCount).toBe(4);
    rig.fake.hang(false);
    await waitFor(
      () => JSON.stringify(simLines(rig!.sim)) === JSON.stringify(programmed(0)),
      'convergence after the hang',
    );
    await rig.r.whenIdle();
    expect(rig.r.dirtyCount).toBe(0);
  });

  it('plan preview: per VIP the calls and the buckets they move, equal to what SimLb then moves', async () => {
    rig = await Rig.start(model(), allUp);
    await rig.settle();
    const a = parseAddress('10.0.0.1');
    expect(rig.sim.setAsWeight(webKey, a, 7)).toBe(0);
    rig.calls();
    const before = bucketOwners(rig.sim, webKey);
    const preview = await rig.r.previewPlan(true);
    expect(rig.calls()).toEqual(DUMP);
    expect(preview.fresh).toBe(true);
    expect(
      preview.vips.map((v) => ({
        vip: v.vip,
        frontend: v.frontend,
        lines: v.lines,
        tableLength: v.tableLength,
      })),
    ).toEqual([
      {
        vip: WEB,
        frontend: 'web',
        lines: [`lb_as_set_weight ${WEB} as 10.0.0.1 weight 7 → 100`],
        tableLength: 1024,
      },
    ]);
    rig.r.requestSync('sync');
    await rig.settle();
    const after = bucketOwners(rig.sim, webKey);
    const moved = before.filter((o, i) => o !== after[i]).length;
    expect(moved).toBeGreaterThan(0);
    expect(preview.vips[0]?.bucketsMoved).toBe(moved);
  });
});
