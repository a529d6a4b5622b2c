// The probe scheduler: jittered due times on a shared tick, a global in-flight bound with a FIFO queue, timeouts.
import type { ProbeCode, ProbeResult } from '../model/health.js';
import { type CancelSignal, ProbeCancel } from './cancel.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';

/** JITTER is the ±fraction applied to every interval (spec §4: ±10 %), so probes never synchronise. */
export const JITTER = 0.1;

/**
 * TICK_MS: attempts become due on multiples of this many milliseconds of monotonic time, so the ~20 probes
 * due in a 10 ms window start in one event-loop turn and their sockets are served by the same few polls.
 * One wake-up per probe cost about a fifth of the checker's CPU at 2000 probes/s (docs/performance.md).
 * An interval too short for its ±10 % window to hold a tick boundary is scheduled exactly.
 */
export const TICK_MS = 10;

/**
 * BACKSTOP_GRACE_MS: after a probe's timeout aborts it, this long is allowed for it to settle before the
 * scheduler settles it itself. Probes settle synchronously on abort; this only guards against a bug.
 */
export const BACKSTOP_GRACE_MS = 100;

/** ProbeJob is what the scheduler runs for one backend, over and over. */
export interface ProbeJob {
  /** One attempt; must settle soon after `signal` aborts (probes never reject). */
  run(signal: CancelSignal): Promise<ProbeResult>;
  readonly timeoutMs: number;
  /** Code used if the scheduler has to settle an attempt itself (see BACKSTOP_GRACE_MS). */
  readonly timeoutCode: ProbeCode;
  /**
   * Receives every settled attempt, also one cancelled by `remove` (the owner decides what counts).
   * Returns the base delay before the next attempt; ignored once the job was removed.
   */
  onResult(result: ProbeResult): number;
}

/** SchedulerOptions: the clock, the randomness, and the global bound on attempts in flight. */
export interface SchedulerOptions {
  readonly maxConcurrent: number;
  readonly clock?: Clock;
  /** Uniform in [0, 1); Math.random by default. */
  readonly random?: () => number;
  /** Called when a job or the scheduler itself misbehaves (a throwing onResult, a probe that never settles). */
  readonly onError?: (key: string, what: string, err?: unknown) => void;
  /** The tick attempts are aligned to, TICK_MS by default; 1 makes due times exact to the millisecond. */
  readonly tickMs?: number;
}

/** SchedulerStats are counters for metrics and tests. */
export interface SchedulerStats {
  readonly jobs: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly maxInFlight: number;
  readonly started: number;
  readonly forced: number;
  /** Wake-up times held (live slots plus stale ones not yet dropped): bounded by about twice the live. */
  readonly wakeTimes: number;
}

interface Run {
  readonly cancel: ProbeCancel;
  timer: TimerHandle | undefined;
  settled: boolean;
}

interface Entry {
  readonly key: string;
  /** Replaced in place by `retime`; an attempt in flight reports to the job current when it settles. */
  job: ProbeJob;
  /** The monotonic time of the slot this entry waits in, if it waits for one. */
  wakeAt: number | undefined;
  queued: boolean;
  running: Run | undefined;
  stopped: boolean;
}

/** jittered spreads `baseMs` uniformly over ±JITTER. */
export function jittered(baseMs: number, random: () => number): number {
  return baseMs * (1 - JITTER + 2 * JITTER * random());
}

/**
 * alignedDue is when an attempt `baseMs` (jittered) after `now` should start: the tick boundary nearest the
 * jittered time that still lies within ±JITTER of `baseMs`, or the jittered time itself when no boundary
 * does (a base shorter than five ticks at ±10 %).
 */
export function alignedDue(now: number, baseMs: number, random: () => number, tickMs: number): number {
  const x = now + jittered(baseMs, random);
  const lo = now + baseMs * (1 - JITTER);
  const hi = now + baseMs * (1 + JITTER);
  let t = Math.round(x / tickMs) * tickMs;
  if (t < lo) t += tickMs;
  if (t > hi) t -= tickMs;
  return t >= lo && t <= hi ? t : x;
}

/** spreadDelays gives n first-probe delays stratified over [0, intervalMs): one per slot, random in the slot. */
export function spreadDelays(n: number, intervalMs: number, random: () => number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = ((i + random()) / n) * intervalMs;
  return out;
}

/**
 * ProbeScheduler runs each job after its delay, at most `maxConcurrent` at once across all jobs; a due job
 * beyond the bound waits in a FIFO queue (each job is queued at most once, so the queue is bounded by the
 * number of jobs and no job starves). The next delay is measured from the end of the previous attempt.
 */
