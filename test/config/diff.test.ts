// The model diff the reload path uses: which backends keep their health state, which VIPs must be re-created.
import { describe, expect, it } from 'vitest';
import { diffModels } from '../../src/config/diff.js';
import { parseConfigText } from '../../src/config/load.js';

const BASE = `maglev:
  vpp: { lb: { ipv4-src-address: 192.0.2.254, ipv6-src-address: 2001:db8::fe } }
  healthchecks:
    web: { type: http, port: 80, path: /healthz }
    ping: { type: icmp }
  backends:
    a: { address: 10.0.0.1, healthcheck: web }
    b: { address: 10.0.0.2, healthcheck: web }
    c: { address: 10.0.0.3, healthcheck: ping }
  frontends:
    f:
      address: 198.51.100.1
      port: 80
      pools:
        - name: p
          backends: { a: {}, b: {} }
        - name: q
          backends: { c: {} }
`;

const model = (text: string) => parseConfigText(text, 'x.yaml');
const byName = (d: ReturnType<typeof diffModels>, n: string) => d.backends.find((b) => b.name === n);

describe('diffModels', () => {
  it('reports nothing for the same config', () => {
    const d = diffModels(model(BASE), model(BASE));
    expect(d.changed).toBe(false);
    expect(d.backends.every((b) => b.change === 'unchanged' && b.keepHealth)).toBe(true);
    expect(d.frontends).toEqual([{ name: 'f', change: 'unchanged', vipChanged: false, recreate: false }]);
    expect(byName(d, 'c')?.frontends).toEqual(['f']);
  });

  it('resets health when the address moves', () => {
    const d = diffModels(model(BASE), model(BASE.replace('10.0.0.1', '10.0.0.11')));
    expect(byName(d, 'a')).toMatchObject({ change: 'changed', keepHealth: false, addressChanged: true });
    expect(byName(d, 'b')?.keepHealth).toBe(true);
  });

  it('a switch to another kind of check is a probe change; the state is kept until its first result', () => {
    const d = diffModels(
      model(BASE),
      model(BASE.replace('10.0.0.2, healthcheck: web', '10.0.0.2, healthcheck: ping')),
    );
    expect(byName(d, 'b')).toMatchObject({ keepHealth: true, healthcheck: 'probe' });
    expect(byName(d, 'b')?.healthcheckKeys).toContain('type');
    expect(byName(d, 'a')).toMatchObject({ keepHealth: true, healthcheck: 'none' });
  });

  it('a switch to an identical check under another name changes nothing about health', () => {
    const text = BASE.replace(
      'ping: { type: icmp }',
      'ping: { type: icmp }\n    web2: { type: http, port: 80, path: /healthz }',
    );
    const d = diffModels(
      model(text),
      model(text.replace('10.0.0.2, healthcheck: web', '10.0.0.2, healthcheck: web2')),
    );
    expect(byName(d, 'b')).toMatchObject({ change: 'unchanged', keepHealth: true, healthcheck: 'none' });
  });

  it('a change of what the check probes is a probe change for every backend using it', () => {
    const d = diffModels(model(BASE), model(BASE.replace('path: /healthz', 'path: /ready')));
    expect(byName(d, 'a')).toMatchObject({
      keepHealth: true,
      healthcheck: 'probe',
      healthcheckKeys: ['path'],
    });
    expect(byName(d, 'b')).toMatchObject({ keepHealth: true, healthcheck: 'probe' });
    expect(byName(d, 'c')).toMatchObject({ keepHealth: true, healthcheck: 'none' });
    expect(d.healthchecks.changed).toEqual(['web']);
  });

  it('a probe source of the other address family is no change for a backend', () => {
    const d = diffModels(
      model(BASE),
      model(BASE.replace('path: /healthz }', 'path: /healthz, ipv6-source-address: 2001:db8::9 }')),
    );
    expect(byName(d, 'a')).toMatchObject({ change: 'unchanged', healthcheck: 'none' });
    expect(d.healthchecks.changed).toEqual(['web']);
    expect(d.changed).toBe(true);
  });

  it('keeps health when only the timing changes, and names the keys', () => {
    const d = diffModels(
      model(BASE),
      model(BASE.replace('path: /healthz }', 'path: /healthz, interval: 5s, timeout: 2s, rise: 3 }')),
    );
    expect(byName(d, 'a')).toMatchObject({
      change: 'changed',
      keepHealth: true,
      healthcheck: 'timing',
      healthcheckKeys: ['interval', 'fast-interval', 'down-interval', 'timeout', 'rise'], // both default to interval
    });
  });

  it('keeps health across an enable flip and reports it', () => {
    const d = diffModels(
      model(BASE),
      model(BASE.replace('healthcheck: ping }', 'healthcheck: ping, enabled: false }')),
    );
    expect(byName(d, 'c')).toMatchObject({ change: 'changed', keepHealth: true, enabledChanged: true });
  });

  it('lists added and removed backends, and a renamed one as both', () => {
    const d = diffModels(
      model(BASE),
      model(BASE.replaceAll(' b:', ' b2:').replace('{ a: {}, b: {} }', '{ a: {}, b2: {} }')),
    );
    expect(byName(d, 'b2')).toMatchObject({ change: 'added', keepHealth: false });
    expect(byName(d, 'b')).toMatchObject({ change: 'removed', keepHealth: false });
  });

  it('says when a VIP must be re-created and when the VIP itself changed', () => {
    const sticky = diffModels(
      model(BASE),
      model(BASE.replace('port: 80\n      pools', 'port: 80\n      src-ip-sticky: true\n      pools')),
    );
    expect(sticky.frontends[0]).toMatchObject({ change: 'changed', recreate: true, vipChanged: false });
    const moved = diffModels(
      model(BASE),
      model(BASE.replace('port: 80\n      pools', 'port: 8080\n      pools')),
    );
    expect(moved.frontends[0]).toMatchObject({ change: 'changed', recreate: false, vipChanged: true });
    const weight = diffModels(
      model(BASE),
      model(BASE.replace('{ a: {}, b: {} }', '{ a: { weight: 10 }, b: {} }')),
    );
    expect(weight.frontends[0]).toMatchObject({ change: 'changed', recreate: false, vipChanged: false });
  });

  it('flags lb_conf changes separately from other settings', () => {
    const src = diffModels(model(BASE), model(BASE.replace('192.0.2.254', '192.0.2.253')));
    expect(src).toMatchObject({ lbConfChanged: true, changed: true });
    const sync = diffModels(
      model(BASE),
      model(BASE.replace('2001:db8::fe }', '2001:db8::fe, sync-interval: 1m }')),
    );
    expect(sync).toMatchObject({ lbConfChanged: false, changed: true });
  });
});
