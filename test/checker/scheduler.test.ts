// The scheduler on fake timers: cadence, jitter bounds, first-probe spread, the in-flight bound, fairness, timeouts.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CancelSignal } from '../../src/checker/cancel.js';
import {
  alignedDue,
  JITTER,
  jittered,
  type ProbeJob,
  ProbeScheduler,
  spreadDelays,
  TICK_MS,
} from '../../src/checker/scheduler.js';
import type { ProbeResult } from '../../src/model/health.js';

const OK: ProbeResult = { ok: true, code: 'L4OK', latencyMs: 0, detail: '', at: 0 };

/** A job whose attempts take `durationMs` of (fake) time and that records when each attempt started. */
function timedJob(durationMs: number, nextMs: number | (() => number), starts: number[]): ProbeJob {
  return {
    timeoutMs: 5000,
    timeoutCode: 'L4TOUT',
    run: () =>
      new Promise((resolve) => {
        starts.push(Date.now());
        // A zero-length attempt settles at once (a 0 ms timer would take a millisecond of fake time).
        if (durationMs === 0) resolve(OK);
        else setTimeout(() => resolve(OK), durationMs);
      }),
    onResult: () => (typeof nextMs === 'number' ? nextMs : nextMs()),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('cadence and jitter', () => {
  it('runs the next attempt the returned delay after the previous one ended (random 0.5: no jitter)', async () => {
    const starts: number[] = [];
    const delays = [2000, 500, 500, 10_000, 2000];
    let i = 0;
    const s = new ProbeScheduler({ maxConcurrent: 4, random: () => 0.5 });
    s.add(
      'a',
      timedJob(30, () => delays[i++] ?? 2000, starts),
      100,
    );
    await vi.advanceTimersByTimeAsync(20_000);
    s.stop();
    expect(starts.slice(0, 6)).toEqual([100, 2130, 2660, 3190, 13_220, 15_250]);
  });

  it('jitter stays within ±10 % for any random value', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (r, b) => {
          const d = jittered(b, () => r);
          return d >= b * (1 - JITTER) && d <= b * (1 + JITTER);
        },
      ),
    );
  });

  it('observed gaps with Math.random stay inside [0.9, 1.1] of the interval and are not all equal', async () => {
    const starts: number[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 1 });
    s.add('a', timedJob(0, 1000, starts), 0);
    await vi.advanceTimersByTimeAsync(200_000);
    s.stop();
    const gaps = starts.slice(1).map((t, k) => t - (starts[k] as number));
    expect(gaps.length).toBeGreaterThan(150);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(900);
      expect(g).toBeLessThanOrEqual(1100);
    }
    expect(new Set(gaps.map((g) => Math.round(g / 10))).size).toBeGreaterThan(10);
  });
});

