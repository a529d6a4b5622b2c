// The pure plan: spec §6's order, make-before-break, recreate, unknown VIPs, and determinism.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../src/model/address.js';
import type { DesiredVip, LbAsState, LbLiveState, LbVipState } from '../../src/model/lb-state.js';
import { makeVipKey, vipKeyString } from '../../src/model/vip-key.js';
import { buildDesiredLb } from '../../src/reconciler/desired-vips.js';
import { LiveRecord } from '../../src/reconciler/live-record.js';
import { describeStep, planAll } from '../../src/reconciler/plan.js';
import { buildHealth, buildModel } from './builders.js';

const opts = { removeUnknownVips: true };

function live(
  vips: Array<{
    vip: string;
    port?: number;
    encap?: 'gre4' | 'gre6';
    ases: Record<string, number>;
    table?: number;
  }>,
): LbLiveState {
  const m = new Map<string, LbVipState>();
  for (const v of vips) {
    const key = makeVipKey(parsePrefix(v.vip), 6, v.port ?? 80);
    const ases = new Map<string, LbAsState>();
    for (const [a, w] of Object.entries(v.ases))
      ases.set(parseAddress(a).text, { address: parseAddress(a), weight: w, numBuckets: undefined });
    m.set(vipKeyString(key), {
      key,
      encap: v.encap ?? 'gre4',
      srcIpSticky: undefined,
      tableLength: v.table ?? 1024,
      ases,
    });
  }
  return { vips: m };
}

const backends = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.10', d: '10.0.0.9', v6: '2001:db8::1' };
const model = buildModel(backends, [
  { name: 'web6', vip: '2001:db8:100::1', pools: { p: { v6: 100 } } },
  { name: 'web-b', vip: '192.0.2.10', pools: { p: { c: 100, d: 100 } } },
  { name: 'web-a', vip: '192.0.2.9', port: 443, pools: { p: { a: 100, b: 50 } } },
  { name: 'web-a80', vip: '192.0.2.9', port: 80, pools: { p: { a: 100 } } },
]);

