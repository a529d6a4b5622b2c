// Control API views and events built from the daemon's state: config model, health snapshot, reconciler output.
import type {
  BackendEvent,
  BackendView,
  ExplainView,
  FrontendEvent,
  FrontendView,
  HealthcheckView,
  LbChangeEvent,
  LiveLbView,
  PlanStepView,
  PlanView,
  SyncEvent,
  TimeView,
} from '../control/protocol.js';
import type { DesiredModel } from '../model/desired.js';
import type { BackendHealth, HealthSnapshot, Transition } from '../model/health.js';
import type { LbLiveState } from '../model/lb-state.js';
import { protocolName, vipKeyString } from '../model/vip-key.js';
import type { StepOutcome } from '../reconciler/apply.js';
import type { FrontendWeights } from '../reconciler/effective.js';
import { describeStep, type PlanStep } from '../reconciler/plan.js';
import type { PassInfo } from '../reconciler/reconciler.js';
import type { WarmupPhase } from '../reconciler/warmup.js';
import { MaglevError } from '../util/errors.js';

/** timeView: an epoch-ms instant with its age at `now` (both wall clock). */
export function timeView(at: number, now: number): TimeView {
  return { at: new Date(at).toISOString(), ageMs: Math.max(0, now - at) };
}

/** The VPP message a plan step is sent as (vpp src/plugins/lb/lb.api). */
export function stepCall(s: PlanStep): string {
  switch (s.kind) {
    case 'vip-add':
    case 'vip-del':
      return 'lb_add_del_vip_v2';
    case 'as-add':
    case 'as-del':
      return 'lb_add_del_as_v2';
    case 'as-weight':
      return 'lb_as_set_weight';
  }
}

/** What the frontend views need besides the model; all read from the running daemon. */
export interface FrontendInputs {
  readonly model: DesiredModel;
  readonly weights: ReadonlyMap<string, FrontendWeights>;
  readonly health: HealthSnapshot;
  /** The reconciler's record of VPP (liveState()). */
  readonly live: LbLiveState;
  readonly isReleased: (frontend: string) => boolean;
  /** Wall-clock time of each frontend's last state change, if the daemon tracks it. */
  readonly frontendSince?: ReadonlyMap<string, number>;
  readonly now: number;
}

export function frontendViews(i: FrontendInputs): FrontendView[] {
  const out: FrontendView[] = [];
  for (const fe of i.model.frontends.values()) {
    const w = i.weights.get(fe.name);
    const vip = vipKeyString(fe.vip);
    const live = i.live.vips.get(vip);
    const since = i.frontendSince?.get(fe.name);
    out.push({
      name: fe.name,
      vip,
      prefix: fe.vip.prefix.text,
      protocol: protocolName(fe.vip.protocol) as FrontendView['protocol'],
      port: fe.vip.port,
      encap: fe.encap,
      srcIpSticky: fe.srcIpSticky,
      flushOnDown: fe.flushOnDown,
      state: w?.state ?? 'unknown',
      activePool: w?.activePool ?? null,
      released: i.isReleased(fe.name),
      lastTransition: since === undefined ? null : timeView(since, i.now),
      pools: fe.pools.map((p) => ({
        name: p.name,
        active: p.name === w?.activePool,
        backends: (w?.members ?? [])
          .filter((m) => m.pool === p.name)
          .map((m) => {
            const h = i.health.backends.get(m.backend);
            const as = m.address ? live?.ases.get(m.address.text) : undefined;
            return {
              backend: m.backend,
              address: m.address?.text ?? null,
              state: m.state,
              configuredWeight: m.configuredWeight,
              override: m.override ? { weight: m.override.weight, flush: m.override.flush } : null,
              effectiveWeight: m.effectiveWeight,
              vppWeight: as?.weight ?? null,
              vppBuckets: as?.numBuckets ?? null,
              lastTransition: h && h.history.length > 0 ? timeView(h.since, i.now) : null,
            };
          }),
      })),
    });
  }
  return out;
}

function backendView(
  model: DesiredModel,
  h: BackendHealth | undefined,
  name: string,
  now: number,
): BackendView {
  const spec = model.backends.get(name);
  const check = spec ? model.healthchecks.get(spec.healthcheck) : undefined;
  const r = h?.lastResult;
  return {
    name,
    address: (spec?.address ?? h?.address)?.text ?? '',
    healthcheck: spec?.healthcheck ?? '',
    configEnabled: spec?.enabled ?? false,
    state: h?.state ?? (spec && !spec.enabled ? 'disabled' : 'unknown'),
    lastKnown: h?.lastKnown ?? 'unknown',
    health: h?.health ?? 0,
    rise: check?.rise ?? 0,
    fall: check?.fall ?? 0,
    lastProbe: r
      ? { ok: r.ok, code: r.code, latencyMs: r.latencyMs, detail: r.detail, at: timeView(r.at, now) }
      : null,
    history: (h?.history ?? []).map((t) => ({
      from: t.from,
      to: t.to,
      code: t.code ?? null,
      reason: t.reason,
      at: timeView(t.at, now),
    })),
    frontends: [...model.frontends.values()]
      .filter((fe) => fe.pools.some((p) => p.members.some((m) => m.backend === name)))
      .map((fe) => fe.name),
    lastTransition: h && h.history.length > 0 ? timeView(h.since, now) : null,
  };
}

