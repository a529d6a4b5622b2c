// The plan: a pure function (desired, live) → the ordered lb calls that make live equal desired (spec §6).
import { compareAddress, type IpAddress } from '../model/address.js';
import type { Encap } from '../model/desired.js';
import type { DesiredVip, LbLiveState, LbVipState } from '../model/lb-state.js';
import { compareVipKey, type VipKey, vipKeyString } from '../model/vip-key.js';

export type PlanStep =
  | {
      readonly kind: 'vip-add';
      readonly vip: VipKey;
      readonly encap: Encap;
      readonly srcIpSticky: boolean;
      readonly tableLength: number;
    }
  | { readonly kind: 'vip-del'; readonly vip: VipKey; readonly reason: 'recreate' | 'unknown' }
  | { readonly kind: 'as-add'; readonly vip: VipKey; readonly address: IpAddress; readonly weight: number }
  | {
      readonly kind: 'as-weight';
      readonly vip: VipKey;
      readonly address: IpAddress;
      readonly weight: number;
      readonly from: number;
      readonly flush: boolean;
    }
  | { readonly kind: 'as-del'; readonly vip: VipKey; readonly address: IpAddress; readonly flush: boolean };

export interface PlanOptions {
  /** Delete live VIPs that no frontend defines (config `remove-unknown-vips`). */
  readonly removeUnknownVips: boolean;
}

/** Why a live VIP cannot be kept and must be re-created; undefined when it can be kept. */
export function recreateReason(d: DesiredVip, l: LbVipState): string | undefined {
  if (l.encap !== d.encap) return `encap ${l.encap} → ${d.encap}`;
  // The dumps lack the sticky flag: unknown (undefined) means "not known to differ".
  if (l.srcIpSticky !== undefined && l.srcIpSticky !== d.srcIpSticky) {
    return `src-ip-sticky ${l.srcIpSticky} → ${d.srcIpSticky}`;
  }
  if (l.tableLength !== d.tableLength) return `new-flows-table-length ${l.tableLength} → ${d.tableLength}`;
  return undefined;
}

function createSteps(d: DesiredVip): PlanStep[] {
  const steps: PlanStep[] = [
    { kind: 'vip-add', vip: d.key, encap: d.encap, srcIpSticky: d.srcIpSticky, tableLength: d.tableLength },
  ];
  const ases = [...d.ases.values()].sort((a, b) => compareAddress(a.address, b.address));
  for (const a of ases) steps.push({ kind: 'as-add', vip: d.key, address: a.address, weight: a.weight });
  return steps;
}

/** inSync: same AS set with the same weights (equal sizes and every desired AS live make equal sets). */
function inSync(desired: DesiredVip, live: LbVipState): boolean {
  if (desired.ases.size !== live.ases.size) return false;
  for (const d of desired.ases.values()) {
    const l = live.ases.get(d.address.text);
    if (l?.weight !== d.weight) return false;
    // An AS drained without a flush that is now due one is not in sync (see planVip).
    if (d.weight === 0 && d.flush && l.drained === true) return false;
  }
  return true;
}

/**
 * planVip plans one VIP, make-before-break: create, add ASs and raise weights, lower weights (flushing
 * where due), delete ASs. Within each phase ASs go in numeric order, IPv4 before IPv6.
 */
