// Effective weights (spec §5): from config, health and operator overrides to each AS's weight and flush.
import type { IpAddress } from '../model/address.js';
import type { BackendSpec, FrontendSpec } from '../model/desired.js';
import type { BackendHealth, BackendState, HealthSnapshot } from '../model/health.js';

/** A runtime weight override set by `maglevctl set weight`. */
export interface WeightOverride {
  readonly weight: number;
  readonly flush: boolean;
}

/** overrideKey names one pool member: `frontend/pool/backend`. */
export function overrideKey(frontend: string, pool: string, backend: string): string {
  return `${frontend}/${pool}/${backend}`;
}

export type FrontendState = 'up' | 'down' | 'unknown';

/** How health reads for weighting: paused takes its last known up/down (spec §5). */
export type WeightingHealth = 'up' | 'down' | 'unknown' | 'disabled';

export interface MemberWeight {
  readonly pool: string;
  readonly poolIndex: number;
  readonly backend: string;
  readonly address: IpAddress | undefined;
  readonly state: BackendState;
  readonly weighting: WeightingHealth;
  readonly configuredWeight: number;
  readonly override: WeightOverride | undefined;
  readonly effectiveWeight: number;
  /** Flush the AS's flows if this lowers its weight to 0. */
  readonly flush: boolean;
  /** One line for `maglevctl explain`. */
  readonly reason: string;
}

export interface FrontendWeights {
  readonly frontend: string;
  readonly state: FrontendState;
  /** The first pool with a usable backend; undefined when none has one. */
  readonly activePool: string | undefined;
  readonly members: readonly MemberWeight[];
}

/** weightingHealth maps a backend's state to what weighting uses; a backend not in the snapshot is unknown. */
export function weightingHealth(
  spec: BackendSpec | undefined,
  h: BackendHealth | undefined,
): WeightingHealth {
  if (!h) return spec && !spec.enabled ? 'disabled' : 'unknown';
  switch (h.state) {
    case 'up':
      return 'up';
    case 'down':
      return 'down';
    case 'disabled':
      return 'disabled';
    case 'paused':
      return h.lastKnown;
    case 'unknown':
    case 'removed':
      return 'unknown';
  }
}

/**
 * computeFrontendWeights applies the truth table of spec §5. The active pool is the first pool with a
 * backend that is up (or paused while up) whose weight in force (override, else configured) is above 0:
 * a pool drained to 0 entirely by overrides fails over rather than dropping every new flow (docs/reconciler.md).
 */
export function computeFrontendWeights(
  fe: FrontendSpec,
  backends: ReadonlyMap<string, BackendSpec>,
  health: HealthSnapshot,
  overrides: ReadonlyMap<string, WeightOverride>,
): FrontendWeights {
  const rows = fe.pools.flatMap((pool, poolIndex) =>
    pool.members.map((m) => {
      const spec = backends.get(m.backend);
      const h = health.backends.get(m.backend);
      const override = overrides.get(overrideKey(fe.name, pool.name, m.backend));
      return {
        pool: pool.name,
        poolIndex,
        backend: m.backend,
        spec,
        h,
        weighting: weightingHealth(spec, h),
        configuredWeight: m.weight,
        override,
        inForce: override ? override.weight : m.weight,
      };
    }),
  );
  const active = fe.pools.findIndex((_, i) =>
    rows.some((r) => r.poolIndex === i && r.weighting === 'up' && r.inForce > 0),
  );
  const members: MemberWeight[] = rows.map((r) => {
    let effectiveWeight = 0;
    let flush = false;
    let reason: string;
    const paused = r.h?.state === 'paused' ? `paused (last known ${r.weighting}), ` : '';
    switch (r.weighting) {
      case 'up':
        if (r.poolIndex === active) {
          effectiveWeight = r.inForce;
          if (r.override) {
            flush = r.override.weight === 0 && r.override.flush;
            reason = `${paused}up in the active pool ${r.pool}; weight overridden to ${r.override.weight}${
              r.override.weight === 0 ? (r.override.flush ? ' with flush' : ' without flush') : ''
            }`;
          } else {
            reason = `${paused}up in the active pool ${r.pool}; configured weight ${r.configuredWeight}`;
          }
        } else if (active < 0) {
          reason = `${paused}up but no pool is active (every weight in force is 0)`;
        } else {
          reason = `${paused}up in pool ${r.pool}, which is not active (${fe.pools[active]?.name} is): drained gracefully`;
        }
        // An operator's `set weight 0 --flush` flushes whichever branch zeroed the weight: it may be the
        // very override that drained the pool and made it inactive.
        if (r.override?.weight === 0 && r.override.flush && !flush) {
          flush = true;
          reason += '; weight overridden to 0 with flush';
        }
        break;
      case 'down':
        flush = fe.flushOnDown;
        reason = `${paused}down${fe.flushOnDown ? ' (flush-on-down)' : ' (flush-on-down is off)'}`;
        break;
      case 'disabled':
        flush = true;
        reason = 'disabled by the operator: weight 0 with flush';
        break;
      case 'unknown':
        reason = r.spec ? `${paused}health not known yet` : 'not a configured backend';
        break;
    }
    return {
      pool: r.pool,
      poolIndex: r.poolIndex,
      backend: r.backend,
      address: r.spec?.address,
      state: r.h?.state ?? (r.spec && !r.spec.enabled ? 'disabled' : 'unknown'),
      weighting: r.weighting,
      configuredWeight: r.configuredWeight,
      override: r.override,
      effectiveWeight,
      flush,
      reason,
    };
  });
  let state: FrontendState;
  if (members.some((m) => m.effectiveWeight > 0)) state = 'up';
  else if (members.every((m) => m.weighting === 'unknown')) state = 'unknown';
  else state = 'down';
  return { frontend: fe.name, state, activePool: active < 0 ? undefined : fe.pools[active]?.name, members };
}
