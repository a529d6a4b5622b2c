// End-to-end harness: the built maglevd as a child process, a FakeVpp with a SimLb behind it, loopback backends.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageDef } from 'vpp-binapi-ts/runtime';
import { ShowVersionDef, ShowVersionReplyDef } from 'vpp-binapi-ts/vpe';
import { runCli } from '../../src/cli/main.js';
import { SimLb } from '../../src/sim/sim-lb.js';
import { createSimLbHandler } from '../../src/sim/sim-lb-handler.js';
import type { VppMessageHandler } from '../../src/sim/vpp-server.js';
import { FakeVpp } from '../fakes/fake-vpp.js';

/** The repository root: bin/ and dist/ live there. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** waitFor polls `cond` every 25 ms until it holds; it throws naming `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- the fake VPP ----

/** One request the simulator's handler saw, decoded. */
export interface VppCall {
  readonly name: string;
  readonly value: Record<string, unknown>;
}

/** The lb requests that change VPP; everything else the daemon sends is a read. */
export const WRITES = new Set([
  'lb_conf',
  'lb_add_del_vip',
  'lb_add_del_vip_v2',
  'lb_add_del_as',
  'lb_add_del_as_v2',
  'lb_as_set_weight',
  'lb_flush_vip',
  'lb_add_del_intf_nat4',
  'lb_add_del_intf_nat6',
]);

/** `vip -> address -> weight` of the simulator's live ASs; the VIP as `prefix/len proto:port`. */
export type LbWeights = Record<string, Record<string, number>>;

const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 255: 'any' };

/**
 * VppFixture is a FakeVpp answering lb requests from a SimLb (and show_version), recording every request
 * its handler decodes. `restartEmpty` swaps in a fresh SimLb, as a VPP restart loses its lb state.
 */
export class VppFixture {
  sim = new SimLb();
  private lb = createSimLbHandler(this.sim);
  readonly calls: VppCall[] = [];
  private constructor(readonly fake: FakeVpp) {}

  static async start(
    opts: { path?: string; defs?: ReadonlyMap<string, MessageDef> } = {},
  ): Promise<VppFixture> {
    let self: VppFixture | undefined;
    const handler: VppMessageHandler = (req) => {
      const f = self as VppFixture;
      f.calls.push({ name: req.def.name, value: req.value as Record<string, unknown> });
      if (req.def.nameCrc === ShowVersionDef.nameCrc) {
        return [
          {
            def: ShowVersionReplyDef,
            value: { retval: 0, program: 'e2e-fake-vpp', version: '0', build_date: '', build_directory: '' },
          },
        ];
      }
      return f.lb(req);
    };
    const fake = await FakeVpp.start({
      handler,
      ...(opts.path ? { path: opts.path } : {}),
      ...(opts.defs ? { defs: opts.defs } : {}),
    });
    self = new VppFixture(fake);
    return self;
  }

  get path(): string {
    return this.fake.path;
  }

  /** Requests that change VPP, recorded since index `from`. */
  writes(from = 0): VppCall[] {
    return this.calls.slice(from).filter((c) => WRITES.has(c.name));
  }

  /** The live (flags & 1) ASs of every VIP with their weights; VIPs without ASs appear empty. */
  weights(): LbWeights {
    const out: LbWeights = {};
    const key = (p: { prefix: { address: { text: string }; len: number }; protocol: number; port: number }) =>
      `${p.prefix.address.text}/${p.prefix.len} ${PROTO[p.protocol] ?? p.protocol}:${p.port}`;
    for (const v of this.sim.vipDump()) out[key(v)] = {};
    for (const a of this.sim.asDump()) {
      if ((a.flags & 1) === 0) continue;
      const vip = out[key(a.vip)];
      if (vip) vip[a.address.text] = a.weight;
    }
    return out;
  }

  /** A comparable copy of everything the simulator holds that VPP's dumps show (not the clock). */
  dumpText(): string {
    return JSON.stringify({
      conf: this.sim.confGet(),
      vips: this.sim.vipDump(),
      ases: this.sim.asDump().map(({ inUseSince: _, ...rest }) => rest),
    });
  }

