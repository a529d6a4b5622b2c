// The probe scheduler: per-backend timers with jitter, a global in-flight bound with a FIFO queue, timeouts.
import type { ProbeCode, ProbeResult } from '../model/health.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';

/** JITTER is the ±fraction applied to every interval (spec §4: ±10 %), so probes never synchronise. */
export const JITTER = 0.1;

/**
 * BACKSTOP_GRACE_MS: after a probe's timeout aborts it, this long is allowed for it to settle before the
 * scheduler settles it itself. Probes settle synchronously on abort; this only guards against a bug.
 */
export const BACKSTOP_GRACE_MS = 100;

/** ProbeJob is what the scheduler runs for one backend, over and over. */
export interface ProbeJob {
  /** One attempt; must settle soon after `signal` aborts (probes never reject). */
  run(signal: AbortSignal): Promise<ProbeResult>;
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
}

/** SchedulerStats are counters for metrics and tests. */
export interface SchedulerStats {
  readonly jobs: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly maxInFlight: number;
  readonly started: number;
  readonly forced: number;
}

interface Run {
  readonly controller: AbortController;
  timer: TimerHandle | undefined;
  settled: boolean;
}

interface Entry {
  readonly key: string;
  readonly job: ProbeJob;
  timer: TimerHandle | undefined;
  queued: boolean;
  running: Run | undefined;
  stopped: boolean;
}

/** jittered spreads `baseMs` uniformly over ±JITTER. */
export function jittered(baseMs: number, random: () => number): number {
  return baseMs * (1 - JITTER + 2 * JITTER * random());
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
  }

  /** add starts a job whose first attempt is due after `firstDelayMs`; an existing job of that key is removed. */
  add(key: string, job: ProbeJob, firstDelayMs: number): void {
    this.remove(key);
    const e: Entry = { key, job, timer: undefined, queued: false, running: undefined, stopped: false };
    this.entries.set(key, e);
    e.timer = this.clock.setTimeout(() => this.due(e), Math.max(0, firstDelayMs));
  }

  /** remove stops a job: its timer is cleared, a queued attempt dropped, an in-flight attempt aborted. */
  remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    e.stopped = true;
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
    e.queued = false; // the stale queue slot is skipped when reached
    e.running?.controller.abort(new Error('probe cancelled'));
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
    };
  }

  private due(e: Entry): void {
    e.timer = undefined;
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
    const run: Run = { controller: new AbortController(), timer: undefined, settled: false };
    e.running = run;
    this.inFlight++;
    this.started++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    const startedAt = this.clock.now();
    run.timer = this.clock.setTimeout(() => {
      run.controller.abort(new Error('probe timeout'));
      if (run.settled) return;
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
    }, e.job.timeoutMs);
    let p: Promise<ProbeResult>;
    try {
      p = e.job.run(run.controller.signal);
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
      const delay = jittered(
        base !== undefined && Number.isFinite(base) && base > 0 ? base : 1000,
        this.random,
      );
      e.timer = this.clock.setTimeout(() => this.due(e), delay);
    }
    this.pump();
  }
}
