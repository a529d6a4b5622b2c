// A fake VPP for tests: the sim VPP server on a temp socket, plus fault injection and a log of what clients sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import {
  type VppMessageHandler,
  VppServer,
  type VppServerOptions,
  type VppServerSession,
} from '../../src/sim/vpp-server.js';

/** One frame a client sent, as received. */
export interface ReceivedFrame {
  readonly msgId: number;
  readonly payload: Buffer;
}

export interface FakeVppOptions extends Omit<VppServerOptions, 'path'> {
  /** Socket path; default: a fresh temp directory's `api.sock`. */
  path?: string;
}

interface ReplyRule {
  readonly name: string;
  remaining: number;
  readonly action: { kind: 'delay'; ms: number } | { kind: 'drop' } | { kind: 'cut' };
}

/**
 * FakeVppServer is VppServer with test hooks: rules per reply name (delay, drop, cut mid-frame and close),
 * 1-byte writes, garbage, hanging (read everything, answer nothing), and a record of received frames.
 */
class FakeVppServer extends VppServer {
  readonly received: ReceivedFrame[] = [];
  rules: ReplyRule[] = [];
  hanging = false;
  oneByteWrites = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  protected override accepts(_session: VppServerSession, payload: Uint8Array): boolean {
    if (payload.length >= 2) {
      this.received.push({
        msgId: ((payload[0] as number) << 8) | (payload[1] as number),
        payload: Buffer.from(payload),
      });
    }
    return !this.hanging;
  }

  protected override deliver(
    session: VppServerSession,
    def: MessageDef,
    context: number,
    frame: Buffer,
  ): void {
    const rule = this.rules.find((r) => r.name === def.name && r.remaining > 0);
    if (rule === undefined) {
      super.deliver(session, def, context, frame);
      return;
    }
    rule.remaining--;
    switch (rule.action.kind) {
      case 'drop':
        return;
      case 'delay': {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.enqueue(session, frame);
        }, rule.action.ms);
        this.timers.add(t);
        return;
      }
      case 'cut':
        // Half a frame, then the socket goes away: what a crashing VPP leaves behind.
        session.socket.write(frame.subarray(0, Math.max(1, frame.length >> 1)), () =>
          session.socket.destroy(),
        );
        return;
    }
  }

  protected override writeOut(session: VppServerSession, bytes: Buffer): void {
    if (!this.oneByteWrites) {
      super.writeOut(session, bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i++) session.socket.write(bytes.subarray(i, i + 1));
  }

  /** writeRaw sends bytes to every connected client as they are. */
  writeRaw(bytes: Buffer, sessions: Iterable<VppServerSession>): void {
    for (const s of sessions) s.socket.write(bytes);
  }

  override async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await super.close();
  }
}

/**
 * FakeVpp runs a {@link VppServer} on a temp unix socket and can restart it on the same path (optionally
 * with renumbered message IDs, as a VPP with another plugin set), keeping the fault settings.
 */
export class FakeVpp {
  readonly path: string;
  private readonly dir: string | undefined;
  private opts: FakeVppOptions;
  private server: FakeVppServer;
  private handler: VppMessageHandler | undefined;

  private constructor(opts: FakeVppOptions) {
    if (opts.path) {
      this.path = opts.path;
    } else {
      this.dir = mkdtempSync(join(tmpdir(), 'fake-vpp-'));
      this.path = join(this.dir, 'api.sock');
    }
    this.opts = opts;
    this.handler = opts.handler;
    this.server = this.make();
  }

  /** start listens and resolves once clients can connect. */
  static async start(opts: FakeVppOptions = {}): Promise<FakeVpp> {
    const f = new FakeVpp(opts);
    await f.server.listen();
    return f;
  }

  private make(): FakeVppServer {
    return new FakeVppServer({ ...this.opts, handler: this.handler, path: this.path });
  }

  /** The running server (its stats, IDs and sessions). */
  get vpp(): VppServer {
    return this.server;
  }

  /** Frames received since the last (re)start, in order. */
  get received(): readonly ReceivedFrame[] {
    return this.server.received;
  }

  /** idOf is the current ID of a message. */
  idOf(def: MessageDef): number {
    const id = this.server.idOf(def);
    if (id === undefined) throw new Error(`${def.nameCrc} not in the fake's table`);
    return id;
  }

  setHandler(handler: VppMessageHandler | undefined): void {
    this.handler = handler;
    this.server.setHandler(handler);
  }

  /** delayReplies holds the next `count` replies named `name` for `ms` before sending them. */
  delayReplies(name: string, ms: number, count = Number.POSITIVE_INFINITY): void {
    this.server.rules.push({ name, remaining: count, action: { kind: 'delay', ms } });
  }

  /** dropReplies never sends the next `count` replies named `name`. */
  dropReplies(name: string, count = Number.POSITIVE_INFINITY): void {
    this.server.rules.push({ name, remaining: count, action: { kind: 'drop' } });
  }

  /** closeMidFrame sends half of the next reply named `name`, then closes that client's socket. */
  closeMidFrame(name: string): void {
    this.server.rules.push({ name, remaining: 1, action: { kind: 'cut' } });
  }

  /** oneByteWrites splits every later write into 1-byte writes. */
  oneByteWrites(on = true): void {
    this.server.oneByteWrites = on;
  }

  /** hang makes the fake read and ignore everything, like a VPP stuck in a long operation. */
  hang(on = true): void {
    this.server.hanging = on;
  }

  /** sendGarbage writes `bytes` (default: a header announcing a 2 GB frame) to every connected client. */
  sendGarbage(bytes: Buffer = Buffer.from('deadbeefdeadbeef7fffffff00000000', 'hex')): void {
    this.server.writeRaw(bytes, this.server.sessionList());
  }

  /**
   * restart drops every client and the socket path, then listens again, like a VPP restart; `changes`
   * (e.g. `{ renumberOffset: 7 }`) apply to the new instance. Fault rules are cleared.
   */
  async restart(changes: Partial<FakeVppOptions> = {}, downMs = 0): Promise<void> {
    await this.server.close();
    this.opts = { ...this.opts, ...changes };
    this.server = this.make();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.server.listen();
  }

  /** stop closes the server and removes its temp directory. */
  async stop(): Promise<void> {
    await this.server.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
