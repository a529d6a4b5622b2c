// The metrics registry: every metric of spec §9 with HELP/TYPE, state computed at scrape, config-name labels only.
import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  type FrontendStatus,
  METRIC_NAMES,
  type MetricsProviders,
  type WarmupPhase,
} from '../../src/daemon/metrics.js';
import { parseAddress } from '../../src/model/address.js';
import type { BackendHealth, BackendState, HealthSnapshot } from '../../src/model/health.js';

function backend(name: string, address: string, state: BackendState, health: number): BackendHealth {
  return {
    name,
    address: parseAddress(address),
    state,
    lastKnown: state === 'up' || state === 'down' ? state : 'unknown',
    health,
    lastResult: undefined,
    history: [],
    since: 0,
  };
}

/** A mutable world the providers read, as the daemon's would. */
function world() {
  const w = {
    backends: [backend('web1', '10.0.0.1', 'up', 4), backend('web2', '10.0.0.2', 'down', 0)],
    frontends: [
      {
        frontend: 'web-v4',
        state: 'up',
        pools: [
          {
            pool: 'primary',
            backends: [
              { backend: 'web1', configured: 100, effective: 100 },
              { backend: 'web2', configured: 50, effective: 0 },
            ],
          },
        ],
      },
    ] as FrontendStatus[],
    connected: true,
    dirty: 2,
    phase: 'releasing' as WarmupPhase,
    generation: 3,
  };
  const providers: MetricsProviders = {
    health: (): HealthSnapshot => ({ generation: 1, backends: new Map(w.backends.map((b) => [b.name, b])) }),
    frontends: () => w.frontends,
    vppConnected: () => w.connected,
    dirtyVips: () => w.dirty,
    warmupPhase: () => w.phase,
    configGeneration: () => w.generation,
  };
  return { w, providers };
}

/** Samples of one metric as `{labels} value` strings, from the text format. */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => l.slice(name.length));
}

