// Write pacing: one write at a time, bursts coalesced, health writes spaced, flush bounded by its timeout.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PersistedState } from '../../src/state/state-file.js';
import type { SaveOutcome } from '../../src/state/store.js';
import { StateWriter } from '../../src/state/writer.js';
import { backend, state } from './builders.js';

/** A store whose saves take `ms` of fake time and record the state they were given. */
class SlowStore {
  readonly path = '/state/state.json';
  readonly saved: PersistedState[] = [];
  ms = 50;
  fail = false;
  inFlight = 0;
  maxInFlight = 0;
  save(s: PersistedState): Promise<SaveOutcome> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.inFlight--;
        this.saved.push(s);
        resolve(
          this.fail
            ? { ok: false, path: this.path, message: 'EIO', errno: 'EIO' }
            : { ok: true, path: this.path, bytes: 1 },
        );
      }, this.ms),
    );
  }
}

let version = 0;
const snapshot = () => state([backend(`v${version}`, '10.0.0.1')]);
const names = (st: SlowStore) => st.saved.map((s) => [...s.backends.keys()][0]);

function writer(store: SlowStore, over: Partial<ConstructorParameters<typeof StateWriter>[0]> = {}) {
  return new StateWriter({
    store,
    snapshot,
    refreshIntervalMs: 0,
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
    now: () => Date.now(),
    ...over,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  version = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('flush (before an action reply)', () => {
  it('resolves after a write that includes everything recorded before the call', async () => {
    const store = new SlowStore();
    const w = writer(store);
    version = 1;
    const p = w.flush(1000);
    version = 2; // recorded after the write started: not in it
    await vi.advanceTimersByTimeAsync(50);
    expect(await p).toMatchObject({ ok: true });
    expect(names(store)).toEqual(['v1']);
  });

  it('a burst of flushes during a write costs one more write, and all see their change written', async () => {
    const store = new SlowStore();
    const w = writer(store);
    version = 1;
    const first = w.flush(1000);
    const rest: Promise<SaveOutcome>[] = [];
    for (let i = 2; i <= 50; i++) {
      version = i;
      rest.push(w.flush(1000));
    }
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([first, ...rest]);
    expect(names(store)).toEqual(['v1', 'v50']);
    expect(store.maxInFlight).toBe(1);
    expect(w.count).toBe(2);
  });

  it('gives up waiting at its timeout with a failed outcome; the write goes on', async () => {
    const store = new SlowStore();
    store.ms = 5000; // a hung disk
    const seen: SaveOutcome[] = [];
    const w = writer(store, { onSaved: (o) => seen.push(o) });
    const p = w.flush(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await p).toMatchObject({
      ok: false,
      errno: 'ETIMEDOUT',
      message: 'the state file was not written within 1000 ms',
    });
    await vi.advanceTimersByTimeAsync(4000);
    expect(seen).toEqual([{ ok: true, path: store.path, bytes: 1 }]);
  });

  it('a failed save is reported as a value', async () => {
    const store = new SlowStore();
    store.fail = true;
    const w = writer(store);
    const p = w.flush(1000);
    await vi.advanceTimersByTimeAsync(50);
    expect(await p).toMatchObject({ ok: false, errno: 'EIO' });
  });
});

describe('health transitions', () => {
  it('write at most once per healthMinIntervalMs however many transitions come', async () => {
    const store = new SlowStore();
    store.ms = 5;
    const w = writer(store, { healthMinIntervalMs: 1000 });
    for (let t = 0; t < 10_000; t += 10) {
      version = t;
      w.healthChanged();
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1000);
    // The first at once, then one per second; the last write carries the last change.
    expect(w.count).toBeLessThanOrEqual(11);
    expect(w.count).toBeGreaterThanOrEqual(10);
    expect(names(store).at(-1)).toBe('v9990');
  });

  it('an action flush in between carries pending health with it (no extra write)', async () => {
    const store = new SlowStore();
    store.ms = 5;
    const w = writer(store, { healthMinIntervalMs: 1000 });
    w.healthChanged(); // written at once
    await vi.advanceTimersByTimeAsync(10);
    w.healthChanged(); // due at 1000
    await vi.advanceTimersByTimeAsync(100);
    version = 7;
    await Promise.all([w.flush(1000), vi.advanceTimersByTimeAsync(10)]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(w.count).toBe(2);
    expect(names(store)).toEqual(['v0', 'v7']);
  });
});

describe('refresh and close', () => {
  it('refreshes every refreshIntervalMs so stable health stays younger than the ttl', async () => {
    const store = new SlowStore();
    const w = writer(store, { refreshIntervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(180_500);
    expect(w.count).toBe(3);
    await Promise.all([w.close(1000), vi.advanceTimersByTimeAsync(100)]);
    expect(w.count).toBe(4); // the last write at close
    await vi.advanceTimersByTimeAsync(600_000);
    w.healthChanged();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(w.count).toBe(4); // nothing after close
  });
});
