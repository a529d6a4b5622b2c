// A fake ControlTarget: an in-memory daemon with real spec §5 weighting, for control server and CLI tests.
import type { ControlTarget, EventSubscription, SubscribeOptions } from '../../src/control/daemon-port.js';
import type {
  ActionResult,
  BackendAction,
  BackendView,
  ConfigCheckResult,
  ConfigReloadResult,
  ControlEvent,
  ExplainView,
  FrontendView,
  HealthcheckView,
  InfoView,
  LiveLbView,
  LogLevelName,
  PlanView,
  TimeView,
  VppView,
} from '../../src/control/protocol.js';
import type { DesiredModel } from '../../src/model/desired.js';
import type { BackendHealth, BackendState, ProbeCode, Transition } from '../../src/model/health.js';
import { protocolName, vipKeyString } from '../../src/model/vip-key.js';
import {
  computeFrontendWeights,
  type FrontendWeights,
  overrideKey,
  type WeightOverride,
} from '../../src/reconciler/effective.js';
import { describeStep, type PlanStep } from '../../src/reconciler/plan.js';
import { MaglevError } from '../../src/util/errors.js';
import { buildModel } from '../reconciler/builders.js';

/** The fake's wall clock: every age in its views is relative to this. */
export const FAKE_NOW = Date.parse('2026-11-23T01:00:00.000Z');

const sec = (s: number) => FAKE_NOW - s * 1000;

function time(at: number): TimeView {
  return { at: new Date(at).toISOString(), ageMs: FAKE_NOW - at };
}

interface LiveAs {
  weight: number;
  buckets: number;
}

/**
 * FakeControlTarget holds two frontends (web-v4 with a primary and a fallback pool, web-v6) and five
 * backends in every interesting state: web1 up, web2 down (VPP not yet updated: `show plan` has a
 * call), web3 up in the inactive fallback pool, web6a paused while up, web6b disabled.
 */
export class FakeControlTarget implements ControlTarget {
  readonly model: DesiredModel;
  readonly health = new Map<string, BackendHealth>();
  readonly overrides = new Map<string, WeightOverride>();
  /** VPP's AS weights and buckets per VIP key text and address. */
  readonly live = new Map<string, Map<string, LiveAs>>();
  vppConnected = true;
  logLevel: LogLevelName = 'info';
  /** Every action that reached the target, in order (for "nothing changed" checks). */
  readonly calls: string[] = [];
  /** What the next reloadConfig returns. */
  nextReload: ConfigReloadResult = {
    ok: true,
    file: '/etc/maglev/maglev.yaml',
    generation: 2,
    changed: true,
    errors: [],
  };
  /** When set, every call waits on this before answering (timeout tests). */
  hang: Promise<void> | undefined;
  readonly #listeners = new Set<{ opts: SubscribeOptions; fn: (e: ControlEvent) => void }>();

