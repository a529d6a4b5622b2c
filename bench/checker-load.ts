// One checker benchmark run in a fresh process: 2000 backends at a 1 s interval; prints CPU, loop delay, RSS.
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthChecker } from '../src/checker/checker.js';
import type { Probe } from '../src/checker/probes/probe.js';
import type { HealthcheckSpec } from '../src/model/desired.js';
import { type BackendInput, hc, model } from '../test/checker/builders.js';

// 'fake' measures the checker's own machinery: http healthchecks answered by an instant in-process probe.
const mode = process.argv[2] ?? 'http';
const kind = mode === 'icmp' ? 'icmp' : mode === 'tcp' ? 'tcp' : 'http';
const seconds = Number(process.argv[3] ?? 10);
const ports = (process.argv[4] ?? '').split(',').filter(Boolean).map(Number);
const BACKENDS = Number(process.env.CHECKER_BENCH_BACKENDS ?? 2000);
const WARMUP_MS = 2500;

// The checker tests' builders: every interval 1 s, so each backend is probed once a second whatever its state.
const healthcheck = (name: string, port: number | undefined): HealthcheckSpec =>
  hc({
    name,
    type: kind,
    port,
    path: '/healthz',
    intervalMs: 1000,
    fastIntervalMs: 1000,
    downIntervalMs: 1000,
    timeoutMs: 500,
  });

const healthchecks: HealthcheckSpec[] = [];
if (mode === 'fake') healthchecks.push(healthcheck('fake', 80));
else if (kind !== 'icmp') for (const p of ports) healthchecks.push(healthcheck(`hc${p}`, p));
else healthchecks.push(healthcheck('icmp', undefined));
const backends: BackendInput[] = [];
for (let i = 0; i < BACKENDS; i++) {
  // HTTP servers listen on 127.0.0.1 only; ICMP targets spread over 127/8 (all answered by the kernel).
  const address = kind !== 'icmp' ? '127.0.0.1' : `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  backends.push({
    name: `b${i}`,
    address,
    healthcheck: (healthchecks[i % healthchecks.length] as HealthcheckSpec).name,
  });
}
const desired = model({ healthchecks, backends, maxConcurrentProbes: 256 });

const instant: Probe = async () => ({
  ok: true,
  code: 'L7OK',
  latencyMs: 0,
  detail: 'HTTP 200',
  at: Date.now(),
});
const checker = new HealthChecker(desired, mode === 'fake' ? { probes: { http: instant } } : {});
let ok = 0;
let failed = 0;
const codes = new Map<string, number>();
checker.subscribe((e) => {
  if (e.type !== 'result') return;
  if (e.result.ok) ok++;
  else {
    failed++;
    codes.set(e.result.code, (codes.get(e.result.code) ?? 0) + 1);
  }
});
checker.start();
await sleep(WARMUP_MS);
ok = 0;
failed = 0;
codes.clear();
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await sleep(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
h.disable();
const snap = checker.snapshot();
let up = 0;
for (const b of snap.backends.values()) if (b.state === 'up') up++;
const out = {
  kind: mode,
  cpuPct: ((cpu.user + cpu.system) / wallUs) * 100,
  userPct: (cpu.user / wallUs) * 100,
  loadavg1: loadavg()[0],
  loopP99Ms: h.percentile(99) / 1e6,
  loopMaxMs: h.max / 1e6,
  rssMb: process.memoryUsage().rss / (1 << 20),
  probesPerS: (ok + failed) / seconds,
  ok,
  failed,
  failedCodes: Object.fromEntries(codes),
  up,
  stats: checker.stats(),
};
checker.stop();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
