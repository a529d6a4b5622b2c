// Unprivileged ICMP echo over Linux ping sockets: one socket per family and source, replies matched by sequence.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { IpAddress } from '../model/address.js';
import { loadLibc } from '../util/libc.js';
import type { CancelSignal } from './cancel.js';

// Linux constants (include/linux/socket.h, include/uapi/linux/in.h, in6.h; asm-generic/socket_type values
// for SOCK_NONBLOCK/SOCK_CLOEXEC, which hold on x86 and arm, not on mips/sparc/alpha).
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const EACCES = 13;
// Echo types: RFC 792 (v4: request 8, reply 0), RFC 4443 (v6: request 128, reply 129).
const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
const ECHO_REPLY = { 4: 0, 6: 129 } as const;

/** SEND_BURST bounds sends per event-loop turn: a burst of 1000 overflowed the receive buffer in trials. */
export const SEND_BURST = 32;
/** RECV_BUFFER_BYTES is asked for (the kernel caps it at net.core.rmem_max). */
const RECV_BUFFER_BYTES = 1 << 20;
/** A socket that could not be opened is not retried for this long (the reason is cached). */
const OPEN_RETRY_MS = 5000;
const PAYLOAD = Buffer.from('maglevd-echo....', 'latin1'); // 16 bytes, easy to spot in a capture

interface Ffi {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  close(fd: number): number;
  errno(): number;
}

let ffi: Ffi | { error: string } | undefined;

function loadFfi(): Ffi | { error: string } {
  if (ffi) return ffi;
  if (process.platform !== 'linux') {
    ffi = { error: `unprivileged ICMP sockets need Linux (this is ${process.platform})` };
    return ffi;
  }
  // Loaded lazily so a checker without icmp healthchecks never touches native code.
  const c = loadLibc();
  if (c instanceof Error) {
    ffi = { error: `cannot call socket(2): ${c.message}` };
    return ffi;
  }
  try {
    const socket = c.lib.func('int socket(int, int, int)');
    const bind = c.lib.func('int bind(int, void *, uint32_t)');
    const close = c.lib.func('int close(int)');
    ffi = {
      socket: (d, t, p) => socket(d, t, p) as number,
      bind: (fd, a, l) => bind(fd, a, l) as number,
      close: (fd) => close(fd) as number,
      errno: () => c.koffi.errno(),
    };
  } catch (e) {
    ffi = { error: `cannot call socket(2) through koffi: ${e instanceof Error ? e.message : String(e)}` };
  }
  return ffi;
}

function sockaddr(a: IpAddress): Buffer {
  if (a.family === 4) {
    const b = Buffer.alloc(16); // struct sockaddr_in
    b.writeUInt16LE(AF_INET, 0); // sa_family_t is host order; every Linux target node supports is LE
    b.set(a.bytes, 4);
    return b;
  }
  const b = Buffer.alloc(28); // struct sockaddr_in6
  b.writeUInt16LE(AF_INET6, 0);
  b.set(a.bytes, 8);
  return b;
}

function pingGroupRangeText(): string {
  try {
    const range = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().replace(/\s+/, ' ');
    const gid = typeof process.getgid === 'function' ? process.getgid() : -1;
    return `net.ipv4.ping_group_range is "${range}", which does not include gid ${gid}; allow it with sysctl -w net.ipv4.ping_group_range="${gid} ${gid}" (or a range holding the daemon's group)`;
  } catch {
    return 'net.ipv4.ping_group_range does not allow this process';
  }
}

/** PingOutcome is one echo's fate: a reply, no reply in time, a send error, or a configuration problem. */
export type PingOutcome =
  | { readonly kind: 'reply'; readonly rttMs: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'error'; readonly detail: string };

interface Pending {
  readonly seq: number;
  readonly dest: IpAddress;
  readonly resolve: (o: PingOutcome) => void;
  readonly signal: CancelSignal;
  readonly onAbort: () => void;
  sentNs: bigint;
  sent: boolean;
}

