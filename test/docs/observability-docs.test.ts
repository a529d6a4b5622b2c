// The operator docs match the code: every log event with a parseable example, every metric, a dashboard of real metrics.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_NAMES } from '../../src/daemon/metrics.js';
import { LOG_EVENT_LEVELS, LOG_EVENT_NAMES } from '../../src/log/events.js';

const doc = (name: string): string => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

async function allMetricNames(): Promise<Set<string>> {
  const m = createMetrics({
    version: '0',
    vppApi: '0',
    providers: {
      health: () => undefined,
      frontends: () => [],
      vppConnected: () => false,
      dirtyVips: () => 0,
      warmupPhase: () => 'done',
      configGeneration: () => 1,
    },
  });
  const text = await m.registry.metrics();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1] ?? ''));
}

describe('operator docs', () => {
  it('docs/logging.md shows every event with an example line at its level', () => {
    const text = doc('logging.md');
    const examples = [...text.matchAll(/^(\{"level".*\})$/gm)].map((m) => JSON.parse(m[1] ?? '{}'));
    for (const name of LOG_EVENT_NAMES) {
      expect(text, name).toContain(`\`${name}\``);
      const lines = examples.filter((e) => e.event === name);
      expect(lines.length, `example line for ${name}`).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatchObject({ service: 'maglevd', msg: name });
        expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        // The documented overrides: frontend-transition to down, an operator action not done.
        const override =
          (name === 'frontend-transition' && line.to === 'down') ||
          (name === 'control-action' && line.outcome !== 'done');
        if (override) expect(line.level, name).toBe('warn');
        else expect(line.level, name).toBe(LOG_EVENT_LEVELS[name]);
      }
    }
    const unknown = examples.filter((e) => !(LOG_EVENT_NAMES as readonly string[]).includes(e.event));
    expect(unknown).toEqual([]);
  });

  it('docs/metrics.md lists every metric, and every process metric it names exists', async () => {
    const text = doc('metrics.md');
    for (const name of METRIC_NAMES) expect(text, name).toContain(`\`${name}\``);
    const real = await allMetricNames();
    for (const [, name] of text.matchAll(/`((?:process|nodejs)_[a-z0-9_]+)`/g)) {
      expect(real.has(name ?? ''), name).toBe(true);
    }
  });

  it('docs/grafana-dashboard.json queries only metrics that exist and covers what operators watch', async () => {
    const dash = JSON.parse(doc('grafana-dashboard.json')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const real = await allMetricNames();
    const used = new Set(
      exprs.flatMap((e) =>
        [...e.matchAll(/\b((?:maglev|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1] ?? ''),
      ),
    );
    for (const name of used) expect(real.has(name.replace(/_(bucket|sum|count)$/, '')), name).toBe(true);
    for (const topic of [
      'maglev_frontend_state',
      'maglev_frontend_pool_backend_weight',
      'maglev_probe_duration_seconds_bucket',
      'maglev_backend_transitions_total',
      'maglev_vpp_api_request_duration_seconds_bucket',
      'maglev_lb_sync_duration_seconds_bucket',
    ]) {
      expect(used.has(topic), topic).toBe(true);
    }
  });
});
