// One session with VPP over its API socket: handshake, message table, pipelined requests, dumps, events, liveness.
import type { Socket } from 'node:net';
import {
  ControlPingDef,
  ControlPingReplyDef,
  MemclntKeepaliveDef,
  MemclntKeepaliveReplyDef,
  SockclntCreateDef,
  SockclntCreateReplyDef,
  SockclntDeleteDef,
  SockclntDeleteReplyDef,
} from 'vpp-binapi-ts/memclnt';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import type { Logger } from '../log/logger.js';
import { MaglevError } from '../util/errors.js';
import {
  attachCallerStack,
  type CallerStack,
  VppApiError,
  VppDecodeError,
  VppDisconnectedError,
  VppHandshakeError,
  VppIncompatibleError,
  VppTimeoutError,
} from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from './frame-decoder.js';
import { FrameWriter } from './frame-writer.js';
import { MessageTable } from './message-table.js';

/**
 * The only fixed message IDs: memclnt's messages are registered first, in .api order, so these never move
 * (VPP src/vlibmemory/memclnt.api; vpp_papi and GoVPP hard-code them too). Everything else is looked up.
 */
export const SOCKCLNT_CREATE_ID = 15;
export const SOCKCLNT_CREATE_REPLY_ID = 16;

export const DEFAULT_REQUEST_TIMEOUT_MS = 1_000;
/** GoVPP waits 3 s for sockclnt_create_reply; its 56 KB table arrives in milliseconds from a live VPP. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 3_000;
/** GoVPP gives sockclnt_delete 100 ms; a little more leaves room for replies still queued before it. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 500;
/** VPP never pings socket clients (src/vlibmemory/memory_api.c scans only shared-memory ones), so we ping it. */
export const DEFAULT_LIVENESS_INTERVAL_MS = 10_000;
export const DEFAULT_LIVENESS_MAX_MISSED = 3;
/** Bound on requests in flight on one connection; beyond it requests fail at once instead of queueing. */
export const DEFAULT_MAX_IN_FLIGHT = 65_536;
/** Bound on the details one dump may collect. */
export const DEFAULT_MAX_DUMP_DETAILS = 1_000_000;
/**
 * A "get" stream answers -165 (EAGAIN) when it stopped early and wants to be asked again from the cursor in
 * its reply (src/vlibapi/api_helper_macros.h, REPLY_AND_DETAILS_MACRO; vpp_papi's details_iter loops on it).
 */
export const GET_STREAM_EAGAIN = -165;
/** Bound on the re-issues of one "get" stream; each round must also move the cursor forward. */
export const MAX_GET_STREAM_ROUNDS = 10_000;
/** Bound on a whole "get" stream, all rounds together (each round is also bounded by the call timeout). */
export const GET_STREAM_DEADLINE_MS = 60_000;
/** How many timed-out contexts are remembered so a late reply is counted as late rather than unexpected. */
const EXPIRED_MEMORY = 4_096;
/** The context of sockclnt_create; any non-zero value works since nothing else is in flight. */
const HANDSHAKE_CONTEXT = 0x7c;

/** Options of one connection; every field has a default. */
export interface VppConnectionOptions {
  /** The name VPP shows for this client (`show api clients`), at most 63 bytes. */
  clientName?: string;
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  closeTimeoutMs?: number;
  /** 0 disables liveness pings. */
  livenessIntervalMs?: number;
  livenessMaxMissed?: number;
  maxInFlight?: number;
  maxDumpDetails?: number;
  maxFrameBytes?: number;
  /** Subscribed events by `name_crc` (owned by the client, shared across reconnects). */
  events?: ReadonlyMap<string, EventSubscription>;
  logger?: Logger;
}

/** The handlers subscribed to one event message. */
export interface EventSubscription {
  readonly def: MessageDef;
  readonly handlers: Set<(value: unknown) => void>;
}

/** Per-call options. */
export interface CallOptions {
  /** Overrides the connection's request timeout; for dumps it bounds the silence between two details. */
  timeoutMs?: number;
  /** Where the call was made, appended to the stack of any error it gets. */
  caller?: CallerStack;
  /** For a dump: the details it may collect, if fewer than the connection's bound (a get stream's later rounds). */
  maxDetails?: number;
}

/** Counters a caller can export as metrics. */
export interface ConnectionStats {
  requests: number;
  replies: number;
  timeouts: number;
  /** Replies that arrived after their request had timed out: dropped, never delivered. */
  lateReplies: number;
  /** Messages matching no request and no subscription (unknown IDs included): dropped. */
  unexpected: number;
  events: number;
}

