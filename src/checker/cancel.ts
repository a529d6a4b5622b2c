// The cancellation a probe attempt listens to: the part of AbortSignal probes use, and a cheap one-shot source.

/**
 * CancelSignal is what a probe watches to know its attempt must end. A DOM AbortSignal satisfies it (tests
 * pass `AbortSignal.timeout(...)`); the scheduler passes a ProbeCancel instead, because creating an
 * AbortController per attempt was the largest single cost of the checker's own work at 2000 probes/s.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * ProbeCancel is a one-shot CancelSignal that behaves as an AbortSignal does for `abort` listeners: each
 * listener is registered once (adding it again does nothing), `cancel` runs them in order, one removed
 * while that runs is not called, none added afterwards ever is, and a listener that throws does not stop
 * the others nor reach whoever cancelled: its error is rethrown on a fresh microtask (an uncaught exception,
 * as Node reports one thrown by an EventTarget listener), so the scheduler's own bookkeeping always
 * completes.
 */
export class ProbeCancel implements CancelSignal {
  private listeners: Set<() => void> | undefined;
  private done = false;

  get aborted(): boolean {
    return this.done;
  }

  addEventListener(type: 'abort', listener: () => void): void {
    if (this.done || type !== 'abort') return; // as with AbortSignal: no event after the fact
    this.listeners ??= new Set();
    this.listeners.add(listener);
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    if (type === 'abort') this.listeners?.delete(listener);
  }

  /** cancel aborts the attempt; the first call runs the listeners, later calls do nothing. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    const l = this.listeners;
    if (l === undefined) return;
    // Iterating the live set: a listener deleted by an earlier one is skipped, as EventTarget does.
    for (const f of l) {
      l.delete(f);
      try {
        f();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    this.listeners = undefined;
  }
}
