// The daemon's composition root: config → checker → reconciler → dataplane, and the control target over them.

import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { ShowVersionDef, type ShowVersionReply } from 'vpp-binapi-ts/vpe';
import { type CheckerEvent, HealthChecker } from '../checker/checker.js';
import { diffModels } from '../config/diff.js';
import { ConfigError, formatIssue } from '../config/issues.js';
import { loadConfigFile, parseConfigText } from '../config/load.js';
import type { ControlTarget, EventSubscription, SubscribeOptions } from '../control/daemon-port.js';
import type {
  ActionResult,
  BackendAction,
  ConfigCheckResult,
  ConfigErrorView,
  ConfigReloadResult,
  ControlEvent,
  ExplainView,
  InfoView,
  LiveLbView,
  LogLevelName,
  PlanView,
  VppView,
} from '../control/protocol.js';
import { ControlServer } from '../control/server.js';
import { type BinaryApiCaller, LB_REQUIRED_MESSAGES, VppLbDataplane } from '../dataplane/vpp-lb-dataplane.js';
import { logEvent } from '../log/events.js';
import type { Logger } from '../log/logger.js';
import type { DesiredModel, FrontendSpec } from '../model/desired.js';
import { withModelBuckets } from '../model/lb-buckets.js';
import type { LbConf } from '../model/lb-state.js';
import { vipKeyString } from '../model/vip-key.js';
import type { FrontendState } from '../reconciler/effective.js';
import { Reconciler, type SyncTrigger } from '../reconciler/reconciler.js';
import { followVppState } from '../reconciler/vpp-wiring.js';
import { MaglevError } from '../util/errors.js';
import { MAGLEVD_VERSION, VPP_API_VERSION } from '../util/version.js';
import { VppClient, type VppStateEvent } from '../vppapi/client.js';
import type { ControlEventHub } from './control-events.js';
import {
  backendEvent,
  backendViews,
  explainView,
  type FrontendInputs,
  frontendViews,
  healthcheckViews,
  lbChangeEvent,
  liveLbView,
  planView,
  stepCall,
  syncEvent,
  timeView,
} from './control-views.js';
import { loggedErrors } from './logged-errors.js';
import { createMetrics, type MaglevMetrics, type SyncTrigger as MetricsTrigger } from './metrics.js';
import { type MetricsServer, parseMetricsListen, startMetricsServer } from './metrics-server.js';
import { type SimVpp, startSimVpp } from './sim-vpp.js';
import { statusLine } from './status-line.js';
import { createNotifier, type Notifier, type Watchdog } from './systemd-notify.js';

