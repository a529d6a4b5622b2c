// The health snapshot: what the checker publishes and the reconciler reads. Immutable values only.
import type { IpAddress } from './address.js';

export type BackendState = 'unknown' | 'up' | 'down' | 'paused' | 'disabled' | 'removed';

/** HAProxy-style result codes (documented in docs/health.md). */
export type ProbeCode =
  | 'L4OK'
  | 'L4TOUT'
  | 'L4CON'
  | 'L6OK'
  | 'L6TOUT'
  | 'L6RSP'
  | 'L7OK'
  | 'L7STS'
  | 'L7TOUT'
  | 'L7RSP'
  | 'L4CFG';

/** ProbeResult is a value: probes never throw. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly code: ProbeCode;
  readonly latencyMs: number;
  readonly detail: string;
  /** Wall-clock time of completion, ms since the epoch. */
  readonly at: number;
}

export interface Transition {
  readonly from: BackendState;
  readonly to: BackendState;
  readonly code: ProbeCode | undefined;
  readonly reason: string;
  readonly at: number;
}

export interface BackendHealth {
  readonly name: string;
  readonly address: IpAddress;
  readonly state: BackendState;
  /** For `paused`: the up/down state weighting keeps (spec §5); otherwise equal to state when up/down. */
  readonly lastKnown: 'up' | 'down' | 'unknown';
  /** HAProxy health counter 0..rise+fall-1. */
  readonly health: number;
  readonly lastResult: ProbeResult | undefined;
  /** The last `transition-history` transitions, oldest first. */
  readonly history: readonly Transition[];
  /** Time of the last transition, ms since the epoch. */
  readonly since: number;
}

export interface HealthSnapshot {
  readonly generation: number;
  readonly backends: ReadonlyMap<string, BackendHealth>;
}
