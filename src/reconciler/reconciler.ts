// The reconciler worker: one loop draining dirty VIPs into VPP, with full syncs, warmup and drift repair.
import type { LbDataplane } from '../dataplane/lb-dataplane.js';
import { logEvent } from '../log/events.js';
import type { Logger } from '../log/logger.js';
import { addressEquals } from '../model/address.js';
import type { DesiredModel } from '../model/desired.js';
import type { HealthSnapshot } from '../model/health.js';
import type { DesiredVip, LbConf } from '../model/lb-state.js';
import { vipKeyString } from '../model/vip-key.js';
import { MaglevError } from '../util/errors.js';
import { type ApplyReport, applyPlan, type StepOutcome } from './apply.js';
import { buildDesiredVip, type DesiredLb, FlushOnDeleteIndex } from './desired-vips.js';
import { type FrontendWeights, overrideKey, type WeightOverride } from './effective.js';
import { LiveRecord } from './live-record.js';
import { describeStep, type PlanStep, planAll } from './plan.js';
import { previewByVip, type VipPlanPreview } from './plan-preview.js';
import { Warmup, type WarmupPhase } from './warmup.js';

export type SyncTrigger =
  | 'startup'
  | 'reload'
  | 'vpp-connect'
  | 'sync'
  | 'interval'
  | 'transition'
  | 'operator'
  | 'warmup'
  | 'retry';

/** The trigger names docs/logging.md documents for lb-sync and lb-sync-error. */
function triggerName(t: SyncTrigger): string {
  switch (t) {
    case 'vpp-connect':
      return 'connect';
    case 'sync':
      return 'manual';
    case 'transition':
    case 'operator':
    case 'retry':
      return 'dirty';
    default:
      return t;
  }
}

/** The lb API message each plan step is made with. */
function stepCall(s: PlanStep): string {
  return s.kind === 'vip-add' || s.kind === 'vip-del'
    ? 'lb_add_del_vip_v2'
    : s.kind === 'as-weight'
      ? 'lb_as_set_weight'
      : 'lb_add_del_as_v2';
}

/** After a transient failure, unfinished VIPs are tried again after this delay. */
export const RETRY_DELAY_MS = 1000;

/** A one-shot timer: calls `fn` after `ms`, returns its cancel function. Injectable for tests. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

const defaultSetTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  // The reconciler's timers never keep the process alive on their own.
  t.unref();
  return () => clearTimeout(t);
};

export interface PassInfo {
  readonly trigger: SyncTrigger;
  readonly full: boolean;
  readonly report: ApplyReport | undefined;
  readonly durationMs: number;
  readonly error: string | undefined;
}

/** What `show plan` shows: the calls of a full sync now, and per VIP its calls and buckets moved. */
export interface PlanPreview {
  readonly steps: readonly PlanStep[];
  readonly lines: readonly string[];
  readonly vips: readonly VipPlanPreview[];
  readonly warmup: WarmupPhase;
  /** True when live state was dumped for this preview; false when it is the daemon's record. */
  readonly fresh: boolean;
}

