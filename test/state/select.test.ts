// The state against a config: pruning on reload/start, health younger than the ttl, the state of a snapshot.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { parseAddress } from '../../src/model/address.js';
import type { BackendHealth, HealthSnapshot } from '../../src/model/health.js';
import { pruneState, restorableHealth, stateOf } from '../../src/state/select.js';
import { backend, override, state, T0 } from './builders.js';

const CONFIG = `maglev:
  vpp: { lb: { ipv4-src-address: 192.0.2.254 } }
  healthchecks:
    web: { type: http, port: 80 }
  backends:
    web1: { address: 10.0.0.1, healthcheck: web }
    web2: { address: 10.0.0.2, healthcheck: web }
    web3: { address: 10.0.0.3, healthcheck: web, enabled: false }
  frontends:
    web-v4:
      address: 198.51.100.1
      port: 80
      pools:
        - name: primary
          backends: { web1: {}, web2: {} }
        - name: backup
          backends: { web3: {} }
`;
const model = parseConfigText(CONFIG, 'maglev.yaml');
const up = { state: 'up' as const, counter: 4, at: T0 - 1000 };

describe('pruneState', () => {
  it('returns the very same state when everything still applies', () => {
    const s = state(
      [
        backend('web1', '10.0.0.1', { admin: 'paused', health: up }),
        backend('web3', '10.0.0.3', { admin: 'enabled' }),
      ],
      [override('web-v4', 'primary', 'web1', '10.0.0.1', 0, true)],
    );
    const r = pruneState(s, model);
    expect(r.dropped).toEqual([]);
    expect(r.state).toBe(s);
  });

  it('drops entries of removed backends and members, and health of a moved backend, saying why', () => {
    const s = state(
      [
        backend('gone', '10.0.0.9', { admin: 'disabled' }),
        backend('web1', '10.0.0.11', { admin: 'paused', health: up }), // moved while maglevd was down
        backend('web2', '10.0.0.2', { admin: 'enabled', health: up }), // the config enables web2 itself
      ],
      [
        override('web-v4', 'primary', 'web1', '10.0.0.1', 50),
        override('web-v4', 'backup', 'web1', '10.0.0.1', 50),
        override('web-v4', 'nope', 'web1', '10.0.0.1', 50),
        override('other', 'primary', 'web1', '10.0.0.1', 50),
      ],
    );
    const r = pruneState(s, model);
    expect(r.dropped).toEqual([
      { kind: 'backend', key: 'gone', reason: 'no backend gone in the config' },
      {
        kind: 'health',
        key: 'web1',
        reason: 'backend web1 moved from 10.0.0.11 to 10.0.0.1: its health was about the old address',
      },
      { kind: 'admin', key: 'web2', reason: 'the config enables backend web2 itself' },
      {
        kind: 'override',
        key: 'web-v4/backup/web1',
        reason: 'no backend web1 in web-v4/backup in the config',
      },
      { kind: 'override', key: 'web-v4/nope/web1', reason: 'no pool nope in web-v4 in the config' },
      { kind: 'override', key: 'other/primary/web1', reason: 'no frontend other in the config' },
    ]);
    expect([...r.state.backends.keys()]).toEqual(['web1', 'web2']);
    expect(r.state.backends.get('web1')).toMatchObject({ admin: 'paused', health: undefined });
    expect(r.state.backends.get('web1')?.address.text).toBe('10.0.0.1');
    expect(r.state.backends.get('web2')).toMatchObject({ admin: undefined, health: up });
    expect(r.state.overrides.map((o) => o.pool)).toEqual(['primary']);
  });
});

describe('restorableHealth (state-ttl)', () => {
  const TTL = 120_000;
  const s = state([
    backend('fresh', '10.0.0.1', { health: { state: 'up', counter: 4, at: T0 - 119_999 } }),
    backend('stale', '10.0.0.2', { health: { state: 'up', counter: 4, at: T0 - 120_000 } }),
    backend('future', '10.0.0.3', { health: { state: 'down', counter: 0, at: T0 + 5000 } }),
    backend('pausedOld', '10.0.0.4', {
      admin: 'paused',
      health: { state: 'up', counter: 4, at: T0 - 86_400_000 },
    }),
    backend('none', '10.0.0.5', { admin: 'disabled' }),
  ]);
  it('keeps health younger than the ttl, and a paused backend frozen verdict whatever its age', () => {
    const r = restorableHealth(s, T0, TTL);
    expect([...r.keys()]).toEqual(['fresh', 'pausedOld']);
    expect(r.get('fresh')).toMatchObject({ ageMs: 119_999, health: { state: 'up' } });
  });
  it('a ttl of 0 restores nothing but paused verdicts', () => {
    expect([...restorableHealth(s, T0, 0).keys()]).toEqual(['pausedOld']);
  });
});

describe('stateOf', () => {
  const view = (name: string, address: string, over: Partial<BackendHealth>): BackendHealth => ({
    name,
    address: parseAddress(address),
    state: 'up',
    lastKnown: 'up',
    health: 4,
    lastResult: { ok: true, code: 'L7OK', latencyMs: 1, detail: '', at: T0 - 10 },
    history: [],
    since: T0 - 99_000,
    ...over,
  });
  it('records operator state and verdicts with the time of the result behind them', () => {
    const snap: HealthSnapshot = {
      generation: 3,
      backends: new Map([
        ['web1', view('web1', '10.0.0.1', { state: 'paused', lastKnown: 'up' })],
        ['web2', view('web2', '10.0.0.2', { state: 'disabled', lastKnown: 'unknown', health: 1 })],
        [
          'web3',
          view('web3', '10.0.0.3', {
            state: 'unknown',
            lastKnown: 'unknown',
            health: 1,
            lastResult: undefined,
          }),
        ],
      ]),
    };
    const s = stateOf(model, snap, [
      { frontend: 'web-v4', pool: 'primary', backend: 'web2', weight: 10, flush: false },
    ]);
    expect([...s.backends.values()].map((b) => [b.name, b.admin, b.health?.state, b.health?.at])).toEqual([
      ['web1', 'paused', 'up', T0 - 10],
      ['web2', 'disabled', undefined, undefined],
      ['web3', 'enabled', undefined, undefined], // the config disables web3; it runs, so the operator enabled it
    ]);
    expect(s.overrides).toEqual([
      {
        frontend: 'web-v4',
        pool: 'primary',
        backend: 'web2',
        weight: 10,
        flush: false,
        address: parseAddress('10.0.0.2'),
      },
    ]);
  });
});
