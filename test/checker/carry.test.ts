// Step tables on fake timers: reloads and operator actions keep health (spec §4), sampled after every step.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BackendCarry, type CheckerEvent, HealthChecker } from '../../src/checker/checker.js';
import type { Probe, ProbeRequest } from '../../src/checker/probes/probe.js';
import type { HealthcheckSpec } from '../../src/model/desired.js';
import type { BackendHealth, ProbeResult } from '../../src/model/health.js';
import { type BackendInput, hc, model } from './builders.js';

/** Spec §5 for a backend alone in the one pool of a frontend, configured weight 100. */
function weightOf(b: BackendHealth | undefined): number {
  if (!b) return 0;
  const verdict = b.state === 'paused' ? b.lastKnown : b.state;
  return verdict === 'up' ? 100 : 0;
}

/** A scripted probe: the outcome per address (a function of the request), each call recorded with its time. */
class ScriptedProbe {
  readonly calls: { address: string; path: string; at: number; aborted: () => boolean }[] = [];
  outcome: (req: ProbeRequest) => boolean | 'hang' = () => true;
  private held: { path: string; resolve: (r: ProbeResult) => void }[] = [];
  readonly probe: Probe = (req) => {
    this.calls.push({
      address: req.address.text,
      path: req.spec.path,
      at: Date.now(),
      aborted: () => req.signal.aborted,
    });
    const o = this.outcome(req);
    const res = (ok: boolean, late = false): ProbeResult => ({
      ok,
      code: ok ? 'L7OK' : 'L7STS',
      latencyMs: 1,
      detail: late ? 'late' : ok ? 'HTTP 200' : 'HTTP 500',
      at: Date.now(),
    });
    if (o !== 'hang') return Promise.resolve(res(o));
    // Ignores its abort: only release() settles it, so a late result can be offered to the checker.
    return new Promise((resolve) => this.held.push({ path: req.spec.path, resolve }));
  };
  /** release settles the held attempts (of one request path, if given) with a late result. */
  release(ok: boolean, path?: string): void {
    const go = this.held.filter((h) => path === undefined || h.path === path);
    this.held = this.held.filter((h) => !go.includes(h));
    for (const h of go)
      h.resolve({ ok, code: ok ? 'L7OK' : 'L7STS', latencyMs: 1, detail: 'late', at: Date.now() });
  }
  since(t: number): number[] {
    return this.calls.filter((c) => c.at >= t).map((c) => c.at);
  }
}

const H = hc({
  name: 'web',
  type: 'http',
  path: '/healthz',
  intervalMs: 2000,
  fastIntervalMs: 500,
  downIntervalMs: 10_000,
  timeoutMs: 400,
  rise: 2,
  fall: 3,
});

type Step =
  | { readonly do: 'wait'; readonly ms: number }
  | { readonly do: 'reload'; readonly check?: Partial<HealthcheckSpec>; readonly backends?: BackendInput[] }
  | { readonly do: 'pause' | 'resume' | 'enable' | 'disable'; readonly backend?: string }
  | { readonly do: 'probes'; readonly outcome: (req: ProbeRequest) => boolean | 'hang' };

interface Sample {
  readonly step: number;
  readonly state: string;
  readonly health: number;
  readonly weight: number;
}

/**
 * Rig runs steps against one checker. After every step (and at every published transition in between) it
 * samples each backend's state, counter and weight, so a pass through unknown or down that lasted no
 * longer than one step is still seen.
 */
class Rig {
  readonly probe = new ScriptedProbe();
  readonly checker: HealthChecker;
  readonly samples = new Map<string, Sample[]>();
  readonly events: CheckerEvent[] = [];
  readonly reports: (readonly BackendCarry[])[] = [];
  check: HealthcheckSpec = H;
  backends: BackendInput[];
  private stepNo = 0;

  constructor(backends: BackendInput[] = [{ name: 'web1', address: '10.0.0.1' }]) {
    this.backends = backends;
    this.checker = new HealthChecker(model({ healthchecks: [H], backends }), {
      probes: {
        http: this.probe.probe,
        https: this.probe.probe,
        tcp: this.probe.probe,
        icmp: this.probe.probe,
      },
      random: () => 0.5,
    });
    this.checker.subscribe((e) => {
      this.events.push(e);
      if (e.type === 'transition') this.sample();
    });
  }

