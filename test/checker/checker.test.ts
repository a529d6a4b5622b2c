// The checker with fake probes on fake timers: snapshots, events, cadence, operator actions, reloads, the race.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CancelSignal } from '../../src/checker/cancel.js';
import { type CheckerEvent, HealthChecker } from '../../src/checker/checker.js';
import type { Probe, ProbeRequest } from '../../src/checker/probes/probe.js';
import type { ProbeResult } from '../../src/model/health.js';
import { hc, model } from './builders.js';

/** A fake probe: the outcome per address comes from `outcome`; 'hang' waits for abort (or a manual release). */
class FakeProbe {
  readonly calls: { address: string; at: number; signal: CancelSignal }[] = [];
  outcome: (address: string) => boolean | 'hang' | 'ignore-abort' = () => true;
  private readonly held: ((r: ProbeResult) => void)[] = [];
  readonly probe: Probe = (req: ProbeRequest) => {
    const address = req.address.text;
    this.calls.push({ address, at: Date.now(), signal: req.signal });
    const o = this.outcome(address);
    const res = (ok: boolean): ProbeResult => ({
      ok,
      code: ok ? 'L7OK' : 'L7STS',
      latencyMs: 1,
      detail: ok ? 'HTTP 200' : 'HTTP 500',
      at: Date.now(),
    });
    if (o === true || o === false) return Promise.resolve(res(o));
    return new Promise((resolve) => {
      if (o === 'hang')
        req.signal.addEventListener('abort', () => resolve({ ...res(false), code: 'L7TOUT' }));
      else this.held.push(resolve); // a misbehaving probe: only release() settles it
    });
  };
  /** release settles every probe that ignored its abort with an OK result (the late result of the race). */
  release(): void {
    for (const r of this.held.splice(0))
      r({ ok: true, code: 'L7OK', latencyMs: 1, detail: 'late', at: Date.now() });
  }
  startsFor(address: string): number[] {
    return this.calls.filter((c) => c.address === address).map((c) => c.at);
  }
}

const H = hc({
  name: 'web',
  type: 'http',
  intervalMs: 2000,
  fastIntervalMs: 500,
  downIntervalMs: 10_000,
  timeoutMs: 400,
  rise: 2,
  fall: 3,
});

