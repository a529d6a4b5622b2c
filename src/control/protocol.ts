// The control API's wire contract: JSON view types, event types, error shape and the zod schemas of request bodies.
import { z } from 'zod';
import type { ErrorCode } from '../util/errors.js';

/** Every route lives under this prefix; a breaking change gets a new one. */
export const API_PREFIX = '/v1';

/** Default control socket (spec §2); `MAGLEV_CONTROL_SOCKET` and `--socket` override it. */
export const DEFAULT_CONTROL_SOCKET = '/run/maglev/maglevd.sock';

/** A subscriber this many live events behind is dropped with a final `overflow` event (spec §8). */
export const MAX_EVENTS_BEHIND = 1000;

/**
 * A subscriber whose queued live frames exceed this many bytes is dropped the same way: large log
 * lines must not let 1000 frames each grow into tens of megabytes.
 */
export const MAX_BYTES_BEHIND = 1024 * 1024;

/** All subscribers' queued live frames together: the subscriber that would exceed it is dropped. */
export const MAX_STREAM_BYTES_TOTAL = 32 * 1024 * 1024;

/** Body cap for action routes: their bodies are a few names and numbers. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Body cap for `POST /v1/config/check`, which carries a whole YAML file as a JSON string: twice the
 * config's own cap (MAX_CONFIG_BYTES, 2 MiB, enforced on the text), as JSON escaping lengthens it.
 */
export const MAX_CONFIG_BODY_BYTES = 4 * 1024 * 1024;

/** Names of healthchecks, backends, frontends and pools (spec §3). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

export type BackendStateName = 'unknown' | 'up' | 'down' | 'paused' | 'disabled' | 'removed';
export type FrontendStateName = 'up' | 'down' | 'unknown';
export type WarmupPhaseName = 'holding' | 'releasing' | 'done';

/** Error codes on the wire: the daemon's MaglevError codes plus the HTTP-level ones of this API. */
export type ApiErrorCode = ErrorCode | 'ERR_METHOD_NOT_ALLOWED' | 'ERR_BODY_TOO_LARGE';

/** ApiErrorBody is the body of every non-2xx response. `details` carries structured extras (config errors). */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

// ---- read views ----

/** A point in time: ISO text plus its age when the view was made (so clients need no clock). */
export interface TimeView {
  at: string;
  ageMs: number;
}

export interface WeightOverrideView {
  weight: number;
  flush: boolean;
}

/** One backend in one pool of one frontend, as `show frontends` prints it. */
export interface PoolBackendView {
  backend: string;
  /** Canonical address text; null when the name is not a configured backend. */
  address: string | null;
  state: BackendStateName;
  configuredWeight: number;
  /** The runtime override from `set weight`, if any. */
  override: WeightOverrideView | null;
  /** The weight spec §5 gives it now. */
  effectiveWeight: number;
  /** The weight VPP has for this AS, from the daemon's record of VPP; null when not live (or unknown). */
  vppWeight: number | null;
  /** New-flow table buckets the AS owns in VPP; null when unknown. */
  vppBuckets: number | null;
  /** The backend's last state transition; null when it never had one. */
  lastTransition: TimeView | null;
}

export interface PoolView {
  name: string;
  active: boolean;
  backends: PoolBackendView[];
}

export interface FrontendView {
  name: string;
  /** The VIP key as text: `prefix proto:port`, or `prefix any`. */
  vip: string;
  prefix: string;
  protocol: 'tcp' | 'udp' | 'any';
  port: number;
  encap: 'gre4' | 'gre6';
  srcIpSticky: boolean;
  flushOnDown: boolean;
  state: FrontendStateName;
  activePool: string | null;
  /** False while warmup still holds this frontend's VIP (nothing is written to it). */
  released: boolean;
  lastTransition: TimeView | null;
  pools: PoolView[];
}

export interface ProbeResultView {
  ok: boolean;
  code: string;
  latencyMs: number;
  detail: string;
  at: TimeView;
}

export interface TransitionView {
  from: BackendStateName;
  to: BackendStateName;
  code: string | null;
  reason: string;
  at: TimeView;
}

export interface BackendView {
  name: string;
  address: string;
  healthcheck: string;
  /** The config's `enabled` flag (the operator may have changed the state since). */
  configEnabled: boolean;
  state: BackendStateName;
  /** What weighting uses for a paused backend: its last known up/down. */
  lastKnown: 'up' | 'down' | 'unknown';
  /** HAProxy health counter, 0..max with max = rise + fall - 1 (spec §4). */
  health: number;
  rise: number;
  fall: number;
  lastProbe: ProbeResultView | null;
  /** Oldest first, at most `transition-history` long. */
  history: TransitionView[];
  /** The frontends whose pools list this backend. */
  frontends: string[];
  lastTransition: TimeView | null;
}

