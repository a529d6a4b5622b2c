// Starting states from the state file (spec §4): operator state always, recent verdicts verified at once.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker, type SeedEntry } from '../../src/checker/checker.js';
import type { Probe } from '../../src/checker/probes/probe.js';
import { parseAddress } from '../../src/model/address.js';
import { hc, model } from './builders.js';

const H = hc({
  name: 'web',
  type: 'http',
  intervalMs: 2000,
  fastIntervalMs: 500,
  downIntervalMs: 10_000,
  timeoutMs: 400,
});

function rig(outcome: (address: string) => boolean = () => true) {
  const calls: { address: string; at: number }[] = [];
  const probe: Probe = (req) => {
    calls.push({ address: req.address.text, at: Date.now() });
    const ok = outcome(req.address.text);
    return Promise.resolve({ ok, code: ok ? 'L7OK' : 'L7STS', latencyMs: 1, detail: '', at: Date.now() });
  };
  const c = new HealthChecker(
    model({
      healthchecks: [H],
      backends: [
        { name: 'b1', address: '10.0.0.1' },
        { name: 'b2', address: '10.0.0.2' },
        { name: 'b3', address: '10.0.0.3' },
        { name: 'b4', address: '10.0.0.4' },
        { name: 'b5', address: '10.0.0.5', enabled: false },
        { name: 'b6', address: '10.0.0.6', enabled: false },
      ],
    }),
    { probes: { http: probe }, random: () => 0.5 },
  );
  return { c, calls };
}

const rec = (
  name: string,
  address: string,
  admin: SeedEntry['admin'],
  verdict: SeedEntry['verdict'],
): SeedEntry => ({
  name,
  address: parseAddress(address),
  admin,
  verdict,
});

const RECORDS = [
  rec('b1', '10.0.0.1', 'disabled', 'up'),
  rec('b2', '10.0.0.2', 'paused', 'up'),
  rec('b3', '10.0.0.3', undefined, 'up'),
  rec('b4', '10.0.0.44', undefined, 'up'), // about another address
  rec('b5', '10.0.0.5', 'enabled', 'down'), // the config disables b5; the operator enabled it
  rec('gone', '10.0.0.9', 'paused', undefined),
];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('seed', () => {
  it('starts each backend as recorded, before any probe', () => {
    const { c } = rig();
    const out = c.seed(RECORDS);
    expect(out.map((o) => [o.name, o.applied, o.state])).toEqual([
      ['b1', true, 'disabled'],
      ['b2', true, 'paused'],
      ['b3', true, 'up'],
      ['b4', true, 'unknown'],
      ['b5', true, 'down'],
      ['gone', false, undefined],
    ]);
    expect(out[3]?.reason).toBe('verdict was about another address: starts unknown');
    expect(out[5]?.reason).toBe('no such backend in the config');
    const s = c.snapshot().backends;
    expect(s.get('b2')).toMatchObject({ state: 'paused', lastKnown: 'up' }); // keeps its weight
    expect(s.get('b3')).toMatchObject({ state: 'up', lastKnown: 'up', health: 1 }); // weight kept, awaiting a probe
    expect(s.get('b6')?.state).toBe('disabled'); // no record: the config decides
    expect(s.get('b3')?.history.at(-1)).toMatchObject({
      from: 'unknown',
      to: 'up',
      reason: 'restored: last known up: starts up, probed at once',
    });
  });

  it('verdicts are verified at once: one failure takes a restored up down, one pass confirms it', async () => {
    const { c, calls } = rig((a) => a !== '10.0.0.3');
    c.seed(RECORDS);
    c.start();
    await vi.advanceTimersByTimeAsync(10);
    // b3 and b5 (restored verdicts) at once; b4 (unknown) is spread over its interval; b1 and b2 not at all.
    expect(calls.map((x) => x.address).sort()).toEqual(['10.0.0.3', '10.0.0.5']);
    expect(c.snapshot().backends.get('b3')).toMatchObject({ state: 'down', health: 0 });
    expect(c.snapshot().backends.get('b5')).toMatchObject({ state: 'up', health: 4 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.filter((x) => x.address === '10.0.0.1' || x.address === '10.0.0.2')).toEqual([]);
    expect(c.snapshot().backends.get('b4')?.state).toBe('up');
    c.stop();
  });

  it('is refused once probing has started', () => {
    const { c } = rig();
    c.start();
    const before = c.snapshot();
    expect(c.seed(RECORDS).every((o) => !o.applied && o.reason === 'probing has started')).toBe(true);
    expect(c.snapshot()).toBe(before);
    c.stop();
  });
});
