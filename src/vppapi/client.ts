// The daemon's handle on VPP: keeps one connection alive across VPP restarts and exposes request/dump/events.
import { createConnection, type Socket } from 'node:net';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { logEvent } from '../log/events.js';
import type { Logger } from '../log/logger.js';
import { MaglevError } from '../util/errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import {
  type ConnectionStats,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type EventSubscription,
  VppConnection,
  type VppConnectionOptions,
} from './connection.js';
import {
  attachCallerStack,
  type CallerStack,
  captureCallerStack,
  type IncompatibleMessage,
  VppDisconnectedError,
  VppIncompatibleError,
} from './errors.js';

/**
 * Connection states. `connecting` covers connect and handshake; `incompatible` is connected but lacking
 * (or with other CRCs for) messages the caller said it needs: calls using compatible messages still work.
 */
export type VppClientState = 'idle' | 'connecting' | 'connected' | 'incompatible' | 'disconnected' | 'closed';

/** One state change, with why it happened. */
export interface VppStateEvent {
  readonly state: VppClientState;
  readonly previous: VppClientState;
  readonly reason: string;
  /** The error behind a `disconnected` or `incompatible` state, when there is one. */
  readonly error?: Error;
}

export interface VppClientOptions extends Omit<VppConnectionOptions, 'events'> {
  /** Path of VPP's API socket, e.g. /run/vpp/api.sock. */
  socketPath: string;
  /** Messages the caller needs: checked after every handshake (the `incompatible` state lists what fails). */
  requiredMessages?: readonly MessageDef[];
  backoff?: BackoffOptions;
  /**
   * Record each caller's synchronous stack when the call is made (about 4 µs per call). Off by default:
   * errors then carry the async stack of the awaiting callers, recovered only when an error happens.
   */
  eagerCallerStacks?: boolean;
}

/** Per-call options. */
export interface RequestOptions {
  /** Default 1 s (the client's `requestTimeoutMs`). */
  timeoutMs?: number;
}

type ReplyOf<D> = D extends { readonly reply?: MessageDef<unknown, infer R> } ? R : unknown;
type InputOf<D> = D extends MessageDef<infer I, unknown> ? I : never;
/** What a dump collects: a "get" stream's details, else (an old-style dump) the messages its `reply` names. */
type DetailsOf<D> = D extends { readonly details?: MessageDef<unknown, infer T> }
  ? unknown extends T
    ? ReplyOf<D>
    : T
  : ReplyOf<D>;

/** Cumulative counters over every connection this client made. */
export interface VppClientStats extends ConnectionStats {
  connects: number;
  disconnects: number;
}

/**
 * VppClient connects to VPP, redoes the handshake and message table after every restart (IDs change),
 * pings it for liveness, and reconnects with backoff (100 ms → 5 s). Calls made while disconnected fail at
 * once with ERR_VPP_DISCONNECTED: nothing queues for a VPP that may never come back.
 */
export class VppClient {
  private readonly opts: VppClientOptions;
  private readonly log: Logger | undefined;
  private readonly backoff: Backoff;
  private readonly events = new Map<string, EventSubscription>();
  private readonly listeners = new Set<(e: VppStateEvent) => void>();
  private readonly eagerStacks: boolean;
  private conn: VppConnection | undefined;
  private current: VppClientState = 'idle';
  private lastReason = 'not started';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private incompatible: IncompatibleMessage[] = [];
  private readonly totals: VppClientStats = {
    requests: 0,
    replies: 0,
    timeouts: 0,
    lateReplies: 0,
    unexpected: 0,
    events: 0,
    connects: 0,
    disconnects: 0,
  };

  constructor(opts: VppClientOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.backoff = new Backoff(opts.backoff);
    this.eagerStacks = opts.eagerCallerStacks ?? false;
  }

  /** The current state. */
  get state(): VppClientState {
    return this.current;
  }

  /** Messages from `requiredMessages` that the connected VPP lacks or has with another CRC. */
  get incompatibleMessages(): readonly IncompatibleMessage[] {
    return this.incompatible;
  }

  /** Our client_index on the current connection (0 when not connected). */
  get clientIndex(): number {
    return this.conn?.ready ? this.conn.handle : 0;
  }