export interface DaemonOptions {
  readonly configFile: string;
  readonly model: DesiredModel;
  /** VPP's API socket path, or `sim` for the built-in simulator. */
  readonly vppApi: string;
  readonly controlSocket: string;
  /** host:port for Prometheus; empty disables. */
  readonly metrics: string;
  readonly logger: Logger;
  /** Where control-API subscribers get events (log lines arrive through its logStream()). */
  readonly events: ControlEventHub;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Shutdown finishes or abandons the VPP call in flight within this budget (spec §2: exit within 2 s). */
export const SHUTDOWN_BUDGET_MS = 1500;

const METRICS_TRIGGER: Record<SyncTrigger, MetricsTrigger> = {
  startup: 'startup',
  reload: 'reload',
  'vpp-connect': 'connect',
  sync: 'manual',
  interval: 'interval',
  transition: 'dirty',
  operator: 'dirty',
  warmup: 'warmup',
  retry: 'dirty',
};

/**
 * errorViews carries each issue's position and path in their own fields and the bare message in
 * `message` (docs/api.md): maglevctl prefixes `file:line:col`, so a preformatted message printed it twice.
 */
function errorViews(e: unknown): ConfigErrorView[] {
  if (e instanceof ConfigError) {
    return e.issues.map((i) => ({ line: i.line, col: i.col, path: i.path, message: i.message }));
  }
  return [{ line: null, col: null, path: '', message: e instanceof Error ? e.message : String(e) }];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Daemon wires the parts and implements the control API over them. Every input (probe transition, operator
 * action, reload, VPP state) only updates state and marks VIPs dirty; the reconciler alone talks to VPP.
 */
export class Daemon implements ControlTarget {
  readonly #opts: DaemonOptions;
  readonly #log: Logger;
  #model: DesiredModel;
  #generation = 1;
  readonly #startedAt = Date.now();
  readonly #checker: HealthChecker;
  readonly #client: VppClient;
  readonly #dataplane: VppLbDataplane;
  readonly #reconciler: Reconciler;
  readonly #metrics: MaglevMetrics;
  readonly #notifier: Notifier;
  readonly #frontendStates = new Map<string, FrontendState>();
  readonly #frontendSince = new Map<string, number>();
  #sim: SimVpp | undefined;
  #server: ControlServer | undefined;
  #metricsServer: MetricsServer | undefined;
  #watchdog: Watchdog | undefined;
  #vppSince: number | undefined;
  #vppError: string | null = null;
  #vppVersion: string | null = null;
  #lbConf: LbConf | undefined;
  #reloadError: string | undefined;
  #stopping = false;
  #lastPassAt = 0;

  private constructor(opts: DaemonOptions, apiSocket: string) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#model = opts.model;
    this.#notifier = createNotifier({ env: opts.env, logger: this.#log });
    this.#metrics = createMetrics({
      version: MAGLEVD_VERSION,
      vppApi: VPP_API_VERSION,
      providers: {
        health: () => this.#checker.snapshot(),
        frontends: () =>
          [...this.#reconciler.weights.values()].map((w) => ({
            frontend: w.frontend,
            state: w.state,
            pools:
              this.#model.frontends.get(w.frontend)?.pools.map((p) => ({
                pool: p.name,
                backends: w.members
                  .filter((m) => m.pool === p.name)
                  .map((m) => ({
                    backend: m.backend,
                    configured: m.override?.weight ?? m.configuredWeight,
                    effective: m.effectiveWeight,
                  })),
              })) ?? [],
          })),
        vppConnected: () => this.#client.state === 'connected',
        dirtyVips: () => this.#reconciler.dirtyCount,
        warmupPhase: () => this.#reconciler.warmupPhase(),
        configGeneration: () => this.#generation,
      },
      onCollectError: (metric, err) => this.#log.warn({ metric, err }, 'metric collection failed'),
    });
    this.#checker = new HealthChecker(this.#model, { logger: this.#log });
    this.#client = new VppClient({
      socketPath: apiSocket,
      clientName: 'maglevd',
      requiredMessages: [...LB_REQUIRED_MESSAGES, ShowVersionDef],
      requestTimeoutMs: this.#model.vpp.apiTimeoutMs,
      logger: this.#log.child({ component: 'vppapi' }),
    });
    this.#dataplane = new VppLbDataplane(this.#measured(), () => this.#model.vpp.apiTimeoutMs);
    this.#reconciler = new Reconciler({
      dataplane: this.#dataplane,
      logger: this.#log.child({ component: 'reconciler' }),
      model: this.#model,
      health: this.#checker.snapshot(),
      onStep: (o) => {
        if (o.status === 'ok') this.#metrics.lbChange(stepCall(o.step));
        const fe = this.#reconciler.desired.vips.get(vipKeyString(o.step.vip))?.frontend ?? null;
        this.#publish(lbChangeEvent(o, fe, Date.now()));
      },
      onPass: (p) => {
        this.#lastPassAt = Date.now();
        const failed = (p.report?.failed ?? 0) > 0 || p.error !== undefined;
        this.#metrics.lbSync(METRICS_TRIGGER[p.trigger], failed ? 'error' : 'ok', p.durationMs / 1000);
        this.#publish(syncEvent(p, Date.now()));
        this.#updateStatus();
      },
    });
    for (const fe of this.#model.frontends.keys()) this.#frontendStates.set(fe, 'unknown');
  }

  /**
   * start follows spec §9's order: (config already loaded) control socket, probes, VPP connection (a
   * missing VPP is not fatal: the client keeps retrying), worker; then READY=1.
   */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const log = opts.logger;
    let sim: SimVpp | undefined;
    let apiSocket = opts.vppApi;
    if (opts.vppApi === 'sim') {
      sim = await startSimVpp(log);
      apiSocket = sim.path;
      log.info({ vppApi: 'sim', path: sim.path }, 'using the built-in lb simulator');
    }
    const d = new Daemon(opts, apiSocket);
    d.#sim = sim;
    try {
      d.#server = await ControlServer.start({
        socketPath: opts.controlSocket,
        target: d,
        logger: log.child({ component: 'control' }),
      });
    } catch (e) {
      await sim?.close();
      throw e;
    }
    if (opts.metrics !== '') {
      const listen = parseMetricsListen(opts.metrics);
      if (listen) {
        try {
          d.#metricsServer = await startMetricsServer(d.#metrics.registry, listen, {
            onError: (err) =>
              logEvent(
                log,
                'metrics-server-error',
                { listen: opts.metrics, error: err.message },
                { level: 'warn' },
              ),
          });
        } catch (err) {
          logEvent(
            log,
            'metrics-server-error',
            { listen: opts.metrics, error: err instanceof Error ? err.message : String(err) },
            { msg: 'metrics server could not start; running without it' },
          );
        }
      }
    }
    d.#checker.subscribe((ev) => d.#onChecker(ev));
    d.#checker.start();
    // The reconciler follows the client's state on its own; the daemon's listener logs and reads VPP facts.
    followVppState(d.#client, d.#reconciler);
    d.#client.onState((e) => d.#onVppState(e));
    d.#client.start();
    d.#watchdog = d.#notifier.startWatchdog();
    d.#notifier.ready(d.#statusText());
    return d;
  }

  /** stop: probes off, the VPP call in flight finished or abandoned, sockets closed. VPP is left as it is. */
  async stop(reason: string): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#notifier.stopping();
    logEvent(this.#log, 'shutdown', { reason }, { msg: `shutting down: ${reason}` });
    this.#checker.stop();
    this.#watchdog?.stop();
    await withTimeout(this.#reconciler.stop(), SHUTDOWN_BUDGET_MS / 2);
    await withTimeout(this.#client.close(), SHUTDOWN_BUDGET_MS / 4);
    await withTimeout(
      Promise.all([this.#server?.close(), this.#metricsServer?.close(), this.#sim?.close()]),
      SHUTDOWN_BUDGET_MS / 4,
    );
    this.#notifier.close();
  }

  // ---- wiring ----

  /** #measured wraps the client so every lb call is timed and counted (the client itself logs vpp-api-send/recv). */
  #measured(): BinaryApiCaller {
    const client = this.#client;
    const metrics = this.#metrics;
    const observe = async <T>(def: MessageDef, p: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        const r = await p();
        metrics.vppApiRequest(def.name, 'ok', (performance.now() - t0) / 1000);
        return r;
      } catch (e) {
        const code = (e as { code?: string }).code;
        const result =
          code === 'ERR_VPP_TIMEOUT' ? 'timeout' : code === 'ERR_VPP_DISCONNECTED' ? 'disconnected' : 'error';
        metrics.vppApiRequest(def.name, result, (performance.now() - t0) / 1000);
        throw e;
      }
    };
    return {
      request: (def, value, o) => observe(def, () => client.request(def, value as never, o)),
      dump: (def, value, o) => observe(def, () => client.dump(def, value as never, o) as Promise<unknown[]>),
    };
  }

  #publish(e: ControlEvent): void {
    this.#opts.events.publish(e);
  }

  #onChecker(ev: CheckerEvent): void {
    const hc = this.#model.healthchecks.get(this.#model.backends.get(ev.name)?.healthcheck ?? '');
    if (ev.type === 'result') {
      if (hc) this.#metrics.probe(ev.name, hc.type, ev.result);
      return;
    }
    const t = ev.transition;
    this.#metrics.backendTransition(ev.name, t.from, t.to);
    const snap = this.#checker.snapshot();
    const h = snap.backends.get(ev.name);
    logEvent(
      this.#log,
      'backend-transition',
      { backend: ev.name, address: ev.address.text, from: t.from, to: t.to, code: t.code, reason: t.reason },
      { msg: `backend ${ev.name} (${ev.address.text}) ${t.from} → ${t.to}` },
    );
    if (h) this.#publish(backendEvent(h, t));
    this.#reconciler.setHealth(snap, [ev.name]);
    this.#checkFrontends(ev.name);
  }

  /**
   * #checkFrontends reports the frontends (of `backend`, or all) whose state changed. The reconciler has
   * just computed their weights from the same snapshot and overrides, and indexes frontends by backend.
   */
  #checkFrontends(backend: string | undefined): void {
    const names =
      backend === undefined ? this.#model.frontends.keys() : this.#reconciler.frontendsOf(backend);
    for (const name of names) {
      const fe = this.#model.frontends.get(name);
      const w = this.#reconciler.weights.get(name);
      if (fe === undefined || w === undefined) continue;
      const prev = this.#frontendStates.get(fe.name) ?? 'unknown';
      if (prev === w.state) continue;
      this.#frontendStates.set(fe.name, w.state);
      this.#frontendSince.set(fe.name, Date.now());
      const down = w.state === 'down';
      logEvent(
        this.#log,
        'frontend-transition',
        { frontend: fe.name, vip: vipKeyString(fe.vip), from: prev, to: w.state, activePool: w.activePool },
        {
          level: down ? 'warn' : 'info',
          msg: down
            ? `frontend ${fe.name} is down: VPP drops its new flows`
            : `frontend ${fe.name} ${prev} → ${w.state}`,
        },
      );
      this.#publish({
        type: 'frontend',
        time: new Date().toISOString(),
        frontend: fe.name,
        vip: vipKeyString(fe.vip),
        from: prev,
        to: w.state,
        activePool: w.activePool ?? null,
        synthetic: false,
      });
    }
    this.#updateStatus();
  }

  #onVppState(e: VppStateEvent): void {
    this.#vppSince = Date.now();
    if (e.state === 'connected') {
      this.#vppError = null;
      logEvent(
        this.#log,
        'vpp-connect',
        { socket: this.#opts.vppApi, reason: e.reason, clientIndex: this.#client.clientIndex },
        { msg: 'connected to VPP' },
      );
      void this.#readVppFacts();
    } else if (e.state === 'incompatible') {
      const mismatches = this.#client.incompatibleMessages;
      this.#vppError = `incompatible: ${mismatches.map((m) => `${m.name} (want ${m.expectedCrc}, VPP has ${m.foundCrc ?? 'none'})`).join(', ')}`;
      logEvent(
        this.#log,
        'vpp-incompatible',
        { socket: this.#opts.vppApi, messages: mismatches.map((m) => m.name), mismatches },
        { msg: `VPP lacks messages maglevd needs: refusing to program it; ${this.#vppError}` },
      );
    } else if (e.state === 'disconnected' || e.state === 'closed') {
      this.#vppError = e.error?.message ?? e.reason;
      const fields = { socket: this.#opts.vppApi, reason: e.reason };
      if (this.#stopping) {
        // Our own close at shutdown: nothing is lost and nothing will reconnect.
        logEvent(this.#log, 'vpp-disconnect', fields, {
          level: 'info',
          msg: `VPP connection closed: ${e.reason}`,
        });
      } else if (e.previous === 'connected' || e.previous === 'incompatible') {
        logEvent(this.#log, 'vpp-disconnect', fields, { msg: `lost VPP: ${e.reason}; reconnecting` });
      } else if (e.state === 'disconnected') {
        logEvent(this.#log, 'vpp-disconnect', fields, {
          level: 'debug',
          msg: `VPP not reachable: ${e.reason}`,
        });
      }
    }
    this.#updateStatus();
  }

  async #readVppFacts(): Promise<void> {
    try {
      this.#lbConf = await this.#dataplane.getConf();
    } catch (err) {
      this.#log.debug({ err }, 'could not read lb conf');
    }
    try {
      const v = (await this.#client.request(ShowVersionDef, {})) as ShowVersionReply;
      this.#vppVersion = `${v.program} ${v.version}`;
    } catch (err) {
      this.#log.debug({ err }, 'could not read the VPP version');
    }
  }

  #statusText(): string {
    return statusLine({
      frontends: this.#frontendStates.values(),
      vppConnected: this.#client.state === 'connected',
      warmupPhase: this.#reconciler.warmupPhase(),
      reloadError: this.#reloadError,
    });
  }

  #updateStatus(): void {
    if (!this.#stopping) this.#notifier.status(this.#statusText());
  }

  #viewInputs(): FrontendInputs {
    return {
      model: this.#model,
      health: this.#checker.snapshot(),
      weights: this.#reconciler.weights,
      live: withModelBuckets(this.#reconciler.liveState()),
      isReleased: (fe) => this.#reconciler.isFrontendReleased(fe),
      frontendSince: this.#frontendSince,
      now: Date.now(),
    };
  }

  #requireVpp(what: string): void {
    if (this.#client.state !== 'connected') {
      throw new MaglevError(
        'ERR_UNAVAILABLE',
        `${what}: VPP is not reachable (${this.#client.state}${this.#vppError ? `: ${this.#vppError}` : ''}); nothing changed`,
      );
    }
  }

  // ---- reload ----

  /** reload reads and validates the file; on any error the running config stays and nothing changes. */
  async reload(): Promise<ConfigReloadResult> {
    const file = this.#opts.configFile;
    this.#notifier.reloading();
    try {
      let next: DesiredModel;
      try {
        next = await loadConfigFile(file);
      } catch (e) {
        const errors = errorViews(e);
        // Logs and the status line stand alone, so they keep the file:line:col form.
        const lines = e instanceof ConfigError ? e.issues.map(formatIssue) : errors.map((x) => x.message);
        this.#reloadError = lines[0];
        this.#metrics.configReload('error');
        logEvent(
          this.#log,
          'config-reload-failed',
          { path: file, code: 'ERR_CONFIG', error: lines[0] ?? 'invalid config', ...loggedErrors(lines) },
          { msg: `reload refused: ${errors.length} error(s); the running config stays` },
        );
        return { ok: false, file, generation: this.#generation, changed: false, errors };
      }
      const diff = diffModels(this.#model, next);
      this.#reloadError = undefined;
      this.#metrics.configReload('ok');
      if (diff.changed) {
        this.#model = next;
        this.#generation++;
        this.#checker.applyConfig(next);
        this.#reconciler.setModel(next);
        this.#reconciler.setHealth(this.#checker.snapshot());
        for (const fe of next.frontends.keys())
          if (!this.#frontendStates.has(fe)) this.#frontendStates.set(fe, 'unknown');
        for (const fe of [...this.#frontendStates.keys()])
          if (!next.frontends.has(fe)) this.#frontendStates.delete(fe);
        this.#checkFrontends(undefined);
      }
      logEvent(
        this.#log,
        'config-reload',
        {
          path: file,
          generation: this.#generation,
          frontends: next.frontends.size,
          backends: next.backends.size,
          changed: diff.changed,
        },
        {
          msg: diff.changed
            ? `config reloaded (generation ${this.#generation})`
            : 'config reloaded: no change',
        },
      );
      return { ok: true, file, generation: this.#generation, changed: diff.changed, errors: [] };
    } finally {
      this.#notifier.ready(this.#statusText());
    }
  }

  // ---- ControlTarget ----

  info(): InfoView {
    return {
      version: MAGLEVD_VERSION,
      vppApi: VPP_API_VERSION,
      pid: process.pid,
      startedAt: timeView(this.#startedAt, Date.now()),
      configFile: this.#opts.configFile,
      configGeneration: this.#generation,
      logLevel: this.#log.level as LogLevelName,
    };
  }

  frontends() {
    return frontendViews(this.#viewInputs());
  }

  backends() {
    return backendViews(this.#model, this.#checker.snapshot(), Date.now());
  }

  healthchecks() {
    return healthcheckViews(this.#model);
  }

  async vpp(): Promise<VppView> {
    const state = this.#client.state;
    const mismatches = this.#client.incompatibleMessages;
    const last = this.#reconciler.lastPass;
    if (state === 'connected') {
      try {
        this.#lbConf = await this.#dataplane.getConf();
      } catch {
        // Shown as of the last successful read.
      }
    }
    const conf = this.#lbConf;
    return {
      apiSocket: this.#opts.vppApi,
      state:
        state === 'connected'
          ? 'connected'
          : state === 'incompatible'
            ? 'incompatible'
            : state === 'connecting'
              ? 'connecting'
              : 'disconnected',
      since: this.#vppSince === undefined ? null : timeView(this.#vppSince, Date.now()),
      lastError: this.#vppError,
      version: this.#vppVersion,
      lbConf:
        state === 'connected' && conf
          ? {
              ipv4SrcAddress: conf.ipv4SrcAddress.text,
              ipv6SrcAddress: conf.ipv6SrcAddress.text,
              stickyBucketsPerCore: conf.stickyBucketsPerCore,
              flowTimeoutS: conf.flowTimeoutS,
            }
          : null,
      compatibility:
        state === 'connected' || state === 'incompatible'
          ? {
              compatible: mismatches.length === 0,
              checked: LB_REQUIRED_MESSAGES.length + 1,
              mismatches: mismatches.map((m) => ({
                name: m.name,
                expectedCrc: m.expectedCrc,
                vppCrc: m.foundCrc ?? null,
              })),
            }
          : null,
      warmup: this.#reconciler.warmupPhase(),
      dirtyVips: this.#reconciler.dirtyCount,
      lastSync: last
        ? {
            trigger: last.trigger,
            full: last.full,
            calls: (last.report?.applied ?? 0) + (last.report?.failed ?? 0),
            failed: last.report?.failed ?? 0,
            durationMs: last.durationMs,
            error: last.error ?? null,
            at: timeView(this.#lastPassAt, Date.now()),
          }
        : null,
    };
  }

  async vppLb(): Promise<LiveLbView> {
    const connected = this.#client.state === 'connected';
    const live = connected ? await this.#dataplane.dump() : this.#reconciler.liveState();
    return liveLbView(live, this.#model, connected, connected ? 'dump' : 'record');
  }

  async plan(): Promise<PlanView> {
    const connected = this.#client.state === 'connected';
    const p = await this.#reconciler.previewPlan(connected);
    const moved = new Map(p.vips.map((v) => [v.vip, v.bucketsMoved]));
    return planView(p, this.#model, p.fresh, (vip) => moved.get(vip) ?? undefined);
  }

  explain(frontend: string, backend: string): ExplainView {
    return explainView({ ...this.#viewInputs(), warmup: this.#reconciler.warmupPhase() }, frontend, backend);
  }

  async setBackendState(backend: string, action: BackendAction): Promise<ActionResult> {
    if (!this.#model.backends.has(backend))
      throw new MaglevError('ERR_NOT_FOUND', `no backend named "${backend}"`);
    // Names (404), then state (409), then VPP (503): the operator learns of a wrong action first.
    const would = this.#checker.check(backend, action);
    if (!would.ok) throw would.error;
    this.#requireVpp(`${action} ${backend}`);
    const outcome = this.#checker[action](backend);
    if (!outcome.ok) throw outcome.error;
    const snap = this.#checker.snapshot();
    this.#reconciler.setHealth(snap, [backend]);
    this.#checkFrontends(backend);
    const vips = this.#reconciler
      .frontendsOf(backend)
      .map((name) => vipKeyString((this.#model.frontends.get(name) as FrontendSpec).vip));
    return {
      changed: outcome.changed,
      message: outcome.changed
        ? `backend ${backend}: ${action} done`
        : `backend ${backend}: already so (${action})`,
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
    this.#reconciler.checkOverrideTarget(frontend, pool, backend); // names (404) before VPP (503)
    this.#requireVpp(`set weight ${frontend} ${pool} ${backend}`);
    const key = `${frontend}/${pool}/${backend}`;
    const before = this.#reconciler.overrides.get(key);
    const next = weight === 'default' ? undefined : { weight, flush };
    this.#reconciler.setOverride(frontend, pool, backend, next);
    this.#checkFrontends(undefined);
    const changed = JSON.stringify(before) !== JSON.stringify(next);
    return {
      changed,
      message:
        weight === 'default'
          ? `${key}: override cleared`
          : `${key}: weight ${weight}${flush ? ' with flush' : ''}`,
      vips: [vipKeyString((this.#model.frontends.get(frontend) as FrontendSpec).vip)],
    };
  }

  async sync(frontend: string | undefined): Promise<ActionResult> {
    if (frontend !== undefined && !this.#model.frontends.has(frontend)) {
      throw new MaglevError('ERR_NOT_FOUND', `no frontend named "${frontend}"`);
    }
    this.#requireVpp('sync');
    this.#reconciler.requestSync('sync', frontend);
    const vips =
      frontend === undefined
        ? [...this.#model.frontends.values()].map((f) => vipKeyString(f.vip))
        : [vipKeyString(this.#model.frontends.get(frontend)?.vip ?? ({} as never))];
    return {
      changed: true,
      message: frontend ? `sync of ${frontend} scheduled` : 'full sync scheduled',
      vips,
    };
  }

  async checkConfig(file: { name: string; text: string } | undefined): Promise<ConfigCheckResult> {
    const name = file?.name ?? this.#opts.configFile;
    try {
      if (file) parseConfigText(file.text, file.name);
      else await loadConfigFile(this.#opts.configFile);
      return { ok: true, file: name, errors: [] };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return { ok: false, file: name, errors: errorViews(e) };
    }
  }

  reloadConfig(): Promise<ConfigReloadResult> {
    return this.reload();
  }

  setLogLevel(level: LogLevelName): void {
    const from = this.#log.level;
    this.#log.level = level;
    logEvent(this.#log, 'log-level-change', { from, to: level }, { msg: `log level ${from} → ${level}` });
  }

  subscribe(options: SubscribeOptions, listener: (event: ControlEvent) => void): EventSubscription {
    return this.#opts.events.subscribe(options, listener);
  }
}
