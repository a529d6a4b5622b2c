// Warmup (restart neutrality, spec §6): hands off VPP after a daemon start until health is known.

export type WarmupPhase = 'holding' | 'releasing' | 'done';

/**
 * Warmup tracks one daemon start. For `minMs` nothing is written to VPP; then each frontend is released
 * once none of its backends is unknown; at `maxMs` everything is released. A reload keeps the clock;
 * `end` releases everything at once (a VPP that restarted has lost its state: reprogram now).
 */
export class Warmup {
  readonly #start: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  #ended: string | undefined;
  readonly #released = new Set<string>();

  constructor(startedAt: number, minMs: number, maxMs: number) {
    this.#start = startedAt;
    this.#minMs = minMs;
    this.#maxMs = Math.max(minMs, maxMs);
    if (minMs === 0 && maxMs === 0) this.#ended = 'warmup disabled (both delays are 0)';
  }

  /** When the daemon started (by the reconciler's clock). */
  get startedAt(): number {
    return this.#start;
  }

  /** wasReleased: was this frontend released one by one (all its backends known) before warmup ended? */
  wasReleased(frontend: string): boolean {
    return this.#released.has(frontend);
  }

  phase(now: number): WarmupPhase {
    if (this.#ended !== undefined || now >= this.#start + this.#maxMs) return 'done';
    return now < this.#start + this.#minMs ? 'holding' : 'releasing';
  }

  /** canWrite: may anything at all be written to VPP now (lb_conf included)? */
  canWrite(now: number): boolean {
    return this.phase(now) !== 'holding';
  }

  /** end releases everything; returns false if warmup was already over. */
  end(reason: string): boolean {
    if (this.#ended !== undefined) return false;
    this.#ended = reason;
    return true;
  }

  /**
   * isReleased tells whether a frontend may be programmed. While releasing, a frontend whose backends
   * are all known is released for good (`newly` says it happened now, for the warmup-release log).
   */
  isReleased(frontend: string, allKnown: boolean, now: number): { released: boolean; newly: boolean } {
    const phase = this.phase(now);
    if (phase === 'done') return { released: true, newly: false };
    if (phase === 'holding') return { released: false, newly: false };
    if (this.#released.has(frontend)) return { released: true, newly: false };
    if (!allKnown) return { released: false, newly: false };
    this.#released.add(frontend);
    return { released: true, newly: true };
  }

  /** nextChange is when the phase changes next (for a timer), or undefined when done. */
  nextChange(now: number): number | undefined {
    const phase = this.phase(now);
    if (phase === 'holding') return this.#start + this.#minMs;
    if (phase === 'releasing') return this.#start + this.#maxMs;
    return undefined;
  }
}