  /** Requests and dumps waiting for their reply on the current connection. */
  get inFlight(): number {
    return this.conn?.inFlight ?? 0;
  }

  /** How many messages the connected VPP offers (0 when not connected). */
  get messageCount(): number {
    return this.conn?.table?.size ?? 0;
  }

  /** Counters summed over all connections, current one included. */
  get stats(): VppClientStats {
    const s = { ...this.totals };
    const c = this.conn?.stats;
    if (c) for (const k of Object.keys(c) as Array<keyof ConnectionStats>) s[k] += c[k];
    return s;
  }

  /** onState registers a listener for state changes; returns a function that removes it. */
  onState(listener: (e: VppStateEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** start begins connecting (and reconnecting until close). Resolves at once; watch the state events. */
  start(): void {
    if (this.current !== 'idle') return;
    this.connect();
  }

  /**
   * waitUntilConnected resolves once connected (or incompatible), or rejects with ERR_VPP_TIMEOUT after
   * `timeoutMs` (ERR_VPP_DISCONNECTED if the client is closed meanwhile).
   */
  waitUntilConnected(timeoutMs: number): Promise<void> {
    if (this.current === 'connected' || this.current === 'incompatible') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onState((e) => {
        if (e.state === 'connected' || e.state === 'incompatible') {
          done();
          resolve();
        } else if (e.state === 'closed') {
          done();
          reject(new VppDisconnectedError('connect', 'client closed'));
        }
      });
      const timer = setTimeout(() => {
        done();
        reject(
          new MaglevError(
            'ERR_VPP_TIMEOUT',
            `not connected to VPP within ${timeoutMs} ms (${this.lastReason})`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        off();
        clearTimeout(timer);
      };
    });
  }

  /**
   * request sends `value` as `def` and resolves with the decoded `def.reply`. Rejects with VppApiError
   * (negative retval), ERR_VPP_TIMEOUT, ERR_VPP_DISCONNECTED or ERR_VPP_INCOMPATIBLE (a message VPP lacks).
   */
  async request<D extends MessageDef>(
    def: D,
    value: InputOf<D>,
    opts: RequestOptions = {},
  ): Promise<ReplyOf<D>> {
    const caller = this.eagerStacks ? captureCallerStack(this.request) : undefined;
    try {
      const conn = this.conn;
      if (!conn?.ready) throw new VppDisconnectedError(def.name, this.lastReason);
      return await conn.request<ReplyOf<D>>(def, value as object, { timeoutMs: opts.timeoutMs, caller });
    } catch (err) {
      throw this.withCaller(err, caller);
    }
  }

  /**
   * dump sends a dump (and, for an old-style dump, a control_ping with the same context) and resolves with
   * every details message in order once the terminator arrives. The timeout bounds silence between details.
   */
  async dump<D extends MessageDef>(
    def: D,
    value: InputOf<D>,
    opts: RequestOptions = {},
  ): Promise<Array<DetailsOf<D>>> {
    const caller = this.eagerStacks ? captureCallerStack(this.dump) : undefined;
    try {
      const conn = this.conn;
      if (!conn?.ready) throw new VppDisconnectedError(def.name, this.lastReason);
      return await conn.dump<DetailsOf<D>>(def, value as object, { timeoutMs: opts.timeoutMs, caller });
    } catch (err) {
      throw this.withCaller(err, caller);
    }
  }

  /**
   * withCaller gives an error the caller's stack. Captured eagerly it was attached already; otherwise it is
   * taken now, in this async function's continuation, where V8's async stack traces still name the
   * awaiting callers: free on success, where an eager capture costs microseconds per call.
   */
  private withCaller(err: unknown, eager: CallerStack | undefined): unknown {
    if (eager !== undefined || !(err instanceof Error)) return err;
    return attachCallerStack(err, captureCallerStack(this.withCaller));
  }

  /**
   * subscribe calls `handler` with every decoded `def` event VPP sends, across reconnects (enabling the
   * events with the matching want_* request is the caller's job, after each connect). Returns unsubscribe.
   */
  subscribe<T>(def: MessageDef<unknown, T>, handler: (event: T) => void): () => void {
    let sub = this.events.get(def.nameCrc);
    if (!sub) {
      sub = { def, handlers: new Set() };
      this.events.set(def.nameCrc, sub);
    }
    const h = handler as (v: unknown) => void;
    sub.handlers.add(h);
    return () => {
      const s = this.events.get(def.nameCrc);
      s?.handlers.delete(h);
      if (s && s.handlers.size === 0) this.events.delete(def.nameCrc);
    };
  }

  /**
   * checkCompatibility throws ERR_VPP_INCOMPATIBLE listing each of `defs` (with its reply and details) that
   * the connected VPP lacks or has with another CRC; ERR_VPP_DISCONNECTED when not connected.
   */
  checkCompatibility(defs: readonly MessageDef[]): void {
    const table = this.conn?.ready ? this.conn.table : undefined;
    if (!table) throw new VppDisconnectedError('compatibility check', this.lastReason);
    const bad = table.check(withRelated(defs));
    if (bad.length > 0) throw new VppIncompatibleError(bad);
  }

  /** close says goodbye to VPP (sockclnt_delete, short timeout) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.current === 'closed') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const conn = this.conn;
    this.transition('closed', 'closed by client');
    if (conn) await conn.close();
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    this.transition('connecting', `connecting to ${this.opts.socketPath}`);
    let socket: Socket;
    try {
      socket = createConnection({ path: this.opts.socketPath });
    } catch (err) {
      this.lost(`cannot connect: ${(err as Error).message}`, err as Error);
      return;
    }
    const conn = new VppConnection(socket, { ...this.opts, events: this.events });
    this.conn = conn;
    conn.onClose((reason, cause) => {
      if (this.conn !== conn) return;
      this.accumulate(conn);
      this.conn = undefined;
      this.lost(reason, cause instanceof Error ? cause : undefined);
    });
    // A unix connect normally completes or fails at once; a full listen backlog can leave it hanging.
    const connectMs = this.opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const connectTimer = setTimeout(() => conn.destroy(`connect timed out after ${connectMs} ms`), connectMs);
    conn.onClose(() => clearTimeout(connectTimer));
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      conn.handshake().then(
        (info) => {
          if (this.conn !== conn || this.current === 'closed') return;
          this.totals.connects++;
          this.backoff.reset();
          this.incompatible = info.table.check(withRelated(this.opts.requiredMessages ?? []));
          if (this.incompatible.length > 0) {
            const err = new VppIncompatibleError(this.incompatible);
            this.transition('incompatible', err.message, err);
          } else {
            this.transition(
              'connected',
              `handshake done: client_index 0x${info.clientIndex.toString(16)}, ${info.table.size} messages`,
            );
          }
        },
        () => {
          // The connection's close listener reports the reason and schedules the retry.
        },
      );
    });
  }

  private accumulate(conn: VppConnection): void {
    for (const k of Object.keys(conn.stats) as Array<keyof ConnectionStats>) this.totals[k] += conn.stats[k];
  }

  private lost(reason: string, error?: Error): void {
    if (this.current === 'closed') return;
    this.totals.disconnects++;
    const delay = this.backoff.next();
    this.transition('disconnected', `${reason}; retrying in ${delay} ms`, error);
    this.lastReason = reason;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private transition(state: VppClientState, reason: string, error?: Error): void {
    const previous = this.current;
    this.current = state;
    this.lastReason = reason;
    const level = state === 'disconnected' || state === 'incompatible' ? 'warn' : 'info';
    if (this.log)
      logEvent(
        this.log,
        'vpp-state',
        { from: previous, to: state, reason },
        { level, msg: `VPP ${state}: ${reason}` },
      );
    const e: VppStateEvent = error ? { state, previous, reason, error } : { state, previous, reason };
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.log?.error({ err }, 'state listener threw');
      }
    }
  }
}

/** withRelated adds each message's reply and details: a request is only usable if VPP has both. */
function withRelated(defs: readonly MessageDef[]): MessageDef[] {
  const out: MessageDef[] = [];
  for (const d of defs) {
    out.push(d);
    if (d.reply) out.push(d.reply);
    if (d.details) out.push(d.details);
  }
  return out;
}
