// The icmp probe to 127.0.0.1 and ::1, or (where the sysctl forbids ping sockets) its configuration result.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IcmpSocketPool } from '../../src/checker/icmp-socket.js';
import { createIcmpProbe } from '../../src/checker/probes/icmp.js';
import type { ProbeResult } from '../../src/model/health.js';
import { addr, hc } from './builders.js';

function pingAllowed(): boolean {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const gid = process.getgid?.() ?? -1;
    return lo !== undefined && hi !== undefined && gid >= lo && gid <= hi;
  } catch {
    return false;
  }
}

// A private network namespace (root only) where the sysctl can be opened without touching the host's.
function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  return r.status === 0;
}

const allowed = pingAllowed();
const pool = new IcmpSocketPool();
const probe = createIcmpProbe(pool);
const spec = hc({ type: 'icmp', timeoutMs: 1000 });
afterAll(() => pool.closeAll());

describe('icmp probe on this host', () => {
  if (allowed) {
    it('gets echo replies from 127.0.0.1 and ::1', async () => {
      for (const a of ['127.0.0.1', '::1']) {
        const r = await probe({ address: addr(a), spec, signal: AbortSignal.timeout(1000) });
        expect(r).toMatchObject({ ok: true, code: 'L4OK' });
      }
    });
  } else {
    it('reports L4CFG naming the sysctl (net.ipv4.ping_group_range forbids ping sockets here)', async () => {
      console.warn('icmp: net.ipv4.ping_group_range excludes this gid; asserting the configuration result');
      for (const a of ['127.0.0.1', '::1']) {
        const r: ProbeResult = await probe({ address: addr(a), spec, signal: AbortSignal.timeout(1000) });
        expect(r).toMatchObject({ ok: false, code: 'L4CFG' });
        expect(r.detail).toContain('net.ipv4.ping_group_range');
      }
    });
  }
});

const canNetns = !allowed && netnsAvailable();
describe.skipIf(!canNetns)('icmp probe in a private network namespace (ping sockets allowed there)', () => {
  it('gets echo replies from 127.0.0.1 and ::1, matches 200 concurrent replies, L4CON when unreachable, source addresses', () => {
    const child = fileURLToPath(new URL('./icmp-netns-child.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
    const script = `echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range && ip link set lo up && exec "${process.execPath}" --import "${tsx}" "${child}"`;
    const out = execFileSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 15_000 });
    const r = JSON.parse(out) as Record<'unreachable' | 'sourced' | 'badSource', ProbeResult> & {
      single: ProbeResult[];
      manyOk: number;
    };
    expect(r.single.map((x) => x.code)).toEqual(['L4OK', 'L4OK', 'L4OK', 'L4OK']);
    expect(r.manyOk).toBe(200);
    expect(r.unreachable).toMatchObject({ ok: false, code: 'L4CON' });
    expect(r.sourced).toMatchObject({ ok: true, code: 'L4OK' });
    expect(r.badSource).toMatchObject({ ok: false, code: 'L4CFG' });
    expect(r.badSource.detail).toContain('192.0.2.55');
  });
});
