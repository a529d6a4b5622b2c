// sd_notify against a real unix datagram socket standing in for systemd: path and abstract names, every message.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNotifier, monotonicMicros, notifySocketAddress } from '../../src/daemon/systemd-notify.js';
import { createLogger } from '../../src/log/logger.js';
import { bindFakeNotifySocket, type FakeNotifySocket } from '../fakes/notify-socket.js';

const opened: FakeNotifySocket[] = [];
function fake(kind: 'path' | 'abstract'): FakeNotifySocket {
  const s = bindFakeNotifySocket(kind);
  opened.push(s);
  return s;
}

afterEach(() => {
  vi.useRealTimers();
  for (const s of opened.splice(0)) s.close();
});

describe('systemd notify', () => {
  it('is a no-op without NOTIFY_SOCKET', () => {
    const n = createNotifier({ env: { WATCHDOG_USEC: '1000000' } });
    expect(n.enabled).toBe(false);
    expect(n.ready('up')).toEqual({ ok: true, sent: false });
    expect(n.reloading()).toEqual({ ok: true, sent: false });
    expect(n.startWatchdog()).toBeUndefined();
    n.close();
  });

  for (const kind of ['path', 'abstract'] as const) {
    it(`delivers READY with STATUS to a ${kind} socket`, () => {
      const s = fake(kind);
      if (kind === 'path') expect(statSync(s.notifySocket).isSocket()).toBe(true);
      else expect(readFileSync('/proc/net/unix', 'utf8')).toContain(` ${s.notifySocket}\n`);
      const n = createNotifier({ env: { NOTIFY_SOCKET: s.notifySocket } });
      expect(n.enabled).toBe(true);
      expect(n.ready('3 frontends up, 0 down; VPP connected')).toEqual({ ok: true, sent: true });
      expect(s.drain()).toEqual(['READY=1\nSTATUS=3 frontends up, 0 down; VPP connected\n']);
      n.close();
    });
  }

  it('sends STATUS as one line, STOPPING, and nothing after close', () => {
    const s = fake('abstract');
    const n = createNotifier({ env: { NOTIFY_SOCKET: s.notifySocket } });
    n.status('VPP disconnected\nreconnecting');
    n.stopping('shutting down');
    n.close();
    expect(n.ready()).toEqual({ ok: true, sent: false });
    expect(s.drain()).toEqual([
      'STATUS=VPP disconnected reconnecting\n',
      'STOPPING=1\nSTATUS=shutting down\n',
    ]);
  });

  it('brackets a reload with RELOADING=1 + MONOTONIC_USEC (CLOCK_MONOTONIC) and READY=1', () => {
    const s = fake('path');
    const n = createNotifier({ env: { NOTIFY_SOCKET: s.notifySocket } });
    // process.hrtime is CLOCK_MONOTONIC on Linux (libuv): a reading by clock_gettime must fall between two of it.
    const before = process.hrtime.bigint() / 1000n;
    n.reloading('reloading configuration');
    const after = process.hrtime.bigint() / 1000n;
    n.ready('config generation 2');
    const [reload, ready, ...rest] = s.drain();
    expect(rest).toEqual([]);
    const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=reloading configuration\n$/.exec(reload ?? '');
    expect(m).not.toBeNull();
    const usec = BigInt(m?.[1] ?? '0');
    expect(usec >= before && usec <= after).toBe(true);
    expect(ready).toBe('READY=1\nSTATUS=config generation 2\n');
    n.close();
  });

  it('reads CLOCK_MONOTONIC: seconds since boot, never ahead of /proc/uptime (CLOCK_BOOTTIME)', () => {
    const usec = monotonicMicros();
    const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(typeof usec).toBe('bigint');
    // /proc/uptime is truncated to 1/100 s; monotonic excludes suspend, so it can only be behind it.
    expect(Number(usec) / 1e6).toBeLessThanOrEqual(uptimeS + 0.01);
    expect(Number(usec)).toBeGreaterThan(0);
  });

  it('pings WATCHDOG=1 at half of WATCHDOG_USEC while the loop keeps up, and stops when it stalls', () => {
    vi.useFakeTimers();
    const s = fake('abstract');
    const n = createNotifier({
      env: { NOTIFY_SOCKET: s.notifySocket, WATCHDOG_USEC: '2000000', WATCHDOG_PID: String(process.pid) },
    });
    expect(n.watchdogUsec).toBe(2_000_000);
    const w = n.startWatchdog({ now: () => Date.now() });
    expect(w?.intervalMs).toBe(1000);
    expect(s.drain()).toEqual(['WATCHDOG=1\n']);
    vi.advanceTimersByTime(999);
    expect(s.drain()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(s.drain()).toEqual(['WATCHDOG=1\n']);
    vi.advanceTimersByTime(3000);
    expect(s.drain()).toEqual(['WATCHDOG=1\n', 'WATCHDOG=1\n', 'WATCHDOG=1\n']);

    // A stalled loop: wall time moves 4 s while no timer could run; the late tick withholds its ping.
    vi.setSystemTime(Date.now() + 4000);
    vi.advanceTimersByTime(1000);
    expect(s.drain()).toEqual([]);
    expect(w?.skipped).toBe(1);
    // Responsive again: pings resume on the next on-time tick, without a catch-up burst.
    vi.advanceTimersByTime(1000);
    expect(s.drain()).toEqual(['WATCHDOG=1\n']);

    w?.stop();
    vi.advanceTimersByTime(10_000);
    expect(s.drain()).toEqual([]);
    n.close();
  });

  it('withholds pings while the daemon reports itself unhealthy', () => {
    vi.useFakeTimers();
    const s = fake('path');
    let healthy = true;
    const n = createNotifier({ env: { NOTIFY_SOCKET: s.notifySocket, WATCHDOG_USEC: '1000000' } });
    n.startWatchdog({ now: () => Date.now(), healthy: () => healthy });
    s.drain();
    healthy = false;
    vi.advanceTimersByTime(2000);
    expect(s.drain()).toEqual([]);
    healthy = true;
    vi.advanceTimersByTime(500);
    expect(s.drain()).toEqual(['WATCHDOG=1\n']);
    n.close();
  });

  it('leaves the watchdog to another process when WATCHDOG_PID names it, or when none is asked', () => {
    const s = fake('path');
    const other = createNotifier({
      env: { NOTIFY_SOCKET: s.notifySocket, WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid + 1) },
    });
    expect(other.watchdogUsec).toBeUndefined();
    expect(other.startWatchdog()).toBeUndefined();
    const none = createNotifier({ env: { NOTIFY_SOCKET: s.notifySocket } });
    expect(none.startWatchdog()).toBeUndefined();
    expect(s.drain()).toEqual([]);
    other.close();
    none.close();
  });

  it('returns an error value, logs it once, and never throws when the socket is gone', () => {
    const lines: string[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    });
    const n = createNotifier({ env: { NOTIFY_SOCKET: '/nonexistent/maglevd-notify.sock' }, logger });
    const r = n.ready();
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toContain('ENOENT');
    n.status('again');
    n.stopping();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 'warn', event: 'sd-notify-error' });
    n.close();
  });

  it('builds the exact sockaddr_un: path with its NUL, abstract with a leading NUL and no trailing one', () => {
    const p = notifySocketAddress('/run/systemd/notify');
    expect(p).toBeInstanceOf(Buffer);
    expect((p as Buffer).length).toBe(2 + '/run/systemd/notify'.length + 1);
    expect((p as Buffer).subarray(2).toString('latin1')).toBe('/run/systemd/notify\0');
    const a = notifySocketAddress('@sd-notify/1');
    expect((a as Buffer).length).toBe(2 + 1 + 'sd-notify/1'.length);
    expect((a as Buffer).subarray(2).toString('latin1')).toBe('\0sd-notify/1');
    expect(notifySocketAddress(`/${'x'.repeat(107)}`)).toBeInstanceOf(Error);
    expect(notifySocketAddress(`@${'x'.repeat(107)}`)).toBeInstanceOf(Buffer);
    expect(notifySocketAddress('')).toBeInstanceOf(Error);
  });

  it('works as systemd runs it: a child process reading NOTIFY_SOCKET and WATCHDOG_PID from its environment', () => {
    const s = fake('abstract');
    const module = new URL('../../src/daemon/systemd-notify.ts', import.meta.url).pathname;
    const script = [
      `import { createNotifier } from ${JSON.stringify(module)};`,
      'const n = createNotifier();',
      "n.ready('started');",
      'const w = n.startWatchdog();',
      'w?.stop();',
      'n.stopping();',
      'n.close();',
    ].join('\n');
    // `exec` keeps the shell's pid, so WATCHDOG_PID=$$ names the node process, as systemd's MAINPID would.
    const r = spawnSync(
      'sh',
      ['-c', `WATCHDOG_PID=$$ exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, script],
      { env: { ...process.env, NOTIFY_SOCKET: s.notifySocket, WATCHDOG_USEC: '30000000' }, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(s.drain()).toEqual(['READY=1\nSTATUS=started\n', 'WATCHDOG=1\n', 'STOPPING=1\n']);
  });
});