describe('the shared tick', () => {
  it('alignedDue stays within ±10 % of the base, on a tick boundary whenever the window holds one', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (r, base, now, tick) => {
          const t = alignedDue(now, base, () => r, tick);
          const lo = now + base * (1 - JITTER);
          const hi = now + base * (1 + JITTER);
          expect(t).toBeGreaterThanOrEqual(lo);
          expect(t).toBeLessThanOrEqual(hi);
          if (Math.ceil(lo / tick) * tick <= hi) expect(t % tick).toBe(0);
        },
      ),
    );
  });

  it('1000 jobs at 1 s start only on tick boundaries: at most one wake-up per tick serves them all', async () => {
    const starts: number[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 1000 });
    const delays = spreadDelays(1000, 1000, Math.random);
    delays.forEach((d, i) => {
      s.add(`b${i}`, timedJob(2, 1000, starts), d);
    });
    await vi.advanceTimersByTimeAsync(10_000);
    s.stop();
    expect(starts.length).toBeGreaterThan(9000);
    for (const t of starts) expect(t % TICK_MS).toBe(0);
    const wakeups = new Set(starts).size;
    expect(wakeups).toBeLessThanOrEqual(10_000 / TICK_MS + 1);
    // Still spread: no tick carries more than a few times its share (1000 jobs over 100 ticks a second).
    const perTick = new Map<number, number>();
    for (const t of starts) perTick.set(t, (perTick.get(t) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBeLessThanOrEqual(40);
  });

  it('keeps its cadence when the wall clock is stepped back an hour (due times are monotonic)', async () => {
    const starts: number[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 1, random: () => 0.5 });
    s.add('a', timedJob(0, 1000, starts), 0);
    await vi.advanceTimersByTimeAsync(2500);
    expect(starts).toHaveLength(3);
    vi.setSystemTime(Date.now() - 3_600_000);
    await vi.advanceTimersByTimeAsync(3000);
    s.stop();
    expect(starts).toHaveLength(6);
  });

  it('a first delay that is not a number starts the job at once and delays nobody else', async () => {
    const starts: string[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 10 });
    const job = (key: string): ProbeJob => ({
      timeoutMs: 5000,
      timeoutCode: 'L4TOUT',
      run: () => {
        starts.push(`${key}@${Date.now()}`);
        return Promise.resolve(OK);
      },
      onResult: () => 1e9,
    });
    s.add('good', job('good'), 50);
    s.add('bad', job('bad'), Number.NaN);
    await vi.advanceTimersByTimeAsync(100);
    s.stop();
    expect(starts).toEqual(['bad@0', 'good@50']);
  });

  it('remove/add storms leave the wake-up times bounded by the live jobs', async () => {
    const s = new ProbeScheduler({ maxConcurrent: 10 });
    const job: ProbeJob = {
      timeoutMs: 5000,
      timeoutCode: 'L4TOUT',
      run: () => Promise.resolve(OK),
      onResult: () => 1e9,
    };
    // Like an operator pausing and resuming 100 backends 1000 times: each resume waits in a new slot.
    for (let round = 0; round < 1000; round++) {
      for (let i = 0; i < 100; i++) s.add(`b${i}`, job, 10_000 + Math.random() * 3_600_000);
    }
    expect(s.stats().jobs).toBe(100);
    expect(s.stats().wakeTimes).toBeLessThanOrEqual(2 * 100 + 64);
    s.stop();
    expect(s.stats().wakeTimes).toBe(0);
  });

  it('a job removed from a shared slot leaves the others in it due as before', async () => {
    const starts: string[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 10 });
    const job = (key: string): ProbeJob => ({
      timeoutMs: 5000,
      timeoutCode: 'L4TOUT',
      run: () => {
        starts.push(`${key}@${Date.now()}`);
        return Promise.resolve(OK);
      },
      onResult: () => 1e9,
    });
    for (const k of ['a', 'b', 'c']) s.add(k, job(k), 101);
    s.remove('b');
    await vi.advanceTimersByTimeAsync(200);
    s.stop();
    expect(starts).toEqual(['a@100', 'c@100']);
  });
});

describe('first probes', () => {
  it('are spread over the first interval: every tenth of it gets a tenth of the backends', async () => {
    const starts: number[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 1000 });
    const delays = spreadDelays(500, 2000, Math.random);
    delays.forEach((d, i) => {
      s.add(`b${i}`, timedJob(0, 1e9, starts), d);
    });
    await vi.advanceTimersByTimeAsync(2000);
    s.stop();
    expect(starts).toHaveLength(500);
    // Each start is moved to its nearest tick, so a tenth's edges may trade a start or two.
    for (const t of starts) expect(t % TICK_MS).toBe(0);
    const buckets = new Array(10).fill(0) as number[];
    for (const t of starts) {
      const b = Math.min(9, Math.floor(t / 200));
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    for (const n of buckets) {
      expect(n).toBeGreaterThanOrEqual(48);
      expect(n).toBeLessThanOrEqual(52);
    }
  });
});

