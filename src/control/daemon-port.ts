// The port the daemon implements for the control server: read views, operator actions, event subscription.
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
  VppView,
} from './protocol.js';

/** The subscription a server holds per event stream. */
export interface EventSubscription {
  /** Stop delivering events; idempotent. */
  close(): void;
}

export interface SubscribeOptions {
  /**
   * The lowest log level this subscriber wants as `log` events, whatever the daemon's own level;
   * undefined: no log events. The server filters again, so a target may deliver more.
   */
  readonly logLevel: LogLevelName | undefined;
}

/**
 * ControlTarget is what the control server drives; the daemon's composition root implements it over the
 * config, checker and reconciler. Views are plain JSON values made fresh per call.
 *
 * Errors: a method rejects (or throws) with a MaglevError whose code the server maps to a status:
 * ERR_NOT_FOUND → 404 (unknown frontend, backend, pool); ERR_BAD_REQUEST → 400; ERR_STATE → 409 (e.g.
 * pause a disabled backend); ERR_CONFIG → 422; ERR_UNAVAILABLE,
 * ERR_VPP_DISCONNECTED, ERR_VPP_TIMEOUT, ERR_VPP_INCOMPATIBLE → 503 (VPP unreachable: actions fail fast,
 * never wait for it); anything else → 500. A rejected action must have changed nothing.
 */
export interface ControlTarget {
  info(): InfoView;

  /**
   * Every frontend in config order. Synchronous, as is `backends()`: the server builds the subscribe
   * replay from them in the same tick as `subscribe`, so no transition falls between replay and live.
   */
  frontends(): FrontendView[];
  /** Every configured backend in config order (and `removed` ones the checker still reports). */
  backends(): BackendView[];
  healthchecks(): HealthcheckView[];
  vpp(): Promise<VppView>;
  /** The live lb state; dumps VPP when connected, else the daemon's record (`source` says which). */
  vppLb(): Promise<LiveLbView>;
  /** Dry run of a full sync: the exact calls, per VIP the buckets moved when known. Writes nothing. */
  plan(): Promise<PlanView>;
  /** Why `backend` has its effective weight on `frontend`; ERR_NOT_FOUND when it is not in its pools. */
  explain(frontend: string, backend: string): ExplainView;

  /**
   * Operator state (spec §4): pause stops probing and keeps the last known up/down; resume and enable
   * restart in `unknown`; disable takes the backend out (weight 0, flush). Resolves once the change is
   * planned (the VIPs marked dirty), not when VPP has it.
   */
  setBackendState(backend: string, action: BackendAction): Promise<ActionResult>;
  /** Runtime weight override 0..100, or 'default' to clear it; `flush` applies when the weight is 0. */
  setWeight(
    frontend: string,
    pool: string,
    backend: string,
    weight: number | 'default',
    flush: boolean,
  ): Promise<ActionResult>;
  /** A full sync, or with `frontend` that frontend's VIP only. */
  sync(frontend: string | undefined): Promise<ActionResult>;
  /** Validate a file's text with the daemon's rules; undefined checks the running config's file on disk. */
  checkConfig(file: { name: string; text: string } | undefined): Promise<ConfigCheckResult>;
  /**
   * Reload from disk as SIGHUP does. A refused reload resolves with `ok: false` and the errors (the
   * running config stays; the server answers 422 ERR_CONFIG with the result as `details`).
   */
  reloadConfig(): Promise<ConfigReloadResult>;
  setLogLevel(level: LogLevelName): void;

  /** Deliver live events to `listener` until closed. The listener never throws and returns at once. */
  subscribe(options: SubscribeOptions, listener: (event: ControlEvent) => void): EventSubscription;
}
