// Desired lb state: every frontend's VIP with one AS per pool member, weighted by spec §5.
import type { DesiredModel } from '../model/desired.js';
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
 * buildDesiredLb derives the lb state that should be live. Every backend of every pool is an AS (weight 0
 * when inactive), so failover is a weight change, never a delete. A backend listed twice on one frontend
 * (two pools) is one AS: the higher weight wins, and it flushes only if every listing says so.
 */
export function buildDesiredLb(
  model: DesiredModel,
  health: HealthSnapshot,
  overrides: ReadonlyMap<string, WeightOverride>,
): DesiredLb {
  const vips = new Map<string, DesiredVip>();
  const weights = new Map<string, FrontendWeights>();
  // A backend that left the config keeps its last state in the snapshot as `removed`: deleting its AS
  // flushes only if it was down or disabled (spec §5).
  const flushOnDelete = new Set<string>();
  for (const b of health.backends.values()) {
    if (b.state !== 'removed') continue;
    const before = b.history[b.history.length - 1]?.from;
    if (b.lastKnown === 'down' || before === 'disabled' || before === 'down')
      flushOnDelete.add(b.address.text);
  }
  for (const fe of model.frontends.values()) {
    const w = computeFrontendWeights(fe, model.backends, health, overrides);
    weights.set(fe.name, w);
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
    vips.set(vipKeyString(fe.vip), {
      key: fe.vip,
      frontend: fe.name,
      encap: fe.encap,
      srcIpSticky: fe.srcIpSticky,
      tableLength: fe.newFlowsTableLength,
      ases,
      flushOnDelete,
    });
  }
  return { vips, weights };
}