  sample(): void {
    for (const [name, b] of this.checker.snapshot().backends) {
      const list = this.samples.get(name) ?? [];
      list.push({ step: this.stepNo, state: b.state, health: b.health, weight: weightOf(b) });
      this.samples.set(name, list);
    }
  }

  async run(steps: Step[]): Promise<void> {
    for (const s of steps) {
      this.stepNo++;
      switch (s.do) {
        case 'wait':
          await vi.advanceTimersByTimeAsync(s.ms);
          break;
        case 'reload':
          if (s.check) this.check = { ...this.check, ...s.check };
          if (s.backends) this.backends = s.backends;
          this.reports.push(
            this.checker.applyConfig(model({ healthchecks: [this.check], backends: this.backends })),
          );
          break;
        case 'probes':
          this.probe.outcome = s.outcome;
          break;
        default: {
          const r = this.checker[s.do](s.backend ?? 'web1');
          expect(r.ok).toBe(true);
        }
      }
      this.sample();
    }
  }

  /** Every sample of `name` from step `from` on. */
  of(name: string, from = 0): Sample[] {
    return (this.samples.get(name) ?? []).filter((x) => x.step >= from);
  }

  now(name: string): BackendHealth | undefined {
    return this.checker.snapshot().backends.get(name);
  }
}