export function planVip(
  desired: DesiredVip | undefined,
  live: LbVipState | undefined,
  opts: PlanOptions,
): PlanStep[] {
  if (!desired) {
    return live && opts.removeUnknownVips ? [{ kind: 'vip-del', vip: live.key, reason: 'unknown' }] : [];
  }
  if (!live) return createSteps(desired);
  if (recreateReason(desired, live) !== undefined) {
    return [{ kind: 'vip-del', vip: live.key, reason: 'recreate' }, ...createSteps(desired)];
  }
  // The common case, a VIP in sync, costs one lookup per desired AS and allocates nothing.
  if (inSync(desired, live)) return [];
  const raise: { address: IpAddress; step: PlanStep }[] = [];
  const lower: { address: IpAddress; step: PlanStep }[] = [];
  const remove: { address: IpAddress; step: PlanStep }[] = [];
  for (const [text, d] of desired.ases) {
    const l = live.ases.get(text);
    if (!l) {
      raise.push({
        address: d.address,
        step: { kind: 'as-add', vip: desired.key, address: d.address, weight: d.weight },
      });
    } else if (d.weight > l.weight) {
      raise.push({
        address: d.address,
        step: {
          kind: 'as-weight',
          vip: desired.key,
          address: d.address,
          weight: d.weight,
          from: l.weight,
          flush: false,
        },
      });
    } else if (d.weight < l.weight) {
      lower.push({
        address: d.address,
        step: {
          kind: 'as-weight',
          vip: desired.key,
          address: d.address,
          weight: d.weight,
          from: l.weight,
          flush: d.weight === 0 && d.flush,
        },
      });
    } else if (d.weight === 0 && d.flush && l.weight === 0 && l.drained === true) {
      // Drained earlier without a flush, now due one (disabled, or `--flush`): same weight, flush only.
      lower.push({
        address: d.address,
        step: { kind: 'as-weight', vip: desired.key, address: d.address, weight: 0, from: 0, flush: true },
      });
    }
  }
  for (const [text, l] of live.ases) {
    if (desired.ases.has(text)) continue;
    remove.push({
      address: l.address,
      step: { kind: 'as-del', vip: desired.key, address: l.address, flush: desired.flushOnDelete.has(text) },
    });
  }
  const byAddress = (a: { address: IpAddress }, b: { address: IpAddress }) =>
    compareAddress(a.address, b.address);
  return [...raise.sort(byAddress), ...lower.sort(byAddress), ...remove.sort(byAddress)].map((x) => x.step);
}

/**
 * planAll plans every VIP in `scope` (all when undefined): desired VIPs by family, numeric address,
 * protocol and port; then live VIPs no frontend defines, deleted last in the same order.
 */
export function planAll(
  desired: ReadonlyMap<string, DesiredVip>,
  live: LbLiveState,
  opts: PlanOptions,
  scope?: ReadonlySet<string>,
): PlanStep[] {
  const known: [string, DesiredVip][] = [];
  const unknown: [string, LbVipState][] = [];
  if (scope === undefined) {
    for (const e of desired) known.push(e);
    for (const e of live.vips) if (!desired.has(e[0])) unknown.push(e);
  } else {
    // A per-VIP pass looks only at its own keys, whatever the size of the config.
    for (const k of scope) {
      const d = desired.get(k);
      if (d) known.push([k, d]);
      else {
        const l = live.vips.get(k);
        if (l) unknown.push([k, l]);
      }
    }
  }
  known.sort((a, b) => compareVipKey(a[1].key, b[1].key));
  unknown.sort((a, b) => compareVipKey(a[1].key, b[1].key));
  const steps: PlanStep[] = [];
  for (const [k, d] of known) steps.push(...planVip(d, live.vips.get(k), opts));
  for (const [, l] of unknown) steps.push(...planVip(undefined, l, opts));
  return steps;
}

/** stepVipKey is the vipKeyString a step acts on. */
export function stepVipKey(s: PlanStep): string {
  return vipKeyString(s.vip);
}

/** describeStep renders a step as one line, as `maglevctl show plan` prints it. */
export function describeStep(s: PlanStep): string {
  const vip = vipKeyString(s.vip);
  switch (s.kind) {
    case 'vip-add':
      return `lb_add_del_vip_v2 add ${vip} encap ${s.encap} sticky ${s.srcIpSticky} table ${s.tableLength}`;
    case 'vip-del':
      return `lb_add_del_vip_v2 del ${vip} (${s.reason})`;
    case 'as-add':
      return `lb_add_del_as_v2 add ${vip} as ${s.address.text} weight ${s.weight}`;
    case 'as-weight':
      return `lb_as_set_weight ${vip} as ${s.address.text} weight ${s.from} → ${s.weight}${s.flush ? ' flush' : ''}`;
    case 'as-del':
      return `lb_add_del_as_v2 del ${vip} as ${s.address.text}${s.flush ? ' flush' : ''}`;
  }
}