  /** restartEmpty drops every client and comes back with no lb state (optionally renumbered, after a pause). */
  async restartEmpty(opts: { renumberOffset?: number; downMs?: number } = {}): Promise<void> {
    this.sim = new SimLb();
    this.lb = createSimLbHandler(this.sim);
    this.calls.length = 0;
    await this.fake.restart(
      opts.renumberOffset === undefined ? {} : { renumberOffset: opts.renumberOffset },
      opts.downMs ?? 0,
    );
  }

  async stop(): Promise<void> {
    await this.fake.stop();
  }
}

// ---- loopback backends ----

/** A loopback HTTP backend answering 200 on every path; stop() and start() it to fail and restore it. */
export class Backend {
  private server: Server | undefined;
  constructor(
    readonly address: string,
    public port: number,
    /** The status every request gets (503 makes a failing backend that still accepts connections). */
    readonly status = 200,
  ) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  start(): Promise<void> {
    const server = createServer({ keepAlive: false }, (_req, res) => {
      res.writeHead(this.status, { 'content-type': 'text/plain', connection: 'close' });
      res.end('ok\n');
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.address, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

/**
 * startBackends listens on `addresses` with one port shared by all (one healthcheck fits them all): the
 * first picks a free port, the rest take it; a clash retries with another port.
 */
export async function startBackends(addresses: readonly string[]): Promise<Backend[]> {
  for (let attempt = 0; ; attempt++) {
    const first = new Backend(addresses[0] as string, 0);
    await first.start();
    const out = [first];
    try {
      for (const a of addresses.slice(1)) {
        const b = new Backend(a, first.port);
        await b.start();
        out.push(b);
      }
      return out;
    } catch (e) {
      await Promise.all(out.map((b) => b.stop()));
      if (attempt >= 5) throw e;
    }
  }
}

// ---- config ----

export interface PoolSpec {
  readonly name: string;
  readonly backends: Readonly<Record<string, number>>;
}

export interface FrontendSpecText {
  readonly address: string;
  readonly port: number;
  readonly pools: readonly PoolSpec[];
  readonly flushOnDown?: boolean;
}

export interface ConfigSpec {
  readonly port: number;
  /** name -> address */
  readonly backends: Readonly<Record<string, string>>;
  readonly frontends: Readonly<Record<string, FrontendSpecText>>;
  /** Extra `lb:` keys, e.g. `{ 'sync-interval': '1h' }`. */
  readonly lb?: Readonly<Record<string, string | number | boolean>>;
  /** Backends whose config says `enabled: false`. */
  readonly disabled?: readonly string[];
}

/** Probe timing of every e2e config: up after 2 passes, down after 2 failures, a few hundred ms apart. */
export const CHECK = { intervalMs: 300, fall: 2, rise: 2 } as const;

/** configYaml renders a config with fast checks, warmup off and a long sync interval (tests count calls). */
export function configYaml(c: ConfigSpec): string {
  const lb = {
    'ipv4-src-address': '192.0.2.254',
    'sync-interval': '1h',
    'startup-min-delay': '0s',
    'startup-max-delay': '0s',
    ...c.lb,
  };
  const lines = [
    'maglev:',
    '  vpp:',
    '    api-timeout: 1s',
    '    lb:',
    ...Object.entries(lb).map(([k, v]) => `      ${k}: ${v}`),
    '  healthchecks:',
    '    http-check:',
    '      type: http',
    `      port: ${c.port}`,
    '      path: /healthz',
    `      interval: ${CHECK.intervalMs}ms`,
    '      fast-interval: 200ms',
    '      down-interval: 300ms',
    '      timeout: 150ms',
    `      rise: ${CHECK.rise}`,
    `      fall: ${CHECK.fall}`,
    '  backends:',
    ...Object.entries(c.backends).map(
      ([n, a]) =>
        `    ${n}: { address: ${a}, healthcheck: http-check${c.disabled?.includes(n) ? ', enabled: false' : ''} }`,
    ),
    '  frontends:',
  ];
  for (const [name, fe] of Object.entries(c.frontends)) {
    lines.push(
      `    ${name}:`,
      `      address: ${fe.address}`,
      '      protocol: tcp',
      `      port: ${fe.port}`,
    );
    if (fe.flushOnDown !== undefined) lines.push(`      flush-on-down: ${fe.flushOnDown}`);
    lines.push('      pools:');
    for (const p of fe.pools) {
      lines.push(`        - name: ${p.name}`, '          backends:');
      for (const [b, w] of Object.entries(p.backends)) lines.push(`            ${b}: { weight: ${w} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---- the daemon process ----

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** DaemonProcess is one `node bin/maglevd.js` child with its output kept for assertions and failure reports. */
export class DaemonProcess {
  stdout = '';
  stderr = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** spawn runs the built maglevd with `args` (metrics off unless the args set them) and extra `env`. */
  static spawn(args: readonly string[], env: Readonly<Record<string, string>> = {}): DaemonProcess {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'maglevd.js'), '--metrics', '', ...args], {
      cwd: ROOT,
      env: { ...process.env, NOTIFY_SOCKET: '', MAGLEV_CONFIG: '', MAGLEV_CONTROL_SOCKET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DaemonProcess(child);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Log lines (JSON) the daemon printed so far. */
  logs(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /**
   * kill ends the process: SIGTERM first (so `--vpp-api sim` removes its temp socket directory), SIGKILL
   * if it is still there after 3 s; a no-op once it has exited.
   */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  /** crash ends the process with SIGKILL, as a crash would (nothing cleaned up), and waits for it. */
  async crash(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last lines of output, for failure messages. */
  tail(n = 30): string {
    return `${this.stdout.split('\n').slice(-n).join('\n')}\n--- stderr ---\n${this.stderr}`;
  }
}

// ---- maglevctl ----

export interface CtlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** ctl runs maglevctl in-process (fast) against `socket`. */
export async function ctl(socket: string, argv: readonly string[]): Promise<CtlResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--socket', socket, ...argv], {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: {},
    timeoutMs: 5000,
  });
  return { code, stdout, stderr };
}

/** ctlJson runs `maglevctl --json` in-process and parses what it printed; a non-zero exit throws. */
export async function ctlJson<T>(socket: string, argv: readonly string[]): Promise<T> {
  const r = await ctl(socket, ['--json', ...argv]);
  if (r.code !== 0) throw new Error(`maglevctl ${argv.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** ctlBin runs the built maglevctl as its own process, as an operator would. */
export function ctlBin(socket: string, argv: readonly string[]): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'maglevctl.js'), '--socket', socket, ...argv], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A long-running maglevctl (watch): its output lines as they come, and its exit. */
export interface CtlProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  stderr: string;
  readonly exited: Promise<number | null>;
}

/** spawnCtl starts the built maglevctl with `argv` and keeps every stdout line. */
export function spawnCtl(socket: string, argv: readonly string[]): CtlProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'maglevctl.js'), '--socket', socket, ...argv], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: CtlProcess = {
    child,
    lines: [],
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    const parts = (partial + s).split('\n');
    partial = parts.pop() ?? '';
    out.lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out.stderr += s;
  });
  return out;
}

// ---- temp dirs ----

/** A temp directory for one scenario: config file and control socket live in it. */
export class Workdir {
  private constructor(readonly dir: string) {}
  static async make(): Promise<Workdir> {
    return new Workdir(await mkdtemp(join(tmpdir(), 'maglevd-e2e-')));
  }
  get config(): string {
    return join(this.dir, 'maglev.yaml');
  }
  get socket(): string {
    return join(this.dir, 'run', 'maglevd.sock');
  }
  async writeConfig(text: string): Promise<void> {
    await writeFile(this.config, text);
  }
  socketExists(): boolean {
    return existsSync(this.socket);
  }
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