export interface HealthcheckView {
  name: string;
  type: 'icmp' | 'tcp' | 'http' | 'https';
  port: number | null;
  path: string | null;
  host: string | null;
  expectStatus: [number, number][];
  insecure: boolean;
  /** Header names only: values may be secrets and never leave the daemon. */
  headers: string[];
  sourceV4: string | null;
  sourceV6: string | null;
  intervalMs: number;
  fastIntervalMs: number;
  downIntervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  backends: string[];
}

export interface LbConfView {
  ipv4SrcAddress: string;
  ipv6SrcAddress: string;
  stickyBucketsPerCore: number;
  flowTimeoutS: number;
}

export interface MessageMismatchView {
  name: string;
  /** The CRC the bindings were generated from. */
  expectedCrc: string;
  /** The CRC VPP offers for that name, or null when VPP lacks the message. */
  vppCrc: string | null;
}

export type VppConnectionState = 'connected' | 'connecting' | 'disconnected' | 'incompatible';

export interface LastSyncView {
  trigger: string;
  full: boolean;
  calls: number;
  failed: number;
  durationMs: number;
  error: string | null;
  at: TimeView;
}

export interface VppView {
  /** The VPP API socket path, or `sim` for the built-in simulator. */
  apiSocket: string;
  state: VppConnectionState;
  since: TimeView | null;
  lastError: string | null;
  /** `show_version` as VPP reports it; null before the first connection. */
  version: string | null;
  /** lb_conf as read from VPP; null when not connected. */
  lbConf: LbConfView | null;
  /** The message table check: every message the daemon uses present with the generated CRC. */
  compatibility: { compatible: boolean; checked: number; mismatches: MessageMismatchView[] } | null;
  warmup: WarmupPhaseName;
  /** VIPs waiting for the worker. */
  dirtyVips: number;
  lastSync: LastSyncView | null;
}

export interface LiveAsView {
  address: string;
  weight: number;
  buckets: number | null;
  /** lb_as_v2_details.flags as dumped; bit 0 set = in use (0 = removed, lingering until VPP's GC). */
  flags: number | null;
  /** The configured backend with this address on this VIP's frontend, if any. */
  backend: string | null;
}

export interface LiveVipView {
  vip: string;
  prefix: string;
  protocol: string;
  port: number;
  encap: string;
  /** The dumps lack the sticky flag: null unless the daemon created the VIP itself. */
  srcIpSticky: boolean | null;
  tableLength: number;
  /** The frontend defining this VIP; null for a VIP no frontend defines. */
  frontend: string | null;
  ases: LiveAsView[];
}

export interface LiveLbView {
  connected: boolean;
  /** `dump` when read from VPP for this request, `record` when from the daemon's record of VPP. */
  source: 'dump' | 'record';
  vips: LiveVipView[];
}

export interface PlanStepView {
  /** The VPP message: lb_add_del_vip_v2, lb_add_del_as_v2, lb_as_set_weight. */
  call: string;
  kind: 'vip-add' | 'vip-del' | 'as-add' | 'as-weight' | 'as-del';
  vip: string;
  address: string | null;
  weight: number | null;
  fromWeight: number | null;
  flush: boolean | null;
  /** The one-line rendering `show plan` prints. */
  line: string;
}

export interface PlanVipView {
  vip: string;
  frontend: string | null;
  calls: number;
  /** New-flow buckets that change owner if the plan is applied; null when not known. */
  bucketsMoved: number | null;
  tableLength: number | null;
}

export interface PlanView {
  inSync: boolean;
  warmup: WarmupPhaseName;
  /** False when VPP was not reachable and the plan is against the daemon's last record. */
  fresh: boolean;
  steps: PlanStepView[];
  vips: PlanVipView[];
}

export interface ExplainMemberView {
  pool: string;
  poolActive: boolean;
  configuredWeight: number;
  override: WeightOverrideView | null;
  effectiveWeight: number;
  flush: boolean;
  /** Why, in one line (the reconciler's reason). */
  reason: string;
}

export interface ExplainView {
  frontend: string;
  vip: string;
  backend: string;
  address: string | null;
  state: BackendStateName;
  /** Operator state: paused and disabled are the operator's; otherwise enabled. */
  adminState: 'enabled' | 'paused' | 'disabled';
  lastKnown: 'up' | 'down' | 'unknown';
  health: number;
  rise: number;
  fall: number;
  frontendState: FrontendStateName;
  activePool: string | null;
  warmup: { phase: WarmupPhaseName; released: boolean };
  /** One row per pool of the frontend listing the backend. */
  members: ExplainMemberView[];
  vppWeight: number | null;
  vppBuckets: number | null;
}

export interface InfoView {
  version: string;
  /** The VPP API version the bindings were generated from. */
  vppApi: string;
  pid: number;
  startedAt: TimeView;
  configFile: string;
  configGeneration: number;
  logLevel: LogLevelName;
}

