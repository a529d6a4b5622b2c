// Reconnect delays: exponential from 100 ms to 5 s by ×1.6, each with ±20 % jitter so clients do not stampede.

/** The first delay after a connection is lost or refused. */
export const RECONNECT_INITIAL_MS = 100;
/** The longest delay between two attempts, so a restarted VPP is found within about 5 s. */
export const RECONNECT_MAX_MS = 5_000;
export const RECONNECT_MULTIPLIER = 1.6;
/** Each delay is the base ± this fraction, uniformly. */
export const RECONNECT_JITTER = 0.2;

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  multiplier?: number;
  jitter?: number;
  /** A source of uniform numbers in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** Backoff yields successive reconnect delays; `reset()` after a successful connection. */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private baseMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? RECONNECT_INITIAL_MS;
    this.maxMs = opts.maxMs ?? RECONNECT_MAX_MS;
    this.multiplier = opts.multiplier ?? RECONNECT_MULTIPLIER;
    this.jitter = opts.jitter ?? RECONNECT_JITTER;
    this.random = opts.random ?? Math.random;
    this.baseMs = this.initialMs;
  }

  /** next returns the delay before the next attempt and grows the base for the one after. */
  next(): number {
    const base = this.baseMs;
    this.baseMs = Math.min(this.baseMs * this.multiplier, this.maxMs);
    return Math.round(base * (1 + this.jitter * (2 * this.random() - 1)));
  }

  /** reset starts again from the initial delay. */
  reset(): void {
    this.baseMs = this.initialMs;
  }
}
