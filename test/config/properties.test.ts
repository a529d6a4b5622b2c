// Properties: any valid config, written as YAML, loads into a model with every default set that keeps its invariants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/issues.js';
import { parseConfigText } from '../../src/config/load.js';
import { DEFAULTS } from '../../src/config/schema.js';
import type { DesiredModel } from '../../src/model/desired.js';
import { PROTO_ANY, vipKeyString } from '../../src/model/vip-key.js';

/** A duration string for `ms`, in a unit chosen by the generator. */
const durationText = (ms: number, useMs: boolean) => (useMs || ms % 1000 !== 0 ? `${ms}ms` : `${ms / 1000}s`);

const checkArb = fc
  .record({
    type: fc.constantFrom('icmp', 'tcp', 'http', 'https'),
    port: fc.integer({ min: 1, max: 65535 }),
    timeout: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
    intervalDelta: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    fastDelta: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    downDelta: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    rise: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    fall: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    path: fc.option(fc.constantFrom('/', '/healthz', '/.well-known/ipng/healthz?x=1'), { nil: undefined }),
    status: fc.option(
      fc.array(fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constant('200-399')), {
        minLength: 1,
        maxLength: 3,
      }),
      {
        nil: undefined,
      },
    ),
    useMs: fc.boolean(),
  })
  .map((c) => {
    const out: Record<string, unknown> = { type: c.type };
    if (c.type !== 'icmp') out.port = c.port;
    const timeout = c.timeout ?? 1000;
    if (c.timeout !== undefined) out.timeout = durationText(c.timeout, c.useMs);
    // Every interval strictly above the timeout (spec §3), whether written or defaulted.
    // Intervals are at least 10ms (the schema's floor).
    const above = (delta: number) => Math.max(timeout + delta, 10);
    if (c.intervalDelta !== undefined || timeout >= 2000)
      out.interval = durationText(above(c.intervalDelta ?? 1), c.useMs);
    if (c.fastDelta !== undefined) out['fast-interval'] = durationText(above(c.fastDelta), c.useMs);
    if (c.downDelta !== undefined) out['down-interval'] = durationText(above(c.downDelta), c.useMs);
    if (c.rise !== undefined) out.rise = c.rise;
    if (c.fall !== undefined) out.fall = c.fall;
    if (c.type === 'http' || c.type === 'https') {
      if (c.path !== undefined) out.path = c.path;
      if (c.status !== undefined) out['expect-status'] = c.status;
    }
    return out;
  });

