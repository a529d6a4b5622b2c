// The health checker: runs probes per backend, applies results and operator actions, publishes snapshots and events.

import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { IpAddress } from '../model/address.js';
import { addressEquals } from '../model/address.js';
import type { BackendSpec, DesiredModel, HealthcheckSpec } from '../model/desired.js';
import type { BackendHealth, HealthSnapshot, ProbeResult, Transition } from '../model/health.js';
import { MaglevError } from '../util/errors.js';
import type { CancelSignal } from './cancel.js';
import {
  type CheckerEvent,
  type CheckerListener,
  type CheckerOptions,
  type CheckerStats,
  DEFAULT_MAX_LISTENERS,
  type OperatorOutcome,
  type ResultEvent,
  type TransitionEvent,
} from './checker-types.js';
import { type Clock, systemClock } from './clock.js';
import {
  byInterval,
  cadenceOf,
  carryLine,
  counterParams,
  type Entry,
  makeView,
  newEntry,
  point,
  probeFields,
  probing,
} from './entry.js';
import { IcmpSocketPool } from './icmp-socket.js';
import { httpProbe, httpsProbe } from './probes/http.js';
import { createIcmpProbe } from './probes/icmp.js';
import { type ProbeSet, timeoutCodeFor } from './probes/probe.js';
import { tcpProbe } from './probes/tcp.js';
import { type BackendCarry, decideCarry } from './reload.js';
import { type ProbeJob, ProbeScheduler, spreadDelays } from './scheduler.js';
import { decideSeed, type SeedEntry, type SeedOutcome } from './seed.js';
import { ChunkedMap } from './snapshot-map.js';
import { appendHistory, type HealthEvent, type HealthState, type OperatorAction, step } from './state.js';

export * from './checker-types.js';
export type { BackendCarry, HealthCarry, HealthPoint } from './reload.js';
export type { SeedEntry, SeedOutcome } from './seed.js';

/**
 * HealthChecker owns every backend's health. After each change it publishes a new immutable HealthSnapshot
 * (generation + 1) that shares all untouched parts with the previous one: readers hold it as long as they
 * like without copying or locking. A probe result is applied only if it is about the backend's current
 * address and probing epoch; anything else is dropped and counted.
 */
export class HealthChecker {
  private readonly entries = new Map<string, Entry>();
  private readonly scheduler: ProbeScheduler;
  private readonly probes: ProbeSet;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly listeners = new Set<CheckerListener>();
  private readonly maxListeners: number;
  private readonly icmpPool: IcmpSocketPool | undefined;
  private model: DesiredModel;
  private map: ChunkedMap<BackendHealth>;
  /** Views changed since `map` was last brought up to date; folded in when a snapshot is read. */
  private readonly pending = new Map<string, BackendHealth>();
  private generation = 1;
  /** The last snapshot handed out, or undefined when a change happened since. */
  private snap: HealthSnapshot | undefined;
  private running = false;
  private applied = 0;
  private dropped = { staleAddress: 0, staleEpoch: 0, notProbing: 0 };

