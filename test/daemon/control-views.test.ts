// Views built from a real reconciler over the fake dataplane: what maglevctl will show of a running daemon.
import { afterEach, describe, expect, it } from 'vitest';
import {
  backendEvent,
  backendViews,
  explainView,
  frontendEvents,
  frontendViews,
  healthcheckViews,
  liveLbView,
  planView,
  syncEvent,
} from '../../src/daemon/control-views.js';
import { silentLogger } from '../../src/log/logger.js';
import type { HealthSnapshot } from '../../src/model/health.js';
import { type PassInfo, Reconciler } from '../../src/reconciler/reconciler.js';
import { FakeDataplane } from '../fakes/fake-dataplane.js';
import { buildHealth, buildModel } from '../reconciler/builders.js';

const NOW = Date.parse('2026-11-23T01:00:00.000Z');
const model = buildModel({ a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3' }, [
  { name: 'web', vip: '192.0.2.1', pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } } },
]);

function withHistory(s: HealthSnapshot): HealthSnapshot {
  const backends = new Map(s.backends);
  const b = backends.get('b')!;
  backends.set('b', {
    ...b,
    since: NOW - 95_000,
    lastResult: { ok: false, code: 'L4CON', latencyMs: 0.4, detail: 'connection refused', at: NOW - 2000 },
    history: [{ from: 'up', to: 'down', code: 'L4CON', reason: 'connection refused', at: NOW - 95_000 }],
  });
  return { generation: s.generation, backends };
}

let r: Reconciler | undefined;
afterEach(async () => {
  await r?.stop();
});

async function running(states: Record<string, string>) {
  const dp = new FakeDataplane();
  const passes: PassInfo[] = [];
  const health = withHistory(buildHealth(model, states));
  r = new Reconciler({ dataplane: dp, logger: silentLogger(), model, health, onPass: (p) => passes.push(p) });
  r.vppConnected();
  await r.whenIdle();
  return { dp, health, passes, r };
}

describe('control views', () => {
  it('frontend view: weights, VPP weights and buckets from the record, ages', async () => {
    const { health, r } = await running({ a: 'up', b: 'down', c: 'up' });
    const [fe] = frontendViews({
      model,
      weights: r.weights,
      health,
      live: r.liveState(),
      isReleased: (f) => r.isFrontendReleased(f),
      now: NOW,
    });
    expect(fe).toMatchObject({
      name: 'web',
      vip: '192.0.2.1/32 tcp:80',
      state: 'up',
      activePool: 'primary',
      released: true,
    });
    const b = fe!.pools[0]!.backends[1]!;
    expect(b).toMatchObject({
      backend: 'b',
      state: 'down',
      configuredWeight: 50,
      effectiveWeight: 0,
      vppWeight: 0,
    });
    expect(b.lastTransition).toEqual({ at: '2026-11-23T00:58:25.000Z', ageMs: 95_000 });
    expect(fe!.pools[1]).toMatchObject({ name: 'fallback', active: false });
  });

  it('backend and healthcheck views', () => {
    const health = withHistory(buildHealth(model, { a: 'up', b: 'down' }));
    const views = backendViews(model, health, NOW);
    expect(views.map((v) => v.name)).toEqual(['a', 'b', 'c']);
    expect(views[1]).toMatchObject({
      health: 0,
      rise: 2,
      fall: 3,
      lastProbe: { code: 'L4CON', at: { ageMs: 2000 } },
    });
    expect(healthcheckViews(model)[0]).toMatchObject({ name: 'hc', backends: ['a', 'b', 'c'], headers: [] });
  });

  it('plan view: the exact pending calls per VIP; explain: the reason line', async () => {
    const { r } = await running({ a: 'up', b: 'up', c: 'up' });
    r.setOverride('web', 'primary', 'a', { weight: 0, flush: true });
    const preview = await r.previewPlan(false);
    const p = planView(preview, model, true, () => 42);
    expect(p.steps.map((s) => s.line)).toEqual([
      'lb_as_set_weight 192.0.2.1/32 tcp:80 as 10.0.0.1 weight 100 → 0 flush',
    ]);
    expect(p.steps[0]!.call).toBe('lb_as_set_weight');
    expect(p.vips).toEqual([
      { vip: '192.0.2.1/32 tcp:80', frontend: 'web', calls: 1, bucketsMoved: 42, tableLength: 1024 },
    ]);
    const e = explainView(
      {
        model,
        weights: r.weights,
        health: buildHealth(model, { a: 'up', b: 'up', c: 'up' }),
        live: r.liveState(),
        isReleased: () => true,
        warmup: r.warmupPhase(),
        now: NOW,
      },
      'web',
      'a',
    );
    expect(e.members[0]).toMatchObject({
      override: { weight: 0, flush: true },
      effectiveWeight: 0,
      flush: true,
    });
    expect(e.members[0]!.reason).toBe('up in the active pool primary; weight overridden to 0 with flush');
    expect(() =>
      explainView(
        {
          model,
          weights: r.weights,
          health: buildHealth(model, {}),
          live: r.liveState(),
          isReleased: () => true,
          warmup: 'done',
          now: NOW,
        },
        'web',
        'zz',
      ),
    ).toThrow(/no backend "zz"/);
  });

  it('live lb view and events', async () => {
    const { r, passes, health } = await running({ a: 'up', b: 'down', c: 'up' });
    const lb = liveLbView(r.liveState(), model, true, 'record');
    expect(lb.vips[0]!.ases.map((a) => `${a.address}=${a.weight}:${a.backend}`)).toEqual([
      '10.0.0.1=100:a',
      '10.0.0.2=0:b',
      '10.0.0.3=0:c',
    ]);
    expect(syncEvent(passes[0]!, NOW)).toMatchObject({
      type: 'sync',
      trigger: 'vpp-connect',
      full: true,
      calls: 4,
    });
    const b = health.backends.get('b')!;
    expect(backendEvent(b, b.history[0]!)).toMatchObject({
      backend: 'b',
      address: '10.0.0.2',
      from: 'up',
      to: 'down',
    });
    const before = new Map(r.weights); // weights is a live view: keep a copy of the old values
    r.setHealth(buildHealth(model, { a: 'down', b: 'down', c: 'down' }));
    expect(frontendEvents(before, r.weights, model, NOW)).toMatchObject([
      { type: 'frontend', frontend: 'web', from: 'up', to: 'down', activePool: null },
    ]);
    await r.whenIdle();
  });
});
