// One backend's record inside the checker, and the pure helpers that build and read it.
import type { BackendSpec, HealthcheckSpec } from '../model/desired.js';
import type { BackendHealth, ProbeResult, Transition } from '../model/health.js';
import type { BackendCarry, HealthCarry, HealthPoint } from './reload.js';
import { type CounterParams, type HealthState, initialState, intervalKind } from './state.js';

/** Entry is what the checker holds per backend: its definition, its counter state and its published view. */
export interface Entry {
  readonly name: string;
  spec: BackendSpec;
  hc: HealthcheckSpec;
  params: CounterParams;
  /** Bumped whenever probing restarts (new address or probe, resume, enable); results carry it. */
  epoch: number;
  health: HealthState;
  /** The next result decides as for unknown: the probe changed at this address and has not answered yet. */
  awaiting: boolean;
  view: BackendHealth;
}

export function counterParams(hc: HealthcheckSpec): CounterParams {
  return { rise: hc.rise, fall: hc.fall };
}

export function probing(s: HealthState['state']): boolean {
  return s === 'unknown' || s === 'up' || s === 'down';
}

/** byInterval groups backends by an interval of their check, for probes spread over it. */
export function byInterval(list: readonly Entry[], interval: (e: Entry) => number): Map<number, Entry[]> {
  const out = new Map<number, Entry[]>();
  for (const e of list) {
    const ms = interval(e);
    const l = out.get(ms);
    if (l) l.push(e);
    else out.set(ms, [e]);
  }
  return out;
}

/** cadenceOf is the interval in force at the counter's position (spec §4): interval, fast or down. */
export function cadenceOf(e: Entry): number {
  const kind = intervalKind(e.health.health, e.params);
  return kind === 'interval' ? e.hc.intervalMs : kind === 'fast' ? e.hc.fastIntervalMs : e.hc.downIntervalMs;
}

export function point(e: Entry): HealthPoint {
  return { state: e.health.state, health: e.health.health, max: e.params.rise + e.params.fall - 1 };
}

export function carryLine(
  e: Entry,
  carry: HealthCarry,
  reason: string,
  keys: readonly string[],
  from: HealthPoint | undefined,
): BackendCarry {
  return Object.freeze({ name: e.name, address: e.spec.address, carry, reason, keys, from, to: point(e) });
}

/** newEntry: a backend seen for the first time (or again after removal), in its initial state. */
export function newEntry(b: BackendSpec, hc: HealthcheckSpec, now: number): Entry {
  const params = counterParams(hc);
  const health = initialState(params, b.enabled);
  return {
    name: b.name,
    spec: b,
    hc,
    params,
    epoch: 0,
    health,
    awaiting: false,
    view: makeView(b, health, undefined, [], now),
  };
}
/** makeView freezes what a snapshot shows of a backend. */
export function makeView(
  b: BackendSpec,
  h: HealthState,
  lastResult: ProbeResult | undefined,
  history: readonly Transition[],
  since: number,
): BackendHealth {
  return Object.freeze({
    name: b.name,
    address: b.address,
    state: h.state,
    lastKnown: h.lastKnown,
    health: h.health,
    lastResult,
    history: Object.isFrozen(history) ? history : Object.freeze(history),
    since,
  });
}

/** probeFields are the debug log line of one applied probe result. */
export function probeFields(e: Entry, result: ProbeResult): Record<string, unknown> {
  return {
    event: 'probe',
    backend: e.name,
    address: e.spec.address.text,
    type: e.hc.type,
    ok: result.ok,
    code: result.code,
    latencyMs: result.latencyMs,
    detail: result.detail,
  };
}
