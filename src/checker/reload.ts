// What a reload does to one backend's health: kept, re-based, rechecked or reset (spec §4), as a pure decision.
import type { IpAddress } from '../model/address.js';
import { addressEquals } from '../model/address.js';
import type { BackendSpec, HealthcheckSpec } from '../model/desired.js';
import type { BackendState } from '../model/health.js';
import { healthcheckDelta } from '../model/healthcheck-change.js';
import { awaitFirstResult, type CounterParams, type HealthState, rebase } from './state.js';

/**
 * HealthCarry says what a reload did to a backend's health (the value the daemon logs per backend):
 * - `kept`: state and counter unchanged (the check changed nothing that matters, or the backend is
 *   disabled and not probed);
 * - `rebased`: only the check's timing changed; state kept, counter moved to the new rise/fall range on the
 *   same side of the threshold;
 * - `recheck`: what is probed changed at the same address; state and weight kept until the new check's
 *   first result (run at once, or at resume for a paused backend), which decides as for unknown;
 * - `reset`: the address changed, so this is a new AS: it starts unknown (operator states stay);
 * - `added` / `removed`: the backend is new in the config (starts unknown or disabled) or left it.
 */
export type HealthCarry = 'kept' | 'rebased' | 'recheck' | 'reset' | 'added' | 'removed';

/** HealthPoint is a backend's state and counter, before or after the reload. */
export interface HealthPoint {
  readonly state: BackendState;
  readonly health: number;
  /** The counter's top, rise+fall-1 of the check in force. */
  readonly max: number;
}

/** BackendCarry is one line of the reload report: a backend whose address or check changed, or came or went. */
export interface BackendCarry {
  readonly name: string;
  readonly address: IpAddress;
  readonly carry: HealthCarry;
  /** Why, in words, e.g. "timing changed (interval, rise): counter re-based, still up". */
  readonly reason: string;
  /** The healthcheck's config keys that changed (empty for added, removed, reset). */
  readonly keys: readonly string[];
  /** Undefined for an added backend. */
  readonly from: HealthPoint | undefined;
  readonly to: HealthPoint;
}

/** What the checker must do to probing after the decision. */
export type ProbeFollowUp =
  /** nothing: probing (if any) goes on as it was */
  | 'none'
  /** same probe, new timing: swap the job, move a waiting attempt onto the new interval */
  | 'retime'
  /** new probe at the same address: drop the old check's results, first attempt of the new one now */
  | 'now'
  /** new address: drop the old address's results, start like a new backend */
  | 'restart';

/** CarryDecision is the whole outcome for one backend that stays in the config. */
export interface CarryDecision {
  readonly carry: Exclude<HealthCarry, 'added' | 'removed'>;
  readonly reason: string;
  readonly keys: readonly string[];
  /** The next state; for `reset` the caller applies the reducer's `restart` event instead. */
  readonly next: HealthState;
  /** True while the next result decides as for unknown (a probe change not yet answered). */
  readonly awaiting: boolean;
  readonly followUp: ProbeFollowUp;
}

/** CarryInput is a backend as the checker holds it before the reload. */
export interface CarryInput {
  readonly spec: BackendSpec;
  readonly hc: HealthcheckSpec;
  readonly health: HealthState;
  readonly awaiting: boolean;
}

const params = (hc: HealthcheckSpec): CounterParams => ({ rise: hc.rise, fall: hc.fall });

function side(h: HealthState): string {
  if (h.state === 'paused') return `paused, last known ${h.lastKnown}`;
  return h.state === 'up' || h.state === 'down' ? `still ${h.state}` : h.state;
}

const TIMING_KEYS = new Set(['interval', 'fast-interval', 'down-interval']);

/**
 * decideCarry is spec §4's reload rule for one backend at its old and new definition. It never lowers a
 * weight: only a new address (a new AS, whose weight starts from nothing) goes to unknown.
 */
export function decideCarry(old: CarryInput, spec: BackendSpec, hc: HealthcheckSpec): CarryDecision {
  const s = old.health;
  if (!addressEquals(old.spec.address, spec.address)) {
    return {
      carry: 'reset',
      reason: `address changed from ${old.spec.address.text} to ${spec.address.text}: a new AS starts unknown`,
      keys: [],
      next: s,
      awaiting: false,
      followUp: s.state === 'removed' ? 'none' : 'restart',
    };
  }
  const delta = healthcheckDelta(old.hc, hc, spec.address.family);
  const keys = delta.keys;
  const list = keys.join(', ');
  if (delta.change === 'none') {
    return {
      carry: 'kept',
      reason: 'healthcheck unchanged',
      keys,
      next: s,
      awaiting: old.awaiting,
      followUp: 'none',
    };
  }
  if (s.state === 'disabled') {
    const next = rebase(s, params(old.hc), params(hc), false);
    return {
      carry: 'kept',
      reason: `healthcheck changed (${list}) while disabled: the new check applies when enabled`,
      keys,
      next,
      awaiting: false,
      followUp: 'none',
    };
  }
  if (delta.change === 'timing') {
    const next = rebase(s, params(old.hc), params(hc), old.awaiting);
    const intervals = keys.some((k) => TIMING_KEYS.has(k)) || keys.includes('timeout');
    return {
      carry: 'rebased',
      reason: `timing changed (${list}): counter re-based ${s.health}/${old.hc.rise + old.hc.fall - 1} -> ${next.health}/${hc.rise + hc.fall - 1}, ${side(next)}`,
      keys,
      next,
      awaiting: old.awaiting,
      followUp: intervals && s.state !== 'paused' ? 'retime' : 'none',
    };
  }
  const next = awaitFirstResult(s, params(hc));
  const when = s.state === 'paused' ? 'the first result after resume' : 'its first result, probed now';
  return {
    carry: 'recheck',
    reason: `probe changed (${list}): ${side(s)} until ${when} decides`,
    keys,
    next,
    awaiting: true,
    followUp: s.state === 'paused' ? 'none' : 'now',
  };
}