  constructor(model: DesiredModel, opts: CheckerOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'checker' });
    this.maxListeners = opts.maxListeners ?? DEFAULT_MAX_LISTENERS;
    if (opts.probes?.icmp === undefined) this.icmpPool = new IcmpSocketPool();
    this.probes = {
      tcp: opts.probes?.tcp ?? tcpProbe,
      http: opts.probes?.http ?? httpProbe,
      https: opts.probes?.https ?? httpsProbe,
      icmp: opts.probes?.icmp ?? createIcmpProbe(this.icmpPool as IcmpSocketPool),
    };
    this.scheduler = new ProbeScheduler({
      maxConcurrent: model.healthchecker.maxConcurrentProbes,
      clock: this.clock,
      random: this.random,
      onError: (key, what, err) => this.log.error({ backend: key, err }, what),
    });
    this.model = model;
    const now = this.clock.now();
    for (const b of model.backends.values()) {
      this.entries.set(b.name, newEntry(b, this.healthcheckOf(model, b), now));
    }
    this.map = ChunkedMap.from([...this.entries.values()].map((e) => [e.name, e.view] as const));
  }

  /** start begins probing every enabled backend, first probes spread over each one's first interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const list = [...this.entries.values()].filter((e) => probing(e.health.state));
    // A backend seeded with a verdict is verified at once; the others are spread over their interval.
    for (const e of list) if (e.awaiting) this.scheduler.add(e.name, this.jobFor(e), 0);
    this.scheduleFirst(list.filter((e) => !e.awaiting));
  }

  /**
   * seed sets starting states from a previous run's records (the state file), before `start`: operator
   * state, and verdicts the caller found younger than `state-ttl` (see decideSeed). Unknown names are
   * reported, not applied. Refused once probing has started (the records would be older than what
   * probing knows by then).
   */
  seed(entries: Iterable<SeedEntry>): readonly SeedOutcome[] {
    const out: SeedOutcome[] = [];
    const now = this.clock.now();
    for (const rec of entries) {
      const e = this.entries.get(rec.name);
      if (this.running || !e) {
        const reason = this.running ? 'probing has started' : 'no such backend in the config';
        out.push({ name: rec.name, applied: false, state: undefined, reason });
        continue;
      }
      const d = decideSeed(e.spec, e.params, rec);
      e.awaiting = d.awaiting;
      const to = d.health.state;
      const t =
        to === e.health.state
          ? undefined
          : { from: e.health.state, to, code: undefined, reason: `restored: ${d.reason}`, at: now };
      this.commit(e, d.health, t, undefined, now, []);
      this.pending.set(e.name, e.view);
      out.push({ name: rec.name, applied: true, state: d.health.state, reason: d.reason });
    }
    if (out.some((o) => o.applied)) this.publish([]);
    return out;
  }

  /** stop cancels every timer and in-flight probe and closes the checker's ICMP sockets. */
  stop(): void {
    this.running = false;
    this.scheduler.stop();
    this.icmpPool?.closeAll();
  }

  /** snapshot is the current immutable snapshot; hold it as long as needed. */
  snapshot(): HealthSnapshot {
    // Built when read, not per change: at 2000 results/s nobody reads most versions, and building one per
    // result was the checker's largest own cost. What a reader gets is the same as if it had been.
    if (this.snap === undefined) {
      if (this.pending.size > 0) {
        this.map = this.map.withAll(this.pending);
        this.pending.clear();
      }
      this.snap = Object.freeze({ generation: this.generation, backends: this.map });
    }
    return this.snap;
  }

  /** stats reports counters (dropped results by reason, scheduler load). */
  stats(): CheckerStats {
    return {
      generation: this.generation,
      dropped: { ...this.dropped },
      applied: this.applied,
      scheduler: this.scheduler.stats(),
    };
  }

  /**
   * subscribe registers a listener for transition and result events, called synchronously after the snapshot
   * that contains the change is published. At most `maxListeners`; returns the unsubscribe function.
   */
  subscribe(listener: CheckerListener): () => void {
    if (this.listeners.size >= this.maxListeners) {
      throw new MaglevError('ERR_UNAVAILABLE', `the checker already has ${this.maxListeners} subscribers`);
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** pause stops probing a backend; its weight keeps the last known up/down. Error if disabled. */
  pause(name: string): OperatorOutcome {
    return this.operator(name, 'pause');
  }

  /** resume restarts probing a paused backend at once, keeping its last known up/down. Error if disabled. */
  resume(name: string): OperatorOutcome {
    return this.operator(name, 'resume');
  }

  /** disable takes a backend out (no probes, weight 0, flush). */
  disable(name: string): OperatorOutcome {
    return this.operator(name, 'disable');
  }

  /** enable brings a disabled backend back, in `unknown`. */
  enable(name: string): OperatorOutcome {
    return this.operator(name, 'enable');
  }

  /**
   * applyConfig moves to a new model (spec §4). A backend at the same address keeps its state: a change of
   * only its check's timing re-bases the counter; a change of what is probed keeps state and weight until
   * the new check's first result, probed at once. A new address starts `unknown`; new backends start;
   * removed ones are stopped and shown as `removed` until the next applyConfig. Operator state
   * (paused/disabled) survives; a change of the configured `enabled` flag acts like enable/disable.
   * Returns one line per backend whose address or check changed, or that came or went (for the log).
   */
  applyConfig(next: DesiredModel): readonly BackendCarry[] {
    // Check every reference before changing anything, so a bad model leaves the checker as it was.
    for (const b of next.backends.values()) this.healthcheckOf(next, b);
    const now = this.clock.now();
    const old = this.model;
    this.model = next;
    this.scheduler.setMaxConcurrent(next.healthchecker.maxConcurrentProbes);
    const events: TransitionEvent[] = [];
    const toStart: Entry[] = [];
    const toRetime: Entry[] = [];
    const report: BackendCarry[] = [];
    for (const b of next.backends.values()) {
      const hc = this.healthcheckOf(next, b);
      const e = this.entries.get(b.name);
      if (!e || e.health.state === 'removed') {
        const ne = newEntry(b, hc, now);
        this.entries.set(b.name, ne);
        if (probing(ne.health.state)) toStart.push(ne);
        report.push(carryLine(ne, 'added', 'new in the config', [], undefined));
        continue;
      }
      const before = point(e);
      const d = decideCarry(e, b, hc);
      const wasEnabled = old.backends.get(b.name)?.enabled ?? true;
      e.spec = b;
      e.hc = hc;
      e.params = counterParams(hc);
      e.awaiting = d.awaiting;
      let lastResult = e.view.lastResult;
      if (d.followUp === 'restart') {
        this.scheduler.remove(e.name);
        e.epoch++;
        lastResult = undefined;
        this.applyEvent(e, { kind: 'restart', reason: d.reason }, now, events, lastResult, true);
        if (probing(e.health.state)) toStart.push(e);
      } else {
        // A result of the old probe says nothing about the new one: it is no longer shown as the last.
        if (d.carry === 'recheck') lastResult = undefined;
        if (d.next !== e.health || lastResult !== e.view.lastResult) {
          this.commit(e, d.next, undefined, lastResult, now, events);
        }
        if (d.followUp === 'now') {
          // The old check's attempt in flight is cancelled and its result dropped (epoch).
          e.epoch++;
          if (this.running) this.scheduler.add(e.name, this.jobFor(e), 0);
        } else if (d.followUp === 'retime') toRetime.push(e);
      }
      if (d.carry !== 'kept' || d.keys.length > 0)
        report.push(carryLine(e, d.carry, d.reason, d.keys, before));
      // When unchanged, the view (holding an equal address value) stays the very same object.
      if (wasEnabled !== b.enabled) {
        const action: OperatorAction = b.enabled ? 'enable' : 'disable';
        const was = e.health.state;
        this.applyEvent(e, { kind: 'operator', action }, now, events, lastResult, true);
        if (action === 'disable' && was !== 'disabled') {
          this.scheduler.remove(e.name);
          e.awaiting = false;
        }
        if (action === 'enable' && was === 'disabled') {
          e.epoch++;
          e.awaiting = false;
          // Quick feedback, as for the operator's enable: its weight is 0 until a result comes.
          if (this.running && !toStart.includes(e)) this.scheduler.add(e.name, this.jobFor(e), 0);
        }
      }
    }
    for (const e of [...this.entries.values()]) {
      if (next.backends.has(e.name)) continue;
      if (e.health.state === 'removed') {
        this.entries.delete(e.name); // shown as removed for one config generation, then forgotten
        continue;
      }
      const before = point(e);
      this.scheduler.remove(e.name);
      e.epoch++;
      this.applyEvent(e, { kind: 'remove' }, now, events, e.view.lastResult, true);
      report.push(carryLine(e, 'removed', 'removed from the config', [], before));
    }
    // Config order first, then the removed ones.
    const order = [
      ...[...next.backends.keys()].map((k) => this.entries.get(k) as Entry),
      ...[...this.entries.values()].filter((e) => !next.backends.has(e.name)),
    ];
    this.pending.clear(); // every entry's current view is in the new map
    this.map = ChunkedMap.from(order.map((e) => [e.name, e.view] as const));
    this.publish(events);
    if (this.running) {
      this.scheduleFirst(toStart);
      this.retime(toRetime);
    }
    return report;
  }

  private healthcheckOf(model: DesiredModel, b: BackendSpec): HealthcheckSpec {
    const hc = model.healthchecks.get(b.healthcheck);
    if (!hc) {
      // The config loader guarantees references; reaching this is a programming error, not bad input.
      throw new MaglevError('ERR_INTERNAL', `backend ${b.name} names unknown healthcheck ${b.healthcheck}`);
    }
    return hc;
  }

  /**
   * check says what `action` on `name` would do, changing nothing: the same answer the action gives
   * (not found, not applicable in this state, or whether it would change anything).
   */
  check(name: string, action: OperatorAction): OperatorOutcome {
    const e = this.entries.get(name);
    if (!e) return { ok: false, error: new MaglevError('ERR_NOT_FOUND', `no backend named ${name}`) };
    const r = step(e.health, { kind: 'operator', action }, e.params, this.clock.now());
    return r.ok ? { ok: true, changed: r.changed } : r;
  }

  private operator(name: string, action: OperatorAction): OperatorOutcome {
    const e = this.entries.get(name);
    if (!e) return { ok: false, error: new MaglevError('ERR_NOT_FOUND', `no backend named ${name}`) };
    const before = e.health.state;
    const now = this.clock.now();
    const r = step(e.health, { kind: 'operator', action }, e.params, now);
    if (!r.ok) return r;
    if (!r.changed) return { ok: true, changed: false };
    const events: TransitionEvent[] = [];
    this.commit(e, r.next, r.transition, e.view.lastResult, now, events);
    if (!probing(e.health.state)) {
      this.scheduler.remove(name); // cancels the in-flight probe and the timers
    } else if (!probing(before)) {
      e.epoch++;
      // resume (spec §4) and enable probe at once: a resumed backend's verdict is as old as its pause,
      // an enabled one has weight 0 until its first result.
      if (this.running) this.scheduler.add(name, this.jobFor(e), 0);
    }
    if (action === 'enable' || action === 'disable') e.awaiting = false;
    this.pending.set(name, e.view);
    this.publish(events);
    this.log.info(
      { backend: name, address: e.spec.address.text, action, from: before, to: e.health.state },
      'operator action',
    );
    return { ok: true, changed: true };
  }

  private applyEvent(
    e: Entry,
    ev: HealthEvent,
    now: number,
    events: TransitionEvent[],
    lastResult: ProbeResult | undefined,
    force: boolean,
  ): void {
    const r = step(e.health, ev, e.params, now);
    if (!r.ok) return;
    if (r.changed || force) this.commit(e, r.next, r.transition, lastResult, now, events);
  }

  private commit(
    e: Entry,
    next: HealthState,
    t: Transition | undefined,
    lastResult: ProbeResult | undefined,
    now: number,
    events: TransitionEvent[],
  ): void {
    e.health = next;
    const history = t
      ? appendHistory(e.view.history, t, this.model.healthchecker.transitionHistory)
      : e.view.history;
    e.view = makeView(e.spec, next, lastResult, history, t ? now : e.view.since);
    if (t) {
      events.push({
        type: 'transition',
        name: e.name,
        address: e.spec.address,
        transition: t,
        generation: 0,
      });
      const fields = {
        backend: e.name,
        address: e.spec.address.text,
        from: t.from,
        to: t.to,
        code: t.code,
        reason: t.reason,
      };
      // The daemon logs every transition as the `backend-transition` event; this line is for tracing the checker.
      this.log.debug(fields, 'backend state');
    }
  }

  private publish(transitions: TransitionEvent[], result?: Omit<ResultEvent, 'generation' | 'type'>): void {
    const generation = ++this.generation;
    this.snap = undefined;
    if (this.listeners.size === 0) return;
    if (result) this.emit({ type: 'result', ...result, generation });
    for (const t of transitions) this.emit({ ...t, generation });
  }

  private emit(ev: CheckerEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (err) {
        this.log.error({ err, event: ev.type }, 'checker listener threw');
      }
    }
  }

  private scheduleFirst(list: Entry[]): void {
    // Stratified per interval length, so a thousand backends with one healthcheck do not probe at once.
    for (const [interval, es] of byInterval(list, (e) => e.hc.intervalMs)) {
      const delays = spreadDelays(es.length, interval, this.random);
      es.forEach((e, i) => {
        this.scheduler.add(e.name, this.jobFor(e), delays[i] as number);
      });
    }
  }

  /**
   * retime puts backends whose check's timing changed on the new cadence without losing an attempt in
   * flight (its result is about the same probe and still counts): waiting ones are spread over the new
   * interval of their counter position, like first probes, so a thousand backends on one check do not
   * all probe at once.
   */
  private retime(list: Entry[]): void {
    for (const [interval, es] of byInterval(
      list.filter((e) => probing(e.health.state)),
      cadenceOf,
    )) {
      const delays = spreadDelays(es.length, interval, this.random);
      es.forEach((e, i) => {
        const job = this.jobFor(e);
        if (!this.scheduler.retime(e.name, job, delays[i] as number)) {
          this.scheduler.add(e.name, job, delays[i] as number);
        }
      });
    }
  }

  private jobFor(e: Entry): ProbeJob {
    const { name } = e;
    const address = e.spec.address;
    const spec = e.hc;
    const epoch = e.epoch;
    const probe = this.probes[spec.type];
    return {
      timeoutMs: spec.timeoutMs,
      timeoutCode: timeoutCodeFor(spec.type),
      run: (signal: CancelSignal) => probe({ address, spec, signal }),
      onResult: (result: ProbeResult): number => this.onResult(name, address, epoch, result),
    };
  }

  private onResult(name: string, address: IpAddress, epoch: number, result: ProbeResult): number {
    const e = this.entries.get(name);
    if (!e || !addressEquals(e.spec.address, address)) {
      this.dropped.staleAddress++;
      this.log.debug(
        { backend: name, address: address.text, code: result.code },
        'result for an old address dropped',
      );
      return 0;
    }
    if (e.epoch !== epoch) {
      this.dropped.staleEpoch++;
      return 0;
    }
    if (!probing(e.health.state)) {
      this.dropped.notProbing++;
      return 0;
    }
    this.applied++;
    // Checked first: the fields object would otherwise be built for every probe and thrown away.
    if (this.log.isLevelEnabled('debug'))
      this.log.debug(probeFields(e, result), `probe ${name}: ${result.code}`);
    const now = this.clock.now();
    const events: TransitionEvent[] = [];
    const r = step(e.health, { kind: 'result', result }, e.params, now);
    if (r.ok) this.commit(e, r.next, r.transition, result, now, events);
    e.awaiting = false;
    this.pending.set(name, e.view);
    this.publish(events, { name, address, result });
    return cadenceOf(e);
  }
}