/** upToMax: start, let the first probe (at 1000 ms with random 0.5) and one more pass bring every backend up. */
async function upRig(backends?: BackendInput[]): Promise<Rig> {
  const rig = new Rig(backends);
  rig.checker.start();
  await rig.run([{ do: 'wait', ms: 2100 }]);
  for (const b of rig.checker.snapshot().backends.values())
    expect(b).toMatchObject({ state: 'up', health: 4 });
  return rig;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reload: timing-only change re-bases the counter and keeps the state', () => {
  it('up stays up with weight 100 through the reload, then goes down after the new `fall` failures', async () => {
    const rig = await upRig();
    const mark = 2;
    await rig.run([
      { do: 'reload', check: { intervalMs: 3000, timeoutMs: 600, rise: 3, fall: 2 } }, // max 4 -> 4
      { do: 'wait', ms: 10_000 },
    ]);
    expect(rig.of('web1', mark).every((x) => x.state === 'up' && x.weight === 100)).toBe(true);
    expect(rig.reports[0]).toEqual([
      expect.objectContaining({
        name: 'web1',
        carry: 'rebased',
        keys: ['interval', 'timeout', 'rise', 'fall'],
        from: { state: 'up', health: 4, max: 4 },
        to: { state: 'up', health: 4, max: 4 },
      }),
    ]);
    expect(rig.reports[0]?.[0]?.reason).toMatch(/timing changed .*re-based 4\/4 -> 4\/4, still up/);
    expect(rig.events.filter((e) => e.type === 'transition')).toHaveLength(1); // only the first unknown -> up
    // With fall 2: two failures take it down (with fall 3 it would have taken three). Probes ran at 3600,
    // 6600 and 9600 ms (spread over the new 3 s); the next comes at 12600, the one after at fast-interval.
    await rig.run([
      { do: 'probes', outcome: () => false },
      { do: 'wait', ms: 600 },
    ]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 3 });
    await rig.run([{ do: 'wait', ms: 600 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 0 });
  });

  it('a degraded backend keeps the failures it has seen, at most one short of down', async () => {
    const rig = await upRig();
    await rig.run([
      { do: 'probes', outcome: () => false },
      { do: 'wait', ms: 1000 }, // one failure (at 3000 ms): up at 3/4
    ]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 3 });
    await rig.run([{ do: 'reload', check: { rise: 4, fall: 1 } }]); // max 4: one failure seen, clamped to 4 = rise
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 4 });
    expect(rig.of('web1').at(-1)?.weight).toBe(100);
    await rig.run([{ do: 'wait', ms: 600 }]); // next failure, at fast-interval: down
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 0 });
  });

  it('down stays down with weight 0; the passes it saw still count toward the new rise', async () => {
    const rig = new Rig();
    rig.probe.outcome = () => false;
    rig.checker.start();
    await rig.run([{ do: 'wait', ms: 1100 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 0 });
    await rig.run([
      { do: 'probes', outcome: () => true },
      { do: 'wait', ms: 10_000 }, // one pass: rising, 1/4
    ]);
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 1 });
    await rig.run([{ do: 'reload', check: { rise: 3, fall: 2, fastIntervalMs: 700 } }]);
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 1 });
    await rig.run([{ do: 'wait', ms: 800 }]); // retimed: spread over the new fast-interval, not 500 ms later
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 2 });
    await rig.run([{ do: 'wait', ms: 800 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 4 });
    expect(rig.of('web1').filter((x) => x.state === 'unknown')).toEqual([]);
  });

  it('the new interval takes effect at once, and an attempt in flight still counts', async () => {
    const rig = await upRig();
    await rig.run([{ do: 'reload', check: { intervalMs: 30_000, timeoutMs: 1000 } }]);
    // Spread over the new interval (random 0.5): the next attempt 15 s after the reload, not 2 s.
    const t0 = Date.now();
    await rig.run([{ do: 'wait', ms: 14_000 }]);
    expect(rig.probe.since(t0)).toEqual([]);
    await rig.run([{ do: 'wait', ms: 1100 }]);
    expect(rig.probe.since(t0)).toHaveLength(1);
    // A probe in flight when only the timing changes is the same probe: its result is applied.
    rig.probe.outcome = () => 'hang';
    await rig.run([{ do: 'wait', ms: 30_000 }]);
    const inFlight = rig.probe.calls.at(-1);
    await rig.run([{ do: 'reload', check: { intervalMs: 20_000, timeoutMs: 1500 } }]);
    expect(inFlight?.aborted()).toBe(false);
    rig.probe.release(false);
    await rig.run([{ do: 'wait', ms: 0 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 3 });
    expect(rig.checker.stats().dropped.staleEpoch).toBe(0);
  });

  it('one shared check tweaked under many backends never takes a weight away', async () => {
    const backends = [1, 2, 3, 4, 5].map((i) => ({ name: `b${i}`, address: `10.0.0.${i}` }));
    const rig = new Rig(backends);
    rig.checker.start();
    await rig.run([{ do: 'wait', ms: 3000 }]);
    const mark = 2;
    await rig.run([
      { do: 'reload', check: { intervalMs: 1000 } },
      { do: 'wait', ms: 500 },
      { do: 'reload', check: { timeoutMs: 300, fall: 5 } },
      { do: 'wait', ms: 5000 },
      { do: 'reload', check: { intervalMs: 4000, rise: 1 } },
      { do: 'wait', ms: 10_000 },
    ]);
    for (const b of backends) {
      expect(rig.of(b.name, mark).length).toBeGreaterThan(5);
      expect(rig.of(b.name, mark).every((x) => x.state === 'up' && x.weight === 100)).toBe(true);
    }
  });
});

