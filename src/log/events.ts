// The stable log event names (spec §9) with their fields, and logEvent: the one way components emit them.
import type { Logger, LogLevel } from './logger.js';

/**
 * Every `event` value maglevd writes. Operators alert on these strings: never rename one, only add
 * (and document it in docs/logging.md).
 */
export type LogEventName =
  | 'starting'
  | 'config-loaded'
  | 'config-reload'
  | 'config-reload-failed'
  | 'backend-transition'
  | 'frontend-transition'
  | 'probe'
  | 'vpp-connect'
  | 'vpp-disconnect'
  | 'vpp-incompatible'
  | 'vpp-api-send'
  | 'vpp-api-recv'
  | 'lb-change'
  | 'lb-sync'
  | 'lb-sync-error'
  | 'warmup-suppressed'
  | 'warmup-release'
  | 'warmup-done'
  | 'shutdown'
  | 'log-level-change'
  | 'sd-notify-error'
  | 'metrics-server-error'
  | 'vpp-state'
  | 'control-action'
  | 'control-error'
  | 'fatal';

/** Every event name, in the order docs/logging.md lists them. */
export const LOG_EVENT_NAMES: readonly LogEventName[] = [
  'starting',
  'config-loaded',
  'config-reload',
  'config-reload-failed',
  'backend-transition',
  'frontend-transition',
  'probe',
  'vpp-connect',
  'vpp-disconnect',
  'vpp-incompatible',
  'vpp-api-send',
  'vpp-api-recv',
  'lb-change',
  'lb-sync',
  'lb-sync-error',
  'warmup-suppressed',
  'warmup-release',
  'warmup-done',
  'shutdown',
  'log-level-change',
  'sd-notify-error',
  'metrics-server-error',
  'vpp-state',
  'control-action',
  'control-error',
  'fatal',
];

/** The required fields of each event; any other field may be added. Durations are `durationMs`. */
export interface LogEventFields {
  starting: { version: string; vppApi: string; config: string; vppSocket: string };
  'config-loaded': { path: string; generation: number; frontends: number; backends: number };
  'config-reload': { path: string; generation: number; frontends: number; backends: number };
  'config-reload-failed': { path: string; code: string; error: string };
  'backend-transition': {
    backend: string;
    address: string;
    from: string;
    to: string;
    code: string | undefined;
  };
  'frontend-transition': { frontend: string; vip: string; from: string; to: string };
  probe: { backend: string; address: string; type: string; ok: boolean; code: string; latencyMs: number };
  'vpp-connect': { socket: string };
  'vpp-disconnect': { socket: string; reason: string };
  /** `messages` names each message whose CRC differs or that VPP lacks. */
  'vpp-incompatible': { socket: string; messages: readonly string[] };
  'vpp-api-send': { message: string; context: number };
  'vpp-api-recv': { message: string; context: number; retval: number | undefined };
  'lb-change': { vip: string; call: string };
  'lb-sync': { trigger: string; calls: number; durationMs: number };
  'lb-sync-error': { trigger: string; error: string };
  'warmup-suppressed': { reason: string };
  'warmup-release': { frontend: string; vip: string; reason: string };
  'warmup-done': { durationMs: number };
  shutdown: { reason: string };
  'log-level-change': { from: string; to: string };
  'sd-notify-error': { socket: string; error: string };
  'metrics-server-error': { listen: string; error: string };
  /** Every state change of the VPP client (connecting, connected, incompatible, disconnected, closed). */
  'vpp-state': { from: string; to: string; reason: string };
  /** An operator action through the control API (maglevctl set/sync/config). */
  'control-action': { action: string };
  /** A control API request or socket failed unexpectedly (a bug, or the socket broke). */
  'control-error': Record<string, unknown>;
  /** A bug escaped every handler; the process exits non-zero and systemd restarts it. */
  fatal: { error: string };
}

/** The level each event is written at unless the caller says otherwise. */
export const LOG_EVENT_LEVELS: Readonly<Record<LogEventName, LogLevel>> = {
  starting: 'info',
  'config-loaded': 'info',
  'config-reload': 'info',
  'config-reload-failed': 'error',
  'backend-transition': 'info',
  'frontend-transition': 'info',
  probe: 'debug',
  'vpp-connect': 'info',
  'vpp-disconnect': 'warn',
  'vpp-incompatible': 'error',
  'vpp-api-send': 'debug',
  'vpp-api-recv': 'debug',
  'lb-change': 'info',
  'lb-sync': 'info',
  'lb-sync-error': 'error',
  'warmup-suppressed': 'debug',
  'warmup-release': 'info',
  'warmup-done': 'info',
  shutdown: 'info',
  'log-level-change': 'info',
  'sd-notify-error': 'warn',
  'metrics-server-error': 'error',
  'vpp-state': 'info',
  'control-action': 'info',
  'control-error': 'error',
  fatal: 'error',
};

/** The fields one call passes: the event's required fields plus any extra ones. */
export type LogEventPayload<E extends LogEventName> = LogEventFields[E] & Record<string, unknown>;

export interface LogEventOptions {
  /** Overrides the default level (e.g. `frontend-transition` to `down` is a warn). */
  level?: LogLevel;
  /** The human message; defaults to the event name. */
  msg?: string;
}

/**
 * logEvent writes one event line: `{"event": name, ...fields}` at the event's level. It checks the level
 * first, so a debug event on a busy path (vpp-api-send, probe) costs one comparison when debug is off.
 */
export function logEvent<E extends LogEventName>(
  logger: Logger,
  event: E,
  fields: LogEventPayload<E>,
  opts: LogEventOptions = {},
): void {
  const level = opts.level ?? LOG_EVENT_LEVELS[event];
  if (!logger.isLevelEnabled(level)) return;
  // `event` leads the line (easy to read in journalctl) and a field of the same name cannot replace it.
  const line: Record<string, unknown> = { event, ...fields };
  line.event = event;
  logger[level](line, opts.msg ?? event);
}
