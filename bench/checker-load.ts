// One checker benchmark run in a fresh process: 2000 backends at a 1 s interval; prints CPU, loop delay, RSS.
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthChecker } from '../src/checker/checker.js';
import type { Probe } from '../src/checker/probes/probe.js';
import { parseAddress } from '../src/model/address.js';
import type { BackendSpec, DesiredModel, HealthcheckSpec } from '../src/model/desired.js';

// 'fake' measures the checker's own machinery: http healthchecks answered by an instant in-process probe.
const mode = process.argv[2] ?? 'http';
const kind = mode === 'icmp' ? 'icmp' : mode === 'tcp' ? 'tcp' : 'http';
const seconds = Number(process.argv[3] ?? 10);
const ports = (process.argv[4] ?? '').split(',').filter(Boolean).map(Number);
const BACKENDS = Number(process.env.CHECKER_BENCH_BACKENDS ?? 2000);
const WARMUP_MS = 2500;

function healthcheck(name: string, port: number | undefined): HealthcheckSpec {
  return {
    name,
    type: kind,
    port,
    path: '/healthz',
    host: undefined,
    expectStatus: [[200, 399]],
    insecure: false,
    headers: {},
    sourceV4: undefined,
    sourceV6: undefined,
    intervalMs: 1000,
    fastIntervalMs: 1000,
    downIntervalMs: 1000,
    timeoutMs: 500,
    rise: 2,
    fall: 3,
  };
}

const healthchecks = new Map<string, HealthcheckSpec>();
if (mode === 'fake') healthchecks.set('fake', healthcheck('fake', 80));
else if (kind !== 'icmp') for (const p of ports) healthchecks.set(`hc${p}`, healthcheck(`hc${p}`, p));
else healthchecks.set('icmp', healthcheck('icmp', undefined));
const hcNames = [...healthchecks.keys()];
const backends = new Map<string, BackendSpec>();
for (let i = 0; i < BACKENDS; i++) {
  // HTTP servers listen on 127.0.0.1 only; ICMP targets spread over 127/8 (all answered by the kernel).
  const address = kind !== 'icmp' ? '127.0.0.1' : `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const name = `b${i}`;
  backends.set(name, {
    name,
    address: parseAddress(address),
    healthcheck: hcNames[i % hcNames.length] as string,
    enabled: true,
  });
}
const model: DesiredModel = {
  healthchecker: { transitionHistory: 5, maxConcurrentProbes: 256 },
  vpp: {
    apiTimeoutMs: 1000,
    lb: {
      ipv4SrcAddress: undefined,
      ipv6SrcAddress: undefined,
      stickyBucketsPerCore: 65536,
      flowTimeoutS: 40,
      newFlowsTableLength: 1024,
      syncIntervalMs: 30_000,
      startupMinDelayMs: 5000,
      startupMaxDelayMs: 30_000,
      removeUnknownVips: true,
    },
  },
  healthchecks,
  backends,
  frontends: new Map(),
};

const instant: Probe = async () => ({
  ok: true,
  code: 'L7OK',
  latencyMs: 0,
  detail: 'HTTP 200',
  at: Date.now(),
});
const checker = new HealthChecker(model, mode === 'fake' ? { probes: { http: instant } } : {});
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
