// Reconciler benchmarks for 1000 VIPs × 64 ASs: desired state and plan (pure), full sync and transition latency against SimLb over the socket.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChunkedMap } from '../src/checker/snapshot-map.js';
import type { LbDataplane } from '../src/dataplane/lb-dataplane.js';
import { LB_REQUIRED_MESSAGES, VppLbDataplane } from '../src/dataplane/vpp-lb-dataplane.js';
import { silentLogger } from '../src/log/logger.js';
import type { BackendHealth, HealthSnapshot } from '../src/model/health.js';
import type { LbAsState, LbLiveState, LbVipState } from '../src/model/lb-state.js';
import { buildDesiredLb } from '../src/reconciler/desired-vips.js';
import { planAll } from '../src/reconciler/plan.js';
import { type PassInfo, Reconciler } from '../src/reconciler/reconciler.js';
import { VppClient } from '../src/vppapi/client.js';
import { buildHealth, buildModel, type FrontendInput } from '../test/reconciler/builders.js';
import { type BenchRow, measure, printTable } from './harness.js';

const VIPS = 1000;
const ASS = 64;

function setup() {
  const backends: Record<string, string> = {};
  const frontends: FrontendInput[] = [];
  for (let v = 0; v < VIPS; v++) {
    const members: Record<string, number> = {};
    for (let a = 0; a < ASS; a++) {
      const name = `b${v}-${a}`;
      backends[name] = `10.${(v >> 8) & 255}.${v & 255}.${a + 1}`;
      members[name] = 100;
    }
    frontends.push({ name: `fe${v}`, vip: `198.${18 + (v >> 8)}.${v & 255}.1`, pools: { p: members } });
  }
  const model = buildModel(backends, frontends, { syncIntervalMs: 0 });
  const states: Record<string, string> = {};
  for (const n of Object.keys(backends)) states[n] = 'up';
  const health = buildHealth(model, states);
  const desired = buildDesiredLb(model, health, new Map());
  const vips = new Map<string, LbVipState>();
  for (const [k, d] of desired.vips) {
    const ases = new Map<string, LbAsState>();
    for (const [t, a] of d.ases) ases.set(t, { address: a.address, weight: a.weight, numBuckets: undefined });
    vips.set(k, { key: d.key, encap: d.encap, srcIpSticky: d.srcIpSticky, tableLength: d.tableLength, ases });
  }
  const live: LbLiveState = { vips };
  const changed = new Map<string, LbVipState>();
  let i = 0;
  for (const [k, v] of vips) {
    const ases = new Map(v.ases);
    for (const [t, a] of ases) if (i++ % 10 === 0) ases.set(t, { ...a, weight: 50 });
    changed.set(k, { ...v, ases });
  }
  return { model, health, desired, live, changed: { vips: changed } as LbLiveState };
}

function pureRows(s: ReturnType<typeof setup>): Promise<BenchRow[]> {
  const opts = { removeUnknownVips: true };
  const ms = (fn: () => void) => () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  return Promise.all([
    measure(
      'desired state, 1000 VIPs × 64 ASs',
      'ms',
      7,
      ms(() => buildDesiredLb(s.model, s.health, new Map())),
    ),
  ]).then(async (rows) => [
    ...rows,
    await measure(
      'plan, in sync (0 steps)',
      'ms',
      7,
      ms(() => planAll(s.desired.vips, s.live, opts)),
    ),
    await measure(
      'plan, 10 % of weights changed (6400 steps)',
      'ms',
      7,
      ms(() => planAll(s.desired.vips, s.changed, opts)),
    ),
  ]);
}

/** withState: `h` but for one backend's state, as the checker publishes it (a ChunkedMap copies one chunk). */
function withState(h: HealthSnapshot, name: string, state: 'up' | 'down'): HealthSnapshot {
  const backends = h.backends as ChunkedMap<BackendHealth>;
  const b = backends.get(name) as BackendHealth;
  return {
    generation: h.generation + 1,
    backends: backends.withAll(
      new Map([[name, { ...b, state, lastKnown: state, health: state === 'up' ? 4 : 0 }]]),
    ),
  };
}

