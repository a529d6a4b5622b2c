// A virtual clock for tests that also use real sockets: time moves only when the test (or a sleep) says.

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * ManualClock gives the reconciler its `now`, `sleep` and `setTimer`, and SimLb its seconds, while the
 * socket I/O underneath stays real. `advance` moves time and fires due timers in time order; a `sleep`
 * moves time by itself (a retry backoff never waits for the test), firing what falls due on the way.
 */
export class ManualClock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  readonly now = (): number => this.#now;

  /** Seconds since the start, for SimLb's clock. */
  readonly seconds = (): number => this.#now / 1000;

  readonly setTimer = (fn: () => void, ms: number): (() => void) => {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(t);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== t);
    };
  };

  readonly sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
    await new Promise((r) => setImmediate(r));
  };

  /** advance moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = end;
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.length;
  }
}
