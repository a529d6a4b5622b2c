// The difference between two desired models, as the reload path needs it: per backend, may health be kept?
import { addressEquals } from '../model/address.js';
import type { BackendSpec, DesiredModel, FrontendSpec } from '../model/desired.js';
import { type HealthcheckChange, healthcheckDelta } from '../model/healthcheck-change.js';
import { compareVipKey } from '../model/vip-key.js';

export type { HealthcheckChange } from '../model/healthcheck-change.js';

export interface BackendDiff {
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
  /**
   * Spec §4: a backend at the same address keeps its health state. A timing-only change of its check
   * re-bases the counter; a change of what is probed keeps state and weight until the new check's first
   * result. Only a new address (a new AS) starts `unknown`. False for added and removed backends.
   */
  readonly keepHealth: boolean;
  readonly addressChanged: boolean;
  /** How its healthcheck changed, compared by content (a rename to an identical check is `none`). */
  readonly healthcheck: HealthcheckChange;
  /** The healthcheck's config keys that differ, for the reload log. */
  readonly healthcheckKeys: readonly string[];
  readonly enabledChanged: boolean;
  /** Names of frontends whose pools reference this backend in the new model. */
  readonly frontends: readonly string[];
}

export interface FrontendDiff {
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
  /** The VIP key (prefix, protocol, port) differs: the old VIP goes, a new one comes. */
  readonly vipChanged: boolean;
  /**
   * encap, src-ip-sticky or the table length differ on the same VIP key: VPP cannot change these on a
   * live VIP, so the reconciler deletes and re-creates it (spec §6).
   */
  readonly recreate: boolean;
}

export interface ModelDiff {
  readonly backends: readonly BackendDiff[];
  readonly frontends: readonly FrontendDiff[];
  readonly healthchecks: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly changed: readonly string[];
  };
  /** Global lb settings (lb_conf: encap sources, sticky buckets, flow timeout) differ. */
  readonly lbConfChanged: boolean;
  /** Anything at all differs. */
  readonly changed: boolean;
}

function optAddrEqual(a: BackendSpec['address'] | undefined, b: BackendSpec['address'] | undefined): boolean {
  return a === undefined || b === undefined ? a === b : addressEquals(a, b);
}

function frontendsEqual(a: FrontendSpec, b: FrontendSpec): boolean {
  return (
    compareVipKey(a.vip, b.vip) === 0 &&
    a.encap === b.encap &&
    a.srcIpSticky === b.srcIpSticky &&
    a.flushOnDown === b.flushOnDown &&
    a.newFlowsTableLength === b.newFlowsTableLength &&
    a.pools.length === b.pools.length &&
    a.pools.every((p, i) => {
      const q = b.pools[i];
      return (
        q !== undefined &&
        p.name === q.name &&
        p.members.length === q.members.length &&
        p.members.every((m, j) => m.backend === q.members[j]?.backend && m.weight === q.members[j]?.weight)
      );
    })
  );
}

function usersOf(model: DesiredModel): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const fe of model.frontends.values()) {
    for (const p of fe.pools) {
      for (const m of p.members) {
        const list = users.get(m.backend) ?? [];
        if (list[list.length - 1] !== fe.name) list.push(fe.name);
        users.set(m.backend, list);
      }
    }
  }
  return users;
}

/**
 * diffModels compares the running model with a newly loaded one. Entries are listed in the new model's
 * order, removed ones after them in the old model's order.
 */