function makeChecker(
  fake: FakeProbe,
  backends = [{ name: 'web1', address: '10.0.0.1' }],
  over: Parameters<typeof model>[0] extends infer M ? Partial<M> : never = {},
) {
  const m = model({ healthchecks: [H], backends, ...over });
  return new HealthChecker(m, {
    probes: { http: fake.probe, https: fake.probe, tcp: fake.probe, icmp: fake.probe },
    random: () => 0.5,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('snapshots', () => {
  it('starts at generation 1 with every backend unknown (counter rise-1) or disabled', () => {
    const c = makeChecker(new FakeProbe(), [
      { name: 'a', address: '10.0.0.1' },
      { name: 'b', address: '10.0.0.2', enabled: false } as { name: string; address: string },
    ]);
    const s = c.snapshot();
    expect(s.generation).toBe(1);
    expect([...s.backends.keys()]).toEqual(['a', 'b']);
    expect(s.backends.get('a')).toMatchObject({
      state: 'unknown',
      health: 1,
      lastKnown: 'unknown',
      history: [],
    });
    expect(s.backends.get('b')?.state).toBe('disabled');
  });

  it('publishes a new immutable snapshot per change, sharing untouched backends', async () => {
    const fake = new FakeProbe();
    const c = makeChecker(fake, [
      { name: 'a', address: '10.0.0.1' },
      { name: 'b', address: '10.0.0.2' },
    ]);
    const s0 = c.snapshot();
    const b0 = s0.backends.get('b');
    c.start();
    await vi.advanceTimersByTimeAsync(600); // stratified spread: a at 500 ms, b at 1500 ms
    const s1 = c.snapshot();
    expect(s1.generation).toBe(2);
    expect(s1.backends.get('a')?.state).toBe('up');
    expect(s0.backends.get('a')?.state).toBe('unknown'); // the old snapshot did not change
    expect(s1.backends.get('b')).toBe(b0); // structural sharing: same object
    expect(Object.isFrozen(s1.backends.get('a'))).toBe(true);
    expect(Object.isFrozen(s1)).toBe(true);
    c.stop();
  });

  it('events carry name and address, after the snapshot that contains them is published', async () => {
    const fake = new FakeProbe();
    const c = makeChecker(fake);
    const seen: CheckerEvent[] = [];
    c.subscribe((e) => {
      seen.push(e);
      expect(c.snapshot().generation).toBe(e.generation);
    });
    c.start();
    await vi.advanceTimersByTimeAsync(1100);
    const t = seen.find((e) => e.type === 'transition');
    expect(t).toMatchObject({
      type: 'transition',
      name: 'web1',
      transition: { from: 'unknown', to: 'up', code: 'L7OK' },
    });
    expect(t?.address.text).toBe('10.0.0.1');
    expect(seen.some((e) => e.type === 'result' && e.address.text === '10.0.0.1')).toBe(true);
    c.stop();
  });

  it('keeps the last transition-history transitions per backend', async () => {
    const fake = new FakeProbe();
    let flip = false;
    fake.outcome = () => (flip = !flip);
    const c = makeChecker(fake, undefined, {
      transitionHistory: 3,
      healthchecks: [hc({ ...H, rise: 1, fall: 1 })],
    });
    c.start();
    await vi.advanceTimersByTimeAsync(60_000);
    const b = c.snapshot().backends.get('web1');
    expect(b?.history).toHaveLength(3);
    expect(b?.history.at(-1)?.to).toBe(b?.state);
    expect(b?.since).toBe(b?.history.at(-1)?.at);
    c.stop();
  });
});

describe('cadence by counter position (no jitter: random 0.5)', () => {
  it('interval when fully up, fast while degraded or rising, down-interval at 0', async () => {
    const fake = new FakeProbe();
    // pass, pass, fail, fail, fail (down), fail, pass (rising), pass (up)
    const script = [true, true, false, false, false, false, true, true, true];
    let i = 0;
    fake.outcome = () => script[i++] ?? true;
    const c = makeChecker(fake);
    c.start();
    await vi.advanceTimersByTimeAsync(40_000);
    const t = fake.startsFor('10.0.0.1');
    const gaps = t.slice(1, 9).map((x, k) => x - (t[k] as number));
    //          after: pass(up,max) pass(max) fail(3) fail(2) fail(0) fail(0) pass(1) pass(up,max)
    expect(gaps).toEqual([2000, 2000, 500, 500, 10_000, 10_000, 500, 2000]);
    const states = c
      .snapshot()
      .backends.get('web1')
      ?.history.map((h) => h.to);
    expect(states).toEqual(['up', 'down', 'up']);
    c.stop();
  });
});

describe('operator actions', () => {
  it('pause cancels the in-flight probe and stops probing; resume of a never-probed backend is unknown', async () => {
    const fake = new FakeProbe();
    fake.outcome = () => 'hang';
    const c = makeChecker(fake);
    c.start();
    await vi.advanceTimersByTimeAsync(1100); // first probe at 1000 ms, hanging
    expect(fake.calls).toHaveLength(1);
    expect(c.pause('web1')).toEqual({ ok: true, changed: true });
    expect(fake.calls[0]?.signal.aborted).toBe(true);
    expect(c.pause('web1')).toEqual({ ok: true, changed: false }); // idempotent
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.calls).toHaveLength(1);
    expect(c.snapshot().backends.get('web1')?.state).toBe('paused');
    expect(c.stats().dropped.notProbing).toBe(1); // the cancelled attempt's result was not applied
    fake.outcome = () => true;
    expect(c.resume('web1')).toEqual({ ok: true, changed: true });
    expect(c.snapshot().backends.get('web1')).toMatchObject({ state: 'unknown', health: 1 });
    await vi.advanceTimersByTimeAsync(10); // probed at once (the next 10 ms tick)
    expect(c.snapshot().backends.get('web1')?.state).toBe('up');
    c.stop();
  });

  it('disable stops probing; pause/resume of a disabled backend is an error; enable restarts', async () => {
    const fake = new FakeProbe();
    const c = makeChecker(fake);
    c.start();
    await vi.advanceTimersByTimeAsync(1100);
    expect(c.disable('web1')).toEqual({ ok: true, changed: true });
    const n = fake.calls.length;
    const p = c.pause('web1');
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error.code).toBe('ERR_STATE');
    expect(c.resume('web1').ok).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.calls.length).toBe(n);
    expect(c.enable('web1')).toEqual({ ok: true, changed: true });
    expect(c.enable('web1')).toEqual({ ok: true, changed: false });
    await vi.advanceTimersByTimeAsync(500);
    expect(c.snapshot().backends.get('web1')?.state).toBe('up');
    const nf = c.pause('nope');
    expect(!nf.ok && nf.error.code).toBe('ERR_NOT_FOUND');
    c.stop();
  });

  it('check answers as the action would, and changes nothing', async () => {
    const fake = new FakeProbe();
    const c = makeChecker(fake);
    c.start();
    await vi.advanceTimersByTimeAsync(1100);
    c.disable('web1');
    const before = c.snapshot();
    const p = c.check('web1', 'pause');
    expect(!p.ok && p.error.code).toBe('ERR_STATE');
    expect(c.check('web1', 'disable')).toEqual({ ok: true, changed: false });
    expect(c.check('web1', 'enable')).toEqual({ ok: true, changed: true });
    const nf = c.check('nope', 'pause');
    expect(!nf.ok && nf.error.code).toBe('ERR_NOT_FOUND');
    expect(c.snapshot()).toBe(before);
    expect(c.snapshot().backends.get('web1')?.state).toBe('disabled');
    c.stop();
  });
});