describe('reload: a change of what is probed keeps state and weight until the new check answers', () => {
  it.each([
    ['path', { path: '/ready' }, true, 'up', 4],
    ['path', { path: '/ready' }, false, 'down', 0],
    ['port', { port: 8080 }, false, 'down', 0],
    ['type', { type: 'https' as const }, true, 'up', 4],
    ['expect-status', { expectStatus: [[200, 200]] as [number, number][] }, false, 'down', 0],
  ])(
    '%s change: weight kept, probed at once, the first result (pass %s) decides',
    async (key, change, pass, state, health) => {
      const rig = await upRig();
      rig.probe.outcome = (req) =>
        req.spec.path === H.path &&
        req.spec.type === 'http' &&
        req.spec.port === 80 &&
        req.spec.expectStatus.length === 1 &&
        req.spec.expectStatus[0]?.[1] === 399
          ? true
          : pass;
      const t0 = Date.now();
      await rig.run([{ do: 'reload', check: change }]);
      // Right after the reload: same state and weight, counter at rise-1 awaiting the new check.
      expect(rig.now('web1')).toMatchObject({ state: 'up', health: 1, lastResult: undefined });
      expect(rig.of('web1').at(-1)?.weight).toBe(100);
      expect(rig.reports[0]).toEqual([expect.objectContaining({ carry: 'recheck', keys: [key] })]);
      expect(rig.reports[0]?.[0]?.reason).toMatch(
        /probe changed .*still up until its first result, probed now/,
      );
      await rig.run([{ do: 'wait', ms: 10 }]); // "at once": the next tick
      expect(rig.probe.since(t0)).toHaveLength(1);
      expect(rig.now('web1')).toMatchObject({ state, health });
      // Nothing passed through unknown; down only when the new check failed.
      expect(rig.of('web1').some((x) => x.state === 'unknown' && x.step > 1)).toBe(false);
      if (pass) expect(rig.of('web1', 2).every((x) => x.weight === 100)).toBe(true);
    },
  );

  it("the old check's result in flight is dropped: only the new check decides", async () => {
    const rig = await upRig();
    rig.probe.outcome = () => 'hang';
    await rig.run([{ do: 'wait', ms: 1000 }]); // the attempt at 3000 ms, of the old check, is in flight
    const old = rig.probe.calls.at(-1);
    expect(old?.path).toBe('/healthz');
    await rig.run([{ do: 'reload', check: { path: '/ready' } }]);
    expect(old?.aborted()).toBe(true);
    rig.probe.release(false, '/healthz'); // the old check's late failure
    await rig.run([{ do: 'wait', ms: 0 }]);
    expect(rig.probe.calls.at(-1)?.path).toBe('/ready'); // probed at once, still in flight
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 1 }); // the old failure did not count
    expect(rig.checker.stats().dropped.staleEpoch).toBe(1);
    rig.probe.release(true, '/ready');
    await rig.run([{ do: 'wait', ms: 0 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 4 });
    expect(rig.of('web1', 2).every((x) => x.weight === 100)).toBe(true);
  });

  it('a timing change before the new check answered keeps it awaiting (one result still decides)', async () => {
    const rig = await upRig();
    rig.probe.outcome = (req) => (req.spec.path === '/ready' ? 'hang' : true);
    await rig.run([
      { do: 'reload', check: { path: '/ready' } },
      { do: 'wait', ms: 10 },
      { do: 'reload', check: { rise: 4 } },
    ]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 3 }); // rise-1 of the new range
    rig.probe.release(true);
    await rig.run([{ do: 'wait', ms: 0 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 6 }); // one pass: fully up
  });

  it('a paused backend keeps its paused weight; the first result after resume decides', async () => {
    const rig = await upRig();
    await rig.run([
      { do: 'pause' },
      { do: 'reload', check: { path: '/ready' } },
      { do: 'probes', outcome: () => false },
      { do: 'wait', ms: 5000 },
    ]);
    expect(rig.now('web1')).toMatchObject({ state: 'paused', lastKnown: 'up', health: 1 });
    expect(rig.reports[0]?.[0]?.reason).toMatch(/paused, last known up until the first result after resume/);
    expect(rig.of('web1', 2).every((x) => x.weight === 100)).toBe(true);
    await rig.run([{ do: 'resume' }, { do: 'wait', ms: 10 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 0 });
  });
});

describe('reload: a new address is a new AS and starts unknown', () => {
  it('resets the moved backend only, and reports every backend whose health was touched', async () => {
    const rig = await upRig([
      { name: 'stay', address: '10.0.0.1' },
      { name: 'moves', address: '10.0.0.2' },
      { name: 'goes', address: '10.0.0.3' },
    ]);
    await rig.run([
      {
        do: 'reload',
        check: { intervalMs: 2500 },
        backends: [
          { name: 'stay', address: '10.0.0.1' },
          { name: 'moves', address: '10.0.0.22' },
          { name: 'new', address: '10.0.0.4' },
        ],
      },
    ]);
    const lines = rig.reports[0] ?? [];
    expect(lines.map((l) => [l.name, l.carry, l.to.state])).toEqual([
      ['stay', 'rebased', 'up'],
      ['moves', 'reset', 'unknown'],
      ['new', 'added', 'unknown'],
      ['goes', 'removed', 'removed'],
    ]);
    expect(lines[1]?.reason).toBe('address changed from 10.0.0.2 to 10.0.0.22: a new AS starts unknown');
    expect(lines[1]?.address.text).toBe('10.0.0.22');
    expect(lines[2]?.from).toBeUndefined();
    expect(rig.of('stay', 2).every((x) => x.weight === 100)).toBe(true);
  });

  it('an unchanged backend is not reported and its snapshot entry is the very same object', async () => {
    const rig = await upRig();
    const before = rig.now('web1');
    await rig.run([{ do: 'reload', check: { name: 'web' } }]);
    expect(rig.reports[0]).toEqual([]);
    expect(rig.now('web1')).toBe(before);
  });
});