export class ProbeScheduler {
  private readonly entries = new Map<string, Entry>();
  /** Entries waiting, by the monotonic time they are due; a key stays (maybe empty) until its time comes. */
  private readonly slots = new Map<number, Entry[]>();
  /**
   * The keys of `slots` as a binary min-heap, so the next slot is found in O(log n). A slot emptied by
   * `remove` leaves its time here until it comes or the heap is rebuilt (when stale times outnumber live).
   */
  private slotTimes: number[] = [];
  private wakeTimer: TimerHandle | undefined;
  private wakeTimerAt = 0;
  private readonly tickMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private maxConcurrent: number;
  private readonly onError: (key: string, what: string, err?: unknown) => void;
  private queue: Entry[] = [];
  private queueHead = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private started = 0;
  private forced = 0;

  constructor(opts: SchedulerOptions) {
    if (!Number.isInteger(opts.maxConcurrent) || opts.maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be a positive integer, got ${opts.maxConcurrent}`);
    }
    this.maxConcurrent = opts.maxConcurrent;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.onError = opts.onError ?? (() => {});
    this.tickMs = opts.tickMs ?? TICK_MS;
    if (!(this.tickMs > 0)) throw new RangeError(`tickMs must be positive, got ${this.tickMs}`);
  }

  /** add starts a job whose first attempt is due after `firstDelayMs`; an existing job of that key is removed. */
  add(key: string, job: ProbeJob, firstDelayMs: number): void {
    this.remove(key);
    const e: Entry = { key, job, wakeAt: undefined, queued: false, running: undefined, stopped: false };
    this.entries.set(key, e);
    // The nearest tick: a first delay is already random, and aligned it shares its wake-up with others.
    const at = this.clock.monotonic() + (Number.isFinite(firstDelayMs) ? Math.max(0, firstDelayMs) : 0);
    this.wait(e, Math.round(at / this.tickMs) * this.tickMs);
  }

  /**
   * retime swaps the job of a key without cancelling its attempt in flight (a timing-only change: the same
   * probe, so that result still counts). A job waiting for its next attempt is moved to `nextDelayMs` from
   * now; one queued or in flight keeps its turn, and its next delay comes from the new job. False if the
   * key has no job.
   */
  retime(key: string, job: ProbeJob, nextDelayMs: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    e.job = job;
    if (e.wakeAt !== undefined) {
      this.unwait(e);
      const at = this.clock.monotonic() + (Number.isFinite(nextDelayMs) ? Math.max(0, nextDelayMs) : 0);
      this.wait(e, Math.round(at / this.tickMs) * this.tickMs);
    }
    return true;
  }

  /** remove stops a job: its timer is cleared, a queued attempt dropped, an in-flight attempt aborted. */
  remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    e.stopped = true;
    this.unwait(e);
    e.queued = false; // the stale queue slot is skipped when reached
    e.running?.cancel.cancel();
  }

  /** setMaxConcurrent changes the in-flight bound (a reload); a lower bound lets running attempts finish. */
  setMaxConcurrent(n: number): void {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`maxConcurrent must be a positive integer, got ${n}`);
    this.maxConcurrent = n;
    this.pump();
  }

  /** has says whether a job of that key is scheduled. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** stop removes every job. */
  stop(): void {
    for (const key of [...this.entries.keys()]) this.remove(key);
    this.queue = [];
    this.queueHead = 0;
    this.slots.clear();
    this.slotTimes = [];
    this.arm();
  }

  /** stats reports the current load and counters. */
  stats(): SchedulerStats {
    return {
      jobs: this.entries.size,
      inFlight: this.inFlight,
      queued: this.queue.length - this.queueHead,
      maxInFlight: this.maxInFlight,
      started: this.started,
      forced: this.forced,
      wakeTimes: this.slotTimes.length,
    };
  }

  /** wait puts `e` in the slot due at monotonic time `at` and makes sure the wake-up timer covers it. */
  private wait(e: Entry, at: number): void {
    e.wakeAt = at;
    const slot = this.slots.get(at);
    if (slot) {
      slot.push(e);
      return;
    }
    this.slots.set(at, [e]);
    heapPush(this.slotTimes, at);
    if (this.slotTimes[0] === at) this.arm();
  }

  /** unwait takes `e` out of its slot, and drops the slot if that empties it (its time goes stale). */
  private unwait(e: Entry): void {
    if (e.wakeAt === undefined) return;
    const at = e.wakeAt;
    const slot = this.slots.get(at);
    e.wakeAt = undefined;
    if (!slot) return;
    const i = slot.indexOf(e);
    if (i >= 0) slot.splice(i, 1);
    if (slot.length > 0) return;
    this.slots.delete(at);
    // Bounded by the live slots, however many pause/resume or reload storms come: rebuild when mostly stale.
    if (this.slotTimes.length > 2 * this.slots.size + 64) {
      this.slotTimes = [...this.slots.keys()].sort((a, b) => a - b); // a sorted array is a min-heap
      this.arm();
    }
  }

  /** arm sets the single wake-up timer for the earliest slot (or clears it when nothing waits). */
  private arm(): void {
    const next = this.slotTimes[0];
    if (next === undefined) {
      if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      return;
    }
    if (this.wakeTimer !== undefined && this.wakeTimerAt === next) return;
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimerAt = next;
    // Whole milliseconds, rounded up: a timer may not fire before its slot is due.
    const delay = Math.max(0, Math.ceil(next - this.clock.monotonic()));
    this.wakeTimer = this.clock.setTimeout(() => this.wake(), delay);
  }

  /** wake runs every slot whose time has come, in time order, then re-arms for the next one. */
  private wake(): void {
    this.wakeTimer = undefined;
    const now = this.clock.monotonic();
    try {
      for (let at = this.slotTimes[0]; at !== undefined && at <= now; at = this.slotTimes[0]) {
        heapPop(this.slotTimes);
        const slot = this.slots.get(at);
        this.slots.delete(at);
        if (!slot) continue;
        for (const e of slot) {
          if (e.wakeAt !== at) continue;
          e.wakeAt = undefined;
          try {
            this.due(e);
          } catch (err) {
            // One job's failure must not cost the others their turn (they share this wake-up).
            this.onError(e.key, 'starting a probe threw', err);
          }
        }
      }
    } finally {
      this.arm();
    }
  }

  private due(e: Entry): void {
    if (e.stopped) return;
    if (this.inFlight < this.maxConcurrent && this.queueHead === this.queue.length) {
      this.start(e);
      return;
    }
    e.queued = true;
    this.queue.push(e);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxConcurrent && this.queueHead < this.queue.length) {
      const e = this.queue[this.queueHead++] as Entry;
      if (e.stopped || !e.queued) continue;
      e.queued = false;
      this.start(e);
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private start(e: Entry): void {
    const run: Run = { cancel: new ProbeCancel(), timer: undefined, settled: false };
    e.running = run;
    this.inFlight++;
    this.started++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    const startedAt = this.clock.now();
    run.timer = this.clock.setTimeout(() => {
      if (run.settled) return;
      // The backstop is armed before the probe hears of its timeout, whatever the probe then does.
      run.timer = this.clock.setTimeout(() => {
        this.forced++;
        this.onError(e.key, `probe did not settle ${BACKSTOP_GRACE_MS} ms after its timeout`);
        this.finish(e, run, {
          ok: false,
          code: e.job.timeoutCode,
          latencyMs: this.clock.now() - startedAt,
          detail: `no result within ${e.job.timeoutMs} ms`,
          at: this.clock.now(),
        });
      }, BACKSTOP_GRACE_MS);
      run.cancel.cancel();
    }, e.job.timeoutMs);
    let p: Promise<ProbeResult>;
    try {
      p = Promise.resolve(e.job.run(run.cancel));
    } catch (err) {
      p = Promise.resolve({
        ok: false,
        code: 'L4CFG',
        latencyMs: 0,
        detail: `probe threw: ${err instanceof Error ? err.message : String(err)}`,
        at: this.clock.now(),
      });
    }
    p.then(
      (r) => this.finish(e, run, r),
      (err: unknown) =>
        this.finish(e, run, {
          ok: false,
          code: 'L4CFG',
          latencyMs: this.clock.now() - startedAt,
          detail: `probe rejected: ${err instanceof Error ? err.message : String(err)}`,
          at: this.clock.now(),
        }),
    );
  }

  private finish(e: Entry, run: Run, result: ProbeResult): void {
    if (run.settled) return;
    run.settled = true;
    if (run.timer !== undefined) this.clock.clearTimeout(run.timer);
    run.timer = undefined;
    if (e.running === run) e.running = undefined;
    this.inFlight--;
    let base: number | undefined;
    try {
      base = e.job.onResult(result);
    } catch (err) {
      this.onError(e.key, 'onResult threw', err);
    }
    if (!e.stopped && this.entries.get(e.key) === e) {
      const b = base !== undefined && Number.isFinite(base) && base > 0 ? base : 1000;
      this.wait(e, alignedDue(this.clock.monotonic(), b, this.random, this.tickMs));
    }
    this.pump();
  }
}

function heapPush(h: number[], v: number): void {
  let i = h.push(v) - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pv = h[p] as number;
    if (pv <= v) break;
    h[i] = pv;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): void {
  const last = h.pop();
  if (last === undefined || h.length === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) break;
    const r = l + 1;
    const c = r < h.length && (h[r] as number) < (h[l] as number) ? r : l;
    if ((h[c] as number) >= last) break;
    h[i] = h[c] as number;
    i = c;
  }
  h[i] = last;
}