describe('applyConfig', () => {
  it('keeps state at the same address (a new probe awaits its first result); a new address starts unknown', async () => {
    const fake = new FakeProbe();
    const backends = [
      { name: 'same', address: '10.0.0.1' },
      { name: 'moves', address: '10.0.0.2' },
      { name: 'rechecked', address: '10.0.0.3' },
      { name: 'goes', address: '10.0.0.4' },
    ];
    const c = makeChecker(fake, backends);
    c.start();
    await vi.advanceTimersByTimeAsync(2100);
    const before = c.snapshot();
    for (const b of before.backends.values()) expect(b.state).toBe('up');
    const H2 = { ...H, name: 'web2', path: '/other' };
    c.applyConfig(
      model({
        healthchecks: [H, H2],
        backends: [
          { name: 'same', address: '10.0.0.1' },
          { name: 'moves', address: '10.0.0.22' },
          { name: 'rechecked', address: '10.0.0.3', healthcheck: 'web2' },
          { name: 'new', address: '10.0.0.5' },
        ],
      }),
    );
    const s = c.snapshot();
    expect(s.generation).toBe(before.generation + 1);
    expect(s.backends.get('same')).toBe(before.backends.get('same'));
    expect(s.backends.get('moves')).toMatchObject({ state: 'unknown', health: 1, lastResult: undefined });
    expect(s.backends.get('moves')?.address.text).toBe('10.0.0.22');
    expect(s.backends.get('rechecked')).toMatchObject({ state: 'up', health: 1, lastResult: undefined });
    expect(s.backends.get('new')?.state).toBe('unknown');
    expect(s.backends.get('goes')?.state).toBe('removed');
    expect([...s.backends.keys()]).toEqual(['same', 'moves', 'rechecked', 'new', 'goes']);
    const probesOfGone = fake.startsFor('10.0.0.4').length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.startsFor('10.0.0.4').length).toBe(probesOfGone); // stopped
    expect(fake.startsFor('10.0.0.22').length).toBeGreaterThan(0);
    expect(c.snapshot().backends.get('new')?.state).toBe('up');
    // The next reload forgets the removed backend.
    c.applyConfig(model({ healthchecks: [H], backends: [{ name: 'same', address: '10.0.0.1' }] }));
    expect([...c.snapshot().backends.keys()]).toEqual(['same', 'moves', 'rechecked', 'new']);
    expect(c.snapshot().backends.get('moves')?.state).toBe('removed');
    c.stop();
  });

  it('refuses a model naming an unknown healthcheck and changes nothing', () => {
    const c = makeChecker(new FakeProbe());
    const before = c.snapshot();
    expect(() =>
      c.applyConfig(
        model({ healthchecks: [H], backends: [{ name: 'x', address: '10.0.0.7', healthcheck: 'nope' }] }),
      ),
    ).toThrow(/unknown healthcheck nope/);
    expect(c.snapshot()).toBe(before);
  });

  it('operator state survives a reload, even one that moves the backend', async () => {
    const fake = new FakeProbe();
    const c = makeChecker(fake, [
      { name: 'p', address: '10.0.0.1' },
      { name: 'd', address: '10.0.0.2' },
    ]);
    c.start();
    await vi.advanceTimersByTimeAsync(2100);
    c.pause('p');
    c.disable('d');
    c.applyConfig(
      model({
        healthchecks: [H],
        backends: [
          { name: 'p', address: '10.0.0.11' },
          { name: 'd', address: '10.0.0.2' },
        ],
      }),
    );
    expect(c.snapshot().backends.get('p')).toMatchObject({ state: 'paused', lastKnown: 'unknown' });
    expect(c.snapshot().backends.get('d')?.state).toBe('disabled');
    const n = fake.calls.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.calls.length).toBe(n);
    c.stop();
  });

  it('the reload race: a result for the old address is dropped and counted; the new address starts unknown', async () => {
    const fake = new FakeProbe();
    fake.outcome = (a) => (a === '10.0.0.1' ? 'ignore-abort' : 'hang');
    const c = makeChecker(fake);
    c.start();
    await vi.advanceTimersByTimeAsync(1100); // a probe to 10.0.0.1 is in flight
    expect(fake.calls.map((x) => x.address)).toEqual(['10.0.0.1']);
    c.applyConfig(model({ healthchecks: [H], backends: [{ name: 'web1', address: '10.0.0.9' }] }));
    expect(fake.calls[0]?.signal.aborted).toBe(true);
    const gen = c.snapshot().generation;
    fake.release(); // the old probe now reports OK for 10.0.0.1
    await vi.advanceTimersByTimeAsync(0);
    expect(c.stats().dropped.staleAddress).toBe(1);
    expect(c.snapshot().generation).toBe(gen);
    expect(c.snapshot().backends.get('web1')).toMatchObject({ state: 'unknown', health: 1 });
    expect(c.snapshot().backends.get('web1')?.address.text).toBe('10.0.0.9');
    await vi.advanceTimersByTimeAsync(2000); // the new address's own probe (hangs, times out: down)
    expect(fake.startsFor('10.0.0.9')).toHaveLength(1);
    expect(c.snapshot().backends.get('web1')?.state).toBe('down');
    c.stop();
  });
});

describe('subscriptions', () => {
  it('are bounded, can be removed, and a throwing listener does not stop the others', async () => {
    const fake = new FakeProbe();
    const m = model({ healthchecks: [H], backends: [{ name: 'web1', address: '10.0.0.1' }] });
    const c = new HealthChecker(m, { probes: { http: fake.probe }, maxListeners: 2, random: () => 0.5 });
    const got: string[] = [];
    c.subscribe(() => {
      throw new Error('boom');
    });
    const off = c.subscribe((e) => got.push(e.type));
    expect(() => c.subscribe(() => {})).toThrow(/2 subscribers/);
    off();
    c.subscribe((e) => got.push(`2:${e.type}`));
    c.start();
    await vi.advanceTimersByTimeAsync(1100);
    expect(got).toEqual(['2:result', '2:transition']);
    c.stop();
  });
});
