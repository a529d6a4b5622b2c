// The clock the checker schedules with: injectable so tests can drive time, the system's by default.

/** TimerHandle is whatever the clock's setTimeout returns; only its clearTimeout interprets it. */
export type TimerHandle = unknown;

/** Clock is wall time, a monotonic time, and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch (stamps transitions). */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin, never stepped by NTP or an operator (schedules probes). Must
   * advance with `setTimeout`'s time: a test that fakes timers must fake this too (vitest's fake timers
   * fake `performance.now` along with `setTimeout` by default).
   */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * systemClock uses the global timers, looked up at each call so vitest's fake timers (installed after
 * import) take effect.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};
