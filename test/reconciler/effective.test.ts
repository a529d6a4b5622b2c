// The truth table of spec §5: effective weight and flush per backend state, pool and override.
import { describe, expect, it } from 'vitest';
import { computeFrontendWeights, overrideKey, type WeightOverride } from '../../src/reconciler/effective.js';
import { buildHealth, buildModel } from './builders.js';

const model = buildModel({ a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3' }, [
  { name: 'web', vip: '192.0.2.1', pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } } },
]);
const fe = model.frontends.get('web')!;

function weights(states: Record<string, string>, overrides: [string, WeightOverride][] = [], m = model) {
  const w = computeFrontendWeights(
    m.frontends.get('web')!,
    m.backends,
    buildHealth(m, states),
    new Map(overrides),
  );
  return {
    state: w.state,
    active: w.activePool,
    rows: Object.fromEntries(w.members.map((r) => [r.backend, [r.effectiveWeight, r.flush]])),
  };
}

describe('effective weights', () => {
  it('up in the active pool gets its configured weight; inactive pools drain without flush', () => {
    expect(weights({ a: 'up', b: 'up', c: 'up' })).toEqual({
      state: 'up',
      active: 'primary',
      rows: { a: [100, false], b: [50, false], c: [0, false] },
    });
  });

  it('down gets 0 with flush (flush-on-down), unknown 0 without', () => {
    expect(weights({ a: 'down', b: 'up', c: 'unknown' }).rows).toEqual({
      a: [0, true],
      b: [50, false],
      c: [0, false],
    });
    const noFlush = buildModel({ a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3' }, [
      {
        name: 'web',
        vip: '192.0.2.1',
        flushOnDown: false,
        pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } },
      },
    ]);
    expect(weights({ a: 'down', b: 'up', c: 'up' }, [], noFlush).rows.a).toEqual([0, false]);
  });

  it('fails over to the next pool when the first has no usable backend, and back', () => {
    expect(weights({ a: 'down', b: 'down', c: 'up' })).toMatchObject({
      state: 'up',
      active: 'fallback',
      rows: { a: [0, true], b: [0, true], c: [100, false] },
    });
    expect(weights({ a: 'up', b: 'down', c: 'up' }).rows).toEqual({
      a: [100, false],
      b: [0, true],
      c: [0, false],
    });
  });

  it('all down is frontend down; all unknown is frontend unknown', () => {
    expect(weights({ a: 'down', b: 'down', c: 'down' })).toMatchObject({ state: 'down', active: undefined });
    expect(weights({})).toMatchObject({ state: 'unknown', active: undefined });
  });

  it('disabled is 0 with flush, always', () => {
    const m = buildModel({ a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3' }, [
      {
        name: 'web',
        vip: '192.0.2.1',
        flushOnDown: false,
        pools: { primary: { a: 100, b: 50 }, fallback: { c: 100 } },
      },
    ]);
    expect(weights({ a: 'disabled', b: 'up', c: 'up' }, [], m).rows.a).toEqual([0, true]);
  });

  it('paused keeps the last known up or down', () => {
    expect(weights({ a: 'paused:up', b: 'paused:down', c: 'up' }).rows).toEqual({
      a: [100, false],
      b: [0, true],
      c: [0, false],
    });
  });

  it('override 0 drains, with flush only when asked; an override changes the weight in force', () => {
    const k = overrideKey('web', 'primary', 'a');
    expect(weights({ a: 'up', b: 'up', c: 'up' }, [[k, { weight: 0, flush: false }]]).rows.a).toEqual([
      0,
      false,
    ]);
    expect(weights({ a: 'up', b: 'up', c: 'up' }, [[k, { weight: 0, flush: true }]]).rows.a).toEqual([
      0,
      true,
    ]);
    expect(weights({ a: 'up', b: 'up', c: 'up' }, [[k, { weight: 30, flush: false }]]).rows.a).toEqual([
      30,
      false,
    ]);
  });

  it('a pool drained to 0 by overrides fails over instead of dropping every flow', () => {
    const ov: [string, WeightOverride][] = [
      [overrideKey('web', 'primary', 'a'), { weight: 0, flush: false }],
      [overrideKey('web', 'primary', 'b'), { weight: 0, flush: false }],
    ];
    expect(weights({ a: 'up', b: 'up', c: 'up' }, ov)).toMatchObject({
      active: 'fallback',
      rows: { c: [100, false] },
    });
  });

  it('explains each weight in words', () => {
    const w = computeFrontendWeights(
      fe,
      model.backends,
      buildHealth(model, { a: 'up', b: 'down', c: 'up' }),
      new Map(),
    );
    expect(w.members.map((m) => m.reason)).toEqual([
      'up in the active pool primary; configured weight 100',
      'down (flush-on-down)',
      'up in pool fallback, which is not active (primary is): drained gracefully',
    ]);
  });
});
