// When the state file is written: one write at a time, requests coalesced, health writes rate-bounded.
import type { PersistedState } from './state-file.js';
import type { SaveOutcome, StateStore } from './store.js';

/** Defaults: at most one health-caused write per second, and a refresh every minute (half the 2m ttl). */
export const DEFAULT_HEALTH_MIN_INTERVAL_MS = 1000;
export const DEFAULT_REFRESH_INTERVAL_MS = 60_000;

export interface StateWriterOptions {
  readonly store: Pick<StateStore, 'save' | 'path'>;
  /** The state to write, taken when a write starts (so a write includes everything recorded before it). */
  readonly snapshot: () => PersistedState;
  /** Least time between the start of a health-caused write and the previous write's start. */
  readonly healthMinIntervalMs?: number;
  /**
   * A write this often even without changes, so that the health times in the file stay younger than
   * `state-ttl` for backends that never change state. 0 turns it off. Choose at most half the ttl.
   */
  readonly refreshIntervalMs?: number;
  /** One-shot timer returning its cancel function (unref'd by default: it never holds the process). */
  readonly setTimer?: (fn: () => void, ms: number) => () => void;
  /** Monotonic ms. */
  readonly now?: () => number;
  /** Every write's outcome (a failed one is worth a log line and a metric). */
  readonly onSaved?: (outcome: SaveOutcome) => void;
}

const defaultTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/**
 * StateWriter decides when the store writes. At most one write is in flight and at most one more is
 * queued; every request made while one is in flight shares the queued one, which takes its snapshot when
 * it starts. So N requests in a burst cost at most two writes, and memory never grows with requests.
 * Writes caused by health transitions are further spaced by `healthMinIntervalMs`.
 */
export class StateWriter {
  private readonly opts: StateWriterOptions;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private readonly now: () => number;
  private readonly minGap: number;
  private inFlight: Promise<SaveOutcome> | undefined;
  private queued: Promise<SaveOutcome> | undefined;
  private healthTimer: (() => void) | undefined;
  private refreshTimer: (() => void) | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private closed = false;
  private writes = 0;

  constructor(opts: StateWriterOptions) {
    this.opts = opts;
    this.setTimer = opts.setTimer ?? defaultTimer;
    this.now = opts.now ?? (() => performance.now());
    this.minGap = opts.healthMinIntervalMs ?? DEFAULT_HEALTH_MIN_INTERVAL_MS;
    this.armRefresh();
  }

  /** Writes started so far (for tests and metrics). */
  get count(): number {
    return this.writes;
  }

  /**
   * flush writes now (after the write in flight, if any) and resolves when a write that started after
   * this call has finished: await it before replying to an operator action. Within `timeoutMs` or it
   * resolves with a failed outcome (the write goes on and its own outcome still reaches `onSaved`).
   */
  flush(timeoutMs: number): Promise<SaveOutcome> {
    const write = this.request();
    return new Promise((resolve) => {
      const cancel = this.setTimer(
        () =>
          resolve({
            ok: false,
            path: this.opts.store.path,
            message: `the state file was not written within ${timeoutMs} ms`,
            errno: 'ETIMEDOUT',
          }),
        timeoutMs,
      );
      void write.then((o) => {
        cancel();
        resolve(o);
      });
    });
  }

  /** healthChanged notes a health transition: a write follows within `healthMinIntervalMs`, coalesced. */
  healthChanged(): void {
    if (this.closed || this.healthTimer !== undefined || this.queued !== undefined) return;
    const wait = Math.max(0, this.lastStart + this.minGap - this.now());
    this.healthTimer = this.setTimer(() => {
      this.healthTimer = undefined;
      void this.request();
    }, wait);
  }

  /**
   * close stops the timers and makes a last write (within `timeoutMs`). Later health changes and
   * refreshes write nothing; an explicit flush still does.
   */
  async close(timeoutMs: number): Promise<SaveOutcome> {
    const last = this.flush(timeoutMs);
    this.closed = true;
    this.healthTimer?.();
    this.healthTimer = undefined;
    this.refreshTimer?.();
    this.refreshTimer = undefined;
    return last;
  }

  private request(): Promise<SaveOutcome> {
    if (this.queued) return this.queued;
    const running = this.inFlight;
    if (!running) return this.start();
    const next = running.then(() => {
      this.queued = undefined;
      return this.start();
    });
    this.queued = next;
    return next;
  }

  private start(): Promise<SaveOutcome> {
    // This write carries every health change so far: a pending health write is not needed any more.
    this.healthTimer?.();
    this.healthTimer = undefined;
    this.lastStart = this.now();
    this.writes++;
    let p: Promise<SaveOutcome>;
    try {
      p = this.opts.store.save(this.opts.snapshot());
    } catch (e) {
      // save never throws; a throwing snapshot is a bug, reported as a failed write rather than lost.
      p = Promise.resolve({
        ok: false,
        path: this.opts.store.path,
        message: `building the state failed: ${e instanceof Error ? e.message : String(e)}`,
        errno: undefined,
      });
    }
    const done = p.then((o) => {
      if (this.inFlight === done) this.inFlight = undefined;
      this.opts.onSaved?.(o);
      return o;
    });
    this.inFlight = done;
    return done;
  }

  private armRefresh(): void {
    const every = this.opts.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    if (every <= 0 || this.closed) return;
    this.refreshTimer = this.setTimer(() => {
      this.refreshTimer = undefined;
      if (this.closed) return;
      void this.request();
      this.armRefresh();
    }, every);
  }
}