  constructor() {
    this.model = buildModel(
      {
        web1: '192.0.2.11',
        web2: '192.0.2.12',
        web3: '192.0.2.13',
        web6a: '2001:db8:1::a',
        web6b: '2001:db8:1::b',
      },
      [
        {
          name: 'web-v4',
          vip: '198.51.100.1/32',
          port: 80,
          pools: { primary: { web1: 100, web2: 50 }, fallback: { web3: 100 } },
        },
        { name: 'web-v6', vip: '2001:db8::1/128', port: 443, pools: { main: { web6a: 100, web6b: 100 } } },
      ],
    );
    const probe = (ok: boolean, code: ProbeCode, latencyMs: number, detail: string, ago: number) => ({
      ok,
      code,
      latencyMs,
      detail,
      at: sec(ago),
    });
    const tr = (
      from: BackendState,
      to: BackendState,
      code: ProbeCode | undefined,
      reason: string,
      ago: number,
    ): Transition => ({
      from,
      to,
      code,
      reason,
      at: sec(ago),
    });
    const put = (h: Omit<BackendHealth, 'address' | 'since'>) => {
      const spec = this.model.backends.get(h.name);
      if (!spec) throw new Error(`fake: no backend ${h.name}`);
      const last = h.history[h.history.length - 1];
      this.health.set(h.name, { ...h, address: spec.address, since: last?.at ?? sec(3600) });
    };
    put({
      name: 'web1',
      state: 'up',
      lastKnown: 'up',
      health: 4,
      lastResult: probe(true, 'L7OK', 3.2, 'HTTP 200', 1),
      history: [tr('unknown', 'up', 'L7OK', 'HTTP 200', 7200)],
    });
    put({
      name: 'web2',
      state: 'down',
      lastKnown: 'down',
      health: 0,
      lastResult: probe(false, 'L4CON', 0.4, 'connection refused', 2),
      history: [
        tr('unknown', 'up', 'L7OK', 'HTTP 200', 7200),
        tr('up', 'down', 'L4CON', 'connection refused', 95),
      ],
    });
    put({
      name: 'web3',
      state: 'up',
      lastKnown: 'up',
      health: 4,
      lastResult: probe(true, 'L7OK', 5.9, 'HTTP 200', 1),
      history: [tr('unknown', 'up', 'L7OK', 'HTTP 200', 7190)],
    });
    put({
      name: 'web6a',
      state: 'paused',
      lastKnown: 'up',
      health: 4,
      lastResult: probe(true, 'L4OK', 0.8, 'connected', 620),
      history: [
        tr('unknown', 'up', 'L4OK', 'connected', 7200),
        tr('up', 'paused', undefined, 'operator: pause', 600),
      ],
    });
    put({
      name: 'web6b',
      state: 'disabled',
      lastKnown: 'unknown',
      health: 0,
      lastResult: undefined,
      history: [tr('unknown', 'disabled', undefined, 'operator: disable', 86_400)],
    });
    // VPP as the daemon last programmed it: web2 still has its weight (the worker has not run yet).
    this.live.set(
      '198.51.100.1/32 tcp:80',
      new Map([
        ['192.0.2.11', { weight: 100, buckets: 683 }],
        ['192.0.2.12', { weight: 50, buckets: 341 }],
        ['192.0.2.13', { weight: 0, buckets: 0 }],
      ]),
    );
    this.live.set(
      '2001:db8::1/128 tcp:443',
      new Map([
        ['2001:db8:1::a', { weight: 100, buckets: 1024 }],
        ['2001:db8:1::b', { weight: 0, buckets: 0 }],
      ]),
    );
  }

  /** state is everything an action could change, as JSON: equal before and after a refused request. */
  state(): string {
    return JSON.stringify({
      health: [...this.health.values()].map((h) => [
        h.name,
        h.state,
        h.lastKnown,
        h.health,
        h.history.length,
      ]),
      overrides: [...this.overrides.entries()],
      live: [...this.live.entries()].map(([k, m]) => [k, [...m.entries()]]),
      logLevel: this.logLevel,
      calls: this.calls,
    });
  }

  get subscriberCount(): number {
    return this.#listeners.size;
  }

  /** emit publishes a live event to every subscriber, as the daemon would. */
  emit(e: ControlEvent): void {
    for (const l of this.#listeners) l.fn(e);
  }

  async #wait(): Promise<void> {
    if (this.hang) await this.hang;
  }

