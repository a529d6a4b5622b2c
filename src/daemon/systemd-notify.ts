// sd_notify(3) for maglevd: READY/RELOADING/STATUS/STOPPING/WATCHDOG datagrams to $NOTIFY_SOCKET over libc via koffi.

import { endianness } from 'node:os';
import type Koffi from 'koffi';
import { logEvent } from '../log/events.js';
import type { Logger } from '../log/logger.js';
import { loadLibc } from '../util/libc.js';

// Node has no unix datagram sockets, so the few libc calls sd_notify needs go through koffi (prebuilt, no
// compiler or libsystemd-dev on the router). Constants are Linux's generic ABI values (x86_64, arm64, arm,
// riscv64: include/linux/net.h, include/linux/socket.h, asm-generic/fcntl.h, uapi/linux/time.h).
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const CLOCK_MONOTONIC = 1;
/** sizeof(sun_path) in struct sockaddr_un (include/uapi/linux/un.h). */
const SUN_PATH_MAX = 108;
/** offsetof(struct sockaddr_un, sun_path): sa_family_t is 16 bits. */
const SUN_PATH_OFFSET = 2;

interface Libc {
  koffi: typeof Koffi;
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrLen: number): number;
  close(fd: number): number;
  clockGettime(clock: number, ts: Buffer): number;
}

let libcCache: Libc | Error | undefined;

/** libc loads libc once; a failure (e.g. a libc without `libc.so.6`) is kept as a value, never thrown. */
function libc(): Libc | Error {
  if (libcCache !== undefined) return libcCache;
  // Loaded on first use, not at import: a daemon without NOTIFY_SOCKET never touches the native library.
  const c = loadLibc();
  if (c instanceof Error) {
    libcCache = c;
    return c;
  }
  const { koffi, lib } = c;
  try {
    const socket = lib.func('int socket(int, int, int)');
    const sendto = lib.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)');
    const close = lib.func('int close(int)');
    const clockGettime = lib.func('int clock_gettime(int, void *)');
    libcCache = {
      koffi,
      socket: (d, t, p) => socket(d, t, p) as number,
      sendto: (fd, buf, len, flags, addr, addrLen) => Number(sendto(fd, buf, len, flags, addr, addrLen)),
      close: (fd) => close(fd) as number,
      clockGettime: (clock, ts) => clockGettime(clock, ts) as number,
    };
  } catch (e) {
    libcCache = new Error(`cannot bind libc through koffi: ${e instanceof Error ? e.message : String(e)}`);
  }
  return libcCache;
}

function errnoText(c: Libc): string {
  const n = c.koffi.errno();
  const name = Object.entries(c.koffi.os.errno).find(([, v]) => v === n)?.[0];
  return name === undefined ? `errno ${n}` : `${name} (${n})`;
}

/**
 * notifySocketAddress builds the exact `struct sockaddr_un` for a NOTIFY_SOCKET value: a path (absolute, or
 * relative as systemd allows) with its trailing NUL, or an abstract name written `@name`, whose `@` becomes
 * the leading NUL and whose length counts no trailing NUL (abstract names are length-delimited).
 */
