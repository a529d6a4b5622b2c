// The whole daemon as an operator runs it: the built maglevd, 2000 HTTP backends, 100 VIPs on the simulator.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../src/control/client.js';
import { ensureBuilt } from '../test/e2e/build.js';
import { type BenchRow, printTable } from './harness.js';

const RUNS = Number(process.env.DAEMON_BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.DAEMON_BENCH_SECONDS ?? 20);
/** Start-up (config, first probes, warmup of 1-2 s, the first full sync) is over well within this. */
const SETTLE_MS = 12_000;
const FRONTENDS = 100;
const PER_FRONTEND = 20;
const root = fileURLToPath(new URL('..', import.meta.url));

/** One HTTP listener per AS address (127.1.0.1-20, all the same port): VPP keys an AS by address. */
async function startBackends(): Promise<{ port: number; servers: Server[] }> {
  const servers: Server[] = [];
  let port = 0;
  for (let j = 1; j <= PER_FRONTEND; j++) {
    const s = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('ok\n');
    });
    s.listen(port, `127.1.0.${j}`);
    await once(s, 'listening');
    port = (s.address() as { port: number }).port;
    servers.push(s);
  }
  return { port, servers };
}

function configYaml(port: number): string {
  const lines = [
    'maglev:',
    '  healthchecker: { max-concurrent-probes: 256 }',
    '  vpp:',
    '    lb: { ipv4-src-address: 192.0.2.254, startup-min-delay: 1s, startup-max-delay: 2s }',
    '  healthchecks:',
    `    web: { type: http, port: ${port}, path: /healthz, interval: 1s, timeout: 500ms, rise: 2, fall: 3 }`,
    '  backends:',
  ];
  for (let f = 0; f < FRONTENDS; f++)
    for (let j = 0; j < PER_FRONTEND; j++)
      lines.push(`    b${f}-${j}: { address: 127.1.0.${j + 1}, healthcheck: web }`);
  lines.push('  frontends:');
  for (let f = 0; f < FRONTENDS; f++) {
    lines.push(
      `    fe${f}:`,
      `      address: 198.51.100.${f + 1}`,
      '      protocol: tcp',
      '      port: 80',
      '      pools:',
      '        - name: primary',
      '          backends:',
    );
    for (let j = 0; j < PER_FRONTEND; j++) lines.push(`            b${f}-${j}: { weight: 100 }`);
  }
  return `${lines.join('\n')}\n`;
}

/** cpuSeconds is user + system time of `pid` so far, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function rssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

interface RunOut {
  cpuPct: number;
  rssMb: number;
  up: number;
  inSync: number;
}

async function oneRun(dir: string, config: string): Promise<RunOut> {
  const socket = join(dir, 'ctl.sock');
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin', 'maglevd.js'), '--config', config, '--vpp-api', 'sim', '--control-socket', socket],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const pid = child.pid as number;
  const exited = once(child, 'exit');
  try {
    await sleep(SETTLE_MS);
    const c0 = await cpuSeconds(pid);
    const t0 = process.hrtime.bigint();
    await sleep(SECONDS * 1000);
    const c1 = await cpuSeconds(pid);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const rssMb = await rssMib(pid);
    const client = new ControlClient({ socketPath: socket, timeoutMs: 5000 });
    const backends = await client.get<{ backends: { state: string }[] }>('/backends');
    const plan = await client.get<{ inSync: boolean }>('/plan');
    return {
      cpuPct: ((c1 - c0) / wall) * 100,
      rssMb,
      up: backends.backends.filter((b) => b.state === 'up').length,
      inSync: plan.inSync ? 1 : 0,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** run measures the built daemon (metrics, control API, reconciler, simulator) under a 2000-backend load. */
export async function run(): Promise<void> {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'maglevd-bench-'));
  const { port, servers } = await startBackends();
  try {
    const config = join(dir, 'maglev.yaml');
    await writeFile(config, configYaml(port));
    const outs: RunOut[] = [];
    for (let i = 0; i < RUNS; i++) outs.push(await oneRun(dir, config));
    const r = (name: string, unit: string, f: (o: RunOut) => number): BenchRow => ({
      name,
      unit,
      runs: outs.map(f),
    });
    printTable(
      `daemon: ${FRONTENDS * PER_FRONTEND} http backends at 1 s, ${FRONTENDS} VIPs on the simulator, ${RUNS} runs of ${SECONDS} s`,
      [
        r('CPU (user+sys)', '% of a core', (o) => o.cpuPct),
        r('RSS', 'MiB', (o) => o.rssMb),
        r('backends up at end', 'count', (o) => o.up),
        r('plan in sync at end', '1 = yes', (o) => o.inSync),
      ],
    );
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await rm(dir, { recursive: true, force: true });
  }
}
