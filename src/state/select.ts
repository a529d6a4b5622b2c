// Reading the state against a config: what to drop on reload or start, what to restore, and what to record.
import { addressEquals, type IpAddress } from '../model/address.js';
import type { DesiredModel } from '../model/desired.js';
import type { HealthSnapshot } from '../model/health.js';
import type { BackendRecord, HealthRecord, OverrideRecord, PersistedState } from './state-file.js';

/** DroppedEntry is one entry pruneState removed, with why (for the log). */
export interface DroppedEntry {
  readonly kind: 'backend' | 'admin' | 'health' | 'override';
  /** The backend name, or frontend/pool/backend for an override. */
  readonly key: string;
  readonly reason: string;
}

export interface PruneResult {
  readonly state: PersistedState;
  readonly dropped: readonly DroppedEntry[];
}

/**
 * pruneState keeps what still applies to `model` (at start, and on every reload): entries of backends and
 * pool members no longer in the config go (spec: a reload that removes a backend drops its entries). A
 * backend now at another address keeps its operator state (as a reload does) but loses its health, which
 * was about the old address; an `enabled` override is dropped once the config itself enables the backend.
 * Returns the same state object when nothing was dropped.
 */
export function pruneState(state: PersistedState, model: DesiredModel): PruneResult {
  const dropped: DroppedEntry[] = [];
  const backends = new Map<string, BackendRecord>();
  for (const [name, r] of state.backends) {
    const spec = model.backends.get(name);
    if (!spec) {
      dropped.push({ kind: 'backend', key: name, reason: `no backend ${name} in the config` });
      continue;
    }
    let { admin, health } = r;
    if (health && !addressEquals(r.address, spec.address)) {
      dropped.push({
        kind: 'health',
        key: name,
        reason: `backend ${name} moved from ${r.address.text} to ${spec.address.text}: its health was about the old address`,
      });
      health = undefined;
    }
    if (admin === 'enabled' && spec.enabled) {
      dropped.push({ kind: 'admin', key: name, reason: `the config enables backend ${name} itself` });
      admin = undefined;
    }
    if (admin === undefined && health === undefined) continue;
    backends.set(
      name,
      admin === r.admin && health === r.health && r.address === spec.address
        ? r
        : { name, address: spec.address, admin, health },
    );
  }
  const overrides: OverrideRecord[] = [];
  for (const o of state.overrides) {
    const key = `${o.frontend}/${o.pool}/${o.backend}`;
    const fe = model.frontends.get(o.frontend);
    const pool = fe?.pools.find((p) => p.name === o.pool);
    const member = pool?.members.some((m) => m.backend === o.backend);
    if (!member) {
      const what = !fe
        ? `frontend ${o.frontend}`
        : !pool
          ? `pool ${o.pool} in ${o.frontend}`
          : `backend ${o.backend} in ${o.frontend}/${o.pool}`;
      dropped.push({ kind: 'override', key, reason: `no ${what} in the config` });
      continue;
    }
    overrides.push(o);
  }
  if (dropped.length === 0) return { state, dropped };
  return { state: { savedAt: state.savedAt, backends, overrides }, dropped };
}

/** RestorableHealth is a backend's persisted verdict that may seed its state at start. */
export interface RestorableHealth {
  readonly name: string;
  readonly address: IpAddress;
  readonly health: HealthRecord;
  /** Age at `now`, ms. */
  readonly ageMs: number;
}

/**
 * restorableHealth selects the health younger than `ttlMs` at `now` (spec §4: such a backend starts in
 * that state, is probed at once and counts as known for the warmup; older health is ignored). A time in
 * the future (the clock went back) has no known age and is ignored. A paused backend's verdict is the one
 * the operator froze, so it is kept whatever its age: without it the restart would take a paused backend's
 * weight away.
 */
export function restorableHealth(
  state: PersistedState,
  now: number,
  ttlMs: number,
): ReadonlyMap<string, RestorableHealth> {
  const out = new Map<string, RestorableHealth>();
  for (const r of state.backends.values()) {
    if (!r.health) continue;
    const ageMs = now - r.health.at;
    const fresh = ageMs >= 0 && ageMs < ttlMs;
    if (fresh || (r.admin === 'paused' && ageMs >= 0)) {
      out.set(r.name, { name: r.name, address: r.address, health: r.health, ageMs });
    }
  }
  return out;
}

/** OverrideInput is a weight override as the daemon keeps it (frontend/pool/backend names, weight, flush). */
export interface OverrideInput {
  readonly frontend: string;
  readonly pool: string;
  readonly backend: string;
  readonly weight: number;
  readonly flush: boolean;
}

/**
 * stateOf builds what to write from the running daemon: the checker's snapshot (operator states, verdicts
 * with the time of the result behind them) and the weight overrides. Backends with nothing to keep are left
 * out. `enabled` is recorded only for a backend the config disables and the operator enabled.
 */
export function stateOf(
  model: DesiredModel,
  health: HealthSnapshot,
  overrides: Iterable<OverrideInput>,
): PersistedState {
  const backends = new Map<string, BackendRecord>();
  for (const spec of model.backends.values()) {
    const h = health.backends.get(spec.name);
    if (!h || h.state === 'removed' || !addressEquals(h.address, spec.address)) continue;
    const admin =
      h.state === 'paused'
        ? 'paused'
        : h.state === 'disabled'
          ? spec.enabled
            ? 'disabled'
            : undefined
          : spec.enabled
            ? undefined
            : 'enabled';
    const verdict = h.state === 'paused' ? h.lastKnown : h.state;
    const record: HealthRecord | undefined =
      verdict === 'up' || verdict === 'down'
        ? { state: verdict, counter: h.health, at: h.lastResult?.at ?? h.since }
        : undefined;
    if (admin === undefined && record === undefined) continue;
    backends.set(spec.name, { name: spec.name, address: spec.address, admin, health: record });
  }
  const list: OverrideRecord[] = [];
  for (const o of overrides) {
    const spec = model.backends.get(o.backend);
    if (spec) list.push({ ...o, address: spec.address });
  }
  return { savedAt: 0, backends, overrides: list };
}