describe('the in-flight bound', () => {
  it('1000 backends, bound 10: never more than 10 in flight, all slots used, and nobody starves', async () => {
    const counts = new Map<string, number>();
    let inFlight = 0;
    let peak = 0;
    const s = new ProbeScheduler({ maxConcurrent: 10 });
    const delays = spreadDelays(1000, 1000, Math.random);
    for (let i = 0; i < 1000; i++) {
      const key = `b${i}`;
      s.add(
        key,
        {
          timeoutMs: 900,
          timeoutCode: 'L4TOUT',
          run: () =>
            new Promise((resolve) => {
              inFlight++;
              peak = Math.max(peak, inFlight);
              counts.set(key, (counts.get(key) ?? 0) + 1);
              setTimeout(() => {
                inFlight--;
                resolve(OK);
              }, 100);
            }),
          onResult: () => 1000,
        },
        delays[i] as number,
      );
    }
    // Demand is 1000 probes/s, capacity 100/s: the queue is always long; FIFO must still serve everybody.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(peak).toBe(10);
    expect(s.stats().maxInFlight).toBe(10);
    expect(s.stats().queued).toBeLessThanOrEqual(1000);
    const c = [...counts.values()];
    expect(c).toHaveLength(1000);
    expect(Math.min(...c)).toBeGreaterThanOrEqual(5);
    // Fair within one round (jitter reorders neighbours; the window's end cuts a round).
    expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(2);
    s.stop();
  });
});

describe('timeouts and cancellation', () => {
  it('aborts an attempt at its timeout; the probe reports its own timeout result', async () => {
    const results: ProbeResult[] = [];
    let signal: CancelSignal | undefined;
    const s = new ProbeScheduler({ maxConcurrent: 1 });
    s.add(
      'a',
      {
        timeoutMs: 300,
        timeoutCode: 'L7TOUT',
        run: (sig) =>
          new Promise((resolve) => {
            signal = sig;
            sig.addEventListener('abort', () =>
              resolve({ ok: false, code: 'L6TOUT', latencyMs: 300, detail: 'tls', at: Date.now() }),
            );
          }),
        onResult: (r) => {
          results.push(r);
          return 1e9;
        },
      },
      0,
    );
    await vi.advanceTimersByTimeAsync(299);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal?.aborted).toBe(true);
    expect(results).toEqual([expect.objectContaining({ code: 'L6TOUT', at: 300 })]);
    expect(s.stats().inFlight).toBe(0);
    s.stop();
  });

  it('settles a probe that ignores its abort shortly after the timeout, freeing its slot', async () => {
    const results: ProbeResult[] = [];
    const errors: string[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 1, onError: (_k, what) => errors.push(what) });
    s.add(
      'stuck',
      {
        timeoutMs: 300,
        timeoutCode: 'L7TOUT',
        run: () => new Promise(() => {}),
        onResult: (r) => {
          results.push(r);
          return 1e9;
        },
      },
      0,
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(results).toEqual([expect.objectContaining({ ok: false, code: 'L7TOUT', at: 400 })]);
    expect(errors).toHaveLength(1);
    expect(s.stats()).toMatchObject({ inFlight: 0, forced: 1 });
    s.stop();
  });

  it('a probe whose abort listener throws still gets the backstop: its slot is freed, it runs again', async () => {
    const errors: string[] = [];
    let runs = 0;
    const s = new ProbeScheduler({ maxConcurrent: 1, onError: (_k, what) => errors.push(what) });
    const uncaught: unknown[] = [];
    const vitestHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (e) => uncaught.push(e));
    try {
      s.add(
        'buggy',
        {
          timeoutMs: 300,
          timeoutCode: 'L7TOUT',
          run: (sig) => {
            runs++;
            sig.addEventListener('abort', () => {
              throw new Error('listener bug');
            });
            return new Promise(() => {});
          },
          onResult: () => 1000,
        },
        0,
      );
      await vi.advanceTimersByTimeAsync(1500);
      expect(errors).toEqual([`probe did not settle 100 ms after its timeout`]);
      expect(s.stats()).toMatchObject({ forced: 1 });
      expect(runs).toBe(2);
      s.stop(); // cancels the second attempt: its listener throws again, and stop still completes
      expect(s.stats().jobs).toBe(0);
      // The stuck attempt still holds its slot until its own timeout and backstop settle it.
      await vi.advanceTimersByTimeAsync(500);
      expect(s.stats()).toMatchObject({ inFlight: 0, forced: 2, started: 2 });
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const h of vitestHandlers) process.on('uncaughtException', h);
    }
    expect(uncaught).toEqual([
      expect.objectContaining({ message: 'listener bug' }),
      expect.objectContaining({ message: 'listener bug' }),
    ]);
  });

  it('remove aborts the in-flight attempt and clears the timer: no further attempts', async () => {
    const starts: number[] = [];
    let signal: CancelSignal | undefined;
    const results: ProbeResult[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 2 });
    s.add(
      'a',
      {
        timeoutMs: 5000,
        timeoutCode: 'L4TOUT',
        run: (sig) =>
          new Promise((resolve) => {
            starts.push(Date.now());
            signal = sig;
            sig.addEventListener('abort', () => resolve({ ...OK, ok: false, code: 'L4TOUT' }));
          }),
        onResult: (r) => {
          results.push(r);
          return 100;
        },
      },
      10,
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(starts).toEqual([10]);
    s.remove('a');
    expect(signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts).toEqual([10]);
    expect(results).toHaveLength(1); // the owner still sees the cancelled attempt, to drop it
    expect(s.stats()).toMatchObject({ jobs: 0, inFlight: 0 });
  });

  it('a queued job that is removed never runs and does not block the queue', async () => {
    const starts: string[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 1 });
    const job = (key: string): ProbeJob => ({
      timeoutMs: 5000,
      timeoutCode: 'L4TOUT',
      run: () =>
        new Promise((resolve) => {
          starts.push(key);
          setTimeout(() => resolve(OK), 100);
        }),
      onResult: () => 1e9,
    });
    s.add('a', job('a'), 0);
    s.add('b', job('b'), 1);
    s.add('c', job('c'), 2);
    await vi.advanceTimersByTimeAsync(5);
    expect(s.stats().queued).toBe(2);
    s.remove('b');
    await vi.advanceTimersByTimeAsync(500);
    expect(starts).toEqual(['a', 'c']);
    s.stop();
  });
});