// ---- action results ----

export interface ActionResult {
  /** True when something changed; false when the request restated the current state. */
  changed: boolean;
  /** One line for people. */
  message: string;
  /** VIPs the daemon marked for sync because of this action. */
  vips: string[];
}

export interface ConfigErrorView {
  line: number | null;
  col: number | null;
  path: string;
  message: string;
}

export interface ConfigCheckResult {
  ok: boolean;
  /** The file checked (as the client named it, or the running config's path). */
  file: string;
  errors: ConfigErrorView[];
}

export interface ConfigReloadResult {
  ok: boolean;
  file: string;
  generation: number;
  /** True when the new config differs from the running one. */
  changed: boolean;
  errors: ConfigErrorView[];
}

// ---- events ----

interface EventBase {
  /** ISO time of the event. */
  time: string;
}

export interface BackendEvent extends EventBase {
  type: 'backend';
  backend: string;
  address: string;
  from: BackendStateName;
  to: BackendStateName;
  code: string | null;
  reason: string;
  health: number;
  /** True for the current-state events sent on subscribe (then from equals to). */
  synthetic: boolean;
}

export interface FrontendEvent extends EventBase {
  type: 'frontend';
  frontend: string;
  vip: string;
  from: FrontendStateName;
  to: FrontendStateName;
  activePool: string | null;
  synthetic: boolean;
}

export interface LbChangeEvent extends EventBase {
  type: 'lb-change';
  vip: string;
  frontend: string | null;
  call: string;
  address: string | null;
  weight: number | null;
  flush: boolean | null;
  ok: boolean;
  error: string | null;
}

export interface SyncEvent extends EventBase {
  type: 'sync';
  trigger: string;
  full: boolean;
  calls: number;
  failed: number;
  durationMs: number;
  error: string | null;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: LogLevelName;
  /** The stable `event` field of the log line, if any (spec §9). */
  event: string | null;
  msg: string;
  /** The line's other fields (secrets already redacted by the daemon). */
  fields: Record<string, unknown>;
}

export interface OverflowEvent extends EventBase {
  type: 'overflow';
  /** Events queued for this subscriber when it was dropped. */
  queued: number;
  message: string;
}

/** ControlEvent is what the daemon publishes; OverflowEvent is added by the server only. */
export type ControlEvent = BackendEvent | FrontendEvent | LbChangeEvent | SyncEvent | LogEvent;
export type StreamEvent = ControlEvent | OverflowEvent;

// ---- request bodies ----

const name = z.string().regex(NAME_PATTERN, 'a name is letters, digits, "_", "." and "-"').max(128);

export const BackendActionSchema = z.enum(['pause', 'resume', 'enable', 'disable']);
export type BackendAction = z.infer<typeof BackendActionSchema>;

export const BackendAdminBodySchema = z.strictObject({ action: BackendActionSchema });
export type BackendAdminBody = z.infer<typeof BackendAdminBodySchema>;

/**
 * One message for every wrong weight (a string "100", null, 50.5, 101): zod's own for a union is a bare
 * "Invalid input", which does not say what is expected.
 */
const weightError = (iss: { input?: unknown }) =>
  iss.input === undefined
    ? 'missing: an integer 0..100, or "default" to clear the override'
    : `expected an integer 0..100, or "default" to clear the override, got ${JSON.stringify(iss.input)}`;

export const SetWeightBodySchema = z.strictObject({
  frontend: name,
  pool: name,
  backend: name,
  weight: z.union(
    [
      z.int({ error: weightError }).min(0, { error: weightError }).max(100, { error: weightError }),
      z.literal('default', { error: weightError }),
    ],
    { error: weightError },
  ),
  flush: z.boolean().optional(),
});
export type SetWeightBody = z.infer<typeof SetWeightBodySchema>;

export const SyncBodySchema = z.strictObject({ frontend: name.optional() });
export type SyncBody = z.infer<typeof SyncBodySchema>;

export const ConfigCheckBodySchema = z.strictObject({
  /** A file the client read: validated with the daemon's rules without the daemon opening client paths. */
  file: z.strictObject({ name: z.string().min(1).max(4096), text: z.string() }).optional(),
});
export type ConfigCheckBody = z.infer<typeof ConfigCheckBodySchema>;

export const ConfigReloadBodySchema = z.strictObject({});

export const LogLevelBodySchema = z.strictObject({ level: z.enum(LOG_LEVEL_NAMES) });
export type LogLevelBody = z.infer<typeof LogLevelBodySchema>;

/** Query of `GET /v1/events`. */
export const EventsQuerySchema = z.strictObject({
  backend: name.optional(),
  frontend: name.optional(),
  level: z.enum(LOG_LEVEL_NAMES).optional(),
});
export type EventsQuery = z.infer<typeof EventsQuerySchema>;