export interface ReconcilerOptions {
  readonly dataplane: LbDataplane;
  readonly logger: Logger;
  readonly model: DesiredModel;
  readonly health: HealthSnapshot;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Timers for warmup, sync-interval and retries; default setTimeout (unref'd). Use with `now`. */
  readonly setTimer?: SetTimer;
  /** A pass stops starting calls after this long; default 20 × api-timeout. */
  readonly passDeadlineMs?: number;
  readonly onPass?: (p: PassInfo) => void;
  readonly onStep?: (o: StepOutcome) => void;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * Reconciler keeps VPP equal to config + health + overrides. Inputs only mark VIPs dirty and return at
 * once; a single worker drains the dirty set (one pass in flight, one queued), so memory is bounded by the
 * number of VIPs whatever the event rate.
 */
export class Reconciler {
  readonly #dp: LbDataplane;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #setTimer: SetTimer;
  readonly #passDeadlineMs: number | undefined;
  readonly #onPass: ((p: PassInfo) => void) | undefined;
  readonly #onStep: ((o: StepOutcome) => void) | undefined;
  #model: DesiredModel;
  #health: HealthSnapshot;
  readonly #overrides = new Map<string, WeightOverride>();
  /** Desired VIPs by vipKeyString and weights by frontend: rebuilt on reload, per frontend on events. */
  readonly #desiredVips = new Map<string, DesiredVip>();
  readonly #weights = new Map<string, FrontendWeights>();
  readonly #desired: DesiredLb = { vips: this.#desiredVips, weights: this.#weights };
  /** Backend name → the frontends listing it, so a transition recomputes only those. */
  readonly #frontendsOf = new Map<string, string[]>();
  /** AS addresses whose delete flushes; one Set, updated per transition, shared by every desired VIP. */
  readonly #flushOnDelete = new FlushOnDeleteIndex();
  readonly #record = new LiveRecord();
  readonly #dirty = new Set<string>();
  /** VIPs waiting for the retry timer after a transient failure. */
  readonly #retry = new Set<string>();
  #retryFull = false;
  #full: SyncTrigger | undefined;
  #running: Promise<void> | undefined;
  #connected = false;
  #everConnected = false;
  /** A reconnect during warmup: the next drain reads VPP first to learn whether it restarted. */
  #restartCheck = false;
  /** Bumped on every connect and disconnect: a pass made for an older connection stops. */
  #epoch = 0;
  #liveConf: LbConf | undefined;
  /** VPP refused our lb_conf: only the next full sync tries again, so per-VIP passes are not held up. */
  #confRefused = false;
  #warmup: Warmup;
  #warmupTimer: (() => void) | undefined;
  #intervalTimer: (() => void) | undefined;
  #retryTimer: (() => void) | undefined;
  #stopped = false;
  #lastPass: PassInfo | undefined;

  constructor(opts: ReconcilerOptions) {
    this.#dp = opts.dataplane;
    this.#log = opts.logger;
    this.#now = opts.now ?? (() => performance.now());
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#setTimer = opts.setTimer ?? defaultSetTimer;
    this.#passDeadlineMs = opts.passDeadlineMs;
    this.#onPass = opts.onPass;
    this.#onStep = opts.onStep;
    this.#model = opts.model;
    this.#health = opts.health;
    this.#recomputeAll();
    const lb = this.#model.vpp.lb;
    this.#warmup = new Warmup(this.#now(), lb.startupMinDelayMs, lb.startupMaxDelayMs);
    this.#armWarmupTimer();
    this.#armIntervalTimer();
  }

  // ---- inputs: all synchronous, none waits for VPP ----

  /** setModel takes a new (validated) config: a full sync follows. The warmup clock keeps running. */
  setModel(model: DesiredModel): void {
    const intervalChanged = model.vpp.lb.syncIntervalMs !== this.#model.vpp.lb.syncIntervalMs;
    this.#model = model;
    for (const k of [...this.#overrides.keys()]) {
      const [fe, pool, be] = k.split('/') as [string, string, string];
      const still = model.frontends
        .get(fe)
        ?.pools.find((p) => p.name === pool)
        ?.members.some((m) => m.backend === be);
      if (!still) this.#overrides.delete(k);
    }
    this.#recomputeAll();
    if (intervalChanged) this.#armIntervalTimer();
    this.requestSync('reload');
  }

  /**
   * setHealth takes a new snapshot. `changed` must name every backend whose state differs from the
   * previous snapshot: only their frontends are recomputed and go dirty (the cost of a transition is its
   * frontends', not the config's). Without `changed`, everything is recomputed and goes dirty.
   */
  setHealth(snapshot: HealthSnapshot, changed?: Iterable<string>): void {
    this.#health = snapshot;
    if (changed === undefined) {
      this.#recomputeAll();
      for (const k of this.#desiredVips.keys()) this.#dirty.add(k);
      this.#kick();
      return;
    }
    const frontends = new Set<string>();
    for (const name of changed) {
      for (const fe of this.#frontendsOf.get(name) ?? []) frontends.add(fe);
      this.#flushOnDelete.update(name, snapshot.backends.get(name));
    }
    for (const fe of frontends) this.#recomputeFrontend(fe);
    this.#kick();
  }

  /** checkOverrideTarget throws ERR_NOT_FOUND unless `backend` is a member of `pool` of `frontend`. */
  checkOverrideTarget(frontend: string, pool: string, backend: string): void {
    const fe = this.#model.frontends.get(frontend);
    if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
    const p = fe.pools.find((x) => x.name === pool);
    if (!p) throw new MaglevError('ERR_NOT_FOUND', `frontend "${frontend}" has no pool named "${pool}"`);
    if (!p.members.some((m) => m.backend === backend)) {
      throw new MaglevError(
        'ERR_NOT_FOUND',
        `pool "${pool}" of frontend "${frontend}" has no backend "${backend}"`,
      );
    }
  }

  /** setOverride sets (or with undefined clears) a runtime weight; throws ERR_NOT_FOUND for unknown names. */
  setOverride(frontend: string, pool: string, backend: string, override: WeightOverride | undefined): void {
    this.checkOverrideTarget(frontend, pool, backend);
    if (override && (!Number.isInteger(override.weight) || override.weight < 0 || override.weight > 100)) {
      throw new MaglevError('ERR_BAD_REQUEST', `weight ${override.weight} is not an integer 0..100`);
    }
    const k = overrideKey(frontend, pool, backend);
    if (override) this.#overrides.set(k, override);
    else this.#overrides.delete(k);
    this.#recomputeFrontend(frontend);
    this.#kick();
  }

  /** requestSync: a full sync, or with `frontend` just that frontend's VIP. */
  requestSync(trigger: SyncTrigger, frontend?: string): void {
    if (frontend !== undefined) {
      const fe = this.#model.frontends.get(frontend);
      if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
      this.#dirty.add(vipKeyString(fe.vip));
    } else {
      this.#full = this.#full ?? trigger;
    }
    this.#kick();
  }

  /**
   * vppConnected: read lb conf and take a full sync. A reconnect during warmup first reads VPP: if its lb
   * state is gone VPP restarted, and warmup ends (nothing is left to keep neutral); if it kept its VIPs
   * (a dropped socket, missed pings) warmup goes on, so unknown backends are not zeroed under traffic.
   */
  vppConnected(): void {
    this.#connected = true;
    this.#epoch++;
    this.#record.reset();
    this.#liveConf = undefined;
    this.#confRefused = false;
    if (this.#everConnected && this.#warmup.phase(this.#now()) !== 'done') this.#restartCheck = true;
    this.#everConnected = true;
    this.#full = 'vpp-connect';
    this.#kick();
  }

  /** vppDisconnected: VPP's state is unknown until the next connect; a pass in flight stops at its next call. */
  vppDisconnected(): void {
    this.#connected = false;
    this.#epoch++;
    this.#record.reset();
    this.#liveConf = undefined;
  }

  /** stop cancels timers and waits (bounded by the caller) for the pass in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const cancel of [this.#warmupTimer, this.#intervalTimer, this.#retryTimer]) cancel?.();
    this.#warmupTimer = this.#intervalTimer = this.#retryTimer = undefined;
    await this.#running;
  }

  // ---- outputs ----

  /** frontendsOf: the names of the frontends with `backend` in a pool, in config order. */
  frontendsOf(backend: string): readonly string[] {
    return this.#frontendsOf.get(backend) ?? [];
  }

  get weights(): ReadonlyMap<string, FrontendWeights> {
    return this.#desired.weights;
  }

  get desired(): DesiredLb {
    return this.#desired;
  }

  get overrides(): ReadonlyMap<string, WeightOverride> {
    return this.#overrides;
  }

  get dirtyCount(): number {
    return new Set([...this.#dirty, ...this.#retry]).size;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** whenIdle resolves once no pass is in flight or queued to start (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  get lastPass(): PassInfo | undefined {
    return this.#lastPass;
  }

  warmupPhase(): WarmupPhase {
    return this.#warmup.phase(this.#now());
  }

  /** isFrontendReleased: may this frontend's VIP be programmed now (for `explain`)? Has no side effect. */
  isFrontendReleased(frontend: string): boolean {
    const phase = this.#warmup.phase(this.#now());
    if (phase === 'done') return true;
    if (phase === 'holding') return false;
    const w = this.#desired.weights.get(frontend);
    return w?.members.every((m) => m.weighting !== 'unknown') ?? false;
  }

  /**
   * previewPlan: the calls a full sync would make now, without making them, and per VIP the buckets
   * they move. With `fresh` (and a connection) live state is dumped first (a read, allowed even during
   * warmup); if the dump fails, the plan is made against the daemon's record and `fresh` is false.
   */
  async previewPlan(fresh: boolean): Promise<PlanPreview> {
    let dumped = false;
    if (fresh && this.#connected) {
      const epoch = this.#epoch;
      try {
        const dump = await this.#dp.dump();
        if (epoch === this.#epoch) {
          this.#record.replaceAll(dump);
          dumped = true;
        }
      } catch (e) {
        this.#log.debug({ err: e instanceof Error ? e.message : String(e) }, 'plan preview: dump failed');
      }
    }
    const live = this.#record.snapshot();
    const steps = planAll(this.#desired.vips, live, this.#planOptions(), this.#scope(false));
    const vips = previewByVip(
      steps,
      (k) => live.vips.get(k),
      (k) => this.#desired.vips.get(k)?.frontend,
    );
    return {
      steps,
      lines: steps.map(describeStep),
      vips,
      warmup: this.#warmup.phase(this.#now()),
      fresh: dumped,
    };
  }

  /** liveState: the daemon's record of VPP (last dump plus what it applied since). */
  liveState() {
    return this.#record.snapshot();
  }

  // ---- the worker ----

  /** #recomputeAll rebuilds every frontend's weights and VIP and the backend index (reload, start). */
  #recomputeAll(): void {
    this.#desiredVips.clear();
    this.#weights.clear();
    this.#frontendsOf.clear();
    this.#flushOnDelete.reset(this.#health);
    for (const fe of this.#model.frontends.values()) {
      const d = buildDesiredVip(fe, this.#model, this.#health, this.#overrides, this.#flushOnDelete.set);
      this.#desiredVips.set(vipKeyString(fe.vip), d.vip);
      this.#weights.set(fe.name, d.weights);
      for (const p of fe.pools) {
        for (const m of p.members) {
          const list = this.#frontendsOf.get(m.backend);
          if (!list) this.#frontendsOf.set(m.backend, [fe.name]);
          else if (!list.includes(fe.name)) list.push(fe.name);
        }
      }
    }
  }

  /** #recomputeFrontend rebuilds one frontend's weights and VIP and marks the VIP dirty. */
  #recomputeFrontend(name: string): void {
    const fe = this.#model.frontends.get(name);
    if (!fe) return;
    const d = buildDesiredVip(fe, this.#model, this.#health, this.#overrides, this.#flushOnDelete.set);
    const k = vipKeyString(fe.vip);
    this.#desiredVips.set(k, d.vip);
    this.#weights.set(name, d.weights);
    this.#dirty.add(k);
  }

  #planOptions() {
    return { removeUnknownVips: this.#model.vpp.lb.removeUnknownVips };
  }

  /**
   * #scope: the VIP keys (of `keys`, or of all) that may be programmed now; with `mark`, newly released
   * frontends are logged. Once warmup is done this is every key, without looking at the weights.
   */
  #scope(mark: boolean, keys?: ReadonlySet<string>): Set<string> {
    const now = this.#now();
    if (this.#warmup.phase(now) === 'done') {
      if (keys) return new Set(keys);
      const all = new Set(this.#desiredVips.keys());
      for (const k of this.#record.keys()) all.add(k);
      return all;
    }
    const scope = new Set<string>();
    for (const k of keys ?? this.#desiredVips.keys()) {
      const d = this.#desiredVips.get(k);
      if (!d) continue;
      const w = this.#weights.get(d.frontend);
      const allKnown = w?.members.every((m) => m.weighting !== 'unknown') ?? false;
      const r = mark
        ? this.#warmup.isReleased(d.frontend, allKnown, now)
        : { released: this.isFrontendReleased(d.frontend), newly: false };
      if (r.newly) {
        logEvent(
          this.#log,
          'warmup-release',
          { frontend: d.frontend, vip: k, reason: 'all-known' },
          { msg: `frontend ${d.frontend} released from warmup: every backend's health is known` },
        );
      }
      if (r.released) scope.add(k);
      else if (mark) {
        logEvent(
          this.#log,
          'warmup-suppressed',
          { frontend: d.frontend, vip: k, reason: 'backend-unknown' },
          { msg: `warmup: holding ${d.frontend} while a backend's health is unknown` },
        );
      }
    }
    // VIPs no frontend defines are touched only once warmup is over (above).
    return scope;
  }

  #kick(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      // Work that arrived during the last await is picked up by a fresh drain.
      if (
        !this.#stopped &&
        this.#connected &&
        (this.#full || this.#dirty.size) &&
        this.#warmup.canWrite(this.#now())
      ) {
        this.#kick();
      }
    });
  }

  async #drain(): Promise<void> {
    await Promise.resolve();
    while (!this.#stopped && this.#connected && (this.#full !== undefined || this.#dirty.size > 0)) {
      // The check's dump serves this iteration's full pass, which then does not read VPP again.
      let fresh = false;
      if (this.#restartCheck) {
        if (!(await this.#checkRestart())) return;
        fresh = true;
      }
      if (!this.#warmup.canWrite(this.#now())) {
        logEvent(
          this.#log,
          'warmup-suppressed',
          { reason: 'startup-min-delay', dirty: this.#dirty.size },
          { msg: 'warmup: writing nothing to VPP before startup-min-delay' },
        );
        return;
      }
      const full = this.#full ?? (this.#record.hasDump ? undefined : 'retry');
      if (full !== undefined) {
        this.#full = undefined;
        this.#dirty.clear();
        await this.#pass(full, undefined, fresh);
      } else {
        const keys = new Set(this.#dirty);
        this.#dirty.clear();
        await this.#pass('transition', keys);
      }
    }
  }

  /**
   * checkRestart reads VPP after a reconnect during warmup (reading is allowed while holding) and ends
   * warmup if the lb state is gone. False when the read failed: the check stays due for the next drain.
   */
  async #checkRestart(): Promise<boolean> {
    const epoch = this.#epoch;
    let vips: number;
    try {
      const dump = await this.#dp.dump();
      if (this.#epoch !== epoch || this.#stopped) return false;
      this.#record.replaceAll(dump);
      vips = dump.vips.size;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      logEvent(
        this.#log,
        'lb-sync-error',
        { trigger: 'vpp-connect', error, full: true },
        { msg: `reading VPP after a reconnect failed: ${error}` },
      );
      return false;
    }
    this.#restartCheck = false;
    if (vips > 0) {
      this.#log.info({ vips }, `VPP reconnected with its ${vips} VIP(s): not a restart, warmup goes on`);
      return true;
    }
    if (this.#warmup.end('VPP restarted')) {
      this.#warmupTimer?.();
      this.#warmupTimer = undefined;
      logEvent(
        this.#log,
        'warmup-done',
        { durationMs: Math.round(this.#now() - this.#warmup.startedAt), reason: 'vpp-restarted' },
        { msg: 'warmup ended: VPP restarted (no lb state), reprogramming at once' },
      );
    }
    return true;
  }

  async #pass(trigger: SyncTrigger, keys: Set<string> | undefined, dumped = false): Promise<void> {
    const t0 = this.#now();
    const full = keys === undefined;
    const epoch = this.#epoch;
    const stale = () =>
      this.#stopped
        ? 'the reconciler stopped'
        : this.#epoch !== epoch
          ? 'the VPP connection changed'
          : undefined;
    let report: ApplyReport | undefined;
    let error: string | undefined;
    try {
      if (full && !dumped) {
        const dump = await this.#dp.dump();
        const why = stale();
        if (why !== undefined) throw new MaglevError('ERR_VPP_DISCONNECTED', `dump discarded: ${why}`);
        this.#record.replaceAll(dump);
      }
      const scope = this.#scope(true, keys);
      // A per-VIP pass copies only its VIPs' live state: a transition costs its VIP, not the config.
      const live = keys ? this.#record.snapshotOf(scope) : this.#record.snapshot();
      const steps = planAll(this.#desiredVips, live, this.#planOptions(), scope);
      // lb_conf goes before the first VIP change; during warmup nothing else is written (spec §6: at the
      // first release), so a pass with no step leaves it alone until warmup is over.
      if (steps.length > 0 || this.#warmup.phase(this.#now()) === 'done') await this.#syncConf(full);
      const apiTimeoutMs = this.#model.vpp.apiTimeoutMs;
      report = await applyPlan(steps, this.#dp, this.#record, {
        apiTimeoutMs,
        deadline: this.#now() + (this.#passDeadlineMs ?? 20 * apiTimeoutMs),
        now: this.#now,
        sleep: this.#sleep,
        onStep: (o) => this.#logStep(o, trigger),
        shouldAbort: stale,
      });
      // VPP refuses a VIP that conflicts with another on its prefix (all-port vs per-port -81, encap -73)
      // while that one exists; when this pass deleted VIPs, the conflict may be gone: retry those once soon
      // rather than leave the prefix without a VIP until the next full sync.
      if (
        report.refusedVips.size > 0 &&
        report.outcomes.some((o) => o.status === 'ok' && o.step.kind === 'vip-del')
      ) {
        this.#scheduleRetry(report.refusedVips);
      }
      if (report.unfinishedVips.size > 0) {
        // A call that timed out may still have run in VPP: the retry reads VPP again instead of trusting
        // the record, or it would re-send an add that landed (refused -81) and skip the rest of the VIP.
        this.#retryFull = true;
        this.#scheduleRetry(report.unfinishedVips);
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      logEvent(
        this.#log,
        'lb-sync-error',
        { trigger: triggerName(trigger), error, full },
        { msg: `lb sync failed: ${error}` },
      );
      if (full) this.#retryFull = true;
      // A failed full pass leaves every VIP pending (what `dirtyVips` reports) until the retry's full sync.
      this.#scheduleRetry(keys ?? new Set(this.#desiredVips.keys()));
    }
    const durationMs = this.#now() - t0;
    const info: PassInfo = { trigger, full, report, durationMs, error };
    this.#lastPass = info;
    if (report && (report.applied > 0 || report.failed > 0 || full)) {
      const vips = new Set(report.outcomes.map((o) => vipKeyString(o.step.vip))).size;
      logEvent(
        this.#log,
        'lb-sync',
        {
          trigger: triggerName(trigger),
          full,
          vips,
          calls: report.applied + report.failed,
          failed: report.failed,
          durationMs: Math.round(durationMs * 10) / 10,
          ...(report.aborted !== undefined ? { aborted: report.aborted } : {}),
        },
        {
          // A pass cut short is worth a warn: VIPs are left for the retry.
          level: report.aborted !== undefined ? 'warn' : 'info',
          msg: `lb sync (${triggerName(trigger)}): ${report.applied + report.failed} calls, ${report.failed} failed${
            report.aborted !== undefined ? `; stopped: ${report.aborted}` : ''
          }`,
        },
      );
    }
    this.#onPass?.(info);
  }

  #logStep(o: StepOutcome, trigger: SyncTrigger): void {
    const s = o.step;
    const vip = vipKeyString(s.vip);
    const fields = {
      vip,
      call: stepCall(s),
      frontend: this.#desiredVips.get(vip)?.frontend,
      ...('address' in s ? { as: s.address.text } : {}),
      ...('weight' in s ? { weight: s.weight } : {}),
      ...('flush' in s ? { flush: s.flush } : {}),
    };
    if (o.status === 'ok') {
      logEvent(this.#log, 'lb-change', fields, { msg: describeStep(s) });
    } else if (o.status === 'failed') {
      logEvent(
        this.#log,
        'lb-sync-error',
        {
          ...fields,
          trigger: triggerName(trigger),
          error: o.error?.message ?? 'unknown error',
          code: o.error?.code,
          retval: o.error?.retval,
          retvalName: o.error?.retvalName,
        },
        { msg: `${describeStep(s)} failed: ${o.error?.message}` },
      );
    }
    this.#onStep?.(o);
  }

  /**
   * #syncConf reads lb conf once per connection and writes it only when it differs (spec §6). A refusal
   * is logged and left to the next full sync: the VIPs still get programmed. Transient errors throw.
   */
  async #syncConf(full: boolean): Promise<void> {
    if (this.#confRefused && !full) return;
    if (!this.#liveConf) this.#liveConf = await this.#dp.getConf();
    const live = this.#liveConf;
    const lb = this.#model.vpp.lb;
    const want: LbConf = {
      ipv4SrcAddress: lb.ipv4SrcAddress ?? live.ipv4SrcAddress,
      ipv6SrcAddress: lb.ipv6SrcAddress ?? live.ipv6SrcAddress,
      stickyBucketsPerCore: lb.stickyBucketsPerCore,
      flowTimeoutS: lb.flowTimeoutS,
    };
    const same =
      addressEquals(want.ipv4SrcAddress, live.ipv4SrcAddress) &&
      addressEquals(want.ipv6SrcAddress, live.ipv6SrcAddress) &&
      want.stickyBucketsPerCore === live.stickyBucketsPerCore &&
      want.flowTimeoutS === live.flowTimeoutS;
    if (same) {
      this.#confRefused = false;
      return;
    }
    try {
      await this.#dp.setConf(want);
    } catch (e) {
      const o = e as { code?: unknown; retval?: unknown; retvalName?: unknown; message?: unknown };
      if (o.code !== 'ERR_VPP_RETVAL') throw e;
      this.#confRefused = true;
      logEvent(
        this.#log,
        'lb-sync-error',
        {
          trigger: full ? 'full' : 'dirty',
          call: 'lb_conf',
          error: String(o.message),
          retval: o.retval,
          retvalName: o.retvalName,
        },
        { msg: `lb_conf refused: ${String(o.message)}; the next full sync tries again` },
      );
      return;
    }
    this.#confRefused = false;
    this.#liveConf = want;
    logEvent(
      this.#log,
      'lb-change',
      {
        vip: '',
        call: 'lb_conf',
        ipv4Src: want.ipv4SrcAddress.text,
        ipv6Src: want.ipv6SrcAddress.text,
        stickyBucketsPerCore: want.stickyBucketsPerCore,
        flowTimeout: want.flowTimeoutS,
      },
      { msg: 'lb_conf written (it differed from the configuration)' },
    );
  }

  /** #scheduleRetry: unfinished VIPs wait RETRY_DELAY_MS, so a VPP that keeps failing is not hammered. */
  #scheduleRetry(keys: ReadonlySet<string>): void {
    for (const k of keys) this.#retry.add(k);
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = this.#setTimer(() => {
      this.#retryTimer = undefined;
      for (const k of this.#retry) this.#dirty.add(k);
      this.#retry.clear();
      if (this.#retryFull) this.#full = this.#full ?? 'retry';
      this.#retryFull = false;
      this.#kick();
    }, RETRY_DELAY_MS);
  }

  #armWarmupTimer(): void {
    this.#warmupTimer?.();
    this.#warmupTimer = undefined;
    const next = this.#warmup.nextChange(this.#now());
    if (next === undefined) return;
    this.#warmupTimer = this.#setTimer(
      () => {
        this.#warmupTimer = undefined;
        const now = this.#now();
        if (this.#warmup.phase(now) === 'done') {
          for (const [k, d] of this.#desiredVips) {
            if (this.#warmup.wasReleased(d.frontend)) continue;
            logEvent(
              this.#log,
              'warmup-release',
              { frontend: d.frontend, vip: k, reason: 'max-delay' },
              { msg: `frontend ${d.frontend} released from warmup: startup-max-delay passed` },
            );
          }
          logEvent(
            this.#log,
            'warmup-done',
            { durationMs: Math.round(now - this.#warmup.startedAt), reason: 'startup-max-delay' },
            { msg: 'warmup done: startup-max-delay passed' },
          );
        }
        this.#full = this.#full ?? 'warmup';
        this.#armWarmupTimer();
        this.#kick();
      },
      Math.max(0, next - this.#now()),
    );
  }

  /** #armIntervalTimer re-arms a one-shot timer per period, so a changed sync-interval applies at once. */
  #armIntervalTimer(): void {
    this.#intervalTimer?.();
    this.#intervalTimer = undefined;
    const ms = this.#model.vpp.lb.syncIntervalMs;
    if (ms <= 0 || this.#stopped) return;
    this.#intervalTimer = this.#setTimer(() => {
      this.#intervalTimer = undefined;
      this.#armIntervalTimer();
      this.requestSync('interval');
    }, ms);
  }
}