describe('retime', () => {
  it('moves a waiting job to the new delay and swaps its job; unknown keys say false', async () => {
    const oldStarts: number[] = [];
    const newStarts: number[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 4, random: () => 0.5 });
    s.add('a', timedJob(0, 30_000, oldStarts), 100);
    await vi.advanceTimersByTimeAsync(200); // ran at 100, next due at 30 100
    expect(s.retime('a', timedJob(0, 1000, newStarts), 500)).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    s.stop();
    expect(oldStarts).toEqual([100]);
    expect(newStarts).toEqual([700, 1700]);
    expect(s.retime('nope', timedJob(0, 1000, newStarts), 0)).toBe(false);
  });

  it('leaves an attempt in flight running; its result goes to the new job, which sets the next delay', async () => {
    const starts: number[] = [];
    const results: string[] = [];
    const s = new ProbeScheduler({ maxConcurrent: 4, random: () => 0.5 });
    const recording = (job: ProbeJob, tag: string): ProbeJob => ({
      ...job,
      onResult: (r) => {
        results.push(tag);
        return job.onResult(r);
      },
    });
    s.add('a', recording(timedJob(300, 30_000, starts), 'old'), 0);
    await vi.advanceTimersByTimeAsync(100); // in flight since 0, ends at 300
    s.retime('a', recording(timedJob(300, 1000, starts), 'new'), 50);
    await vi.advanceTimersByTimeAsync(1500);
    s.stop();
    expect(results).toEqual(['new', 'new']);
    expect(starts).toEqual([0, 1300]);
  });
});
