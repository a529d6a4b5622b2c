// Desired lb state: every frontend's VIP with one AS per pool member, weighted by spec §5.
import type { DesiredModel, FrontendSpec } from '../model/desired.js';
import type { BackendHealth, HealthSnapshot } from '../model/health.js';
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
 * flushesOnDelete: would deleting this backend's AS flush (spec §5: a delete lets existing flows finish
 * "unless the backend was down or disabled")? By its weighting state: down, disabled, paused while down,
 * or removed from the config while one of those.
 */
export function flushesOnDelete(b: BackendHealth): boolean {
  if (b.state === 'removed') {
    const before = b.history[b.history.length - 1]?.from;
    return b.lastKnown === 'down' || before === 'disabled' || before === 'down';
  }
  return b.state === 'down' || b.state === 'disabled' || (b.state === 'paused' && b.lastKnown === 'down');
}

/**
 * FlushOnDeleteIndex keeps the AS addresses whose delete flushes, updated per changed backend so a
 * transition costs O(1), not a walk of every backend. The same address may belong to several backends
 * (one host, several healthchecks): any of them that would not flush keeps the flows, as an AS delete
 * cannot tell which backend it was for. `set` is one Set for the index's life, changed in place: every
 * desired VIP shares it and sees each change without being rebuilt.
 */
export class FlushOnDeleteIndex {
  readonly #set = new Set<string>();
  readonly #flush = new Map<string, number>();
  readonly #keep = new Map<string, number>();
  readonly #by = new Map<string, { readonly address: string; readonly flush: boolean }>();

  /** The addresses whose AS delete flushes now. */
  get set(): ReadonlySet<string> {
    return this.#set;
  }

  /** reset rebuilds the index from a whole snapshot. */
  reset(health: HealthSnapshot): void {
    this.#set.clear();
    this.#flush.clear();
    this.#keep.clear();
    this.#by.clear();
    for (const [name, b] of health.backends) this.update(name, b);
  }

  /** update takes one backend's new health (undefined: gone from the snapshot). */
  update(name: string, b: BackendHealth | undefined): void {
    const old = this.#by.get(name);
    if (old) {
      this.#count(old.flush ? this.#flush : this.#keep, old.address, -1);
      this.#by.delete(name);
      this.#judge(old.address);
    }
    if (b) {
      const now = { address: b.address.text, flush: flushesOnDelete(b) };
      this.#by.set(name, now);
      this.#count(now.flush ? this.#flush : this.#keep, now.address, 1);
      this.#judge(now.address);
    }
  }

  #count(m: Map<string, number>, address: string, d: number): void {
    const n = (m.get(address) ?? 0) + d;
    if (n > 0) m.set(address, n);
    else m.delete(address);
  }

  #judge(address: string): void {
    if (this.#flush.has(address) && !this.#keep.has(address)) this.#set.add(address);
    else this.#set.delete(address);
  }
}

/** flushOnDeleteOf: the flush-on-delete addresses of a whole snapshot (see FlushOnDeleteIndex). */
export function flushOnDeleteOf(health: HealthSnapshot): ReadonlySet<string> {
  const index = new FlushOnDeleteIndex();
  index.reset(health);
  return index.set;
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