type PendingKind = 'request' | 'dump' | 'get';

/** One round of a "get" stream: its details and the reply that ended it. */
interface GetRound {
  readonly details: unknown[];
  readonly reply: { readonly retval?: unknown; readonly cursor?: unknown };
}

interface Pending {
  readonly kind: PendingKind;
  readonly context: number;
  readonly messageName: string;
  /** The ID that ends the call: the reply, or control_ping_reply for an old-style dump. */
  readonly endId: number;
  readonly endDef: MessageDef;
  /** The details ID for dumps, -1 otherwise. */
  readonly detailsId: number;
  readonly detailsDef: MessageDef | undefined;
  readonly details: unknown[];
  /** How many details this call may collect before it is abandoned. */
  readonly maxDetails: number;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timeoutMs: number;
  readonly caller: CallerStack | undefined;
  timer: NodeJS.Timeout | undefined;
  lastActivity: number;
}

type Phase = 'handshake' | 'ready' | 'closed';

/** What VPP told us in the handshake. */
export interface HandshakeInfo {
  /** Our registration handle (`0x80000000 | slot`), sent as client_index on every request. */
  readonly clientIndex: number;
  readonly table: MessageTable;
}

/**
 * VppConnection runs one socket from handshake to close. It never reconnects (VppClient does); once closed,
 * every call fails with ERR_VPP_DISCONNECTED and no request is left pending.
 */
export class VppConnection {
  private readonly socket: Socket;
  private readonly opts: Required<Omit<VppConnectionOptions, 'events' | 'logger'>>;
  private readonly events: ReadonlyMap<string, EventSubscription>;
  private readonly log: Logger | undefined;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly pending = new Map<number, Pending>();
  private readonly expired = new Set<number>();
  private phase: Phase = 'handshake';
  private closeReason = 'not connected yet';
  private closing = false;
  private nextContext = 1;
  private clientIndex = 0;
  private messageTable: MessageTable | undefined;
  private keepaliveId = -1;
  private handshakeDone: { resolve: (i: HandshakeInfo) => void; reject: (e: Error) => void } | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private missedPings = 0;
  private readonly closeListeners: Array<(reason: string, cause?: unknown) => void> = [];
  readonly stats: ConnectionStats = {
    requests: 0,
    replies: 0,
    timeouts: 0,
    lateReplies: 0,
    unexpected: 0,
    events: 0,
  };

  constructor(socket: Socket, opts: VppConnectionOptions = {}) {
    this.socket = socket;
    this.opts = {
      clientName: opts.clientName ?? 'maglevd',
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      closeTimeoutMs: opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      livenessIntervalMs: opts.livenessIntervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS,
      livenessMaxMissed: opts.livenessMaxMissed ?? DEFAULT_LIVENESS_MAX_MISSED,
      maxInFlight: opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      maxDumpDetails: opts.maxDumpDetails ?? DEFAULT_MAX_DUMP_DETAILS,
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    };
    this.events = opts.events ?? new Map();
    this.log = opts.logger;
    this.decoder = new FrameDecoder(this.opts.maxFrameBytes);
    this.writer = new FrameWriter((bytes) => {
      if (this.phase !== 'closed' && !this.socket.destroyed) this.socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.fail('VPP closed the connection (EOF)'));
    socket.on('close', () => this.fail('socket closed'));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(`socket error ${err.code ?? ''}: ${err.message}`.replace('  ', ' '), err),
    );
  }

  /** True between a successful handshake and the close. */
  get ready(): boolean {
    return this.phase === 'ready';
  }

  /** Our client_index (VPP's handle for this registration); 0 before the handshake. */
  get handle(): number {
    return this.clientIndex;
  }

  /** The message table VPP announced (undefined before the handshake). */
  get table(): MessageTable | undefined {
    return this.messageTable;
  }

  /** Requests (and dumps) waiting for their reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** onClose registers a listener called once, with the reason, when the connection ends for any reason. */
  onClose(listener: (reason: string, cause?: unknown) => void): void {
    if (this.phase === 'closed') listener(this.closeReason);
    else this.closeListeners.push(listener);
  }