/** backendViews: configured backends in config order, then `removed` ones the snapshot still holds. */
export function backendViews(model: DesiredModel, health: HealthSnapshot, now: number): BackendView[] {
  const out = [...model.backends.keys()].map((n) => backendView(model, health.backends.get(n), n, now));
  for (const [n, h] of health.backends) if (!model.backends.has(n)) out.push(backendView(model, h, n, now));
  return out;
}

export function healthcheckViews(model: DesiredModel): HealthcheckView[] {
  return [...model.healthchecks.values()].map((c) => ({
    name: c.name,
    type: c.type,
    port: c.port ?? null,
    path: c.type === 'http' || c.type === 'https' ? c.path : null,
    host: c.host ?? null,
    expectStatus: c.expectStatus.map((r) => [r[0], r[1]] as [number, number]),
    insecure: c.insecure,
    // Values may be credentials: only names leave the daemon.
    headers: Object.keys(c.headers),
    sourceV4: c.sourceV4?.text ?? null,
    sourceV6: c.sourceV6?.text ?? null,
    intervalMs: c.intervalMs,
    fastIntervalMs: c.fastIntervalMs,
    downIntervalMs: c.downIntervalMs,
    timeoutMs: c.timeoutMs,
    rise: c.rise,
    fall: c.fall,
    backends: [...model.backends.values()].filter((b) => b.healthcheck === c.name).map((b) => b.name),
  }));
}

/** liveLbView: VIPs in spec §6 order as the lb state holds them (a dump, or the daemon's record). */
export function liveLbView(
  live: LbLiveState,
  model: DesiredModel,
  connected: boolean,
  source: LiveLbView['source'],
): LiveLbView {
  const frontendOf = new Map<string, string>();
  for (const fe of model.frontends.values()) frontendOf.set(vipKeyString(fe.vip), fe.name);
  const backendOf = new Map<string, string>();
  for (const b of model.backends.values()) backendOf.set(b.address.text, b.name);
  const vips = [...live.vips.entries()].map(([k, v]) => {
    const frontend = frontendOf.get(k) ?? null;
    const fe = frontend ? model.frontends.get(frontend) : undefined;
    const members = new Set(fe?.pools.flatMap((p) => p.members.map((m) => m.backend)) ?? []);
    return {
      vip: k,
      prefix: v.key.prefix.text,
      protocol: protocolName(v.key.protocol),
      port: v.key.port,
      encap: v.encap,
      srcIpSticky: v.srcIpSticky ?? null,
      tableLength: v.tableLength,
      frontend,
      ases: [...v.ases.values()].map((a) => {
        const b = backendOf.get(a.address.text);
        return {
          address: a.address.text,
          weight: a.weight,
          buckets: a.numBuckets ?? null,
          // LbLiveState keeps only in-use ASs (flags bit 0 set, spec §6); other flag bits are not carried.
          flags: 1,
          backend: b !== undefined && members.has(b) ? b : null,
        };
      }),
    };
  });
  return { connected, source, vips };
}

export function planStepView(s: PlanStep): PlanStepView {
  return {
    call: stepCall(s),
    kind: s.kind,
    vip: vipKeyString(s.vip),
    address: 'address' in s ? s.address.text : null,
    weight: 'weight' in s ? s.weight : null,
    fromWeight: s.kind === 'as-weight' ? s.from : null,
    flush: 'flush' in s ? s.flush : null,
    line: describeStep(s),
  };
}

/**
 * planView renders reconciler.previewPlan(): the steps, and per VIP the calls and, when `bucketsMoved`
 * can tell (the simulator's Maglev table), how many buckets change owner.
 */
export function planView(
  preview: { steps: readonly PlanStep[]; warmup: WarmupPhase },
  model: DesiredModel,
  fresh: boolean,
  bucketsMoved?: (vip: string, steps: readonly PlanStep[]) => number | undefined,
): PlanView {
  const perVip = new Map<string, PlanStep[]>();
  for (const s of preview.steps) {
    const k = vipKeyString(s.vip);
    const list = perVip.get(k) ?? [];
    list.push(s);
    perVip.set(k, list);
  }
  const feOf = new Map<string, { name: string; table: number }>();
  for (const fe of model.frontends.values()) {
    feOf.set(vipKeyString(fe.vip), { name: fe.name, table: fe.newFlowsTableLength });
  }
  return {
    inSync: preview.steps.length === 0,
    warmup: preview.warmup,
    fresh,
    steps: preview.steps.map(planStepView),
    vips: [...perVip.entries()].map(([vip, steps]) => ({
      vip,
      frontend: feOf.get(vip)?.name ?? null,
      calls: steps.length,
      bucketsMoved: bucketsMoved?.(vip, steps) ?? null,
      tableLength: feOf.get(vip)?.table ?? null,
    })),
  };
}