/** Timed: the adapter, noting when each weight change is handed to the client (the daemon's share of a transition). */
function timed(dp: LbDataplane, onSend: () => void): LbDataplane {
  return {
    dump: () => dp.dump(),
    addVip: (...a) => dp.addVip(...a),
    delVip: (...a) => dp.delVip(...a),
    addAs: (...a) => dp.addAs(...a),
    delAs: (...a) => dp.delAs(...a),
    setAsWeight: (...a) => {
      onSend();
      return dp.setAsWeight(...a);
    },
    getConf: () => dp.getConf(),
    setConf: (...a) => dp.setConf(...a),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** socketRows: full syncs and transitions through VppLbDataplane → VppClient → SimLb in its own process. */
async function socketRows(s: ReturnType<typeof setup>): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'reconciler-bench-'));
  const path = join(dir, 'api.sock');
  const server = fork(fileURLToPath(new URL('./reconciler-sim.worker.ts', import.meta.url)), [path], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
  });
  await new Promise((resolve) => server.once('message', resolve));
  const reset = () =>
    new Promise<void>((resolve) => {
      server.once('message', () => resolve());
      server.send('reset');
    });
  const client = new VppClient({
    socketPath: path,
    livenessIntervalMs: 0,
    requiredMessages: LB_REQUIRED_MESSAGES,
  });
  client.start();
  await client.waitUntilConnected(5_000);
  const rows: BenchRow[] = [];
  try {
    const passes: PassInfo[] = [];
    let sentAt = 0;
    const make = () =>
      new Reconciler({
        dataplane: timed(new VppLbDataplane(client, () => 5_000), () => {
          sentAt = performance.now();
        }),
        logger: silentLogger(),
        model: s.model,
        health: s.health,
        passDeadlineMs: 600_000,
        onPass: (p) => passes.push(p),
      });
    // Full sync from empty: 1000 VIP adds and 64 000 AS adds, in plan order, one call in flight.
    let r: Reconciler | undefined;
    let calls = 0;
    const fromEmpty = await measure('full sync from empty VPP (65 000 calls)', 'calls/s', 5, async () => {
      await r?.stop();
      await reset();
      r = make();
      const t0 = performance.now();
      r.vppConnected();
      await r.whenIdle();
      const ms = performance.now() - t0;
      const p = passes.at(-1);
      if (!p?.report || p.report.failed > 0 || p.error) throw new Error(`full sync failed: ${p?.error}`);
      calls = p.report.applied;
      return (calls * 1000) / ms;
    });
    rows.push(fromEmpty);
    // Full sync when in sync: the dump of 1000 VIPs and 64 000 ASs, and a plan with no steps.
    const live = r as Reconciler;
    rows.push(
      await measure('full sync, in sync (dump + plan, 0 calls)', 'ms', 5, async () => {
        const t0 = performance.now();
        live.requestSync('sync');
        await live.whenIdle();
        const p = passes.at(-1);
        if (!p?.report || p.report.applied > 0) throw new Error('expected an in-sync pass');
        return performance.now() - t0;
      }),
    );
    // Transition → reply: a backend goes down (or up); time from setHealth to lb_as_set_weight's reply.
    const names = [...s.model.backends.keys()];
    let health: HealthSnapshot = {
      generation: s.health.generation,
      backends: ChunkedMap.from(s.health.backends),
    };
    let i = 0;
    const once = async (): Promise<number> => {
      const name = names[(i * 7919) % names.length] as string;
      const next = withState(health, name, health.backends.get(name)?.state === 'up' ? 'down' : 'up');
      i++;
      const t0 = performance.now();
      const off = passes.length;
      live.setHealth(next, [name]);
      await live.whenIdle();
      const replied = performance.now();
      const p = passes[off];
      if (p?.report?.applied !== 1) throw new Error('expected one call per transition');
      health = next;
      sends.push(sentAt - t0);
      return replied - t0;
    };
    const sends: number[] = [];
    for (let w = 0; w < 50; w++) await once();
    const runs: number[] = [];
    const p50s: number[] = [];
    const sendP99s: number[] = [];
    for (let run = 0; run < 5; run++) {
      const lat: number[] = [];
      sends.length = 0;
      for (let k = 0; k < 400; k++) lat.push(await once());
      lat.sort((a, b) => a - b);
      sends.sort((a, b) => a - b);
      p50s.push(percentile(lat, 50));
      runs.push(percentile(lat, 99));
      sendP99s.push(percentile(sends, 99));
    }
    rows.push({ name: 'transition → reply, p50 (400 per run)', unit: 'ms', runs: p50s });
    rows.push({ name: 'transition → reply, p99 (400 per run)', unit: 'ms', runs });
    rows.push({ name: 'transition → request sent, p99 (daemon share)', unit: 'ms', runs: sendP99s });
    await live.stop();
    return rows;
  } finally {
    await client.close();
    server.send('close');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const s = setup();
  const rows = [...(await pureRows(s)), ...(await socketRows(s))];
  printTable(`reconciler (${VIPS} VIPs × ${ASS} ASs)`, rows);
}