  #weights(): Map<string, FrontendWeights> {
    const snapshot = { generation: 1, backends: this.health };
    const out = new Map<string, FrontendWeights>();
    for (const fe of this.model.frontends.values()) {
      out.set(fe.name, computeFrontendWeights(fe, this.model.backends, snapshot, this.overrides));
    }
    return out;
  }

  #requireVpp(what: string): void {
    if (!this.vppConnected) {
      throw new MaglevError(
        'ERR_VPP_DISCONNECTED',
        `VPP is not connected (/run/vpp/api.sock): cannot ${what}`,
      );
    }
  }

  info(): InfoView {
    return {
      version: '0.1.0',
      vppApi: '25.06',
      pid: 4242,
      startedAt: time(sec(7300)),
      configFile: '/etc/maglev/maglev.yaml',
      configGeneration: 1,
      logLevel: this.logLevel,
    };
  }

  frontends(): FrontendView[] {
    const weights = this.#weights();
    return [...this.model.frontends.values()].map((fe) => {
      const w = weights.get(fe.name);
      if (!w) throw new Error('fake: weights');
      const vip = vipKeyString(fe.vip);
      const live = this.live.get(vip);
      return {
        name: fe.name,
        vip,
        prefix: fe.vip.prefix.text,
        protocol: protocolName(fe.vip.protocol) as 'tcp' | 'udp' | 'any',
        port: fe.vip.port,
        encap: fe.encap,
        srcIpSticky: fe.srcIpSticky,
        flushOnDown: fe.flushOnDown,
        state: w.state,
        activePool: w.activePool ?? null,
        released: true,
        lastTransition: time(sec(7190)),
        pools: fe.pools.map((p) => ({
          name: p.name,
          active: p.name === w.activePool,
          backends: w.members
            .filter((m) => m.pool === p.name)
            .map((m) => {
              const h = this.health.get(m.backend);
              const l = m.address ? live?.get(m.address.text) : undefined;
              return {
                backend: m.backend,
                address: m.address?.text ?? null,
                state: m.state,
                configuredWeight: m.configuredWeight,
                override: m.override ? { ...m.override } : null,
                effectiveWeight: m.effectiveWeight,
                vppWeight: l?.weight ?? null,
                vppBuckets: l?.buckets ?? null,
                lastTransition: h ? time(h.since) : null,
              };
            }),
        })),
      };
    });
  }

  backends(): BackendView[] {
    return [...this.model.backends.values()].map((b) => {
      const h = this.health.get(b.name);
      if (!h) throw new Error('fake: health');
      return {
        name: b.name,
        address: b.address.text,
        healthcheck: b.healthcheck,
        configEnabled: b.enabled,
        state: h.state,
        lastKnown: h.lastKnown,
        health: h.health,
        rise: 2,
        fall: 3,
        lastProbe: h.lastResult
          ? {
              ok: h.lastResult.ok,
              code: h.lastResult.code,
              latencyMs: h.lastResult.latencyMs,
              detail: h.lastResult.detail,
              at: time(h.lastResult.at),
            }
          : null,
        history: h.history.map((t) => ({
          from: t.from,
          to: t.to,
          code: t.code ?? null,
          reason: t.reason,
          at: time(t.at),
        })),
        frontends: [...this.model.frontends.values()]
          .filter((fe) => fe.pools.some((p) => p.members.some((m) => m.backend === b.name)))
          .map((fe) => fe.name),
        lastTransition: h.history.length ? time(h.since) : null,
      };
    });
  }

  healthchecks(): HealthcheckView[] {
    return [...this.model.healthchecks.values()].map((c) => ({
      name: c.name,
      type: c.type,
      port: c.port ?? null,
      path: c.type === 'http' || c.type === 'https' ? c.path : null,
      host: c.host ?? null,
      expectStatus: c.expectStatus.map((r) => [r[0], r[1]] as [number, number]),
      insecure: c.insecure,
      headers: Object.keys(c.headers),
      sourceV4: c.sourceV4?.text ?? null,
      sourceV6: c.sourceV6?.text ?? null,
      intervalMs: c.intervalMs,
      fastIntervalMs: c.fastIntervalMs,
      downIntervalMs: c.downIntervalMs,
      timeoutMs: c.timeoutMs,
      rise: c.rise,
      fall: c.fall,
      backends: [...this.model.backends.values()].filter((b) => b.healthcheck === c.name).map((b) => b.name),
    }));
  }

  async vpp(): Promise<VppView> {
    await this.#wait();
    return {
      apiSocket: '/run/vpp/api.sock',
      state: this.vppConnected ? 'connected' : 'disconnected',
      since: time(sec(7250)),
      lastError: this.vppConnected ? null : 'connect ENOENT /run/vpp/api.sock',
      version: this.vppConnected ? '25.06-release' : null,
      lbConf: this.vppConnected
        ? {
            ipv4SrcAddress: '192.0.2.254',
            ipv6SrcAddress: '2001:db8::fe',
            stickyBucketsPerCore: 65536,
            flowTimeoutS: 40,
          }
        : null,
      compatibility: this.vppConnected ? { compatible: true, checked: 14, mismatches: [] } : null,
      warmup: 'done',
      dirtyVips: 1,
      lastSync: {
        trigger: 'interval',
        full: true,
        calls: 0,
        failed: 0,
        durationMs: 4,
        error: null,
        at: time(sec(12)),
      },
    };
  }

  async vppLb(): Promise<LiveLbView> {
    await this.#wait();
    const names = new Map<string, string>();
    for (const b of this.model.backends.values()) names.set(b.address.text, b.name);
    return {
      connected: this.vppConnected,
      source: this.vppConnected ? 'dump' : 'record',
      vips: [...this.model.frontends.values()].map((fe) => {
        const vip = vipKeyString(fe.vip);
        return {
          vip,
          prefix: fe.vip.prefix.text,
          protocol: protocolName(fe.vip.protocol),
          port: fe.vip.port,
          encap: fe.encap,
          srcIpSticky: fe.srcIpSticky,
          tableLength: fe.newFlowsTableLength,
          frontend: fe.name,
          ases: [...(this.live.get(vip) ?? new Map<string, LiveAs>()).entries()].map(([address, a]) => ({
            address,
            weight: a.weight,
            buckets: a.buckets,
            flags: 1,
            backend: names.get(address) ?? null,
          })),
        };
      }),
    };
  }

  #planSteps(): { steps: PlanStep[]; frontendOf: Map<string, string> } {
    const steps: PlanStep[] = [];
    const frontendOf = new Map<string, string>();
    const weights = this.#weights();
    for (const fe of this.model.frontends.values()) {
      const vip = vipKeyString(fe.vip);
      frontendOf.set(vip, fe.name);
      const live = this.live.get(vip);
      for (const m of weights.get(fe.name)?.members ?? []) {
        if (!m.address) continue;
        const l = live?.get(m.address.text);
        if (l && l.weight !== m.effectiveWeight) {
          steps.push({
            kind: 'as-weight',
            vip: fe.vip,
            address: m.address,
            weight: m.effectiveWeight,
            from: l.weight,
            flush: m.effectiveWeight === 0 && m.flush,
          });
        }
      }
    }
    return { steps, frontendOf };
  }

  async plan(): Promise<PlanView> {
    await this.#wait();
    const { steps, frontendOf } = this.#planSteps();
    const perVip = new Map<string, number>();
    for (const s of steps) perVip.set(vipKeyString(s.vip), (perVip.get(vipKeyString(s.vip)) ?? 0) + 1);
    return {
      inSync: steps.length === 0,
      warmup: 'done',
      fresh: this.vppConnected,
      steps: steps.map((s) => ({
        call: 'lb_as_set_weight',
        kind: s.kind,
        vip: vipKeyString(s.vip),
        address: 'address' in s ? s.address.text : null,
        weight: 'weight' in s ? s.weight : null,
        fromWeight: s.kind === 'as-weight' ? s.from : null,
        flush: 'flush' in s ? s.flush : null,
        line: describeStep(s),
      })),
      vips: [...perVip.entries()].map(([vip, calls]) => ({
        vip,
        frontend: frontendOf.get(vip) ?? null,
        calls,
        bucketsMoved: 341,
        tableLength: 1024,
      })),
    };
  }

  explain(frontend: string, backend: string): ExplainView {
    const fe = this.model.frontends.get(frontend);
    if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
    const w = this.#weights().get(frontend);
    const members = (w?.members ?? []).filter((m) => m.backend === backend);
    if (members.length === 0) {
      throw new MaglevError(
        'ERR_NOT_FOUND',
        `frontend "${frontend}" has no backend "${backend}" in its pools`,
      );
    }
    const h = this.health.get(backend);
    const first = members[0];
    const live = first?.address ? this.live.get(vipKeyString(fe.vip))?.get(first.address.text) : undefined;
    return {
      frontend,
      vip: vipKeyString(fe.vip),
      backend,
      address: first?.address?.text ?? null,
      state: h?.state ?? 'unknown',
      adminState: h?.state === 'paused' ? 'paused' : h?.state === 'disabled' ? 'disabled' : 'enabled',
      lastKnown: h?.lastKnown ?? 'unknown',
      health: h?.health ?? 0,
      rise: 2,
      fall: 3,
      frontendState: w?.state ?? 'unknown',
      activePool: w?.activePool ?? null,
      warmup: { phase: 'done', released: true },
      members: members.map((m) => ({
        pool: m.pool,
        poolActive: m.pool === w?.activePool,
        configuredWeight: m.configuredWeight,
        override: m.override ? { ...m.override } : null,
        effectiveWeight: m.effectiveWeight,
        flush: m.flush,
        reason: m.reason,
      })),
      vppWeight: live?.weight ?? null,
      vppBuckets: live?.buckets ?? null,
    };
  }

  #vipsOf(backend: string): string[] {
    return [...this.model.frontends.values()]
      .filter((fe) => fe.pools.some((p) => p.members.some((m) => m.backend === backend)))
      .map((fe) => vipKeyString(fe.vip));
  }

  async setBackendState(backend: string, action: BackendAction): Promise<ActionResult> {
    await this.#wait();
    const h = this.health.get(backend);
    if (!h) throw new MaglevError('ERR_NOT_FOUND', `no backend named "${backend}"`);
    if ((action === 'pause' || action === 'resume') && h.state === 'disabled') {
      throw new MaglevError('ERR_STATE', `backend "${backend}" is disabled: enable it first`);
    }
    this.#requireVpp(`${action} ${backend}`);
    this.calls.push(`${action} ${backend}`);
    const to: BackendState =
      action === 'pause'
        ? 'paused'
        : action === 'disable'
          ? 'disabled'
          : h.state === 'paused' || h.state === 'disabled'
            ? 'unknown'
            : h.state;
    if (to === h.state) return { changed: false, message: `backend ${backend} is already ${to}`, vips: [] };
    const t: Transition = { from: h.state, to, code: undefined, reason: `operator: ${action}`, at: FAKE_NOW };
    this.health.set(backend, {
      ...h,
      state: to,
      health: to === 'unknown' ? 1 : h.health,
      history: [...h.history, t].slice(-5),
      since: FAKE_NOW,
    });
    this.emit({
      type: 'backend',
      time: new Date(FAKE_NOW).toISOString(),
      backend,
      address: h.address.text,
      from: h.state,
      to,
      code: null,
      reason: `operator: ${action}`,
      health: to === 'unknown' ? 1 : h.health,
      synthetic: false,
    });
    const vips = this.#vipsOf(backend);
    return {
      changed: true,
      message: `backend ${backend}: ${h.state} → ${to}; ${vips.length} VIP(s) to sync`,
      vips,
    };
  }

  async setWeight(
    frontend: string,
    pool: string,
    backend: string,
    weight: number | 'default',
    flush: boolean,
  ): Promise<ActionResult> {
    await this.#wait();
    const fe = this.model.frontends.get(frontend);
    if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
    const p = fe.pools.find((x) => x.name === pool);
    if (!p) throw new MaglevError('ERR_NOT_FOUND', `frontend "${frontend}" has no pool named "${pool}"`);
    if (!p.members.some((m) => m.backend === backend)) {
      throw new MaglevError(
        'ERR_NOT_FOUND',
        `pool "${pool}" of frontend "${frontend}" has no backend "${backend}"`,
      );
    }
    this.#requireVpp('set a weight');
    this.calls.push(`weight ${frontend}/${pool}/${backend} ${weight}${flush ? ' flush' : ''}`);
    const k = overrideKey(frontend, pool, backend);
    if (weight === 'default') this.overrides.delete(k);
    else this.overrides.set(k, { weight, flush });
    const vip = vipKeyString(fe.vip);
    return {
      changed: true,
      message:
        weight === 'default'
          ? `${frontend}/${pool}/${backend}: override cleared; ${vip} to sync`
          : `${frontend}/${pool}/${backend}: weight ${weight}${flush ? ' with flush' : ''}; ${vip} to sync`,
      vips: [vip],
    };
  }

  async sync(frontend: string | undefined): Promise<ActionResult> {
    await this.#wait();
    let vips: string[];
    if (frontend !== undefined) {
      const fe = this.model.frontends.get(frontend);
      if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
      vips = [vipKeyString(fe.vip)];
    } else {
      vips = [...this.model.frontends.values()].map((fe) => vipKeyString(fe.vip));
    }
    this.#requireVpp('sync');
    this.calls.push(`sync ${frontend ?? '*'}`);
    return { changed: true, message: frontend ? `sync of ${frontend} planned` : 'full sync planned', vips };
  }

  async checkConfig(file: { name: string; text: string } | undefined): Promise<ConfigCheckResult> {
    await this.#wait();
    if (!file) return { ok: true, file: '/etc/maglev/maglev.yaml', errors: [] };
    const errors = file.text.includes('bogus')
      ? [{ line: 3, col: 5, path: 'maglev.frontends.web.bogus', message: 'unknown key "bogus"' }]
      : [];
    return { ok: errors.length === 0, file: file.name, errors };
  }

  async reloadConfig(): Promise<ConfigReloadResult> {
    await this.#wait();
    this.calls.push('reload');
    return this.nextReload;
  }

  setLogLevel(level: LogLevelName): void {
    this.calls.push(`log-level ${level}`);
    this.logLevel = level;
  }

  subscribe(opts: SubscribeOptions, fn: (e: ControlEvent) => void): EventSubscription {
    const entry = { opts, fn };
    this.#listeners.add(entry);
    return { close: () => this.#listeners.delete(entry) };
  }
}