const configArb = fc
  .record({
    checks: fc.array(checkArb, { minLength: 1, maxLength: 4 }),
    backends: fc.array(
      fc.record({ v6: fc.boolean(), check: fc.nat(), enabled: fc.option(fc.boolean(), { nil: undefined }) }),
      { minLength: 1, maxLength: 10 },
    ),
    frontends: fc.array(
      fc.record({
        v6: fc.boolean(),
        vip6: fc.boolean(),
        protocol: fc.option(fc.constantFrom('tcp', 'udp', 'any'), { nil: undefined }),
        port: fc.integer({ min: 1, max: 65535 }),
        pools: fc.integer({ min: 1, max: 3 }),
        shuffle: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
        weights: fc.array(fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }), {
          minLength: 10,
          maxLength: 10,
        }),
        sticky: fc.option(fc.boolean(), { nil: undefined }),
        table: fc.option(
          fc.integer({ min: 0, max: 16 }).map((e) => 2 ** e),
          { nil: undefined },
        ),
      }),
      { maxLength: 6 },
    ),
    lbTable: fc.option(
      fc.integer({ min: 0, max: 16 }).map((e) => 2 ** e),
      { nil: undefined },
    ),
    bothSources: fc.boolean(),
  })
  .map((g) => {
    const healthchecks: Record<string, unknown> = {};
    g.checks.forEach((c, i) => {
      healthchecks[`hc${i}`] = c;
    });
    const backends: Record<string, unknown> = {};
    const fam = new Map<string, boolean>();
    g.backends.forEach((b, i) => {
      const name = `be${i}`;
      fam.set(name, b.v6);
      const entry: Record<string, unknown> = {
        address: b.v6 ? `2001:db8::${(i + 1).toString(16)}` : `10.0.${i >> 8}.${(i & 255) + 1}`,
        healthcheck: `hc${b.check % g.checks.length}`,
      };
      if (b.enabled !== undefined) entry.enabled = b.enabled;
      backends[name] = entry;
    });
    const frontends: Record<string, unknown> = {};
    const families = new Set<boolean>();
    g.frontends.forEach((f, i) => {
      // Only backends of one family; split them over the pools, one pool per backend at most.
      const eligible = [...fam].filter(([, v6]) => v6 === f.v6).map(([n]) => n);
      if (eligible.length === 0) return;
      eligible.sort(
        (a, b) => (f.shuffle[Number(a.slice(2)) % 10] ?? 0) - (f.shuffle[Number(b.slice(2)) % 10] ?? 0),
      );
      const npools = Math.min(f.pools, eligible.length);
      const pools = Array.from({ length: npools }, (_, p) => {
        const members: Record<string, unknown> = {};
        eligible.forEach((n, k) => {
          if (k % npools === p) {
            const w = f.weights[k % 10];
            members[n] = w === null || w === undefined ? null : { weight: w };
          }
        });
        return { name: `pool${p}`, backends: members };
      });
      families.add(f.v6);
      // Distinct VIP addresses per frontend: no two frontends meet on a prefix.
      const fe: Record<string, unknown> = {
        address: f.vip6 ? `2001:db8:100::${(i + 1).toString(16)}` : `198.51.100.${i + 1}`,
        pools,
      };
      if (f.protocol !== undefined) fe.protocol = f.protocol;
      if (f.protocol !== 'any') fe.port = f.port;
      if (f.sticky !== undefined) fe['src-ip-sticky'] = f.sticky;
      if (f.table !== undefined) fe['new-flows-table-length'] = f.table;
      frontends[`fe${i}`] = fe;
    });
    const lb: Record<string, unknown> = {};
    if (families.has(false) || g.bothSources) lb['ipv4-src-address'] = '192.0.2.254';
    if (families.has(true) || g.bothSources) lb['ipv6-src-address'] = '2001:db8::fe';
    if (g.lbTable !== undefined) lb['new-flows-table-length'] = g.lbTable;
    const written: Written = {
      maglev: {
        vpp: { lb },
        healthchecks: healthchecks as Entries,
        backends: backends as Entries,
        frontends: frontends as Entries,
      },
    };
    return written;
  });

type Entries = Record<string, Record<string, unknown>>;
interface Written {
  maglev: {
    vpp: { lb: Record<string, unknown> };
    healthchecks: Entries;
    backends: Entries;
    frontends: Entries;
  };
}

const isPow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