  /**
   * handshake sends sockclnt_create and resolves with VPP's handle and message table. Rejects with
   * ERR_VPP_HANDSHAKE on a refusal or a timeout, or ERR_VPP_DISCONNECTED when the socket goes away.
   */
  handshake(): Promise<HandshakeInfo> {
    if (this.phase !== 'handshake' || this.handshakeDone) {
      return Promise.reject(new VppHandshakeError('handshake already started'));
    }
    return new Promise<HandshakeInfo>((resolve, reject) => {
      this.handshakeDone = { resolve, reject };
      this.handshakeTimer = setTimeout(() => {
        this.fail(
          `no sockclnt_create_reply within ${this.opts.handshakeTimeoutMs} ms`,
          new VppHandshakeError(`no sockclnt_create_reply within ${this.opts.handshakeTimeoutMs} ms`),
        );
      }, this.opts.handshakeTimeoutMs);
      let payload: Uint8Array;
      try {
        payload = SockclntCreateDef.encode(SOCKCLNT_CREATE_ID, {
          context: HANDSHAKE_CONTEXT,
          name: this.opts.clientName,
        });
      } catch (e) {
        this.fail('cannot encode sockclnt_create', e);
        return;
      }
      this.writer.write(payload);
    });
  }

  /**
   * request sends one request and resolves with its decoded reply (`def.reply`). A negative `retval`
   * rejects with VppApiError; no reply in time rejects with VppTimeoutError.
   */
  request<TReply = unknown>(def: MessageDef, value: object, opts: CallOptions = {}): Promise<TReply> {
    const reply = def.reply;
    if (reply === undefined) {
      return this.refuse(
        new MaglevError('ERR_BAD_REQUEST', `${def.name} has no reply message: it cannot be a request`),
        opts,
      );
    }
    return this.start('request', def, value, reply, undefined, opts) as Promise<TReply>;
  }

  /**
   * dump sends a dump and collects its details in order. An old-style dump (`def.stream`) is followed by a
   * control_ping with the same context, whose reply ends it; a "get" stream (`def.details`) ends with its
   * reply: -165 (EAGAIN) re-issues it from the reply's cursor and the rounds' details are joined, any
   * other negative retval rejects with VppApiError.
   */
  dump<TDetails = unknown>(def: MessageDef, value: object, opts: CallOptions = {}): Promise<TDetails[]> {
    if (def.details !== undefined && def.reply !== undefined) {
      return this.getStream(def, def.reply, def.details, value, opts) as Promise<TDetails[]>;
    }
    if (def.reply === undefined) {
      return this.refuse(new MaglevError('ERR_BAD_REQUEST', `${def.name} has no details message`), opts);
    }
    return this.start('dump', def, value, ControlPingReplyDef, def.reply, opts) as Promise<TDetails[]>;
  }

