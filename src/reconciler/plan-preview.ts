// Plan preview (`show plan`): a plan grouped per VIP, with the new-flow buckets each VIP's steps would move.
import type { IpAddress } from '../model/address.js';
import type { LbVipState } from '../model/lb-state.js';
import { buildMaglevTable, countMovedBuckets, type MaglevServer, type MaglevTable } from '../model/maglev.js';
import { describeStep, type PlanStep, stepVipKey } from './plan.js';

/** One VIP of a plan preview. */
export interface VipPlanPreview {
  /** The VIP key (vipKeyString). */
  readonly vip: string;
  /** The frontend that defines it; undefined for a VIP no frontend defines (deleted when unknown). */
  readonly frontend: string | undefined;
  readonly steps: readonly PlanStep[];
  /** describeStep of each step. */
  readonly lines: readonly string[];
  /**
   * New-flow buckets whose owner changes if the steps are applied: lb's Maglev table built from the live
   * weights and from the weights after the steps (a VIP that does not exist has every bucket dropped).
   * A re-created VIP with another table length moves every bucket of the new table.
   */
  readonly bucketsMoved: number | undefined;
  /** The table length M after the steps (before them, for a deleted VIP). */
  readonly tableLength: number;
}

interface SimVip {
  tableLength: number;
  weights: Map<string, { address: IpAddress; weight: number }>;
}

function tableOf(v: SimVip | undefined, length: number): MaglevTable {
  const servers: MaglevServer[] = v ? [...v.weights.values()] : [];
  return buildMaglevTable(servers, length);
}

/** afterSteps replays one VIP's steps on a copy of its live state; undefined when the VIP ends up absent. */
function afterSteps(live: LbVipState | undefined, steps: readonly PlanStep[]): SimVip | undefined {
  let v: SimVip | undefined = live
    ? {
        tableLength: live.tableLength,
        weights: new Map([...live.ases].map(([k, a]) => [k, { address: a.address, weight: a.weight }])),
      }
    : undefined;
  for (const s of steps) {
    switch (s.kind) {
      case 'vip-add':
        v = { tableLength: s.tableLength, weights: new Map() };
        break;
      case 'vip-del':
        v = undefined;
        break;
      case 'as-add':
      case 'as-weight':
        v?.weights.set(s.address.text, { address: s.address, weight: s.weight });
        break;
      case 'as-del':
        v?.weights.delete(s.address.text);
        break;
    }
  }
  return v;
}

/**
 * bucketsMovedBy counts the buckets one VIP's steps move (see VipPlanPreview.bucketsMoved); undefined
 * when a table cannot be built. Pure; costs two table builds, so only VIPs with steps pay it.
 */
export function bucketsMovedBy(
  live: LbVipState | undefined,
  steps: readonly PlanStep[],
): { bucketsMoved: number | undefined; tableLength: number } {
  const before = afterSteps(live, []);
  const after = afterSteps(live, steps);
  // An absent VIP reads as a table of the other side's length with every bucket dropped.
  const fromLength = before?.tableLength ?? after?.tableLength ?? 1;
  const toLength = after?.tableLength ?? fromLength;
  try {
    return {
      bucketsMoved: countMovedBuckets(tableOf(before, fromLength), tableOf(after, toLength)),
      tableLength: toLength,
    };
  } catch {
    // A live VIP the model cannot build (a foreign one with a length beyond the model's bound): unknown.
    return { bucketsMoved: undefined, tableLength: toLength };
  }
}

/**
 * previewByVip groups a plan's steps per VIP (in plan order) and counts the buckets each group moves.
 * `liveOf` gives a VIP's live state, `frontendOf` the frontend defining it.
 */
export function previewByVip(
  steps: readonly PlanStep[],
  liveOf: (vip: string) => LbVipState | undefined,
  frontendOf: (vip: string) => string | undefined,
): VipPlanPreview[] {
  const groups = new Map<string, PlanStep[]>();
  for (const s of steps) {
    const k = stepVipKey(s);
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  return [...groups].map(([vip, vipSteps]) => ({
    vip,
    frontend: frontendOf(vip),
    steps: vipSteps,
    lines: vipSteps.map(describeStep),
    ...bucketsMovedBy(liveOf(vip), vipSteps),
  }));
}
