// The reconciler worker on fake timers: warmup, failover, coalescing, drift repair, reconnect, refusals.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { parseAddress } from '../../src/model/address.js';
import type { DesiredModel } from '../../src/model/desired.js';
import { vipKeyString } from '../../src/model/vip-key.js';
import { type PassInfo, Reconciler } from '../../src/reconciler/reconciler.js';
import { MaglevError } from '../../src/util/errors.js';
import { FakeDataplane, RetvalError } from '../fakes/fake-dataplane.js';
import { buildHealth, buildModel } from './builders.js';

const backends = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4' };
function model(lb: Parameters<typeof buildModel>[2] = {}): DesiredModel {
  return buildModel(
    backends,
    [
      { name: 'web', vip: '192.0.2.1', pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } } },
      { name: 'dns', vip: '192.0.2.2', port: 53, protocol: 17, pools: { p: { d: 100 } } },
    ],
    lb,
  );
}

let dp: FakeDataplane;
let passes: PassInfo[];

function start(m: DesiredModel, states: Record<string, string>): Reconciler {
  dp = new FakeDataplane();
  passes = [];
  return new Reconciler({
    dataplane: dp,
    logger: silentLogger(),
    model: m,
    health: buildHealth(m, states),
    now: () => Date.now(),
    onPass: (p) => passes.push(p),
  });
}

