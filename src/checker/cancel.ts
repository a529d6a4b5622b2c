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
 * ProbeCancel is a one-shot CancelSignal: `cancel` runs the listeners once, in order, and later listeners
 * are never called. Every listener is called once at most, as with `{ once: true }` on an AbortSignal.
 */
export class ProbeCancel implements CancelSignal {
  private listeners: (() => void)[] | undefined;
  private done = false;

  get aborted(): boolean {
    return this.done;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.done) return; // as with AbortSignal: no event after the fact
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    if (l === undefined) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  /** cancel aborts the attempt; the first call runs the listeners, later calls do nothing. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    const l = this.listeners;
    this.listeners = undefined;
    if (l === undefined) return;
    let failure: { err: unknown } | undefined;
    for (const f of l) {
      try {
        f();
      } catch (err) {
        failure ??= { err };
      }
    }
    // Every listener ran; a bug in one surfaces to the caller instead of silencing the others.
    if (failure) throw failure.err;
  }
}
