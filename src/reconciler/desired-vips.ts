// Desired lb state: every frontend's VIP with one AS per pool member, weighted by spec §5.
import type { DesiredModel, FrontendSpec } from '../model/desired.js';
import type { HealthSnapshot } from '../model/health.js';
import type { DesiredAs, DesiredVip } from '../model/lb-state.js';
import { vipKeyString } from '../model/vip-key.js';
import { computeFrontendWeights, type FrontendWeights, type WeightOverride } from './effective.js';

export interface DesiredLb {
  /** Desired VIPs keyed by vipKeyString. */
  readonly vips: ReadonlyMap<string, DesiredVip>;
  /** Per frontend: the weights and why. */
  readonly weights: ReadonlyMap<string, FrontendWeights>;
}

/**
 * flushOnDeleteOf: the AS addresses whose delete flushes (spec §5: a delete lets existing flows finish
 * "unless the backend was down or disabled"). A backend counts as down or disabled by its weighting
 * state: down, disabled, paused while down, or removed from the config while one of those. The same
 * address may belong to several backends (one host, several healthchecks): any of them up or unknown
 * keeps the flows, as an AS delete cannot tell which backend it was for.
 */
export function flushOnDeleteOf(health: HealthSnapshot): ReadonlySet<string> {
  const flush = new Set<string>();
  const keep = new Set<string>();
  for (const b of health.backends.values()) {
    let gone: boolean;
    if (b.state === 'removed') {
      const before = b.history[b.history.length - 1]?.from;
      gone = b.lastKnown === 'down' || before === 'disabled' || before === 'down';
    } else {
      gone = b.state === 'down' || b.state === 'disabled' || (b.state === 'paused' && b.lastKnown === 'down');
    }
    (gone ? flush : keep).add(b.address.text);
  }
  for (const a of keep) flush.delete(a);
  return flush;
}

/** sameSet: equal membership (the flush set is swapped only when it really changed). */
export function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * buildDesiredVip derives one frontend's VIP. Every backend of every pool is an AS (weight 0 when
 * inactive), so failover is a weight change, never a delete. A backend listed twice on one frontend
 * (two pools) is one AS: the higher weight wins, and it flushes only if every listing says so.
 */
export function buildDesiredVip(
  fe: FrontendSpec,
  model: DesiredModel,
  health: HealthSnapshot,
  overrides: ReadonlyMap<string, WeightOverride>,
  flushOnDelete: ReadonlySet<string>,
): { vip: DesiredVip; weights: FrontendWeights } {
  const w = computeFrontendWeights(fe, model.backends, health, overrides);
  const ases = new Map<string, DesiredAs>();
  for (const m of w.members) {
    if (!m.address) continue;
    const prev = ases.get(m.address.text);
    if (!prev) {
      ases.set(m.address.text, {
        address: m.address,
        weight: m.effectiveWeight,
        flush: m.flush,
        backend: m.backend,
      });
    } else {
      ases.set(m.address.text, {
        address: m.address,
        weight: Math.max(prev.weight, m.effectiveWeight),
        flush: prev.flush && m.flush,
        backend: prev.weight >= m.effectiveWeight ? prev.backend : m.backend,
      });
    }
  }
  const vip: DesiredVip = {
    key: fe.vip,
    frontend: fe.name,
    encap: fe.encap,
    srcIpSticky: fe.srcIpSticky,
    tableLength: fe.newFlowsTableLength,
    ases,
    flushOnDelete,
  };
  return { vip, weights: w };
}

/** buildDesiredLb derives the lb state that should be live, for every frontend. */
export function buildDesiredLb(
  model: DesiredModel,
  health: HealthSnapshot,
  overrides: ReadonlyMap<string, WeightOverride>,
): DesiredLb {
  const vips = new Map<string, DesiredVip>();
  const weights = new Map<string, FrontendWeights>();
  const flushOnDelete = flushOnDeleteOf(health);
  for (const fe of model.frontends.values()) {
    const d = buildDesiredVip(fe, model, health, overrides, flushOnDelete);
    weights.set(fe.name, d.weights);
    vips.set(vipKeyString(fe.vip), d.vip);
  }
  return { vips, weights };
}