describe('plan', () => {
  it('creates VIPs by family, numeric address, protocol and port, with ASs in numeric order', () => {
    const d = buildDesiredLb(
      model,
      buildHealth(model, { a: 'up', b: 'up', c: 'up', d: 'up', v6: 'up' }),
      new Map(),
    );
    expect(planAll(d.vips, live([]), opts).map(describeStep)).toEqual([
      'lb_add_del_vip_v2 add 192.0.2.9/32 tcp:80 encap gre4 sticky false table 1024',
      'lb_add_del_as_v2 add 192.0.2.9/32 tcp:80 as 10.0.0.1 weight 100',
      'lb_add_del_vip_v2 add 192.0.2.9/32 tcp:443 encap gre4 sticky false table 1024',
      'lb_add_del_as_v2 add 192.0.2.9/32 tcp:443 as 10.0.0.1 weight 100',
      'lb_add_del_as_v2 add 192.0.2.9/32 tcp:443 as 10.0.0.2 weight 50',
      'lb_add_del_vip_v2 add 192.0.2.10/32 tcp:80 encap gre4 sticky false table 1024',
      'lb_add_del_as_v2 add 192.0.2.10/32 tcp:80 as 10.0.0.9 weight 100',
      'lb_add_del_as_v2 add 192.0.2.10/32 tcp:80 as 10.0.0.10 weight 100',
      'lb_add_del_vip_v2 add 2001:db8:100::1/128 tcp:80 encap gre6 sticky false table 1024',
      'lb_add_del_as_v2 add 2001:db8:100::1/128 tcp:80 as 2001:db8::1 weight 100',
    ]);
  });

  it('makes before it breaks: adds and raises, then lowers with flush, then deletes; unknown VIPs last', () => {
    const m = buildModel({ a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', e: '10.0.0.5' }, [
      { name: 'web', vip: '192.0.2.1', pools: { p: { a: 100, b: 100, e: 100 } } },
    ]);
    const d = buildDesiredLb(m, buildHealth(m, { a: 'down', b: 'up', e: 'up' }), new Map());
    const l = live([
      { vip: '192.0.2.1', ases: { '10.0.0.1': 100, '10.0.0.2': 50, '10.0.0.3': 100 } },
      { vip: '192.0.2.0', port: 8080, ases: { '10.0.0.1': 1 } },
    ]);
    expect(planAll(d.vips, l, opts).map(describeStep)).toEqual([
      'lb_as_set_weight 192.0.2.1/32 tcp:80 as 10.0.0.2 weight 50 → 100',
      'lb_add_del_as_v2 add 192.0.2.1/32 tcp:80 as 10.0.0.5 weight 100',
      'lb_as_set_weight 192.0.2.1/32 tcp:80 as 10.0.0.1 weight 100 → 0 flush',
      'lb_add_del_as_v2 del 192.0.2.1/32 tcp:80 as 10.0.0.3',
      'lb_add_del_vip_v2 del 192.0.2.0/32 tcp:8080 (unknown)',
    ]);
    expect(planAll(d.vips, l, { removeUnknownVips: false }).map(describeStep)).not.toContain(
      'lb_add_del_vip_v2 del 192.0.2.0/32 tcp:8080 (unknown)',
    );
  });

  it('is empty when in sync', () => {
    const h = buildHealth(model, { a: 'up', b: 'up', c: 'up', d: 'up', v6: 'up' });
    const d = buildDesiredLb(model, h, new Map());
    const l = live([
      { vip: '192.0.2.9', port: 80, ases: { '10.0.0.1': 100 } },
      { vip: '192.0.2.9', port: 443, ases: { '10.0.0.1': 100, '10.0.0.2': 50 } },
      { vip: '192.0.2.10', ases: { '10.0.0.9': 100, '10.0.0.10': 100 } },
      { vip: '2001:db8:100::1', encap: 'gre6', ases: { '2001:db8::1': 100 } },
    ]);
    expect(planAll(d.vips, l, opts)).toEqual([]);
  });

  it('re-creates a VIP whose encap or table length changed', () => {
    const m = buildModel({ a: '10.0.0.1' }, [
      { name: 'web', vip: '192.0.2.1', tableLength: 2048, pools: { p: { a: 100 } } },
    ]);
    const d = buildDesiredLb(m, buildHealth(m, { a: 'up' }), new Map());
    expect(
      planAll(d.vips, live([{ vip: '192.0.2.1', ases: { '10.0.0.1': 100 } }]), opts).map((s) => s.kind),
    ).toEqual(['vip-del', 'vip-add', 'as-add']);
  });

  it('gives identical steps whatever order maps were filled in', () => {
    const names = Object.keys(backends);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(names, { minLength: names.length }),
        fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 }),
        (order, feOrder) => {
          const fes = [...model.frontends.values()];
          const shuffled = buildModel(
            Object.fromEntries(order.map((n) => [n, backends[n as keyof typeof backends]])),
            feOrder.map((i) => {
              const f = fes[i]!;
              return {
                name: f.name,
                vip: f.vip.prefix.address.text,
                port: f.vip.port,
                pools: Object.fromEntries(
                  f.pools.map((p) => [
                    p.name,
                    Object.fromEntries(p.members.map((x) => [x.backend, x.weight])),
                  ]),
                ),
              };
            }),
          );
          const states = { a: 'up', b: 'down', c: 'up', d: 'unknown', v6: 'up' };
          const base = planAll(
            buildDesiredLb(model, buildHealth(model, states), new Map()).vips,
            live([]),
            opts,
          );
          const other = planAll(
            buildDesiredLb(shuffled, buildHealth(shuffled, states), new Map()).vips,
            live([]),
            opts,
          );
          expect(other.map(describeStep)).toEqual(base.map(describeStep));
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('desired vips', () => {
  it('flushes the delete of a removed backend only if it was down or disabled', () => {
    const m = buildModel({ a: '10.0.0.1' }, [{ name: 'web', vip: '192.0.2.1', pools: { p: { a: 100 } } }]);
    const h = buildHealth(m, { a: 'up' });
    const gone = (from: 'up' | 'down' | 'disabled', lastKnown: 'up' | 'down') => ({
      generation: 99,
      backends: new Map([
        ...h.backends,
        [
          'z',
          {
            name: 'z',
            address: parseAddress('10.0.0.26'),
            state: 'removed' as const,
            lastKnown,
            health: 0,
            lastResult: undefined,
            history: [{ from, to: 'removed' as const, code: undefined, reason: 'config', at: 0 }],
            since: 0,
          },
        ],
      ]),
    });
    const l = live([{ vip: '192.0.2.1', ases: { '10.0.0.1': 100, '10.0.0.26': 100 } }]);
    const plan = (s: ReturnType<typeof gone>) =>
      planAll(buildDesiredLb(m, s, new Map()).vips, l, opts).map(describeStep);
    expect(plan(gone('up', 'up'))).toEqual(['lb_add_del_as_v2 del 192.0.2.1/32 tcp:80 as 10.0.0.26']);
    expect(plan(gone('down', 'down'))).toEqual([
      'lb_add_del_as_v2 del 192.0.2.1/32 tcp:80 as 10.0.0.26 flush',
    ]);
    expect(plan(gone('disabled', 'up'))).toEqual([
      'lb_add_del_as_v2 del 192.0.2.1/32 tcp:80 as 10.0.0.26 flush',
    ]);
    const vip: DesiredVip | undefined = buildDesiredLb(m, h, new Map()).vips.get('192.0.2.1/32 tcp:80');
    expect(vip?.ases.get('10.0.0.1')?.weight).toBe(100);
  });
});

describe('a drained AS due a flush', () => {
  const oneVip = buildModel(backends, [
    { name: 'web-a', vip: '192.0.2.9', port: 443, pools: { p: { a: 100, b: 50 } } },
  ]);
  const withB = (drained: boolean | undefined): LbLiveState => {
    const l = live([{ vip: '192.0.2.9', port: 443, ases: { '10.0.0.1': 100, '10.0.0.2': 0 } }]);
    const v = [...l.vips.values()][0] as LbVipState;
    const ases = new Map(v.ases);
    const b = ases.get('10.0.0.2') as LbAsState;
    ases.set('10.0.0.2', drained === undefined ? b : { ...b, drained });
    return { vips: new Map([[vipKeyString(v.key), { ...v, ases }]]) };
  };

  it('gets a flush at the same weight 0 when maglevd drained it without one', () => {
    const d = buildDesiredLb(oneVip, buildHealth(oneVip, { a: 'up', b: 'disabled' }), new Map());
    expect(planAll(d.vips, withB(true), opts).map(describeStep)).toEqual([
      'lb_as_set_weight 192.0.2.9/32 tcp:443 as 10.0.0.2 weight 0 → 0 flush',
    ]);
  });

  it('gets nothing when it was flushed already, or when only a dump saw it (nothing known)', () => {
    const d = buildDesiredLb(oneVip, buildHealth(oneVip, { a: 'up', b: 'disabled' }), new Map());
    expect(planAll(d.vips, withB(false), opts)).toEqual([]);
    expect(planAll(d.vips, withB(undefined), opts)).toEqual([]);
  });

  it('is remembered by the live record across dumps while it stays at 0', () => {
    const rec = new LiveRecord();
    rec.replaceAll(withB(undefined));
    const v = [...rec.snapshot().vips.values()][0] as LbVipState;
    rec.apply({
      kind: 'as-weight',
      vip: v.key,
      address: parseAddress('10.0.0.2'),
      weight: 0,
      from: 0,
      flush: false,
    });
    rec.replaceAll(withB(undefined));
    expect(rec.vip(vipKeyString(v.key))?.ases.get('10.0.0.2')?.drained).toBe(true);
    rec.apply({
      kind: 'as-weight',
      vip: v.key,
      address: parseAddress('10.0.0.2'),
      weight: 0,
      from: 0,
      flush: true,
    });
    expect(rec.vip(vipKeyString(v.key))?.ases.get('10.0.0.2')?.drained).toBe(false);
  });
});
