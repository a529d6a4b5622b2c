// Builders of the control API's JSON views from the daemon's state (config, health, reconciler, VPP record).
import type {
  BackendStateName,
  BackendView,
  ExplainView,
  FrontendView,
  HealthcheckView,
  PlanStepView,
  TimeView,
  TransitionView,
} from '../control/protocol.js';
import type { DesiredModel } from '../model/desired.js';
import type { BackendHealth, HealthSnapshot } from '../model/health.js';
import type { LbLiveState } from '../model/lb-state.js';
import { protocolName, vipKeyString } from '../model/vip-key.js';
import type { FrontendWeights } from '../reconciler/effective.js';
import { describeStep, type PlanStep } from '../reconciler/plan.js';
import { MaglevError } from '../util/errors.js';

export function timeView(at: number, now: number): TimeView {
  return { at: new Date(at).toISOString(), ageMs: Math.max(0, now - at) };
}

function lastTransition(h: BackendHealth | undefined, now: number): TimeView | null {
  const t = h?.history[h.history.length - 1];
  return t ? timeView(t.at, now) : null;
}

export interface ViewContext {
  readonly model: DesiredModel;
  readonly health: HealthSnapshot;
  readonly weights: ReadonlyMap<string, FrontendWeights>;
  readonly live: LbLiveState;
  readonly released: (frontend: string) => boolean;
  readonly frontendSince: ReadonlyMap<string, number>;
  readonly now: number;
}

export function frontendViews(c: ViewContext): FrontendView[] {
  const out: FrontendView[] = [];
  for (const fe of c.model.frontends.values()) {
    const w = c.weights.get(fe.name);
    const liveVip = c.live.vips.get(vipKeyString(fe.vip));
    const since = c.frontendSince.get(fe.name);
    out.push({
      name: fe.name,
      vip: vipKeyString(fe.vip),
      prefix: fe.vip.prefix.text,
      protocol: protocolName(fe.vip.protocol) as FrontendView['protocol'],
      port: fe.vip.port,
      encap: fe.encap,
      srcIpSticky: fe.srcIpSticky,
      flushOnDown: fe.flushOnDown,
      state: w?.state ?? 'unknown',
      activePool: w?.activePool ?? null,
      released: c.released(fe.name),
      lastTransition: since === undefined ? null : timeView(since, c.now),
      pools: fe.pools.map((p, i) => ({
        name: p.name,
        active: w?.activePool === p.name,
        backends: p.members.map((m) => {
          const row = w?.members.find((r) => r.poolIndex === i && r.backend === m.backend);
          const spec = c.model.backends.get(m.backend);
          const h = c.health.backends.get(m.backend);
          const las = spec ? liveVip?.ases.get(spec.address.text) : undefined;
          return {
            backend: m.backend,
            address: spec?.address.text ?? null,
            state: (h?.state ?? row?.state ?? 'unknown') as BackendStateName,
            configuredWeight: m.weight,
            override: row?.override ? { weight: row.override.weight, flush: row.override.flush } : null,
            effectiveWeight: row?.effectiveWeight ?? 0,
            vppWeight: las?.weight ?? null,
            vppBuckets: las?.numBuckets ?? null,
            lastTransition: lastTransition(h, c.now),
          };
        }),
      })),
    });
  }
  return out;
}

function transitionViews(h: BackendHealth, now: number): TransitionView[] {
  return h.history.map((t) => ({
    from: t.from,
    to: t.to,
    code: t.code ?? null,
    reason: t.reason,
    at: timeView(t.at, now),
  }));
}

export function backendViews(c: ViewContext): BackendView[] {
  const out: BackendView[] = [];
  const usedBy = (name: string) =>
    [...c.model.frontends.values()]
      .filter((fe) => fe.pools.some((p) => p.members.some((m) => m.backend === name)))
      .map((fe) => fe.name);
  const seen = new Set<string>();
  for (const b of c.model.backends.values()) {
    seen.add(b.name);
    const h = c.health.backends.get(b.name);
    const hc = c.model.healthchecks.get(b.healthcheck);
    out.push({
      name: b.name,
      address: b.address.text,
      healthcheck: b.healthcheck,
      configEnabled: b.enabled,
      state: h?.state ?? 'unknown',
      lastKnown: h?.lastKnown ?? 'unknown',
      health: h?.health ?? 0,
      rise: hc?.rise ?? 0,
      fall: hc?.fall ?? 0,
      lastProbe: h?.lastResult
        ? {
            ok: h.lastResult.ok,
            code: h.lastResult.code,
            latencyMs: h.lastResult.latencyMs,
            detail: h.lastResult.detail,
            at: timeView(h.lastResult.at, c.now),
          }
        : null,
      history: h ? transitionViews(h, c.now) : [],
      frontends: usedBy(b.name),
      lastTransition: lastTransition(h, c.now),
    });
  }
  for (const h of c.health.backends.values()) {
    if (seen.has(h.name)) continue;
    out.push({
      name: h.name,
      address: h.address.text,
      healthcheck: '',
      configEnabled: false,
      state: h.state,
      lastKnown: h.lastKnown,
      health: h.health,
      rise: 0,
      fall: 0,
      lastProbe: null,
      history: transitionViews(h, c.now),
      frontends: [],
      lastTransition: lastTransition(h, c.now),
    });
  }
  return out;
}