/** explainView: ERR_NOT_FOUND unless `frontend` exists and one of its pools lists `backend`. */
export function explainView(
  i: FrontendInputs & { readonly warmup: WarmupPhase },
  frontend: string,
  backend: string,
): ExplainView {
  const fe = i.model.frontends.get(frontend);
  if (!fe) throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
  const w = i.weights.get(frontend);
  const members = (w?.members ?? []).filter((m) => m.backend === backend);
  const first = members[0];
  if (!first) {
    throw new MaglevError('ERR_NOT_FOUND', `frontend "${frontend}" has no backend "${backend}" in its pools`);
  }
  const h = i.health.backends.get(backend);
  const spec = i.model.backends.get(backend);
  const check = spec ? i.model.healthchecks.get(spec.healthcheck) : undefined;
  const vip = vipKeyString(fe.vip);
  const as = first.address ? i.live.vips.get(vip)?.ases.get(first.address.text) : undefined;
  return {
    frontend,
    vip,
    backend,
    address: first.address?.text ?? null,
    state: first.state,
    adminState: first.state === 'paused' ? 'paused' : first.state === 'disabled' ? 'disabled' : 'enabled',
    lastKnown: h?.lastKnown ?? 'unknown',
    health: h?.health ?? 0,
    rise: check?.rise ?? 0,
    fall: check?.fall ?? 0,
    frontendState: w?.state ?? 'unknown',
    activePool: w?.activePool ?? null,
    warmup: { phase: i.warmup, released: i.isReleased(frontend) },
    members: members.map((m) => ({
      pool: m.pool,
      poolActive: m.pool === w?.activePool,
      configuredWeight: m.configuredWeight,
      override: m.override ? { weight: m.override.weight, flush: m.override.flush } : null,
      effectiveWeight: m.effectiveWeight,
      flush: m.flush,
      reason: m.reason,
    })),
    vppWeight: as?.weight ?? null,
    vppBuckets: as?.numBuckets ?? null,
  };
}

/** backendEvent: a checker transition as a control event. */
export function backendEvent(h: BackendHealth, t: Transition): BackendEvent {
  return {
    type: 'backend',
    time: new Date(t.at).toISOString(),
    backend: h.name,
    address: h.address.text,
    from: t.from,
    to: t.to,
    code: t.code ?? null,
    reason: t.reason,
    health: h.health,
    synthetic: false,
  };
}

/** frontendEvents: the frontends whose state or active pool changed between two weight maps. */
export function frontendEvents(
  before: ReadonlyMap<string, FrontendWeights>,
  after: ReadonlyMap<string, FrontendWeights>,
  model: DesiredModel,
  now: number,
): FrontendEvent[] {
  const out: FrontendEvent[] = [];
  for (const [name, w] of after) {
    const b = before.get(name);
    const fe = model.frontends.get(name);
    if (!fe || (b && b.state === w.state && b.activePool === w.activePool)) continue;
    out.push({
      type: 'frontend',
      time: new Date(now).toISOString(),
      frontend: name,
      vip: vipKeyString(fe.vip),
      from: b?.state ?? 'unknown',
      to: w.state,
      activePool: w.activePool ?? null,
      synthetic: false,
    });
  }
  return out;
}

/** lbChangeEvent: one executed plan step (reconciler onStep); skipped steps are not events. */
export function lbChangeEvent(o: StepOutcome, frontend: string | null, now: number): LbChangeEvent {
  const s = o.step;
  return {
    type: 'lb-change',
    time: new Date(now).toISOString(),
    vip: vipKeyString(s.vip),
    frontend,
    call: stepCall(s),
    address: 'address' in s ? s.address.text : null,
    weight: 'weight' in s ? s.weight : null,
    flush: 'flush' in s ? s.flush : null,
    ok: o.status === 'ok',
    error: o.error ? `${o.error.message}` : null,
  };
}

/** syncEvent: one reconciler pass (onPass). */
export function syncEvent(p: PassInfo, now: number): SyncEvent {
  return {
    type: 'sync',
    time: new Date(now).toISOString(),
    trigger: p.trigger,
    full: p.full,
    calls: p.report ? p.report.applied + p.report.failed : 0,
    failed: p.report?.failed ?? 0,
    durationMs: p.durationMs,
    error: p.error ?? p.report?.aborted ?? null,
  };
}
