// The checker's public event, outcome, statistics and option types (the class lives in checker.ts).
import type { Logger } from '../log/logger.js';
import type { IpAddress } from '../model/address.js';
import type { ProbeResult, Transition } from '../model/health.js';
import type { MaglevError } from '../util/errors.js';
import type { Clock } from './clock.js';
import type { ProbeSet } from './probes/probe.js';
import type { SchedulerStats } from './scheduler.js';

/** DEFAULT_MAX_LISTENERS bounds subscribers: a leak of subscriptions fails loudly instead of growing. */
export const DEFAULT_MAX_LISTENERS = 32;

/** TransitionEvent: a backend changed state. Carries the name and the address it was about. */
export interface TransitionEvent {
  readonly type: 'transition';
  readonly name: string;
  readonly address: IpAddress;
  readonly transition: Transition;
  /** The snapshot generation that contains this transition. */
  readonly generation: number;
}

/** ResultEvent: a probe result was applied (state may or may not have changed). */
export interface ResultEvent {
  readonly type: 'result';
  readonly name: string;
  readonly address: IpAddress;
  readonly result: ProbeResult;
  readonly generation: number;
}

export type CheckerEvent = TransitionEvent | ResultEvent;
export type CheckerListener = (event: CheckerEvent) => void;

/** OperatorOutcome: `changed` false means the action was a no-op (idempotent); errors are values. */
export type OperatorOutcome =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly error: MaglevError };

/** CheckerStats are counters for metrics and tests. */
export interface CheckerStats {
  readonly generation: number;
  /** Results not applied, by why: the backend moved (address), was restarted, or is not being probed. */
  readonly dropped: {
    readonly staleAddress: number;
    readonly staleEpoch: number;
    readonly notProbing: number;
  };
  readonly applied: number;
  readonly scheduler: SchedulerStats;
}

/** CheckerOptions: everything injectable (probes, clock, randomness, logger). */
export interface CheckerOptions {
  readonly probes?: Partial<ProbeSet>;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly maxListeners?: number;
}