  /**
   * close says goodbye with sockclnt_delete (VPP answers `response` 1, then closes), waiting at most the
   * close timeout, then closes the socket. Replies to requests sent before still arrive first (VPP answers
   * in order); whatever is pending afterwards is rejected with ERR_VPP_DISCONNECTED.
   */
  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    if (this.phase === 'ready' && !this.closing) {
      const bye = this.request<{ response: number }>(
        SockclntDeleteDef,
        { index: this.clientIndex },
        { timeoutMs: this.opts.closeTimeoutMs },
      );
      this.closing = true;
      try {
        const reply = await bye;
        // sockclnt_delete_reply uses `response`, and 1 is success (VPP src/vlibmemory/socket_api.c).
        if (reply.response !== 1) this.log?.warn({ response: reply.response }, 'sockclnt_delete refused');
      } catch (err) {
        this.log?.debug({ err }, 'sockclnt_delete got no reply; closing anyway');
      }
    }
    this.closing = true;
    this.fail('closed by client');
  }

  /** destroy drops the connection at once, rejecting everything pending with `reason`. */
  destroy(reason: string, cause?: unknown): void {
    this.fail(reason, cause);
  }

  /**
   * getStream runs a "get" stream's rounds, each a call of its own (own context, own silence timeout). The
   * rounds share one details budget and one deadline, and each must move the cursor forward: VPP walks a
   * pool by increasing index (pool_next_index), so anything else would repeat or never end.
   */
  private async getStream(
    def: MessageDef,
    replyDef: MessageDef,
    detailsDef: MessageDef,
    value: object,
    opts: CallOptions,
  ): Promise<unknown[]> {
    const fail = (code: 'ERR_UNAVAILABLE' | 'ERR_VPP_TIMEOUT', why: string): never => {
      throw attachCallerStack(new MaglevError(code, `${def.name}: ${why}`), opts.caller);
    };
    const deadline = Date.now() + GET_STREAM_DEADLINE_MS;
    const all: unknown[] = [];
    let request = value as { cursor?: unknown };
    for (let round = 1; ; round++) {
      const maxDetails = this.opts.maxDumpDetails - all.length;
      const r = (await this.start('get', def, request, replyDef, detailsDef, {
        ...opts,
        maxDetails,
      })) as GetRound;
      for (const d of r.details) all.push(d);
      if (r.reply.retval !== GET_STREAM_EAGAIN) return all;
      const from = typeof request.cursor === 'number' ? request.cursor : 0;
      const cursor = r.reply.cursor;
      if (typeof cursor !== 'number' || cursor <= from) {
        fail(
          'ERR_UNAVAILABLE',
          `VPP asked to retry (-165, EAGAIN) from cursor ${String(cursor)}, not past ${from}`,
        );
      }
      if (round >= MAX_GET_STREAM_ROUNDS)
        fail('ERR_UNAVAILABLE', `still -165 (EAGAIN) after ${round} rounds`);
      if (Date.now() > deadline) {
        fail('ERR_VPP_TIMEOUT', `still -165 (EAGAIN) after ${GET_STREAM_DEADLINE_MS} ms (${round} rounds)`);
      }
      request = { ...request, cursor };
    }
  }

  private refuse<T>(err: Error, opts: CallOptions): Promise<T> {
    return Promise.reject(attachCallerStack(err, opts.caller));
  }

  private start(
    kind: PendingKind,
    def: MessageDef,
    value: object,
    endDef: MessageDef,
    detailsDef: MessageDef | undefined,
    opts: CallOptions,
  ): Promise<unknown> {
    if (this.phase !== 'ready' || this.closing) {
      const reason = this.phase === 'ready' ? 'closing' : this.closeReason;
      return this.refuse(new VppDisconnectedError(def.name, reason), opts);
    }
    const table = this.messageTable as MessageTable;
    const reqId = table.idOf(def);
    const endId = table.idOf(endDef);
    const detailsId = detailsDef ? table.idOf(detailsDef) : -1;
    const pingId = kind === 'dump' ? table.idOf(ControlPingDef) : -1;
    if (reqId === undefined || endId === undefined || detailsId === undefined || pingId === undefined) {
      const wanted = [
        def,
        endDef,
        ...(detailsDef ? [detailsDef] : []),
        ...(kind === 'dump' ? [ControlPingDef] : []),
      ];
      return this.refuse(new VppIncompatibleError(table.check(wanted)), opts);
    }
    if (this.pending.size >= this.opts.maxInFlight) {
      return this.refuse(
        new MaglevError(
          'ERR_UNAVAILABLE',
          `${def.name}: ${this.pending.size} requests already in flight (limit ${this.opts.maxInFlight})`,
        ),
        opts,
      );
    }
    const context = this.allocateContext();
    let payload: Uint8Array;
    let ping: Uint8Array | undefined;
    try {
      payload = def.encode(reqId, { ...value, client_index: this.clientIndex, context });
      if (kind === 'dump') ping = ControlPingDef.encode(pingId, { client_index: this.clientIndex, context });
    } catch (e) {
      return this.refuse(e instanceof Error ? e : new Error(String(e)), opts);
    }
    this.stats.requests++;
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const p: Pending = {
        kind,
        context,
        messageName: def.name,
        endId,
        endDef,
        detailsId,
        detailsDef,
        details: [],
        maxDetails: Math.min(opts.maxDetails ?? this.opts.maxDumpDetails, this.opts.maxDumpDetails),
        resolve,
        reject,
        timeoutMs,
        caller: opts.caller,
        timer: undefined,
        lastActivity: 0,
      };
      p.timer = setTimeout(() => this.onTimer(p), timeoutMs);
      this.pending.set(context, p);
      if (this.log?.isLevelEnabled('debug')) {
        this.log.debug(
          { event: 'vpp-api-send', message: def.name, context, kind },
          `→ ${def.name} #${context}`,
        );
      }
      this.writer.write(payload);
      if (ping) this.writer.write(ping);
    });
  }

  /** Contexts are non-zero u32s (vpp_papi treats 0 as "no context"), wrap around, and skip pending ones. */
  private allocateContext(): number {
    for (;;) {
      const c = this.nextContext;
      this.nextContext = c >= 0xffffffff ? 1 : c + 1;
      if (!this.pending.has(c)) return c;
    }
  }

  private onTimer(p: Pending): void {
    if (this.pending.get(p.context) !== p) return;
    if (p.kind !== 'request' && p.lastActivity > 0) {
      // A dump times out on silence, not on total length: a big table may take longer than one timeout.
      const idle = Date.now() - p.lastActivity;
      if (idle < p.timeoutMs) {
        p.timer = setTimeout(() => this.onTimer(p), p.timeoutMs - idle);
        return;
      }
    }
    this.pending.delete(p.context);
    this.rememberExpired(p.context);
    this.stats.timeouts++;
    p.reject(attachCallerStack(new VppTimeoutError(p.messageName, p.context, p.timeoutMs), p.caller));
  }

  private rememberExpired(context: number): void {
    this.expired.add(context);
    if (this.expired.size > EXPIRED_MEMORY) {
      const oldest = this.expired.values().next().value;
      if (oldest !== undefined) this.expired.delete(oldest);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    try {
      this.decoder.push(chunk, (payload) => this.onFrame(payload));
    } catch (err) {
      this.fail(`protocol error: ${(err as Error).message}`, err);
    }
  }

  private onFrame(payload: Uint8Array): void {
    if (this.phase === 'closed') return;
    if (payload.length < 2) {
      this.stats.unexpected++;
      return;
    }
    const id = ((payload[0] as number) << 8) | (payload[1] as number);
    if (this.phase === 'handshake') {
      this.onHandshakeFrame(id, payload);
      return;
    }
    let context = -1;
    if (payload.length >= 6) {
      context =
        (payload[2] as number) * 0x1000000 +
        (((payload[3] as number) << 16) | ((payload[4] as number) << 8) | (payload[5] as number));
      const p = this.pending.get(context);
      if (p !== undefined) {
        if (id === p.endId) {
          this.finish(p, payload);
          return;
        }
        if (id === p.detailsId) {
          this.addDetail(p, payload);
          return;
        }
      }
    }
    if (id === this.keepaliveId) {
      // VPP only sends memclnt_keepalive to shared-memory clients; answering is harmless if one comes.
      this.send(MemclntKeepaliveReplyDef, { context, retval: 0 });
      return;
    }
    const nameCrc = this.messageTable?.nameCrcOf(id);
    const sub = nameCrc === undefined ? undefined : this.events.get(nameCrc);
    if (sub !== undefined && sub.handlers.size > 0) {
      this.dispatchEvent(sub, payload);
      return;
    }
    if (this.expired.has(context)) this.stats.lateReplies++;
    else this.stats.unexpected++;
  }

  private onHandshakeFrame(id: number, payload: Uint8Array): void {
    if (id !== SOCKCLNT_CREATE_REPLY_ID) {
      this.stats.unexpected++;
      return;
    }
    let reply: {
      response: number;
      index: number;
      message_table: ReadonlyArray<{ index: number; name: string }>;
    };
    try {
      reply = SockclntCreateReplyDef.decode(payload);
    } catch (err) {
      this.fail(
        'bad sockclnt_create_reply',
        new VppHandshakeError('bad sockclnt_create_reply', { cause: err }),
      );
      return;
    }
    if (reply.response !== 0) {
      const msg = `VPP refused sockclnt_create: response ${reply.response}`;
      this.fail(msg, new VppHandshakeError(msg));
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.clientIndex = reply.index;
    this.messageTable = new MessageTable(reply.message_table);
    const missing = this.messageTable.check([
      ControlPingDef,
      ControlPingReplyDef,
      SockclntDeleteDef,
      SockclntDeleteReplyDef,
    ]);
    if (missing.length > 0) {
      this.fail('memclnt incompatible', new VppIncompatibleError(missing));
      return;
    }
    this.keepaliveId = this.messageTable.idOf(MemclntKeepaliveDef) ?? -1;
    this.phase = 'ready';
    this.startLiveness();
    const done = this.handshakeDone;
    this.handshakeDone = undefined;
    done?.resolve({ clientIndex: this.clientIndex, table: this.messageTable });
  }

  private finish(p: Pending, payload: Uint8Array): void {
    this.pending.delete(p.context);
    clearTimeout(p.timer);
    this.stats.replies++;
    let reply: unknown;
    try {
      reply = p.endDef.decode(payload);
    } catch (err) {
      p.reject(attachCallerStack(new VppDecodeError(p.messageName, err), p.caller));
      return;
    }
    const retval = (reply as { retval?: unknown }).retval;
    if (this.log?.isLevelEnabled('debug')) {
      this.log.debug(
        {
          event: 'vpp-api-recv',
          message: p.messageName,
          context: p.context,
          retval: typeof retval === 'number' ? retval : undefined,
          details: p.kind === 'dump' ? p.details.length : undefined,
        },
        `← ${p.messageName} #${p.context}`,
      );
    }
    if (p.kind === 'get') {
      // The stream's loop decides about -165; every other failure is the call's.
      if (typeof retval === 'number' && retval < 0 && retval !== GET_STREAM_EAGAIN) {
        p.reject(attachCallerStack(new VppApiError(p.messageName, retval, p.context), p.caller));
      } else {
        p.resolve({ details: p.details, reply: reply as GetRound['reply'] } satisfies GetRound);
      }
      return;
    }
    if (typeof retval === 'number' && retval < 0) {
      p.reject(attachCallerStack(new VppApiError(p.messageName, retval, p.context), p.caller));
      return;
    }
    p.resolve(p.kind === 'request' ? reply : p.details);
  }

  private addDetail(p: Pending, payload: Uint8Array): void {
    p.lastActivity = Date.now();
    if (p.details.length >= p.maxDetails) {
      this.abandon(
        p,
        new MaglevError(
          'ERR_UNAVAILABLE',
          `${p.messageName}: more than ${this.opts.maxDumpDetails} details; dump abandoned`,
        ),
      );
      return;
    }
    try {
      p.details.push((p.detailsDef as MessageDef).decode(payload));
    } catch (err) {
      this.abandon(p, new VppDecodeError(p.messageName, err));
    }
  }

  /** abandon fails a call whose remaining replies will still arrive: they are then counted as late. */
  private abandon(p: Pending, err: Error): void {
    this.pending.delete(p.context);
    clearTimeout(p.timer);
    this.rememberExpired(p.context);
    p.reject(attachCallerStack(err, p.caller));
  }

  private dispatchEvent(sub: EventSubscription, payload: Uint8Array): void {
    let value: unknown;
    try {
      value = sub.def.decode(payload);
    } catch (err) {
      this.log?.warn({ err, message: sub.def.name }, 'undecodable event dropped');
      return;
    }
    this.stats.events++;
    for (const h of [...sub.handlers]) {
      try {
        h(value);
      } catch (err) {
        this.log?.error({ err, message: sub.def.name }, 'event handler threw');
      }
    }
  }

  private send(def: MessageDef, value: object): void {
    const id = this.messageTable?.idOf(def);
    if (id === undefined) return;
    try {
      this.writer.write(def.encode(id, value));
    } catch (err) {
      this.log?.warn({ err, message: def.name }, 'cannot encode');
    }
  }

  private startLiveness(): void {
    const every = this.opts.livenessIntervalMs;
    if (every <= 0) return;
    this.livenessTimer = setInterval(() => {
      // Each ping may take a whole interval; a reply (even a late one for an older ping) proves VPP alive.
      this.request(ControlPingDef, {}, { timeoutMs: every }).then(
        () => {
          this.missedPings = 0;
        },
        (err: unknown) => {
          if (!(err instanceof VppTimeoutError)) return;
          this.missedPings++;
          this.log?.warn({ missed: this.missedPings }, 'VPP did not answer control_ping');
          if (this.missedPings >= this.opts.livenessMaxMissed) {
            this.fail(`VPP unresponsive: ${this.missedPings} control_ping replies missed`);
          }
        },
      );
    }, every);
  }

  /** fail ends the connection once: timers stop, the socket is destroyed, everything pending is rejected. */
  private fail(reason: string, cause?: unknown): void {
    if (this.phase === 'closed') return;
    const why = this.closing && cause === undefined ? 'closed by client' : reason;
    this.phase = 'closed';
    this.closeReason = why;
    clearTimeout(this.handshakeTimer);
    clearInterval(this.livenessTimer);
    this.writer.discard();
    this.decoder.reset();
    this.socket.destroy();
    const hs = this.handshakeDone;
    this.handshakeDone = undefined;
    if (hs) {
      hs.reject(
        cause instanceof MaglevError ? cause : new VppDisconnectedError('sockclnt_create', why, { cause }),
      );
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(attachCallerStack(new VppDisconnectedError(p.messageName, why, { cause }), p.caller));
    }
    for (const l of this.closeListeners.splice(0)) l(why, cause);
  }
}