function checkInvariants(m: DesiredModel, written: Written) {
  const w = written.maglev;
  const of = (e: Entries, name: string) => e[name] ?? {};
  expect(Object.isFrozen(m)).toBe(true);
  expect(m.healthchecker).toEqual({
    transitionHistory: DEFAULTS.transitionHistory,
    maxConcurrentProbes: 256,
    stateTtlMs: 120_000,
  });
  expect(m.vpp.apiTimeoutMs).toBe(1000);
  expect(isPow2(m.vpp.lb.newFlowsTableLength) && m.vpp.lb.newFlowsTableLength <= 65536).toBe(true);
  expect(m.vpp.lb.newFlowsTableLength).toBe(
    w.vpp.lb['new-flows-table-length'] ?? DEFAULTS.newFlowsTableLength,
  );
  for (const [name, hc] of m.healthchecks) {
    const src = of(w.healthchecks, name);
    expect(hc.name).toBe(name);
    expect(Object.isFrozen(hc)).toBe(true);
    expect(hc.port === undefined).toBe(hc.type === 'icmp');
    for (const iv of [hc.intervalMs, hc.fastIntervalMs, hc.downIntervalMs]) {
      expect(Number.isInteger(iv)).toBe(true);
      expect(iv).toBeGreaterThan(hc.timeoutMs);
    }
    if (src['fast-interval'] === undefined) expect(hc.fastIntervalMs).toBe(hc.intervalMs);
    if (src['down-interval'] === undefined) expect(hc.downIntervalMs).toBe(hc.intervalMs);
    expect(hc.rise).toBe(src.rise ?? DEFAULTS.rise);
    expect(hc.fall).toBe(src.fall ?? DEFAULTS.fall);
    expect(hc.path).toBe(src.path ?? '/');
    expect(hc.expectStatus.length).toBeGreaterThan(0);
    for (const [lo, hi] of hc.expectStatus) expect(lo <= hi && lo >= 100 && hi <= 599).toBe(true);
    expect(hc.insecure).toBe(false);
  }
  for (const [name, b] of m.backends) {
    expect(b.name).toBe(name);
    expect(m.healthchecks.has(b.healthcheck)).toBe(true);
    expect(b.enabled).toBe(of(w.backends, name).enabled ?? true);
  }
  const keys = new Set<string>();
  for (const [name, f] of m.frontends) {
    expect(f.name).toBe(name);
    const key = vipKeyString(f.vip);
    expect(keys.has(key)).toBe(false);
    keys.add(key);
    expect(f.vip.port === 0).toBe(f.vip.protocol === PROTO_ANY);
    expect(isPow2(f.newFlowsTableLength)).toBe(true);
    expect(f.newFlowsTableLength).toBe(
      of(w.frontends, name)['new-flows-table-length'] ?? m.vpp.lb.newFlowsTableLength,
    );
    expect(f.srcIpSticky).toBe(of(w.frontends, name)['src-ip-sticky'] ?? false);
    expect(f.flushOnDown).toBe(true);
    expect(f.pools.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const p of f.pools) {
      expect(p.members.length).toBeGreaterThan(0);
      for (const mem of p.members) {
        const b = m.backends.get(mem.backend);
        expect(b).toBeDefined();
        expect(seen.has(mem.backend)).toBe(false);
        seen.add(mem.backend);
        expect(Number.isInteger(mem.weight) && mem.weight >= 0 && mem.weight <= 100).toBe(true);
        expect(f.encap).toBe(b?.address.family === 4 ? 'gre4' : 'gre6');
      }
    }
    expect(f.encap === 'gre4' ? m.vpp.lb.ipv4SrcAddress : m.vpp.lb.ipv6SrcAddress).toBeDefined();
  }
}

describe('config properties', () => {
  it('every generated valid config loads, fully defaulted, and keeps the model invariants', () => {
    fc.assert(
      fc.property(configArb, (cfg) => {
        const text = stringify(cfg);
        const m = parseConfigText(text, 'gen.yaml');
        checkInvariants(m, cfg);
        // Loading is deterministic: the same text gives an equal model.
        expect(parseConfigText(text, 'gen.yaml')).toEqual(m);
      }),
      { numRuns: 100 },
    );
  });

  it('any damage to a valid config gives positioned errors, never a crash', () => {
    const junk = fc.constantFrom<unknown>(null, -1, 0, 1.5, 'x', '', [], {}, true, 70000, '10.0.0.1', '1s', {
      a: 1,
    });
    fc.assert(
      fc.property(configArb, fc.array(fc.nat()), junk, (cfg, picks, value) => {
        // Walk to a random node along `picks` and replace it (or a new key under it) with junk.
        let node: Record<string, unknown> = cfg as unknown as Record<string, unknown>;
        for (const pick of picks) {
          const keys = Object.keys(node);
          const k = keys[pick % Math.max(keys.length, 1)];
          const next = k === undefined ? undefined : node[k];
          if (k === undefined || next === null || typeof next !== 'object') break;
          node = next as Record<string, unknown>;
        }
        const keys = Object.keys(node);
        const target =
          keys.length === 0 || (picks[0] ?? 0) % 5 === 0
            ? 'extra'
            : (keys[(picks[1] ?? 0) % keys.length] as string);
        node[target] = value;
        const text = stringify(cfg);
        const lines = text.split('\n').length;
        try {
          parseConfigText(text, 'bad.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          const err = e as ConfigError;
          expect(err.exitCode).toBe(2);
          expect(err.issues.length).toBeGreaterThan(0);
          for (const i of err.issues) {
            expect(i.line).toBeGreaterThanOrEqual(1);
            expect(i.line).toBeLessThanOrEqual(lines);
            expect(i.col).toBeGreaterThanOrEqual(1);
            expect(i.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