export function healthcheckViews(model: DesiredModel): HealthcheckView[] {
  return [...model.healthchecks.values()].map((hc) => ({
    name: hc.name,
    type: hc.type,
    port: hc.port ?? null,
    path: hc.type === 'http' || hc.type === 'https' ? hc.path : null,
    host: hc.host ?? null,
    expectStatus: hc.expectStatus.map((r) => [r[0], r[1]] as [number, number]),
    insecure: hc.insecure,
    headers: Object.keys(hc.headers),
    sourceV4: hc.sourceV4?.text ?? null,
    sourceV6: hc.sourceV6?.text ?? null,
    intervalMs: hc.intervalMs,
    fastIntervalMs: hc.fastIntervalMs,
    downIntervalMs: hc.downIntervalMs,
    timeoutMs: hc.timeoutMs,
    rise: hc.rise,
    fall: hc.fall,
    backends: [...model.backends.values()].filter((b) => b.healthcheck === hc.name).map((b) => b.name),
  }));
}

const CALL_OF: Record<PlanStep['kind'], string> = {
  'vip-add': 'lb_add_del_vip_v2',
  'vip-del': 'lb_add_del_vip_v2',
  'as-add': 'lb_add_del_as_v2',
  'as-weight': 'lb_as_set_weight',
  'as-del': 'lb_add_del_as_v2',
};

export function callOf(kind: PlanStep['kind']): string {
  return CALL_OF[kind];
}

export function planStepView(s: PlanStep): PlanStepView {
  return {
    call: CALL_OF[s.kind],
    kind: s.kind,
    vip: vipKeyString(s.vip),
    address: 'address' in s ? s.address.text : null,
    weight: 'weight' in s ? s.weight : null,
    fromWeight: s.kind === 'as-weight' ? s.from : null,
    flush: 'flush' in s ? s.flush : null,
    line: describeStep(s),
  };
}

export function explainView(
  c: ViewContext,
  frontend: string,
  backend: string,
  phase: ExplainView['warmup']['phase'],
): ExplainView {
  const fe = c.model.frontends.get(frontend);
  if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
  const w = c.weights.get(frontend);
  const rows = w?.members.filter((m) => m.backend === backend) ?? [];
  if (rows.length === 0) {
    throw new MaglevError('ERR_NOT_FOUND', `backend "${backend}" is in no pool of frontend "${frontend}"`);
  }
  const spec = c.model.backends.get(backend);
  const h = c.health.backends.get(backend);
  const hc = spec ? c.model.healthchecks.get(spec.healthcheck) : undefined;
  const las = spec ? c.live.vips.get(vipKeyString(fe.vip))?.ases.get(spec.address.text) : undefined;
  const state = h?.state ?? 'unknown';
  return {
    frontend,
    vip: vipKeyString(fe.vip),
    backend,
    address: spec?.address.text ?? null,
    state,
    adminState: state === 'paused' ? 'paused' : state === 'disabled' ? 'disabled' : 'enabled',
    lastKnown: h?.lastKnown ?? 'unknown',
    health: h?.health ?? 0,
    rise: hc?.rise ?? 0,
    fall: hc?.fall ?? 0,
    frontendState: w?.state ?? 'unknown',
    activePool: w?.activePool ?? null,
    warmup: { phase, released: c.released(frontend) },
    members: rows.map((m) => ({
      pool: m.pool,
      poolActive: w?.activePool === m.pool,
      configuredWeight: m.configuredWeight,
      override: m.override ? { weight: m.override.weight, flush: m.override.flush } : null,
      effectiveWeight: m.effectiveWeight,
      flush: m.flush,
      reason: m.reason,
    })),
    vppWeight: las?.weight ?? null,
    vppBuckets: las?.numBuckets ?? null,
  };
}