describe('metrics', () => {
  it('defines every metric of spec §9 with HELP and TYPE, counters ending _total, durations in seconds', async () => {
    const { providers } = world();
    const m = createMetrics({ version: '0.1.0', vppApi: '25.06', providers });
    m.probe('web1', 'http', { ok: true, code: 'L7OK', latencyMs: 2, detail: '', at: 0 });
    m.vppApiRequest('lb_add_del_as_v2', 'ok', 0.0004);
    m.lbSync('interval', 'ok', 0.01);
    m.lbChange('lb_as_set_weight');
    m.backendTransition('web2', 'up', 'down');
    const text = await m.registry.metrics();
    for (const name of METRIC_NAMES) {
      const help = new RegExp(`^# HELP ${name} \\S.{10,}$`, 'm');
      expect(text, name).toMatch(help);
      const type = new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
      if (name.endsWith('_total')) expect(type, name).toBe('counter');
      else if (name.endsWith('_seconds')) expect(type, name).toBe('histogram');
      else expect(type, name).toBe('gauge');
    }
    // The default process metrics are there too, under their standard names.
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    expect(samples(text, 'maglev_build_info')).toEqual(['{version="0.1.0",vpp_api="25.06"} 1']);
  });

  it('computes state gauges at scrape time from the providers', async () => {
    const { w, providers } = world();
    const m = createMetrics({ version: '0', vppApi: '0', providers, processMetrics: false });
    let text = await m.registry.metrics();
    expect(samples(text, 'maglev_backend_state')).toContain('{backend="web1",state="up"} 1');
    expect(samples(text, 'maglev_backend_state')).toContain('{backend="web1",state="down"} 0');
    expect(samples(text, 'maglev_backend_state')).toContain('{backend="web2",state="down"} 1');
    expect(samples(text, 'maglev_backend_health_counter')).toEqual([
      '{backend="web1"} 4',
      '{backend="web2"} 0',
    ]);
    expect(samples(text, 'maglev_frontend_state')).toEqual([
      '{frontend="web-v4",state="up"} 1',
      '{frontend="web-v4",state="down"} 0',
      '{frontend="web-v4",state="unknown"} 0',
    ]);
    expect(samples(text, 'maglev_frontend_pool_backend_weight')).toEqual([
      '{frontend="web-v4",pool="primary",backend="web1",kind="configured"} 100',
      '{frontend="web-v4",pool="primary",backend="web1",kind="effective"} 100',
      '{frontend="web-v4",pool="primary",backend="web2",kind="configured"} 50',
      '{frontend="web-v4",pool="primary",backend="web2",kind="effective"} 0',
    ]);
    expect(samples(text, 'maglev_vpp_connected')).toEqual([' 1']);
    expect(samples(text, 'maglev_lb_dirty_vips')).toEqual([' 2']);
    expect(samples(text, 'maglev_warmup_phase')).toEqual([' 1']);
    expect(samples(text, 'maglev_config_generation')).toEqual([' 3']);

    // The world changes: web2 leaves the config, web1 is disabled, VPP goes away, warmup ends.
    w.backends = [backend('web1', '10.0.0.1', 'disabled', 0)];
    w.connected = false;
    w.phase = 'done';
    w.generation = 4;
    text = await m.registry.metrics();
    expect(text).not.toContain('backend="web2",state');
    expect(samples(text, 'maglev_backend_enabled')).toEqual(['{backend="web1"} 0']);
    expect(samples(text, 'maglev_vpp_connected')).toEqual([' 0']);
    expect(samples(text, 'maglev_warmup_phase')).toEqual([' 2']);
    expect(samples(text, 'maglev_config_generation')).toEqual([' 4']);
  });

  it('labels carry config names only, never addresses or probe details', async () => {
    const { providers } = world();
    const m = createMetrics({ version: '0', vppApi: '0', providers, processMetrics: false });
    m.probe('web1', 'http', {
      ok: false,
      code: 'L7STS',
      latencyMs: 12,
      detail: 'HTTP 503 from 10.0.0.1:80 (client 192.0.2.7)',
      at: 0,
    });
    m.backendTransition('web1', 'up', 'down');
    m.configReload('error');
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/10\.0\.0\.[12]|192\.0\.2\.7|HTTP 503/);
    const configNames = new Set(['web1', 'web2', 'web-v4', 'primary']);
    for (const [, label, value] of text.matchAll(/[{,](backend|frontend|pool)="([^"]*)"/g)) {
      expect(configNames.has(value ?? ''), `${label}=${value}`).toBe(true);
    }
    expect(samples(text, 'maglev_probe_total')).toEqual([
      '{backend="web1",type="http",result="fail",code="L7STS"} 1',
    ]);
    expect(samples(text, 'maglev_probe_duration_seconds_sum')).toEqual([
      '{backend="web1",type="http"} 0.012',
    ]);
    expect(samples(text, 'maglev_config_reload_total')).toEqual(['{result="ok"} 0', '{result="error"} 1']);
  });

  it('a provider that throws empties its metric for that scrape and the scrape still succeeds', async () => {
    const { providers } = world();
    const errors: string[] = [];
    const m = createMetrics({
      version: '0',
      vppApi: '0',
      processMetrics: false,
      providers: {
        ...providers,
        frontends: () => {
          throw new Error('reconciler not started');
        },
      },
      onCollectError: (metric) => errors.push(metric),
    });
    const text = await m.registry.metrics();
    expect(samples(text, 'maglev_frontend_state')).toEqual([]);
    expect(samples(text, 'maglev_backend_health_counter')).toHaveLength(2);
    expect(errors).toEqual(['maglev_frontend_state', 'maglev_frontend_pool_backend_weight']);
  });

  it('builds independent registries (no global state between daemons or tests)', async () => {
    const a = createMetrics({
      version: '1',
      vppApi: 'x',
      providers: world().providers,
      processMetrics: false,
    });
    const b = createMetrics({
      version: '2',
      vppApi: 'x',
      providers: world().providers,
      processMetrics: false,
    });
    a.lbChange('lb_add_del_vip_v2');
    expect(samples(await a.registry.metrics(), 'maglev_lb_changes_total')).toEqual([
      '{call="lb_add_del_vip_v2"} 1',
    ]);
    expect(samples(await b.registry.metrics(), 'maglev_lb_changes_total')).toEqual([]);
  });
});
