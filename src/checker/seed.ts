// A backend's starting state from what a previous run left (the state file), before probing starts.
import type { IpAddress } from '../model/address.js';
import { addressEquals } from '../model/address.js';
import type { BackendSpec } from '../model/desired.js';
import { awaitFirstResult, type CounterParams, type HealthState, unknownState } from './state.js';

/**
 * SeedEntry is what a previous run recorded about one backend: the operator's standing decision (`admin`)
 * and, if still young enough (the caller applies `state-ttl`), its last up/down verdict.
 */
export interface SeedEntry {
  readonly name: string;
  /** The address the record is about: a verdict about another address is not used. */
  readonly address: IpAddress;
  readonly admin: 'paused' | 'disabled' | 'enabled' | undefined;
  readonly verdict: 'up' | 'down' | undefined;
}

/** SeedOutcome says what seeding did to one entry (for the start log). */
export interface SeedOutcome {
  readonly name: string;
  readonly applied: boolean;
  /** The state the backend starts in, when applied. */
  readonly state: HealthState['state'] | undefined;
  readonly reason: string;
}

/** SeedDecision is the starting state, and whether its first result decides as for unknown. */
export interface SeedDecision {
  readonly health: HealthState;
  readonly awaiting: boolean;
  readonly reason: string;
}

/**
 * decideSeed turns a record into a starting state (spec §4). Operator state applies whatever the verdict:
 * `disabled` stays out (weight 0), `paused` keeps the up/down it was paused with, `enabled` overrides a
 * config `enabled: false`. A verdict starts the backend in it with the counter at rise-1, so it keeps its
 * weight and the first probe (run at once) decides as for unknown: one pass confirms, one failure takes
 * it down. A verdict about another address is ignored (that AS is new).
 */
export function decideSeed(spec: BackendSpec, p: CounterParams, e: SeedEntry): SeedDecision {
  const sameAddress = addressEquals(spec.address, e.address);
  const verdict = sameAddress ? e.verdict : undefined;
  const why = verdict
    ? `last known ${verdict}`
    : sameAddress
      ? 'no recent verdict'
      : 'verdict was about another address';
  if (e.admin === 'disabled') {
    return {
      health: { state: 'disabled', lastKnown: 'unknown', health: p.rise - 1 },
      awaiting: false,
      reason: 'disabled by the operator',
    };
  }
  if (e.admin === 'paused') {
    return {
      health: { state: 'paused', lastKnown: verdict ?? 'unknown', health: p.rise - 1 },
      awaiting: verdict !== undefined,
      reason: `paused by the operator, ${why}`,
    };
  }
  if (!spec.enabled && e.admin !== 'enabled') {
    return {
      health: { state: 'disabled', lastKnown: 'unknown', health: p.rise - 1 },
      awaiting: false,
      reason: 'disabled in the config',
    };
  }
  const enabled = e.admin === 'enabled' ? 'enabled by the operator, ' : '';
  if (!verdict)
    return { health: unknownState(p), awaiting: false, reason: `${enabled}${why}: starts unknown` };
  const health = awaitFirstResult({ state: verdict, lastKnown: verdict, health: 0 }, p);
  return { health, awaiting: true, reason: `${enabled}${why}: starts ${verdict}, probed at once` };
}
