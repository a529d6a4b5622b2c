// Reconciler benchmarks: desired-state build and plan for 1000 VIPs × 64 ASs, in sync and with 10 % of weights changed.
import { parseAddress } from '../src/model/address.js';
import type { LbAsState, LbLiveState, LbVipState } from '../src/model/lb-state.js';
import { buildDesiredLb } from '../src/reconciler/desired-vips.js';
import { planAll } from '../src/reconciler/plan.js';
import { buildHealth, buildModel, type FrontendInput } from '../test/reconciler/builders.js';
import { measure, printTable } from './harness.js';

const VIPS = 1000;
const ASS = 64;

function setup() {
  const backends: Record<string, string> = {};
  const frontends: FrontendInput[] = [];
  for (let v = 0; v < VIPS; v++) {
    const members: Record<string, number> = {};
    for (let a = 0; a < ASS; a++) {
      const name = `b${v}-${a}`;
      backends[name] = `10.${(v >> 8) & 255}.${v & 255}.${a + 1}`;
      members[name] = 100;
    }
    frontends.push({ name: `fe${v}`, vip: `198.${18 + (v >> 8)}.${v & 255}.1`, pools: { p: members } });
  }
  const model = buildModel(backends, frontends);
  const states: Record<string, string> = {};
  for (const n of Object.keys(backends)) states[n] = 'up';
  const health = buildHealth(model, states);
  const desired = buildDesiredLb(model, health, new Map());
  const vips = new Map<string, LbVipState>();
  for (const [k, d] of desired.vips) {
    const ases = new Map<string, LbAsState>();
    for (const [t, a] of d.ases) ases.set(t, { address: a.address, weight: a.weight, numBuckets: undefined });
    vips.set(k, { key: d.key, encap: d.encap, srcIpSticky: d.srcIpSticky, tableLength: d.tableLength, ases });
  }
  const live: LbLiveState = { vips };
  const changed = new Map<string, LbVipState>();
  let i = 0;
  for (const [k, v] of vips) {
    const ases = new Map(v.ases);
    for (const [t, a] of ases) if (i++ % 10 === 0) ases.set(t, { ...a, weight: 50 });
    changed.set(k, { ...v, ases });
  }
  void parseAddress;
  return { model, health, desired, live, changed: { vips: changed } as LbLiveState };
}

export async function run(): Promise<void> {
  const s = setup();
  const opts = { removeUnknownVips: true };
  const ms = (fn: () => void) => () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  let steps = 0;
  const rows = [
    await measure(
      'desired state, 1000 VIPs × 64 ASs',
      'ms',
      7,
      ms(() => buildDesiredLb(s.model, s.health, new Map())),
    ),
    await measure(
      'plan, in sync (0 steps)',
      'ms',
      7,
      ms(() => {
        steps = planAll(s.desired.vips, s.live, opts).length;
      }),
    ),
    await measure(
      'plan, 10 % of weights changed',
      'ms',
      7,
      ms(() => {
        steps = planAll(s.desired.vips, s.changed, opts).length;
      }),
    ),
  ];
  printTable(`reconciler (plan of ${VIPS} VIPs × ${ASS} ASs; last plan had ${steps} steps)`, rows);
}
