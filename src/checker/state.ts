// The pure health state machine: HAProxy's rise/fall counter, the six backend states and operator actions.
import type { BackendState, ProbeCode, ProbeResult, Transition } from '../model/health.js';
import { MaglevError } from '../util/errors.js';

/** CounterParams are the two healthcheck knobs the counter depends on. */
export interface CounterParams {
  readonly rise: number;
  readonly fall: number;
}

/** HealthState is the part of a backend's health the reducer owns. */
export interface HealthState {
  readonly state: BackendState;
  /** The up/down verdict of probing, kept through `paused` (spec §5 weights a paused backend by it). */
  readonly lastKnown: 'up' | 'down' | 'unknown';
  /** HAProxy's counter, 0..rise+fall-1. */
  readonly health: number;
}

/** OperatorAction is what `maglevctl` can do to a backend. */
export type OperatorAction = 'pause' | 'resume' | 'enable' | 'disable';

/** HealthEvent is one input to the reducer. `restart` re-enters `unknown` (address or healthcheck changed). */
export type HealthEvent =
  | { readonly kind: 'result'; readonly result: ProbeResult }
  | { readonly kind: 'operator'; readonly action: OperatorAction }
  | { readonly kind: 'restart'; readonly reason: string }
  | { readonly kind: 'remove' };

/** StepOk is a successful step: the next state, and the transition if the state changed. */
export interface StepOk {
  readonly ok: true;
  readonly next: HealthState;
  /** Set only when `state` changed; carries from, to, code, reason, time. */
  readonly transition: Transition | undefined;
  /** True if anything (state, counter, lastKnown) changed. */
  readonly changed: boolean;
}

/** StepError is a refused operator action (e.g. pausing a disabled backend); nothing changed. */
export interface StepError {
  readonly ok: false;
  readonly error: MaglevError;
}

export type Step = StepOk | StepError;

/** maxHealth is the top of the counter: rise+fall-1. */
export function maxHealth(p: CounterParams): number {
  return p.rise + p.fall - 1;
}

/** isUpCounter says whether a counter value means up: health >= rise. */
export function isUpCounter(health: number, p: CounterParams): boolean {
  return health >= p.rise;
}

/** unknownState is where a backend starts (and restarts): the counter preloaded at rise-1 (spec §4). */
export function unknownState(p: CounterParams): HealthState {
  return { state: 'unknown', lastKnown: 'unknown', health: p.rise - 1 };
}

/** initialState is `unknown`, or `disabled` when the config says `enabled: false`. */
export function initialState(p: CounterParams, enabled: boolean): HealthState {
  return enabled ? unknownState(p) : { state: 'disabled', lastKnown: 'unknown', health: p.rise - 1 };
}

/**
 * nextCounter applies one probe outcome to HAProxy's counter. A pass adds one (capped at max) and snaps to
 * max on reaching rise; a fail subtracts one while above rise, otherwise drops straight to 0.
 */
export function nextCounter(health: number, pass: boolean, p: CounterParams): number {
  const max = maxHealth(p);
  if (pass) {
    const h = Math.min(health + 1, max);
    return h >= p.rise ? max : h;
  }
  return health > p.rise ? health - 1 : 0;
}

/** IntervalKind is which configured interval applies at a counter position (spec §4). */
export type IntervalKind = 'interval' | 'fast' | 'down';

/** intervalKind: `down` at 0, `interval` at max, `fast` in between (degraded or rising). */
export function intervalKind(health: number, p: CounterParams): IntervalKind {
  if (health <= 0) return 'down';
  if (health >= maxHealth(p)) return 'interval';
  return 'fast';
}

function ok(prev: HealthState, next: HealthState, transition: Transition | undefined): StepOk {
  const changed =
    prev.state !== next.state || prev.health !== next.health || prev.lastKnown !== next.lastKnown;
  return { ok: true, next: changed ? next : prev, transition, changed };
}

function transition(
  from: BackendState,
  to: BackendState,
  code: ProbeCode | undefined,
  reason: string,
  at: number,
): Transition | undefined {
  return from === to ? undefined : { from, to, code, reason, at };
}

function refuse(message: string): StepError {
  return { ok: false, error: new MaglevError('ERR_STATE', message) };
}

/**
 * step is the reducer: (state, event) -> next state and transition. It never throws; a refused operator
 * action is a StepError value. Probe results only count in up/down/unknown (a late result for a paused,
 * disabled or removed backend changes nothing).
 */