const allUp = { a: 'up', b: 'up', c: 'up', d: 'up' };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reconciler', () => {
  it('programs everything on connect, with lb conf first, then nothing when in sync', async () => {
    const m = model();
    const r = start(m, allUp);
    r.vppConnected();
    await r.whenIdle();
    expect(dp.calls).toEqual([
      'conf 192.0.2.254 2001:db8::fe 65536 40',
      'vip-add 192.0.2.1/32 tcp:80 gre4 1024',
      'as-add 192.0.2.1/32 tcp:80 10.0.0.1 100',
      'as-add 192.0.2.1/32 tcp:80 10.0.0.2 50',
      'as-add 192.0.2.1/32 tcp:80 10.0.0.3 0',
      'vip-add 192.0.2.2/32 udp:53 gre4 1024',
      'as-add 192.0.2.2/32 udp:53 10.0.0.4 100',
    ]);
    dp.calls.length = 0;
    r.setModel(model());
    await r.whenIdle();
    expect(dp.calls).toEqual([]);
    await r.stop();
  });

  it('fails over with weight changes only, on the VIP concerned, without a dump', async () => {
    const m = model();
    const r = start(m, allUp);
    r.vppConnected();
    await r.whenIdle();
    dp.calls.length = 0;
    const dumps = dp.dumps;
    r.setHealth(buildHealth(m, { ...allUp, a: 'down', b: 'down' }), ['a', 'b']);
    await r.whenIdle();
    expect(dp.calls).toEqual([
      'as-weight 192.0.2.1/32 tcp:80 10.0.0.3 100',
      'as-weight 192.0.2.1/32 tcp:80 10.0.0.1 0 flush',
      'as-weight 192.0.2.1/32 tcp:80 10.0.0.2 0 flush',
    ]);
    expect(dp.dumps).toBe(dumps);
    dp.calls.length = 0;
    r.setHealth(buildHealth(m, allUp), ['a', 'b']);
    await r.whenIdle();
    expect(dp.calls).toEqual([
      'as-weight 192.0.2.1/32 tcp:80 10.0.0.1 100',
      'as-weight 192.0.2.1/32 tcp:80 10.0.0.2 50',
      'as-weight 192.0.2.1/32 tcp:80 10.0.0.3 0',
    ]);
    await r.stop();
  });

  it('coalesces a burst of 10 000 transitions into at most two passes', async () => {
    const m = model();
    const r = start(m, allUp);
    r.vppConnected();
    await r.whenIdle();
    const before = passes.length;
    for (let i = 0; i < 10_000; i++) {
      r.setHealth(buildHealth(m, { ...allUp, a: i % 2 ? 'up' : 'down' }), ['a']);
    }
    await r.whenIdle();
    expect(passes.length - before).toBeLessThanOrEqual(2);
    expect(dp.state()).toContain('192.0.2.1/32 tcp:80: 10.0.0.1=100 10.0.0.2=50 10.0.0.3=0');
    await r.stop();
  });

  it('holds VPP during startup-min-delay, releases known frontends, then the rest at max-delay', async () => {
    const m = model({ startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 });
    const r = start(m, { a: 'up', b: 'up', c: 'up' });
    r.vppConnected();
    await r.whenIdle();
    expect(dp.calls).toEqual([]);
    expect(r.warmupPhase()).toBe('holding');
    await vi.advanceTimersByTimeAsync(5000);
    await r.whenIdle();
    expect(r.warmupPhase()).toBe('releasing');
    expect(dp.state()).toEqual(['192.0.2.1/32 tcp:80: 10.0.0.1=100 10.0.0.2=50 10.0.0.3=0']);
    expect(dp.calls[0]).toMatch(/^conf /);
    r.setModel(model({ startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 }));
    await r.whenIdle();
    expect(r.warmupPhase()).toBe('releasing');
    await vi.advanceTimersByTimeAsync(25_000);
    await r.whenIdle();
    expect(r.warmupPhase()).toBe('done');
    expect(dp.state()).toContain('192.0.2.2/32 udp:53: 10.0.0.4=0');
    await r.stop();
  });

  it('releases a frontend during warmup as soon as its last backend is known', async () => {
    const m = model({ startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 });
    const r = start(m, { a: 'up', b: 'up', c: 'up' });
    r.vppConnected();
    await vi.advanceTimersByTimeAsync(6000);
    await r.whenIdle();
    expect(dp.vips.has('192.0.2.2/32 udp:53')).toBe(false);
    r.setHealth(buildHealth(m, allUp), ['d']);
    await r.whenIdle();
    expect(dp.state()).toContain('192.0.2.2/32 udp:53: 10.0.0.4=100');
    await r.stop();
  });

  it('repairs drift on the next full sync', async () => {
    const m = model();
    const r = start(m, allUp);
    r.vppConnected();
    await r.whenIdle();
    const want = dp.state();
    dp.vips.get('192.0.2.1/32 tcp:80')?.ases.delete('10.0.0.2');
    dp.vips
      .get('192.0.2.1/32 tcp:80')
      ?.ases.set('10.0.0.1', { address: parseAddress('10.0.0.1'), weight: 7, numBuckets: undefined });
    dp.vips.delete('192.0.2.2/32 udp:53');
    const stray = { ...dp.vips.get('192.0.2.1/32 tcp:80')!, ases: new Map() };
    dp.vips.set('203.0.113.1/32 tcp:80', {
      ...stray,
      key: {
        ...stray.key,
        prefix: { ...stray.key.prefix, text: '203.0.113.1/32', address: parseAddress('203.0.113.1') },
      },
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await r.whenIdle();
    expect(dp.state()).toEqual(want);
    await r.stop();
  });

  it('reprograms a restarted VPP at once, even during warmup', async () => {
    const m = model({ startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 });
    const r = start(m, allUp);
    r.vppConnected();
    await vi.advanceTimersByTimeAsync(5000);
    await r.whenIdle();
    const want = dp.state();
    r.vppDisconnected();
    dp.vips.clear();
    r.vppConnected();
    await r.whenIdle();
    expect(dp.state()).toEqual(want);
    expect(r.warmupPhase()).toBe('done');
    await r.stop();
  });

  it('a reconnect during warmup to a VPP that kept its state is no restart: warmup goes on, nothing zeroed', async () => {
    // The previous daemon programmed VPP; this one starts with every backend unknown.
    const first = start(model(), allUp);
    first.vppConnected();
    await first.whenIdle();
    await first.stop();
    const want = dp.state();
    dp.calls.length = 0;
    const m = model({ startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 });
    const r = new Reconciler({
      dataplane: dp,
      logger: silentLogger(),
      model: m,
      health: buildHealth(m, {}),
      now: () => Date.now(),
    });
    r.vppConnected();
    await vi.advanceTimersByTimeAsync(1000);
    r.vppDisconnected(); // a dropped socket or missed pings, not a VPP restart
    r.vppConnected();
    await vi.advanceTimersByTimeAsync(9000);
    await r.whenIdle();
    expect(r.warmupPhase()).toBe('releasing');
    expect(dp.calls).toEqual([]);
    expect(dp.state()).toEqual(want);
    await r.stop();
  });

  it('writes lb_conf at the first release, not when startup-min-delay ends with nothing released', async () => {
    const m = model({ startupMinDelayMs: 5000, startupMaxDelayMs: 30_000 });
    const r = start(m, { a: 'up', b: 'up' }); // c and d unknown: neither frontend may be released
    r.vppConnected();
    await vi.advanceTimersByTimeAsync(6000);
    await r.whenIdle();
    expect(r.warmupPhase()).toBe('releasing');
    expect(dp.calls).toEqual([]);
    r.setHealth(buildHealth(m, { a: 'up', b: 'up', c: 'up' }), ['c']);
    await r.whenIdle();
    expect(dp.calls.slice(0, 2)).toEqual([
      'conf 192.0.2.254 2001:db8::fe 65536 40',
      'vip-add 192.0.2.1/32 tcp:80 gre4 1024',
    ]);
    await r.stop();
  });

  it('flushes the AS of a down or disabled backend that leaves a frontend but stays in the config', async () => {
    for (const [state, flush] of [
      ['down', true],
      ['disabled', true],
      ['paused:down', true],
      ['up', false],
      ['paused:up', false],
    ] as const) {
      const be = { a: '10.0.0.1', b: '10.0.0.2' };
      const fe = (pool: Record<string, number>) => [
        { name: 'web', vip: '192.0.2.1', flushOnDown: false, pools: { p: pool } },
        { name: 'other', vip: '192.0.2.9', pools: { p: { b: 100 } } },
      ];
      const m1 = buildModel(be, fe({ a: 100, b: 100 }));
      const r = start(m1, { a: 'up', b: state });
      r.vppConnected();
      await r.whenIdle();
      dp.calls.length = 0;
      r.setModel(buildModel(be, fe({ a: 100 })));
      await r.whenIdle();
      expect(dp.calls, state).toEqual([`as-del 192.0.2.1/32 tcp:80 10.0.0.2${flush ? ' flush' : ''}`]);
      await r.stop();
    }
  });

  it('after calls that timed out but ran late in VPP, the retry reads VPP again and converges', async () => {
    /** VPP stalls: each call times out for the daemon, but VPP runs it once it wakes up. */
    class LateDataplane extends FakeDataplane {
      stalled = false;
      readonly late: (() => Promise<void>)[] = [];
      async #call(what: string, run: () => Promise<void>): Promise<void> {
        if (!this.stalled) return run();
        this.late.push(run);
        throw new MaglevError('ERR_VPP_TIMEOUT', `${what}: no reply from VPP`);
      }
      async wake(): Promise<void> {
        this.stalled = false;
        for (const run of this.late.splice(0)) await run().catch(() => {}); // a retried add runs twice: -81
      }
      override addVip(...a: Parameters<FakeDataplane['addVip']>) {
        return this.#call('vip-add', () => super.addVip(...a));
      }
      override addAs(...a: Parameters<FakeDataplane['addAs']>) {
        return this.#call('as-add', () => super.addAs(...a));
      }
    }
    const late = new LateDataplane();
    const m = buildModel({ a: '10.0.0.1', b: '10.0.0.2' }, [
      { name: 'web', vip: '192.0.2.1', pools: { p: { a: 100, b: 100 } } },
    ]);
    const r = new Reconciler({
      dataplane: late,
      logger: silentLogger(),
      model: m,
      health: buildHealth(m, { a: 'up', b: 'up' }),
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    late.stalled = true;
    r.vppConnected();
    await vi.advanceTimersByTimeAsync(900);
    await r.whenIdle();
    expect(r.lastPass?.report?.unfinishedVips.size).toBe(1);
    await late.wake(); // the VIP exists in VPP now, without its ASs
    late.calls.length = 0;
    await vi.advanceTimersByTimeAsync(2000);
    await r.whenIdle();
    expect(late.calls).toEqual([
      'as-add 192.0.2.1/32 tcp:80 10.0.0.1 100',
      'as-add 192.0.2.1/32 tcp:80 10.0.0.2 100',
    ]);
    expect(late.state()).toEqual(['192.0.2.1/32 tcp:80: 10.0.0.1=100 10.0.0.2=100']);
    expect(r.lastPass?.report?.refusedVips.size).toBe(0);
    await r.stop();
  });

  it('a frontend moved from one port to all ports on its prefix is up again within a second, not a sync-interval', async () => {
    /** VPP refuses an all-port VIP while a per-port one exists on the same prefix, and vice versa (-81). */
    class ConflictDataplane extends FakeDataplane {
      override async addVip(...a: Parameters<FakeDataplane['addVip']>): Promise<void> {
        const [vip] = a;
        for (const v of this.vips.values()) {
          if (v.key.prefix.text === vip.prefix.text && (v.key.port === 0) !== (vip.port === 0)) {
            this.calls.push(`vip-add ${vipKeyString(vip)} refused`);
            throw new RetvalError('lb_add_del_vip_v2', -81, 'VALUE_EXIST');
          }
        }
        return super.addVip(...a);
      }
    }
    const conflict = new ConflictDataplane();
    const be = { a: '10.0.0.1' };
    const m1 = buildModel(be, [{ name: 'web', vip: '192.0.2.1', port: 80, pools: { p: { a: 100 } } }]);
    const r = new Reconciler({
      dataplane: conflict,
      logger: silentLogger(),
      model: m1,
      health: buildHealth(m1, { a: 'up' }),
      now: () => Date.now(),
    });
    r.vppConnected();
    await r.whenIdle();
    conflict.calls.length = 0;
    r.setModel(
      buildModel(be, [{ name: 'web', vip: '192.0.2.1', port: 0, protocol: 255, pools: { p: { a: 100 } } }]),
    );
    await r.whenIdle();
    expect(conflict.calls).toEqual(['vip-add 192.0.2.1/32 any refused', 'vip-del 192.0.2.1/32 tcp:80']);
    await vi.advanceTimersByTimeAsync(1000);
    await r.whenIdle();
    expect(conflict.state()).toEqual(['192.0.2.1/32 any: 10.0.0.1=100']);
    await r.stop();
  });

  it('records a refusal, skips the rest of that VIP, and converges on the next pass', async () => {
    const m = model();
    const r = start(m, allUp);
    dp.refuse.set('vip-add 192.0.2.1/32', [-81, 'VALUE_EXIST']);
    r.vppConnected();
    await r.whenIdle();
    const report = passes.at(-1)?.report;
    expect(report?.refusedVips).toEqual(new Set(['192.0.2.1/32 tcp:80']));
    expect(report?.outcomes.find((o) => o.status === 'failed')?.error).toMatchObject({
      retval: -81,
      retvalName: 'VALUE_EXIST',
    });
    expect(dp.state()).toEqual(['192.0.2.2/32 udp:53: 10.0.0.4=100']);
    r.requestSync('sync');
    await r.whenIdle();
    expect(dp.state()).toHaveLength(2);
    await r.stop();
  });

  it('ends a pass against a VPP that times out at its deadline, and stays responsive', async () => {
    const m = model();
    dp = new FakeDataplane();
    const r = new Reconciler({
      dataplane: dp,
      logger: silentLogger(),
      model: m,
      health: buildHealth(m, allUp),
      now: () => Date.now(),
      passDeadlineMs: 3000,
      sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
    });
    r.vppConnected();
    await r.whenIdle();
    dp.down = 'timeout';
    r.setHealth(buildHealth(m, { ...allUp, a: 'down' }), ['a']);
    r.setHealth(buildHealth(m, { ...allUp, d: 'down' }), ['d']);
    const idle = r.whenIdle();
    await vi.advanceTimersByTimeAsync(5000);
    await idle;
    expect(r.dirtyCount).toBeGreaterThan(0);
    dp.down = undefined;
    await vi.advanceTimersByTimeAsync(1500);
    await r.whenIdle();
    expect(dp.state()).toContain('192.0.2.2/32 udp:53: 10.0.0.4=0');
    await r.stop();
  });

  it('refuses overrides for unknown names and weights outside 0..100, changing nothing', () => {
    const m = model();
    const r = start(m, allUp);
    expect(() => r.setOverride('nope', 'primary', 'a', { weight: 1, flush: false })).toThrow(
      /no frontend named "nope"/,
    );
    expect(() => r.setOverride('web', 'primary', 'c', { weight: 1, flush: false })).toThrow(
      /has no backend "c"/,
    );
    expect(() => r.setOverride('web', 'primary', 'a', { weight: 101, flush: false })).toThrow(/0..100/);
    expect(r.overrides.size).toBe(0);
  });
});

describe('reconciler logs', () => {
  it('writes the documented events: lb-change per call, lb-sync per pass, lb-sync-error for a refusal', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const m = model();
    dp = new FakeDataplane();
    dp.refuse.set('vip-add 192.0.2.2/32', [-81, 'VALUE_EXIST']);
    const r = new Reconciler({
      dataplane: dp,
      logger,
      model: m,
      health: buildHealth(m, allUp),
      now: () => Date.now(),
    });
    r.vppConnected();
    await r.whenIdle();
    const byEvent = (e: string) => lines.filter((l) => l.event === e);
    expect(byEvent('lb-change').find((l) => l.as === '10.0.0.2')).toMatchObject({
      level: 'info',
      vip: '192.0.2.1/32 tcp:80',
      call: 'lb_add_del_as_v2',
      frontend: 'web',
      as: '10.0.0.2',
      weight: 50,
    });
    expect(byEvent('lb-sync-error')).toEqual([
      expect.objectContaining({
        level: 'error',
        trigger: 'connect',
        vip: '192.0.2.2/32 udp:53',
        call: 'lb_add_del_vip_v2',
        retval: -81,
        retvalName: 'VALUE_EXIST',
      }),
    ]);
    expect(byEvent('lb-sync')).toEqual([
      expect.objectContaining({ level: 'info', trigger: 'connect', calls: 5, failed: 1, vips: 2 }),
    ]);
    await r.stop();
  });
});
