// Checker load: 2000 backends at a 1 s interval over loopback HTTP and ICMP; CPU share, loop delay p99, RSS.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type BenchRow, printTable } from './harness.js';

// Short runs by default (the machine is shared): CHECKER_BENCH_RUNS x CHECKER_BENCH_SECONDS, after a warm-up.
const RUNS = Number(process.env.CHECKER_BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.CHECKER_BENCH_SECONDS ?? 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const load = fileURLToPath(new URL('./checker-load.ts', import.meta.url));
const server = fileURLToPath(new URL('./checker-http-server.ts', import.meta.url));

interface LoadOut {
  cpuPct: number;
  userPct: number;
  loopP99Ms: number;
  rssMb: number;
  probesPerS: number;
  failed: number;
  up: number;
  loadavg1: number;
}

function rows(kind: string, outs: LoadOut[]): BenchRow[] {
  const r = (name: string, unit: string, f: (o: LoadOut) => number): BenchRow => ({
    name: `${kind} ${name}`,
    unit,
    runs: outs.map(f),
  });
  return [
    r('CPU (user+sys)', '% of a core', (o) => o.cpuPct),
    r('CPU (user)', '% of a core', (o) => o.userPct),
    r('event-loop delay p99', 'ms', (o) => o.loopP99Ms),
    r('RSS', 'MiB', (o) => o.rssMb),
    r('probes completed', 'per s', (o) => o.probesPerS),
    r('backends up at end', 'count', (o) => o.up),
    r('host load average (1 min)', 'load', (o) => o.loadavg1),
  ];
}

function parse(out: string): LoadOut {
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as LoadOut;
}

async function httpRuns(): Promise<LoadOut[]> {
  const srv = spawn(process.execPath, ['--import', 'tsx', server, '8'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const rl = createInterface({ input: srv.stdout });
  const [first] = (await once(rl, 'line')) as [string];
  const { ports } = JSON.parse(first) as { ports: number[] };
  const outs: LoadOut[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', load, 'http', String(SECONDS), ports.join(',')],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: (SECONDS + 30) * 1000,
        },
      );
      outs.push(parse(out));
    }
  } finally {
    srv.stdin.end();
    srv.kill();
  }
  return outs;
}

function pingAllowedHere(): boolean {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const gid = process.getgid?.() ?? -1;
    return lo !== undefined && hi !== undefined && gid >= lo && gid <= hi;
  } catch {
    return false;
  }
}

function icmpRuns(): LoadOut[] | string {
  const args = ['--import', 'tsx', load, 'icmp', String(SECONDS)];
  let cmd: string;
  let argv: string[];
  if (pingAllowedHere()) {
    cmd = process.execPath;
    argv = args;
  } else if (
    process.getuid?.() === 0 &&
    spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' }).status === 0
  ) {
    // A private network namespace: ping sockets enabled there only; the host's sysctl is not touched.
    const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(' ');
    cmd = 'unshare';
    argv = [
      '-n',
      'sh',
      '-c',
      `echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range && ip link set lo up && exec ${quoted}`,
    ];
  } else {
    return 'skipped: net.ipv4.ping_group_range forbids ping sockets and no private network namespace is available';
  }
  const outs: LoadOut[] = [];
  for (let i = 0; i < RUNS; i++) {
    outs.push(
      parse(execFileSync(cmd, argv, { cwd: root, encoding: 'utf8', timeout: (SECONDS + 30) * 1000 })),
    );
  }
  return outs;
}

/** run measures the checker under load: RUNS fresh processes per probe type, SECONDS each after warm-up. */
export async function run(): Promise<void> {
  const title = `checker: 2000 backends, 1 s interval, ${RUNS} runs of ${SECONDS} s`;
  const http = await httpRuns();
  const icmp = icmpRuns();
  const all = [...rows('http', http), ...(typeof icmp === 'string' ? [] : rows('icmp', icmp))];
  printTable(title, all);
  if (typeof icmp === 'string') console.log(`\nicmp: ${icmp}`);
}