export function diffModels(prev: DesiredModel, next: DesiredModel): ModelDiff {
  const users = usersOf(next);
  const hcs = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  for (const [name, hc] of next.healthchecks) {
    const old = prev.healthchecks.get(name);
    if (old === undefined) hcs.added.push(name);
    else if (healthcheckDelta(old, hc).change !== 'none') hcs.changed.push(name);
  }
  for (const name of prev.healthchecks.keys()) if (!next.healthchecks.has(name)) hcs.removed.push(name);

  const backends: BackendDiff[] = [];
  for (const [name, b] of next.backends) {
    const old = prev.backends.get(name);
    const frontends = Object.freeze(users.get(name) ?? []);
    if (old === undefined) {
      backends.push(
        Object.freeze({
          name,
          change: 'added',
          keepHealth: false,
          addressChanged: false,
          healthcheck: 'none',
          healthcheckKeys: Object.freeze([]),
          enabledChanged: false,
          frontends,
        }),
      );
      continue;
    }
    const addressChanged = !addressEquals(old.address, b.address);
    const oldHc = prev.healthchecks.get(old.healthcheck);
    const newHc = next.healthchecks.get(b.healthcheck);
    // A model always resolves its references (the loader checks them); a missing one counts as a new probe.
    const delta =
      oldHc && newHc
        ? healthcheckDelta(oldHc, newHc, b.address.family)
        : { change: 'probe' as HealthcheckChange, keys: ['healthcheck'] };
    const healthcheck = delta.change;
    const enabledChanged = old.enabled !== b.enabled;
    const unchanged = !addressChanged && healthcheck === 'none' && !enabledChanged;
    backends.push(
      Object.freeze({
        name,
        change: unchanged ? 'unchanged' : 'changed',
        keepHealth: !addressChanged,
        addressChanged,
        healthcheck,
        healthcheckKeys: Object.freeze(delta.keys),
        enabledChanged,
        frontends,
      }),
    );
  }
  for (const name of prev.backends.keys()) {
    if (next.backends.has(name)) continue;
    backends.push(
      Object.freeze({
        name,
        change: 'removed',
        keepHealth: false,
        addressChanged: false,
        healthcheck: 'none',
        healthcheckKeys: Object.freeze([]),
        enabledChanged: false,
        frontends: Object.freeze([]),
      }),
    );
  }

  const frontends: FrontendDiff[] = [];
  for (const [name, f] of next.frontends) {
    const old = prev.frontends.get(name);
    if (old === undefined) {
      frontends.push(Object.freeze({ name, change: 'added', vipChanged: false, recreate: false }));
      continue;
    }
    const vipChanged = compareVipKey(old.vip, f.vip) !== 0;
    const recreate =
      !vipChanged &&
      (old.encap !== f.encap ||
        old.srcIpSticky !== f.srcIpSticky ||
        old.newFlowsTableLength !== f.newFlowsTableLength);
    frontends.push(
      Object.freeze({
        name,
        change: frontendsEqual(old, f) ? 'unchanged' : 'changed',
        vipChanged,
        recreate,
      }),
    );
  }
  for (const name of prev.frontends.keys()) {
    if (!next.frontends.has(name)) {
      frontends.push(Object.freeze({ name, change: 'removed', vipChanged: false, recreate: false }));
    }
  }

  const a = prev.vpp.lb;
  const b = next.vpp.lb;
  const lbConfChanged =
    !optAddrEqual(a.ipv4SrcAddress, b.ipv4SrcAddress) ||
    !optAddrEqual(a.ipv6SrcAddress, b.ipv6SrcAddress) ||
    a.stickyBucketsPerCore !== b.stickyBucketsPerCore ||
    a.flowTimeoutS !== b.flowTimeoutS;

  const settingsSame =
    prev.healthchecker.transitionHistory === next.healthchecker.transitionHistory &&
    prev.healthchecker.maxConcurrentProbes === next.healthchecker.maxConcurrentProbes &&
    prev.healthchecker.stateTtlMs === next.healthchecker.stateTtlMs &&
    prev.vpp.apiTimeoutMs === next.vpp.apiTimeoutMs &&
    !lbConfChanged &&
    a.newFlowsTableLength === b.newFlowsTableLength &&
    a.syncIntervalMs === b.syncIntervalMs &&
    a.startupMinDelayMs === b.startupMinDelayMs &&
    a.startupMaxDelayMs === b.startupMaxDelayMs &&
    a.removeUnknownVips === b.removeUnknownVips;

  const changed =
    !settingsSame ||
    hcs.added.length + hcs.removed.length + hcs.changed.length > 0 ||
    backends.some((x) => x.change !== 'unchanged') ||
    frontends.some((x) => x.change !== 'unchanged');

  return Object.freeze({
    backends: Object.freeze(backends),
    frontends: Object.freeze(frontends),
    healthchecks: Object.freeze({
      added: Object.freeze(hcs.added),
      removed: Object.freeze(hcs.removed),
      changed: Object.freeze(hcs.changed),
    }),
    lbConfChanged,
    changed,
  });
}
