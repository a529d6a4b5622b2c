// A VPP binary-API unix-socket server speaking the real framing and memclnt protocol; other messages go to a handler.
import { unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { messagesByNameCrc } from 'vpp-binapi-ts';
import {
  ControlPingReplyDef,
  MemclntKeepaliveReplyDef,
  SockclntCreateDef,
  SockclntCreateReplyDef,
  SockclntDeleteReplyDef,
} from 'vpp-binapi-ts/memclnt';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import type { Logger } from '../log/logger.js';
import { FRAME_HEADER_BYTES, FRAME_LENGTH_OFFSET, FrameDecoder } from '../vppapi/frame-decoder.js';

/** One decoded request as the server hands it to a {@link VppMessageHandler}. */
export interface VppHandlerRequest {
  /** The definition the request's message ID resolved to in the server's current table. */
  readonly def: MessageDef;
  /** `def.decode(payload)`: the complete decoded request. */
  readonly value: unknown;
  /** The request's context; the server copies it into every reply, so handlers need not. */
  readonly context: number;
  /**
   * The client_index the request carried. Like VPP, the server runs the handler even when it is not the
   * sender's registration (the action happens), then drops the replies.
   */
  readonly clientIndex: number;
}

/** One message a handler wants sent back; the server fills `context` and encodes it with its current IDs. */
export interface VppHandlerReply {
  readonly def: MessageDef;
  readonly value: object;
}

/**
 * VppMessageHandler answers every message the server does not handle itself (memclnt handshake,
 * control_ping, sockclnt_delete and memclnt_keepalive are built in). It returns the replies in order
 * (for a dump: the details; the server answers the following control_ping itself), an empty array for
 * no reply, or `undefined` to treat the message as unknown (VPP drops it silently). It runs
 * synchronously, so replies leave in request order, as they do from VPP's single API thread.
 */
export type VppMessageHandler = (req: VppHandlerRequest) => VppHandlerReply[] | undefined;

/**
 * memclnt's messages in memclnt.api order: VPP registers them first, so their IDs are 1.. and fixed
 * (sockclnt_create 15, control_ping 23; VPP src/vlibmemory/memclnt.api).
 */
const MEMCLNT_ORDER = [
  'memclnt_create',
  'memclnt_create_reply',
  'memclnt_delete',
  'memclnt_delete_reply',
  'rx_thread_exit',
  'memclnt_rx_thread_suspend',
  'memclnt_read_timeout',
  'rpc_call',
  'rpc_call_reply',
  'get_first_msg_id',
  'get_first_msg_id_reply',
  'api_versions',
  'api_versions_reply',
  'trace_plugin_msg_ids',
  'sockclnt_create',
  'sockclnt_create_reply',
  'sockclnt_delete',
  'sockclnt_delete_reply',
  'sock_init_shm',
  'sock_init_shm_reply',
  'memclnt_keepalive',
  'memclnt_keepalive_reply',
  'control_ping',
  'control_ping_reply',
  'memclnt_create_v2',
  'memclnt_create_v2_reply',
  'get_api_json',
  'get_api_json_reply',
];
const MEMCLNT_LAST_ID = MEMCLNT_ORDER.length;
const SOCKCLNT_CREATE_ID = 15;
const SOCKCLNT_CREATE_REPLY_ID = 16;
/** VPP's registration handles are `0x80000000 | pool slot`; slot 0 is the listener (src/vlibmemory/socket_api.c). */
const HANDLE_BIT = 0x80000000;
/** What a real VPP put in the header's `q` field of ordinary replies (vpp-lb-observed.md): clients must ignore it. */
const GARBAGE_Q = Buffer.from('c0c4043001000000', 'hex');

export interface VppServerOptions {
  /** The unix socket path to listen on; a stale socket file there is removed first, as VPP does. */
  path: string;
  /** Answers everything but memclnt; without one, other messages are dropped as VPP drops unknown IDs. */
  handler?: VppMessageHandler;
  /**
   * The message table, ID → `name_crc` (e.g. a captured one). Default: memclnt at its fixed IDs, then every
   * other definition in `defs`.
   */
  table?: Iterable<readonly [number, string]>;
  /** Definitions by `name_crc`; default: every generated message (vpp-binapi-ts `messagesByNameCrc`). */
  defs?: ReadonlyMap<string, MessageDef>;
  /** Moves every non-memclnt ID up by this much, as a VPP with another plugin set would number them. */
  renumberOffset?: number;
  /** The vpe_pid control_ping_reply reports. */
  vpePid?: number;
  logger?: Logger;
}

/** Counters of what the server saw. */
export interface VppServerStats {
  frames: number;
  /** IDs not in the table, or with no definition: dropped silently. */
  unknown: number;
  /** Shorter than the message's minimum size, or undecodable: dropped silently ("Truncated message"). */
  truncated: number;
  /** Replies not sent because the request's client_index named no registration. */
  misrouted: number;
  /** Messages the handler declined (returned undefined). */
  unhandled: number;
  /** Replies a handler returned that could not be encoded: dropped and logged. */
  badReplies: number;
}

/** One accepted socket and, after sockclnt_create, its registration. */
export interface VppServerSession {
  readonly socket: Socket;
  /** The registration handle, or 0 before sockclnt_create. */
  index: number;
}

interface SessionState extends VppServerSession {
  readonly decoder: FrameDecoder;
  out: Buffer[];
  flushScheduled: boolean;
  closeAfterFlush: boolean;
}

/**
 * VppServer behaves like VPP's socket API on every point a client can observe: framing, the handshake and
 * its message table, replies routed by client_index (a wrong one: the action runs, the reply is dropped),
 * silence for unknown or truncated messages, sockclnt_delete answered with response 1 and then the socket
 * closed. The protected hooks let a test subclass inject faults.
 */
export class VppServer {
  readonly path: string;
  readonly stats: VppServerStats = {
    frames: 0,
    unknown: 0,
    truncated: 0,
    misrouted: 0,
    unhandled: 0,
    badReplies: 0,
  };
  protected readonly log: Logger | undefined;
  private handler: VppMessageHandler | undefined;
  private readonly defs: ReadonlyMap<string, MessageDef>;
  private readonly idByNameCrc = new Map<string, number>();
  private readonly nameCrcById = new Map<number, string>();
  private readonly tableEntries: Array<{ index: number; name: string }> = [];
  private readonly vpePid: number;
  private readonly sessions = new Set<SessionState>();
  private readonly registrations = new Map<number, SessionState>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 1;
  private server: Server | undefined;

  constructor(opts: VppServerOptions) {
    this.path = opts.path;
    this.handler = opts.handler;
    this.defs = opts.defs ?? messagesByNameCrc;
    this.vpePid = opts.vpePid ?? process.pid;
    this.log = opts.logger;
    const offset = opts.renumberOffset ?? 0;
    const table = opts.table ? [...opts.table] : defaultTable(this.defs);
    for (const [id, nameCrc] of table) {
      const n = id > MEMCLNT_LAST_ID ? id + offset : id;
      this.idByNameCrc.set(nameCrc, n);
      this.nameCrcById.set(n, nameCrc);
      this.tableEntries.push({ index: n, name: nameCrc });
    }
  }

  /** How many messages the table announces. */
  get messageCount(): number {
    return this.tableEntries.length;
  }

  /** idOf is this server's ID for a definition (undefined when its table lacks it). */
  idOf(def: Pick<MessageDef, 'nameCrc'>): number | undefined {
    return this.idByNameCrc.get(def.nameCrc);
  }

  /** Connected sockets, registered or not. */
  get connections(): number {
    return this.sessions.size;
  }

  /** The connected sessions, registered or not. */
  sessionList(): VppServerSession[] {
    return [...this.sessions];
  }

  /** setHandler replaces the handler for messages that follow. */
  setHandler(handler: VppMessageHandler | undefined): void {
    this.handler = handler;
  }

  /** listen binds the socket path. */
  async listen(): Promise<void> {
    try {
      unlinkSync(this.path);
    } catch {
      // Nothing stale to remove.
    }
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** close drops every client at once (as a VPP exit does) and removes the socket path. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of [...this.sessions]) s.socket.destroy();
    this.sessions.clear();
    this.registrations.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  /** sendEvent sends an event to one registration (or all), with client_index set to the receiver's. */
  sendEvent(def: MessageDef, value: object, clientIndex?: number): void {
    const id = this.idOf(def);
    if (id === undefined) throw new Error(`${def.nameCrc} is not in this server's message table`);
    for (const s of this.registrations.values()) {
      if (clientIndex !== undefined && s.index !== clientIndex) continue;
      this.deliver(s, def, 0, this.frame(def.encode(id, { ...value, client_index: s.index }), true));
    }
  }

  /** Hook: whether to process an incoming payload at all (a hung VPP reads and ignores). */
  protected accepts(_session: VppServerSession, _payload: Uint8Array): boolean {
    return true;
  }

  /** Hook: queue one encoded reply frame for a session; overriding it can delay or drop replies. */
  protected deliver(session: VppServerSession, _def: MessageDef, _context: number, frame: Buffer): void {
    this.enqueue(session, frame);
  }

  /** Hook: write the bytes gathered in one turn; overriding it can split writes or cut frames. */
  protected writeOut(session: VppServerSession, bytes: Buffer): void {
    session.socket.write(bytes);
  }

  /** enqueue adds a frame to a session's output, written once per turn. */
  protected enqueue(session: VppServerSession, frame: Buffer): void {
    const s = session as SessionState;
    if (s.socket.destroyed) return;
    s.out.push(frame);
    if (!s.flushScheduled) {
      s.flushScheduled = true;
      process.nextTick(() => this.flush(s));
    }
  }

  private flush(s: SessionState): void {
    s.flushScheduled = false;
    if (s.out.length > 0 && !s.socket.destroyed) {
      const bytes = s.out.length === 1 ? (s.out[0] as Buffer) : Buffer.concat(s.out);
      s.out = [];
      this.writeOut(s, bytes);
    }
    if (s.closeAfterFlush) s.socket.end();
  }

  private accept(socket: Socket): void {
    const s: SessionState = {
      socket,
      index: 0,
      decoder: new FrameDecoder(),
      out: [],
      flushScheduled: false,
      closeAfterFlush: false,
    };
    this.sessions.add(s);
    socket.on('data', (chunk: Buffer) => {
      try {
        s.decoder.push(chunk, (payload) => this.onPayload(s, payload));
      } catch (err) {
        this.log?.warn({ err }, 'bad frame from client; closing');
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.drop(s));
  }

  private drop(s: SessionState): void {
    this.sessions.delete(s);
    if (s.index !== 0) this.unregister(s.index);
  }

  private unregister(index: number): void {
    if (this.registrations.delete(index)) this.freeSlots.push(index & ~HANDLE_BIT);
  }

  private onPayload(s: SessionState, payload: Uint8Array): void {
    this.stats.frames++;
    if (!this.accepts(s, payload)) return;
    if (payload.length < 2) {
      this.stats.truncated++;
      return;
    }
    const id = ((payload[0] as number) << 8) | (payload[1] as number);
    if (id === SOCKCLNT_CREATE_ID) {
      this.onCreate(s, payload);
      return;
    }
    const nameCrc = this.nameCrcById.get(id);
    const def = nameCrc === undefined ? undefined : this.defs.get(nameCrc);
    if (def === undefined) {
      this.stats.unknown++;
      return;
    }
    if (payload.length < def.minSize) {
      this.stats.truncated++;
      return;
    }
    let value: Record<string, unknown>;
    try {
      value = def.decode(payload) as Record<string, unknown>;
    } catch {
      this.stats.truncated++;
      return;
    }
    const context = typeof value.context === 'number' ? value.context : 0;
    const clientIndex = typeof value.client_index === 'number' ? value.client_index : 0;
    const target = clientIndex === 0 ? undefined : this.registrations.get(clientIndex);
    const replies = this.answer(def, value, context, clientIndex);
    if (replies === undefined) return;
    if (target === undefined) {
      // VPP runs the handler, then REPLY_MACRO finds no registration and drops the reply (api_helper_macros.h).
      if (replies.length > 0) this.stats.misrouted++;
      return;
    }
    for (const r of replies) {
      const rid = this.idByNameCrc.get(r.def.nameCrc);
      if (rid === undefined) {
        this.log?.warn({ message: r.def.nameCrc }, 'reply not in the message table; dropped');
        continue;
      }
      let payload: Uint8Array;
      try {
        payload = r.def.encode(rid, { ...r.value, context });
      } catch (err) {
        // A handler bug must not take the socket down: the client sees silence and times out.
        this.stats.badReplies++;
        this.log?.error({ err, message: r.def.name }, 'cannot encode reply; dropped');
        continue;
      }
      this.deliver(target, r.def, context, this.frame(payload, true));
    }
    if (def.name === 'sockclnt_delete') this.finishDelete(value.index);
  }

  private answer(
    def: MessageDef,
    value: Record<string, unknown>,
    context: number,
    clientIndex: number,
  ): VppHandlerReply[] | undefined {
    switch (def.name) {
      case 'control_ping':
        return [
          { def: ControlPingReplyDef, value: { retval: 0, client_index: clientIndex, vpe_pid: this.vpePid } },
        ];
      case 'memclnt_keepalive':
        return [{ def: MemclntKeepaliveReplyDef, value: { retval: 0 } }];
      case 'sockclnt_delete':
        // response 1 is success, -1 an unknown index (VPP src/vlibmemory/socket_api.c).
        return [
          {
            def: SockclntDeleteReplyDef,
            value: { response: this.registrations.has(value.index as number) ? 1 : -1 },
          },
        ];
      default: {
        if (!this.handler) {
          this.stats.unhandled++;
          return undefined;
        }
        let replies: VppHandlerReply[] | undefined;
        try {
          replies = this.handler({ def, value, context, clientIndex });
        } catch (err) {
          this.log?.error({ err, message: def.name }, 'handler threw; no reply');
          return [];
        }
        if (replies === undefined) this.stats.unhandled++;
        return replies;
      }
    }
  }

  /** After sockclnt_delete's reply VPP drops the registration and closes its socket. */
  private finishDelete(index: unknown): void {
    if (typeof index !== 'number') return;
    const s = this.registrations.get(index);
    if (!s) return;
    this.unregister(index);
    s.index = 0;
    s.closeAfterFlush = true;
    if (!s.flushScheduled) this.flush(s);
  }

  private onCreate(s: SessionState, payload: Uint8Array): void {
    let req: { context: number };
    try {
      req = SockclntCreateDef.decode(payload) as { context: number };
    } catch {
      this.stats.truncated++;
      return;
    }
    if (s.index !== 0) this.unregister(s.index);
    const slot = this.freeSlots.pop() ?? this.nextSlot++;
    s.index = (HANDLE_BIT | slot) >>> 0;
    this.registrations.set(s.index, s);
    const reply = SockclntCreateReplyDef.encode(SOCKCLNT_CREATE_REPLY_ID, {
      client_index: 0,
      context: req.context,
      response: 0,
      index: s.index,
      count: this.tableEntries.length,
      message_table: this.tableEntries,
    } as never);
    // Observed: the handshake reply's header is all zeros, unlike later replies.
    this.deliver(s, SockclntCreateReplyDef, req.context, this.frame(reply, false));
  }

  private frame(payload: Uint8Array, garbageQ: boolean): Buffer {
    const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
    if (garbageQ) GARBAGE_Q.copy(out, 0);
    else out.fill(0, 0, 8);
    out.writeUInt32BE(payload.length, FRAME_LENGTH_OFFSET);
    out.fill(0, FRAME_LENGTH_OFFSET + 4, FRAME_HEADER_BYTES);
    out.set(payload, FRAME_HEADER_BYTES);
    return out;
  }
}

/** defaultTable numbers memclnt at its fixed IDs, then every other definition in map order. */
function defaultTable(defs: ReadonlyMap<string, MessageDef>): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const memclnt = new Map<string, string>();
  for (const d of defs.values()) if (d.module === 'memclnt') memclnt.set(d.name, d.nameCrc);
  MEMCLNT_ORDER.forEach((name, i) => {
    const nameCrc = memclnt.get(name);
    if (nameCrc !== undefined) out.push([i + 1, nameCrc]);
  });
  let next = MEMCLNT_LAST_ID + 1;
  for (const d of defs.values()) if (d.module !== 'memclnt') out.push([next++, d.nameCrc]);
  return out;
}