export function step(s: HealthState, ev: HealthEvent, p: CounterParams, now: number): Step {
  switch (ev.kind) {
    case 'result': {
      if (s.state !== 'up' && s.state !== 'down' && s.state !== 'unknown') return ok(s, s, undefined);
      const health = nextCounter(s.health, ev.result.ok, p);
      const verdict = isUpCounter(health, p) ? 'up' : 'down';
      const why = `${ev.result.code}${ev.result.detail ? `: ${ev.result.detail}` : ''} (health ${health}/${maxHealth(p)})`;
      return ok(
        s,
        { state: verdict, lastKnown: verdict, health },
        transition(s.state, verdict, ev.result.code, why, now),
      );
    }
    case 'restart': {
      // Operator state survives a restart; the probing verdict does not (it was about another target).
      if (s.state === 'removed') return ok(s, s, undefined);
      if (s.state === 'paused' || s.state === 'disabled') {
        return ok(s, { state: s.state, lastKnown: 'unknown', health: p.rise - 1 }, undefined);
      }
      return ok(s, unknownState(p), transition(s.state, 'unknown', undefined, ev.reason, now));
    }
    case 'remove':
      return ok(
        s,
        { ...s, state: 'removed' },
        transition(s.state, 'removed', undefined, 'removed from config', now),
      );
    case 'operator':
      return operator(s, ev.action, p, now);
  }
}

function operator(s: HealthState, action: OperatorAction, p: CounterParams, now: number): Step {
  if (s.state === 'removed') return refuse(`cannot ${action} a backend that was removed from the config`);
  const reason = `operator ${action}`;
  switch (action) {
    case 'pause':
      if (s.state === 'disabled') return refuse('cannot pause a disabled backend: enable it first');
      if (s.state === 'paused') return ok(s, s, undefined);
      return ok(s, { ...s, state: 'paused' }, transition(s.state, 'paused', undefined, reason, now));
    case 'resume': {
      if (s.state === 'disabled') return refuse('cannot resume a disabled backend: enable it first');
      if (s.state !== 'paused') return ok(s, s, undefined);
      // Spec §4: resume keeps the last known up/down and its counter as the pause froze it (re-based by
      // reloads since), so a resumed healthy backend keeps its weight; probing restarts at once.
      const next: HealthState =
        s.lastKnown === 'unknown'
          ? unknownState(p)
          : { state: s.lastKnown, lastKnown: s.lastKnown, health: s.health };
      return ok(s, next, transition('paused', next.state, undefined, reason, now));
    }
    case 'disable':
      if (s.state === 'disabled') return ok(s, s, undefined);
      return ok(
        s,
        { state: 'disabled', lastKnown: 'unknown', health: p.rise - 1 },
        transition(s.state, 'disabled', undefined, reason, now),
      );
    case 'enable':
      if (s.state !== 'disabled') return ok(s, s, undefined);
      return ok(s, unknownState(p), transition('disabled', 'unknown', undefined, reason, now));
  }
}

/** Side is where a backend stands relative to the threshold: its up/down verdict, or none yet. */
type Side = 'up' | 'down' | 'unknown';

function sideOf(s: HealthState): Side {
  if (s.state === 'up' || s.state === 'down') return s.state;
  if (s.state === 'paused') return s.lastKnown;
  return 'unknown';
}

/**
 * rebase moves a counter from one rise/fall range to another on a timing-only healthcheck change (spec §4),
 * keeping the backend on the same side of the threshold: state and lastKnown never change. Up keeps the
 * number of failures seen since fully up (at most one short of going down); down keeps the passes seen
 * (at most one short of coming up); unknown is preloaded at the new rise-1. `awaiting` marks a backend
 * whose next result decides as for unknown (a probe change not yet answered): it stays that way.
 */
export function rebase(
  s: HealthState,
  from: CounterParams,
  to: CounterParams,
  awaiting: boolean,
): HealthState {
  if (s.state === 'removed') return s;
  const side = sideOf(s);
  let health: number;
  if (side === 'unknown' || s.state === 'disabled' || awaiting) health = to.rise - 1;
  else if (side === 'up') {
    const failsSeen = Math.max(0, maxHealth(from) - s.health);
    health = Math.max(to.rise, maxHealth(to) - failsSeen);
  } else health = Math.min(s.health, to.rise - 1);
  return health === s.health ? s : { ...s, health };
}

/**
 * awaitFirstResult prepares a backend for a changed probe at the same address (spec §4): state, lastKnown
 * and so the weight stay, and the counter goes to rise-1, so that the new check's first result decides as
 * for unknown: one pass is up at max, one failure is down at 0 (see nextCounter).
 */
export function awaitFirstResult(s: HealthState, p: CounterParams): HealthState {
  if (s.state === 'removed') return s;
  const health = p.rise - 1;
  return health === s.health ? s : { ...s, health };
}

/** appendHistory returns a new history with `t` appended, keeping the last `limit` (oldest first). */
export function appendHistory(
  history: readonly Transition[],
  t: Transition,
  limit: number,
): readonly Transition[] {
  if (limit <= 0) return [];
  const out = history.length >= limit ? history.slice(history.length - limit + 1) : history.slice();
  out.push(t);
  return out;
}