/** IcmpSocket is one ping socket (family + optional source) shared by every icmp probe that matches it. */
export class IcmpSocket {
  private readonly sock: DgramSocket;
  private readonly pending = new Map<number, Pending>();
  private readonly sendQueue: Pending[] = [];
  private sendHead = 0;
  private draining = false;
  private nextSeq = Math.floor(Math.random() * 0x10000);
  private closed = false;
  /** Replies that matched no outstanding echo (late, duplicated, or from another address). */
  unmatchedReplies = 0;

  private constructor(
    readonly family: 4 | 6,
    fd: number,
    private readonly onBroken: (s: IcmpSocket) => void,
  ) {
    this.sock = createSocket(family === 4 ? 'udp4' : 'udp6');
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address));
    this.sock.on('error', (e) => this.fail(`ICMP socket error: ${e.message}`));
    this.sock.once('listening', () => {
      try {
        this.sock.setRecvBufferSize(RECV_BUFFER_BYTES);
      } catch {
        // A smaller buffer still works; sends are paced to keep it from overflowing.
      }
    });
    // node's dgram adopts the descriptor (libuv uv_udp_open; 'listening' fires synchronously) and from
    // here owns and closes it.
    this.sock.bind({ fd });
    this.sock.unref(); // an idle ping socket must not keep the process alive
  }

  /** open creates the socket, or explains (for an L4CFG result) why the host does not allow it. */
  static open(
    family: 4 | 6,
    source: IpAddress | undefined,
    onBroken: (s: IcmpSocket) => void = () => {},
  ): IcmpSocket | { error: string } {
    const f = loadFfi();
    if ('error' in f) return f;
    const fd = f.socket(
      family === 4 ? AF_INET : AF_INET6,
      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
      family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
    );
    if (fd < 0) {
      const errno = f.errno();
      if (errno === EACCES)
        return { error: `unprivileged ICMP sockets are not allowed: ${pingGroupRangeText()}` };
      return { error: `socket(AF_INET${family === 6 ? '6' : ''}, SOCK_DGRAM, ICMP) failed, errno ${errno}` };
    }
    if (source !== undefined) {
      const sa = sockaddr(source);
      if (f.bind(fd, sa, sa.length) !== 0) {
        const errno = f.errno();
        f.close(fd);
        return {
          error: `cannot bind ICMP source address ${source.text} (errno ${errno}): is it on this host?`,
        };
      }
    }
    try {
      return new IcmpSocket(family, fd, onBroken);
    } catch (e) {
      f.close(fd);
      return { error: `node could not adopt the ICMP socket: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** outstanding is how many echoes await a reply (bounded by the checker's max-concurrent-probes). */
  get outstanding(): number {
    return this.pending.size;
  }

  /** ping sends one echo request to `dest` and settles on its reply, on abort (timeout), or on an error. */
  ping(dest: IpAddress, signal: CancelSignal): Promise<PingOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'error', detail: 'ICMP socket closed' });
    if (signal.aborted) return Promise.resolve({ kind: 'timeout' });
    const seq = this.allocSeq();
    if (seq < 0) return Promise.resolve({ kind: 'error', detail: 'all 65536 ICMP sequence numbers in use' });
    return new Promise<PingOutcome>((resolve) => {
      const onAbort = (): void => this.settle(seq, { kind: 'timeout' });
      const p: Pending = { seq, dest, resolve, signal, onAbort, sentNs: 0n, sent: false };
      this.pending.set(seq, p);
      if (this.pending.size === 1) this.sock.ref(); // an outstanding echo keeps the process alive
      signal.addEventListener('abort', onAbort, { once: true });
      this.sendQueue.push(p);
      this.scheduleDrain();
    });
  }

  /** close fails every outstanding echo and releases the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll('ICMP socket closed');
    this.sock.close();
  }

  private allocSeq(): number {
    for (let i = 0; i < 0x10000; i++) {
      const s = this.nextSeq;
      this.nextSeq = (this.nextSeq + 1) & 0xffff;
      if (!this.pending.has(s)) return s;
    }
    return -1;
  }

  private scheduleDrain(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drain());
  }

  // Sends at most SEND_BURST per turn, so replies are read between bursts instead of piling up.
  private drain(): void {
    this.draining = false;
    let n = 0;
    while (this.sendHead < this.sendQueue.length && n < SEND_BURST) {
      const p = this.sendQueue[this.sendHead++] as Pending;
      if (this.pending.get(p.seq) !== p) continue; // aborted while queued
      n++;
      this.send(p);
    }
    if (this.sendHead >= this.sendQueue.length) {
      this.sendQueue.length = 0;
      this.sendHead = 0;
    } else {
      if (this.sendHead > 1024) {
        this.sendQueue.splice(0, this.sendHead);
        this.sendHead = 0;
      }
      this.scheduleDrain();
    }
  }

  private send(p: Pending): void {
    const msg = Buffer.alloc(8 + PAYLOAD.length);
    msg[0] = ECHO_REQUEST[this.family];
    // Code 0; checksum and identifier are filled in by the kernel for ping sockets (net/ipv4/ping.c).
    msg.writeUInt16BE(p.seq, 6);
    PAYLOAD.copy(msg, 8);
    p.sentNs = process.hrtime.bigint();
    p.sent = true;
    // The port is ignored by ping sockets, but node insists on one in 1..65535.
    this.sock.send(msg, 1, p.dest.text, (err) => {
      if (err)
        this.settle(
          p.seq,
          { kind: 'error', detail: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() },
          p,
        );
    });
  }

  private onMessage(msg: Buffer, from: string): void {
    if (msg.length < 8 || msg[0] !== ECHO_REPLY[this.family]) return;
    const seq = msg.readUInt16BE(6);
    const p = this.pending.get(seq);
    if (!p?.sent || p.dest.text !== from) {
      this.unmatchedReplies++;
      return;
    }
    const rttMs = Number(process.hrtime.bigint() - p.sentNs) / 1e6;
    this.settle(seq, { kind: 'reply', rttMs }, p);
  }

  private settle(seq: number, outcome: PingOutcome, only?: Pending): void {
    const p = this.pending.get(seq);
    if (!p || (only && p !== only)) return;
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.closed) this.sock.unref();
    p.signal.removeEventListener('abort', p.onAbort);
    p.resolve(outcome);
  }

  private failAll(detail: string): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, { kind: 'error', detail });
  }

  // A socket error ends this socket: its echoes fail now, and the pool opens a fresh one on the next probe.
  private fail(detail: string): void {
    this.failAll(detail);
    if (!this.closed) this.onBroken(this);
  }
}

/** IcmpSocketPool hands out one socket per (family, source); a failure to open is cached briefly. */
export class IcmpSocketPool {
  private readonly sockets = new Map<string, IcmpSocket>();
  private readonly failures = new Map<string, { error: string; until: number }>();

  /** get returns the shared socket for a family and source, or why it cannot exist. */
  get(family: 4 | 6, source: IpAddress | undefined): IcmpSocket | { error: string } {
    const key = `${family}/${source?.text ?? '*'}`;
    const s = this.sockets.get(key);
    if (s) return s;
    const failed = this.failures.get(key);
    const now = Date.now();
    if (failed && failed.until > now) return { error: failed.error };
    const opened = IcmpSocket.open(family, source, (broken) => {
      if (this.sockets.get(key) === broken) this.sockets.delete(key);
      broken.close();
    });
    if ('error' in opened) {
      this.failures.set(key, { error: opened.error, until: now + OPEN_RETRY_MS });
      return opened;
    }
    this.failures.delete(key);
    this.sockets.set(key, opened);
    return opened;
  }

  /** closeAll releases every socket (daemon shutdown, tests). */
  closeAll(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    this.failures.clear();
  }
}