describe('operator actions never lower a weight they did not ask to lower', () => {
  it('pause/resume cycles on a healthy backend never pass through unknown or down', async () => {
    const rig = await upRig();
    const t0 = Date.now();
    await rig.run([
      { do: 'pause' },
      { do: 'wait', ms: 5000 },
      { do: 'resume' },
      { do: 'wait', ms: 10 },
      { do: 'pause' },
      { do: 'resume' },
      { do: 'pause' },
      { do: 'wait', ms: 100 },
      { do: 'resume' },
      { do: 'wait', ms: 5000 },
    ]);
    const after = rig.of('web1', 2);
    expect(after.every((x) => (x.state === 'up' || x.state === 'paused') && x.weight === 100)).toBe(true);
    // Each resume probed at once (within the next 10 ms tick), not a fast-interval later.
    const resumes = rig.probe.since(t0);
    expect(resumes[0]).toBeLessThanOrEqual(t0 + 5000 + 10);
  });

  it('resume probes at once and the counter the pause froze decides (a failing backend needs `fall` failures)', async () => {
    const rig = await upRig();
    await rig.run([{ do: 'pause' }, { do: 'probes', outcome: () => false }, { do: 'wait', ms: 60_000 }]);
    const t = Date.now();
    await rig.run([{ do: 'resume' }]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 4 });
    await rig.run([{ do: 'wait', ms: 10 }]);
    expect(rig.probe.since(t)).toHaveLength(1);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 3 });
    await rig.run([{ do: 'wait', ms: 1200 }]); // two more failures at fast-interval
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 0 });
  });

  it('a down backend resumed stays down (weight 0) until rise passes', async () => {
    const rig = new Rig();
    rig.probe.outcome = () => false;
    rig.checker.start();
    await rig.run([
      { do: 'wait', ms: 1100 },
      { do: 'pause' },
      { do: 'probes', outcome: () => true },
      { do: 'resume' },
      { do: 'wait', ms: 10 },
    ]);
    expect(rig.now('web1')).toMatchObject({ state: 'down', health: 1 });
    await rig.run([{ do: 'wait', ms: 600 }]);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 4 });
  });

  it('disable lowers the weight (asked); enable starts unknown at weight 0 and probes at once', async () => {
    const rig = await upRig();
    await rig.run([
      { do: 'pause' }, // 2
      { do: 'resume' }, // 3
      { do: 'disable' }, // 4: the one asked-for drop
      { do: 'wait', ms: 5000 }, // 5
      { do: 'enable' }, // 6
      { do: 'wait', ms: 10 }, // 7
      { do: 'pause' }, // 8
      { do: 'resume' }, // 9
      { do: 'wait', ms: 3000 }, // 10
    ]);
    const s = rig.of('web1', 2);
    // Any weight drop happens at the disable step and nowhere else.
    const drops = s.filter((x, i) => i > 0 && x.weight < (s[i - 1] as Sample).weight).map((x) => x.step);
    expect(drops).toEqual([4]);
    expect(new Set(s.filter((x) => x.step === 6).map((x) => x.state))).toEqual(new Set(['unknown']));
    expect(s.filter((x) => x.step >= 7).every((x) => x.state !== 'unknown' && x.state !== 'down')).toBe(true);
    expect(rig.now('web1')).toMatchObject({ state: 'up', health: 4 });
  });
});