export function notifySocketAddress(value: string): Buffer | Error {
  if (value === '') return new Error('NOTIFY_SOCKET is empty');
  const abstract = value.startsWith('@');
  const name = Buffer.from(abstract ? value.slice(1) : value, 'utf8');
  if (name.includes(0)) return new Error('NOTIFY_SOCKET contains a NUL byte');
  // A path needs room for its NUL; an abstract name for the leading NUL.
  if (name.length + 1 > SUN_PATH_MAX) {
    return new Error(`NOTIFY_SOCKET is ${name.length} bytes; at most ${SUN_PATH_MAX - 1} fit in sun_path`);
  }
  const addr = Buffer.alloc(SUN_PATH_OFFSET + name.length + 1);
  if (endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  if (abstract) name.copy(addr, SUN_PATH_OFFSET + 1);
  else name.copy(addr, SUN_PATH_OFFSET);
  return addr;
}

/**
 * monotonicMicros reads CLOCK_MONOTONIC in microseconds, the clock systemd compares MONOTONIC_USEC against.
 * Read through clock_gettime itself rather than trusting another clock to be the same one.
 */
export function monotonicMicros(): bigint | Error {
  const c = libc();
  if (c instanceof Error) return c;
  // struct timespec on LP64 Linux: int64 tv_sec, long tv_nsec.
  const ts = Buffer.alloc(16);
  if (c.clockGettime(CLOCK_MONOTONIC, ts) !== 0) return new Error(`clock_gettime: ${errnoText(c)}`);
  const sec = endianness() === 'LE' ? ts.readBigInt64LE(0) : ts.readBigInt64BE(0);
  const nsec = endianness() === 'LE' ? ts.readBigInt64LE(8) : ts.readBigInt64BE(8);
  return sec * 1_000_000n + nsec / 1000n;
}

/** The outcome of one notification: a value, never an exception. `sent: false` with no error = disabled. */
export type NotifyResult = { ok: true; sent: boolean } | { ok: false; error: string };

export interface WatchdogOptions {
  /**
   * The largest lateness of the watchdog timer (ms) still counted as a responsive event loop; default a
   * quarter of WATCHDOG_USEC, so a loop that stalls that long skips the ping and systemd sees it late.
   */
  maxLagMs?: number;
  /** Extra liveness condition checked before each ping (e.g. "the sync worker is not wedged"). */
  healthy?: () => boolean;
  /** Monotonic milliseconds; tests inject a fake clock. */
  now?: () => number;
}

export interface Watchdog {
  /** The ping period: half of WATCHDOG_USEC, in ms. */
  readonly intervalMs: number;
  /** Pings skipped because the loop was late or `healthy()` said no. */
  readonly skipped: number;
  stop(): void;
}

/** Notifier speaks to systemd. Every method is a no-op returning `{ ok: true, sent: false }` without NOTIFY_SOCKET. */
export interface Notifier {
  /** True when NOTIFY_SOCKET is set (we run under Type=notify). */
  readonly enabled: boolean;
  /** WATCHDOG_USEC in µs when systemd expects pings from this process, otherwise undefined. */
  readonly watchdogUsec: number | undefined;
  /** READY=1, with an optional STATUS line: startup or a reload is complete. */
  ready(status?: string): NotifyResult;
  /** RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC µs), then call ready() when the reload ends. */
  reloading(status?: string): NotifyResult;
  /** STATUS=<one line>, shown by `systemctl status`. Newlines are folded to spaces. */
  status(text: string): NotifyResult;
  /** STOPPING=1: graceful shutdown has begun. */
  stopping(status?: string): NotifyResult;
  /** One WATCHDOG=1. */
  watchdogPing(): NotifyResult;
  /**
   * startWatchdog pings every WATCHDOG_USEC/2 while the event loop keeps up; undefined when systemd asked for no
   * watchdog (or asked it of another pid). The timer is unref'd: it never keeps the process alive.
   */
  startWatchdog(opts?: WatchdogOptions): Watchdog | undefined;
  /** Sends raw `KEY=VALUE` lines; for messages the helpers above do not cover. */
  send(lines: readonly string[]): NotifyResult;
  /** Closes the socket and stops the watchdog; later calls are no-ops. */
  close(): void;
}

export interface NotifierOptions {
  /** Environment to read NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID from; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Our pid, compared with WATCHDOG_PID; default process.pid. */
  pid?: number;
  /** Failures are logged here at warn, once per run of failures (a broken socket does not flood the journal). */
  logger?: Logger;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

function parseWatchdog(env: Readonly<Record<string, string | undefined>>, pid: number): number | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^[0-9]+$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return undefined;
  return usec;
}

/** createNotifier reads the environment once; the socket is opened on first use and kept. */
export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const pid = opts.pid ?? process.pid;
  const logger = opts.logger;
  const socketValue = env.NOTIFY_SOCKET ?? '';
  const enabled = socketValue !== '';
  const watchdogUsec = enabled ? parseWatchdog(env, pid) : undefined;
  let fd = -1;
  let closed = false;
  let failing = false;
  let watchdog: Watchdog | undefined;

  const fail = (error: string): NotifyResult => {
    if (!failing && logger !== undefined) logEvent(logger, 'sd-notify-error', { socket: socketValue, error });
    failing = true;
    return { ok: false, error };
  };

  const send = (lines: readonly string[]): NotifyResult => {
    if (!enabled || closed) return { ok: true, sent: false };
    const addr = notifySocketAddress(socketValue);
    if (addr instanceof Error) return fail(addr.message);
    const c = libc();
    if (c instanceof Error) return fail(c.message);
    if (fd < 0) {
      // Non-blocking: a full receive queue at systemd must cost one lost datagram, never a stalled loop.
      fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) return fail(`socket(AF_UNIX, SOCK_DGRAM): ${errnoText(c)}`);
    }
    const msg = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    const n = c.sendto(fd, msg, msg.length, MSG_NOSIGNAL, addr, addr.length);
    if (n < 0) return fail(`sendto ${socketValue}: ${errnoText(c)}`);
    if (n !== msg.length) return fail(`sendto ${socketValue}: short write ${n} of ${msg.length} bytes`);
    failing = false;
    return { ok: true, sent: true };
  };

  const withStatus = (lines: string[], status: string | undefined): string[] =>
    status === undefined ? lines : [...lines, `STATUS=${oneLine(status)}`];

  const notifier: Notifier = {
    enabled,
    watchdogUsec,
    ready: (status) => send(withStatus(['READY=1'], status)),
    reloading: (status) => {
      if (!enabled || closed) return { ok: true, sent: false };
      const usec = monotonicMicros();
      if (usec instanceof Error) return fail(usec.message);
      return send(withStatus(['RELOADING=1', `MONOTONIC_USEC=${usec}`], status));
    },
    status: (text) => send([`STATUS=${oneLine(text)}`]),
    stopping: (status) => send(withStatus(['STOPPING=1'], status)),
    watchdogPing: () => send(['WATCHDOG=1']),
    send,
    startWatchdog: (wopts = {}) => {
      if (watchdogUsec === undefined || closed) return undefined;
      watchdog?.stop();
      watchdog = startWatchdogTimer(watchdogUsec, () => send(['WATCHDOG=1']), wopts);
      return watchdog;
    },
    close: () => {
      watchdog?.stop();
      watchdog = undefined;
      closed = true;
      if (fd >= 0) {
        const c = libc();
        if (!(c instanceof Error)) c.close(fd);
        fd = -1;
      }
    },
  };
  return notifier;
}

function startWatchdogTimer(usec: number, ping: () => NotifyResult, opts: WatchdogOptions): Watchdog {
  const intervalMs = Math.max(1, Math.floor(usec / 2000));
  const maxLagMs = opts.maxLagMs ?? Math.max(1, Math.floor(usec / 4000));
  const now = opts.now ?? (() => performance.now());
  let timer: NodeJS.Timeout | undefined;
  let skipped = 0;
  let stopped = false;

  const schedule = (): void => {
    const due = now() + intervalMs;
    timer = setTimeout(() => tick(due), intervalMs);
    timer.unref();
  };
  // A timer that fires much later than due means the loop was blocked: that ping is withheld, so a loop that
  // stays sluggish runs out of pings and systemd restarts us, while a single ping after a stall still proves
  // nothing about the next one. The next timer is due from now, not from the missed deadline (no catch-up burst).
  const tick = (due: number): void => {
    if (stopped) return;
    const lateMs = now() - due;
    if (lateMs <= maxLagMs && (opts.healthy?.() ?? true)) ping();
    else skipped++;
    schedule();
  };
  ping();
  schedule();
  return {
    intervalMs,
    get skipped() {
      return skipped;
    },
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
