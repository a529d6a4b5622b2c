// The Prometheus metrics of spec §9: one Registry per daemon, state gauges computed at scrape, counters fed by events.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthcheckType } from '../model/desired.js';
import type { BackendState, HealthSnapshot, ProbeResult } from '../model/health.js';

/** Every metric maglevd defines (without the default process metrics). docs/metrics.md lists the same. */
export const METRIC_NAMES = [
  'maglev_backend_state',
  'maglev_backend_health_counter',
  'maglev_backend_enabled',
  'maglev_frontend_state',
  'maglev_frontend_pool_backend_weight',
  'maglev_probe_total',
  'maglev_probe_duration_seconds',
  'maglev_backend_transitions_total',
  'maglev_vpp_connected',
  'maglev_vpp_api_requests_total',
  'maglev_vpp_api_request_duration_seconds',
  'maglev_lb_sync_total',
  'maglev_lb_sync_duration_seconds',
  'maglev_lb_changes_total',
  'maglev_lb_dirty_vips',
  'maglev_warmup_phase',
  'maglev_config_generation',
  'maglev_config_reload_total',
  'maglev_build_info',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

const BACKEND_STATES: readonly BackendState[] = ['unknown', 'up', 'down', 'paused', 'disabled', 'removed'];

export type FrontendState = 'up' | 'down' | 'unknown';
const FRONTEND_STATES: readonly FrontendState[] = ['up', 'down', 'unknown'];

/** One backend of one pool of a frontend, as the reconciler computed it (spec §5). */
export interface PoolBackendWeight {
  readonly backend: string;
  /** The configured weight (or the runtime override in force) 0..100. */
  readonly configured: number;
  /** The weight VPP should have now 0..100. */
  readonly effective: number;
}

/** One frontend's state and weights; names are config names, the only label values metrics ever carry. */
export interface FrontendStatus {
  readonly frontend: string;
  readonly state: FrontendState;
  readonly pools: readonly { readonly pool: string; readonly backends: readonly PoolBackendWeight[] }[];
}

/**
 * Warmup (spec §6): `holding` before startup-min-delay (no writes to VPP), `releasing` until every frontend
 * is released, `done` after. Exported as 0, 1, 2.
 */
export type WarmupPhase = 'holding' | 'releasing' | 'done';
export const WARMUP_PHASE_VALUES: Readonly<Record<WarmupPhase, number>> = {
  holding: 0,
  releasing: 1,
  done: 2,
};

/**
 * What the daemon lets the metrics read at scrape time. Each is called once per scrape, must be cheap and
 * synchronous, and may throw: a provider that throws leaves its metric empty for that scrape, nothing more.
 */
export interface MetricsProviders {
  health(): HealthSnapshot | undefined;
  frontends(): Iterable<FrontendStatus>;
  vppConnected(): boolean;
  dirtyVips(): number;
  warmupPhase(): WarmupPhase;
  configGeneration(): number;
}

/** Why a full or partial sync ran (spec §6 triggers). */
export type SyncTrigger = 'startup' | 'warmup' | 'reload' | 'connect' | 'manual' | 'interval' | 'dirty';
/** How one VPP request ended: `error` is a negative retval; `timeout`/`disconnected` are transient. */
export type VppRequestResult = 'ok' | 'error' | 'timeout' | 'disconnected';

export interface MetricsOptions {
  /** maglevd's version (package.json). */
  version: string;
  /** The VPP version the bindings were generated from. */
  vppApi: string;
  providers: MetricsProviders;
  /** Default process metrics (CPU, memory, event-loop lag, ...); on unless a test turns them off. */
  processMetrics?: boolean;
  /** Called when a provider throws during a scrape (the daemon logs it). */
  onCollectError?: (metric: MetricName, error: unknown) => void;
}

/** The daemon's handle: the registry to serve, and the event-side recorders with bounded labels. */
export interface MaglevMetrics {
  readonly registry: Registry;
  /** One finished probe of a backend with a healthcheck type. */
  probe(backend: string, type: HealthcheckType, result: ProbeResult): void;
  backendTransition(backend: string, from: BackendState, to: BackendState): void;
  /** One VPP request by message name (a bounded set: the bindings), its outcome and duration in seconds. */
  vppApiRequest(message: string, result: VppRequestResult, durationSeconds: number): void;
  lbSync(trigger: SyncTrigger, result: 'ok' | 'error', durationSeconds: number): void;
  /** One lb call made (e.g. `lb_add_del_as_v2`, `lb_as_set_weight`). */
  lbChange(call: string): void;
  configReload(result: 'ok' | 'error'): void;
}

// Seconds. Probes run from sub-millisecond (loopback TCP) to a timeout of seconds.
const PROBE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// A VPP API round trip over the unix socket is ~50-500 µs; the tail is api-timeout (1 s by default).
const VPP_API_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
// A sync pass: one VIP (ms) to a full sync of thousands of ASs (seconds), bounded by the pass deadline.
const SYNC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** createMetrics builds a fresh Registry with every metric of spec §9 (no global state: tests make many). */
export function createMetrics(opts: MetricsOptions): MaglevMetrics {
  const registry = new Registry();
  const p = opts.providers;
  const guarded = (metric: MetricName, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      opts.onCollectError?.(metric, e);
    }
  };

  new Gauge({
    name: 'maglev_backend_state',
    help: 'Backend health state: 1 for the state the backend is in, 0 for the others.',
    labelNames: ['backend', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      guarded('maglev_backend_state', () => {
        for (const b of p.health()?.backends.values() ?? []) {
          for (const s of BACKEND_STATES) this.set({ backend: b.name, state: s }, b.state === s ? 1 : 0);
        }
      });
    },
  });

  new Gauge({
    name: 'maglev_backend_health_counter',
    help: 'HAProxy-style health counter of the backend, 0..rise+fall-1; up iff >= rise.',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      this.reset();
      guarded('maglev_backend_health_counter', () => {
        for (const b of p.health()?.backends.values() ?? []) this.set({ backend: b.name }, b.health);
      });
    },
  });

  new Gauge({
    name: 'maglev_backend_enabled',
    help: '1 unless the backend is disabled (by config or by an operator).',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      this.reset();
      guarded('maglev_backend_enabled', () => {
        for (const b of p.health()?.backends.values() ?? []) {
          this.set({ backend: b.name }, b.state === 'disabled' ? 0 : 1);
        }
      });
    },
  });

  new Gauge({
    name: 'maglev_frontend_state',
    help: 'Frontend state: 1 for the state it is in (up: some AS has weight > 0), 0 for the others.',
    labelNames: ['frontend', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      guarded('maglev_frontend_state', () => {
        for (const f of p.frontends()) {
          for (const s of FRONTEND_STATES)
            this.set({ frontend: f.frontend, state: s }, f.state === s ? 1 : 0);
        }
      });
    },
  });

  new Gauge({
    name: 'maglev_frontend_pool_backend_weight',
    help: 'Weight 0..100 of a backend in a pool of a frontend: kind="configured" (or override) or "effective".',
    labelNames: ['frontend', 'pool', 'backend', 'kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      guarded('maglev_frontend_pool_backend_weight', () => {
        for (const f of p.frontends()) {
          for (const pool of f.pools) {
            for (const b of pool.backends) {
              const labels = { frontend: f.frontend, pool: pool.pool, backend: b.backend };
              this.set({ ...labels, kind: 'configured' }, b.configured);
              this.set({ ...labels, kind: 'effective' }, b.effective);
            }
          }
        }
      });
    },
  });

  const probeTotal = new Counter({
    name: 'maglev_probe_total',
    help: 'Health probes completed, by result (ok|fail) and result code (L4OK, L4TOUT, L7STS, ...).',
    labelNames: ['backend', 'type', 'result', 'code'] as const,
    registers: [registry],
  });

  const probeDuration = new Histogram({
    name: 'maglev_probe_duration_seconds',
    help: 'Health probe latency in seconds, successful or not.',
    labelNames: ['backend', 'type'] as const,
    buckets: PROBE_BUCKETS,
    registers: [registry],
  });

  const transitions = new Counter({
    name: 'maglev_backend_transitions_total',
    help: 'Backend state transitions, by from and to state.',
    labelNames: ['backend', 'from', 'to'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'maglev_vpp_connected',
    help: '1 while the VPP binary API connection is up and compatible, else 0.',
    registers: [registry],
    collect() {
      guarded('maglev_vpp_connected', () => this.set(p.vppConnected() ? 1 : 0));
    },
  });

  const vppRequests = new Counter({
    name: 'maglev_vpp_api_requests_total',
    help: 'VPP binary API requests, by message and result (ok, error = negative retval, timeout, disconnected).',
    labelNames: ['message', 'result'] as const,
    registers: [registry],
  });

  const vppDuration = new Histogram({
    name: 'maglev_vpp_api_request_duration_seconds',
    help: 'VPP binary API request round-trip time in seconds, until the reply (or the end of a dump).',
    labelNames: ['message'] as const,
    buckets: VPP_API_BUCKETS,
    registers: [registry],
  });

  const syncTotal = new Counter({
    name: 'maglev_lb_sync_total',
    help: 'Sync passes of the lb plugin, by trigger and result (ok|error).',
    labelNames: ['trigger', 'result'] as const,
    registers: [registry],
  });

  const syncDuration = new Histogram({
    name: 'maglev_lb_sync_duration_seconds',
    help: 'Duration of one sync pass (dump, plan, apply) in seconds.',
    buckets: SYNC_BUCKETS,
    registers: [registry],
  });

  const changes = new Counter({
    name: 'maglev_lb_changes_total',
    help: 'Changing calls made to the lb plugin, by call.',
    labelNames: ['call'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'maglev_lb_dirty_vips',
    help: 'VIPs waiting for a sync (marked dirty by a transition or an operator action).',
    registers: [registry],
    collect() {
      guarded('maglev_lb_dirty_vips', () => this.set(p.dirtyVips()));
    },
  });

  new Gauge({
    name: 'maglev_warmup_phase',
    help: 'Startup warmup: 0 holding (no writes to VPP), 1 releasing frontends, 2 done.',
    registers: [registry],
    collect() {
      guarded('maglev_warmup_phase', () => this.set(WARMUP_PHASE_VALUES[p.warmupPhase()]));
    },
  });

  new Gauge({
    name: 'maglev_config_generation',
    help: 'Generation of the configuration in force: 1 at start, +1 per successful reload.',
    registers: [registry],
    collect() {
      guarded('maglev_config_generation', () => this.set(p.configGeneration()));
    },
  });

  const reloads = new Counter({
    name: 'maglev_config_reload_total',
    help: 'Configuration reloads (SIGHUP or control API), by result (ok|error).',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  const buildInfo = new Gauge({
    name: 'maglev_build_info',
    help: 'Always 1; labels carry the maglevd version and the VPP API version of its bindings.',
    labelNames: ['version', 'vpp_api'] as const,
    registers: [registry],
  });
  buildInfo.set({ version: opts.version, vpp_api: opts.vppApi }, 1);

  // Zero the label sets known in advance, so rate() and alerts see a series before its first increment.
  for (const result of ['ok', 'error'] as const) reloads.inc({ result }, 0);

  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  return {
    registry,
    probe(backend, type, result) {
      probeTotal.inc({ backend, type, result: result.ok ? 'ok' : 'fail', code: result.code });
      probeDuration.observe({ backend, type }, result.latencyMs / 1000);
    },
    backendTransition(backend, from, to) {
      transitions.inc({ backend, from, to });
    },
    vppApiRequest(message, result, durationSeconds) {
      vppRequests.inc({ message, result });
      vppDuration.observe({ message }, durationSeconds);
    },
    lbSync(trigger, result, durationSeconds) {
      syncTotal.inc({ trigger, result });
      syncDuration.observe(durationSeconds);
    },
    lbChange(call) {
      changes.inc({ call });
    },
    configReload(result) {
      reloads.inc({ result });
    },
  };
}
